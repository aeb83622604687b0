// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctx.h"
#include "util.h"

/* the first non-empty line depmod wrote on fd, or its exit status */
static void depmod_reason(int fd, int status, char *out, size_t outsz)
{
	char buf[1024];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	buf[n > 0 ? n : 0] = '\0';
	char *line = buf + strspn(buf, "\n");
	line[strcspn(line, "\n")] = '\0';
	if (*line)
		snprintf(out, outsz, "%s", line);
	else if (status > 128)
		snprintf(out, outsz, "killed by signal %d", status - 128);
	else
		snprintf(out, outsz, "exit status %d", status);
}

int ctmod_depmod_run(struct ctmod_ctx *ctx, const char *base, const char *kver,
                     const char *consequence)
{
	const char *b = base && *base ? base : "/";
	static const char *const tries[] = {"depmod", "/usr/sbin/depmod", "/sbin/depmod"};
	_cleanup_close_ int errfd = memfd_create("depmod-stderr", MFD_CLOEXEC);
	struct spawn_opts o = SPAWN_OPTS_INIT;
	o.err = errfd;
	int st = 127;
	for (size_t i = 0; i < ARRAY_SIZE(tries) && st == 127; i++) {
		char *argv[] = {(char *)tries[i], "-a", "-b", (char *)b, (char *)kver, NULL};
		st = spawn_run(argv, &o);
	}
	if (st == 0)
		return 0;
	if (st == 127)
		return ctmod_fail(ctx, -ENOENT, "install kmod", "cannot run depmod: %s",
		                  strerror(ENOENT));
	if (st < 0)
		return ctmod_fail(ctx, st, "install kmod", "cannot run depmod: %s", strerror(-st));
	char why[512];
	depmod_reason(errfd, st, why, sizeof(why));
	_cleanup_free_ char *hint = xasprintf("run depmod -b %s %s by hand to see why", b, kver);
	return ctmod_fail(ctx, -EIO, hint, "depmod -b %s %s failed: %s%s%s", b, kver, why,
	                  consequence ? ": " : "", consequence ? consequence : "");
}
