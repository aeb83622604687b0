// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sources: a directory or NAME/VERSION, and the AUTOINSTALL=yes ones for --all */
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

int ctmod_build_find_source(struct ctmod_ctx *ctx, const char *arg, char **src)
{
	char rp[PATH_MAX];
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", arg);
	if (conf && exists(conf) && realpath(arg, rp)) {
		*src = strdup(rp);
		return *src ? 0 : -ENOMEM;
	}
	/* NAME/VERSION -> ROOT/usr/src/NAME-VERSION */
	const char *slash = strchr(arg, '/');
	if (slash && slash != arg && slash[1] && !strchr(slash + 1, '/') && arg[0] != '.') {
		_cleanup_free_ char *d =
		    ctmod_path(ctx, "/usr/src/%.*s-%s", (int)(slash - arg), arg, slash + 1);
		_cleanup_free_ char *c = d ? xasprintf("%s/dkms.conf", d) : NULL;
		if (c && exists(c) && realpath(d, rp)) {
			*src = strdup(rp);
			return *src ? 0 : -ENOMEM;
		}
		return ctmod_fail_input(ctx, -ENOENT,
		                        "unpack the source there, or give its directory",
		                        "%s: no %s", arg, d ? d : "source");
	}
	return ctmod_fail_input(ctx, -ENOENT, "give a source directory or NAME/VERSION",
	                        "%s: no dkms.conf there", arg);
}

void ctmod_build_default_env(struct ctmod_ctx *ctx, struct dkms_env *env, const char *kver,
                             const char *arch, char *ksrc, size_t ksz)
{
	memset(env, 0, sizeof(*env));
	snprintf(ksrc, ksz, "/lib/modules/%s/build", kver);
	env->root = ctmod_ctx_root(ctx);
	env->kernelver = kver;
	env->arch = arch;
	env->kernel_source_dir = ksrc;
	env->dkms_tree = DKMS_TREE;
	env->source_tree = SOURCE_TREE;
}

/* NAME-VERSION from a source directory's name: DKMS's module/module_version */
void ctmod_build_guess_name(const char *src, char **name, char **version)
{
	const char *b = strrchr(src, '/');
	b = b ? b + 1 : src;
	const char *dash = strrchr(b, '-');
	if (dash && dash != b) {
		*name = strndup(b, (size_t)(dash - b));
		*version = strdup(dash + 1);
	} else {
		*name = strdup(b);
		*version = strdup("");
	}
}

int ctmod_build_autoinstall_sources(struct ctmod_ctx *ctx, const char *kver, struct strv *out)
{
	_cleanup_free_ char *dir = ctmod_path(ctx, "/usr/src");
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *src = xasprintf("%s/%s", dir, de->d_name);
		_cleanup_free_ char *conf = src ? xasprintf("%s/dkms.conf", src) : NULL;
		if (!conf || !exists(conf))
			continue;
		struct dkms_env env;
		char ksrc[512];
		struct dkms_conf c;
		_cleanup_free_ char *n = NULL, *v = NULL;
		ctmod_build_guess_name(src, &n, &v);
		ctmod_build_default_env(ctx, &env, kver, ctmod_arch(), ksrc, sizeof(ksrc));
		env.name = n;
		env.version = v;
		if (ctmod_dkms_conf_eval(ctx, &env, conf, src, -1, &c) < 0) {
			/* a broken one is still listed: the build reports it */
			ctmod_ctx_clear_error(ctx);
			strv_push(out, src);
			continue;
		}
		if (c.autoinstall)
			strv_push(out, src);
		ctmod_dkms_conf_release(&c);
	}
	closedir(d);
	strv_sort(out);
	return 0;
}
