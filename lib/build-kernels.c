// SPDX-License-Identifier: LGPL-2.1-or-later
/* Kernels with headers under the root */
#include "build-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ROOT/lib/modules/K/build resolved under the root (its link is absolute) */
char *ctmod_build_headers_dir(struct ctmod_ctx *ctx, const char *kver)
{
	_cleanup_free_ char *link = ctmod_path(ctx, "/lib/modules/%s/build", kver);
	char target[PATH_MAX];
	if (!link)
		return NULL;
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return strdup(link);
	target[n] = '\0';
	if (target[0] == '/')
		return ctmod_path(ctx, "%s", target);
	return ctmod_path(ctx, "/lib/modules/%s/%s", kver, target);
}

static bool has_headers(struct ctmod_ctx *ctx, const char *kver)
{
	_cleanup_free_ char *h = ctmod_build_headers_dir(ctx, kver);
	_cleanup_free_ char *mk = h ? xasprintf("%s/Makefile", h) : NULL;
	return mk && exists(mk);
}

int ctmod_build_check_headers(struct ctmod_ctx *ctx, const char *kver)
{
	if (has_headers(ctx, kver))
		return 0;
	const char *root = ctmod_ctx_root(ctx);
	char hint[1024];
	snprintf(hint, sizeof(hint),
	         "deploy them with: ctmod%s%s -S %s install linux-headers-%s.deb (or a headers "
	         "tarball/URL)",
	         *root ? " --root " : "", root, kver, kver);
	return ctmod_fail(
	    ctx, -ENOENT, hint,
	    "no kernel headers for %s under %s/lib/modules/%s/build (kernel source for "
	    "this kernel does not seem to be installed)",
	    kver, *root ? root : "", kver);
}

int ctmod_build_kernels(struct ctmod_ctx *ctx, struct strv *out)
{
	_cleanup_free_ char *dir = ctmod_path(ctx, "/lib/modules");
	DIR *d = dir ? opendir(dir) : NULL;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' && has_headers(ctx, de->d_name))
				strv_push(out, de->d_name);
		closedir(d);
	}
	if (out->n == 0) {
		const char *root = ctmod_ctx_root(ctx);
		return ctmod_fail(ctx, -ENOENT, "deploy headers with ctmod install",
		                  "no kernel with headers under %s/lib/modules", root);
	}
	strv_sort(out);
	return 0;
}
