// SPDX-License-Identifier: LGPL-2.1-or-later
/* dkms status: what was built, installed, added or broken */
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

/* the lines found so far, handed to the caller as (v, n) */
struct statuses {
	struct build_status *v;
	size_t n, cap;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void push_status(struct statuses *out, const char *name, const char *ver, const char *kver,
                        const char *arch, const char *state, const char *detail)
{
	struct build_status *s = ARRAY_PUSH(out->v, out->n, out->cap);
	s->name = xstrdup(name);
	s->version = xstrdup(ver);
	s->kver = dup_or_null(kver);
	s->arch = dup_or_null(arch);
	s->state = state;
	s->detail = dup_or_null(detail);
}

/* DKMS's words for a package whose source directory is gone */
#define SOURCE_GONE                                                                                \
	"%s/%s: Missing the module source directory or the symbolic link pointing to it. Manual "  \
	"intervention is required!"

/* KD/ARCH/state: a line for the kernel, or (once) broken when its source is gone */
static bool source_there(struct ctmod_ctx *ctx, const char *txt, const char *name, const char *ver)
{
	/* the path recorded (the host's, or a container's view of the root), or DKMS's place */
	const char *src = strstr(txt, "\nsource=");
	int l = src ? (int)strcspn(src + 8, "\n") : 0;
	_cleanup_free_ char *a = src ? xasprintf("%.*s/dkms.conf", l, src + 8) : NULL;
	_cleanup_free_ char *b = src ? ctmod_path(ctx, "%.*s/dkms.conf", l, src + 8) : NULL;
	_cleanup_free_ char *c = ctmod_path(ctx, "/usr/src/%s-%s/dkms.conf", name, ver);
	return !src || (a && exists(a)) || (b && exists(b)) || (c && exists(c));
}

static void one_state(struct ctmod_ctx *ctx, struct statuses *out, struct strv *seen,
                      const char *name, const char *ver, const char *kver, const char *arch,
                      const char *kd)
{
	_cleanup_free_ char *sp = xasprintf("%s/%s/state", kd, arch);
	_cleanup_free_ char *txt = NULL;
	size_t len;
	if (read_file(sp, 1 << 20, &txt, &len) < 0 || strstr(txt, "result=failed"))
		return;
	_cleanup_free_ char *id = xasprintf("%s/%s", name, ver);
	if (!source_there(ctx, txt, name, ver)) {
		if (!strv_contains(seen, id)) {
			_cleanup_free_ char *why = xasprintf(SOURCE_GONE, name, ver);
			push_status(out, name, ver, NULL, NULL, "broken", why);
			strv_push(seen, id);
		}
		return;
	}
	const char *st = strstr(txt, "state=installed") ? "installed" : "built";
	push_status(out, name, ver, kver, arch, st, NULL);
	if (!strv_contains(seen, id))
		strv_push(seen, id);
}

static int list_dir(const char *path, struct strv *out)
{
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(out, de->d_name);
	closedir(d);
	strv_sort(out);
	return 0;
}

/* NAME/VERSION/KVER/ARCH/state under the tree: built, installed or broken */
static void built_states(struct ctmod_ctx *ctx, struct statuses *out, struct strv *seen)
{
	_cleanup_free_ char *top = ctmod_path(ctx, CTMOD_TREE);
	_cleanup_strv_ struct strv names = STRV_INIT;
	if (top)
		list_dir(top, &names);
	for (size_t a = 0; a < names.n; a++) {
		_cleanup_free_ char *nd = xasprintf("%s/%s", top, names.v[a]);
		_cleanup_strv_ struct strv vers = STRV_INIT;
		list_dir(nd, &vers);
		for (size_t b = 0; b < vers.n; b++) {
			_cleanup_free_ char *vd = xasprintf("%s/%s", nd, vers.v[b]);
			_cleanup_strv_ struct strv kvs = STRV_INIT;
			list_dir(vd, &kvs);
			for (size_t k = 0; k < kvs.n; k++) {
				_cleanup_free_ char *kd = xasprintf("%s/%s", vd, kvs.v[k]);
				_cleanup_strv_ struct strv arches = STRV_INIT;
				list_dir(kd, &arches);
				for (size_t x = 0; x < arches.n; x++)
					one_state(ctx, out, seen, names.v[a], vers.v[b], kvs.v[k],
					          arches.v[x], kd);
			}
		}
	}
}

int ctmod_build_status_list(struct ctmod_ctx *ctx, struct build_status **out, size_t *n)
{
	struct statuses list = {0};
	_cleanup_strv_ struct strv seen = STRV_INIT;
	built_states(ctx, &list, &seen);

	/* sources nobody built yet: added, or broken when bash cannot read them */
	_cleanup_free_ char *srcdir = ctmod_path(ctx, "/usr/src");
	_cleanup_strv_ struct strv srcs = STRV_INIT;
	if (srcdir)
		list_dir(srcdir, &srcs);
	const char *kver = NULL;
	if (ctmod_ctx_kver(ctx, &kver) < 0) {
		ctmod_ctx_clear_error(ctx);
		kver = ctmod_running_kver();
	}
	for (size_t i = 0; i < srcs.n; i++) {
		_cleanup_free_ char *src = xasprintf("%s/%s", srcdir, srcs.v[i]);
		_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", src);
		if (!exists(conf))
			continue;
		_cleanup_free_ char *gn = NULL, *gv = NULL;
		ctmod_build_guess_name(src, &gn, &gv);
		struct dkms_env env;
		char ksrc[512];
		struct dkms_conf c;
		ctmod_build_default_env(ctx, &env, kver, ctmod_arch(), ksrc, sizeof(ksrc));
		env.name = gn;
		env.version = gv;
		if (ctmod_dkms_conf_eval(ctx, &env, conf, src, -1, &c) < 0) {
			push_status(&list, gn, gv, NULL, NULL, "broken", ctmod_ctx_error(ctx));
			ctmod_ctx_clear_error(ctx);
			continue;
		}
		_cleanup_free_ char *id = xasprintf("%s/%s", c.name, c.version);
		if (!strv_contains(&seen, id))
			push_status(&list, c.name, c.version, NULL, NULL, "added", NULL);
		ctmod_dkms_conf_release(&c);
	}
	*out = list.v;
	*n = list.n;
	return 0;
}

void ctmod_build_status_free(struct build_status *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(st[i].name);
		free(st[i].version);
		free(st[i].kver);
		free(st[i].arch);
		free(st[i].detail);
	}
	free(st);
}
