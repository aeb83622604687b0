// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

bool ctmod_sandbox_available(void)
{
	/* the only reliable test is to try, in a throw-away child */
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) == 0 ? 0 : 1);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int bind(struct ctmod_ctx *ctx, const char *src, const char *dst)
{
	struct stat st;
	if (stat(dst, &st) < 0 && mkdir_p(dst, 0755) < 0)
		return ctmod_fail(ctx, -errno, "run as root with CAP_SYS_ADMIN",
		                  "sandbox: cannot create mount point %s: %m", dst);
	/* the kernel ignores the type of a bind mount; "none", not NULL, keeps
	 * valgrind's check of the argument quiet */
	if (mount(src, dst, "none", MS_BIND | MS_REC, NULL) < 0)
		return ctmod_fail(ctx, -errno, "run as root with CAP_SYS_ADMIN",
		                  "sandbox: bind %s at %s: %m", src, dst);
	return 0;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int ctmod_sandbox_enter(struct ctmod_ctx *ctx, const char *root, const char *dkms_tree,
                        const char *dkms_build, const char *tree, char *const *extra)
{
	int r;
	if (unshare(CLONE_NEWNS) < 0)
		return ctmod_fail(ctx, -errno, "run as root (CAP_SYS_ADMIN)",
		                  "sandbox: unshare(CLONE_NEWNS): %m");
	/* nothing we mount may leak back to the host's namespace */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return ctmod_fail(ctx, -errno, NULL, "sandbox: make / private: %m");

	if (root && *root && strcmp(root, "/") != 0) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/usr/src", root);
		if (is_dir(p) && (r = bind(ctx, p, "/usr/src")) < 0)
			return r;
		snprintf(p, sizeof(p), "%s/lib/modules", root);
		if (is_dir(p) && (r = bind(ctx, p, "/lib/modules")) < 0)
			return r;
		/*
		 * Debian's headers link scripts -> ../../lib/linux-kbuild-V/scripts,
		 * i.e. /usr/lib/linux-kbuild-V: bind just those, the compiler
		 * lives in the host's /usr/lib.
		 */
		snprintf(p, sizeof(p), "%s/usr/lib", root);
		DIR *d = opendir(p);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d))) {
				if (strncmp(de->d_name, "linux-kbuild-", 13) != 0)
					continue;
				char src[4096], dst[4096];
				snprintf(src, sizeof(src), "%s/usr/lib/%s", root, de->d_name);
				snprintf(dst, sizeof(dst), "/usr/lib/%s", de->d_name);
				if (is_dir(src) && (r = bind(ctx, src, dst)) < 0) {
					closedir(d);
					return r;
				}
			}
			closedir(d);
		}
	}
	if (dkms_build && tree) {
		if (!is_dir(dkms_tree) && mkdir_p(dkms_tree, 0755) < 0)
			return ctmod_fail(ctx, -errno, NULL, "sandbox: mkdir %s: %m", dkms_tree);
		/* the build's own view of the dkms tree: only its build dir */
		if (mount("ctmod", dkms_tree, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
			return ctmod_fail(ctx, -errno, NULL, "sandbox: tmpfs on %s: %m", dkms_tree);
		if ((r = bind(ctx, tree, dkms_build)) < 0)
			return r;
		for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2)
			if ((r = bind(ctx, extra[i], extra[i + 1])) < 0)
				return r;
	}
	return 0;
}
