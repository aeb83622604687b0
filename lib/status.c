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

static int push_status(struct build_status **out, size_t *n, const char *name, const char *ver,
                       const char *kver, const char *arch, const char *state, const char *detail)
{
	struct build_status *v = realloc(*out, (*n + 1) * sizeof(**out));
	if (!v)
		return -ENOMEM;
	*out = v;
	struct build_status *s = &v[(*n)++];
	s->name = strdup(name);
	s->version = strdup(ver);
	s->kver = kver ? strdup(kver) : NULL;
	s->arch = arch ? strdup(arch) : NULL;
	s->state = state;
	s->detail = detail ? strdup(detail) : NULL;
	return 0;
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

static void one_state(struct ctmod_ctx *ctx, struct build_status **out, size_t *n,
                      struct strv *seen, const char *name, const char *ver, const char *kver,
                      const char *arch, const char *kd)
{
	_cleanup_free_ char *sp = xasprintf("%s/%s/state", kd, arch);
	_cleanup_free_ char *txt = NULL;
	size_t len;
	if (!sp || read_file(sp, 1 << 20, &txt, &len) < 0 || strstr(txt, "result=failed"))
		return;
	_cleanup_free_ char *id = xasprintf("%s/%s", name, ver);
	if (!source_there(ctx, txt, name, ver)) {
		if (id && !strv_contains(seen, id)) {
			_cleanup_free_ char *why = xasprintf(SOURCE_GONE, name, ver);
			push_status(out, n, name, ver, NULL, NULL, "broken", why);
			strv_push(seen, id);
		}
		return;
	}
	const char *st = strstr(txt, "state=installed") ? "installed" : "built";
	push_status(out, n, name, ver, kver, arch, st, NULL);
	if (id && !strv_contains(seen, id))
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

int ctmod_build_status_list(struct ctmod_ctx *ctx, struct build_status **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct strv seen;
	strv_init(&seen);
	_cleanup_free_ char *top = ctmod_path(ctx, CTMOD_TREE);
	struct strv names;
	strv_init(&names);
	if (top)
		list_dir(top, &names);
	for (size_t a = 0; a < names.n; a++) {
		_cleanup_free_ char *nd = xasprintf("%s/%s", top, names.v[a]);
		struct strv vers;
		strv_init(&vers);
		list_dir(nd, &vers);
		for (size_t b = 0; b < vers.n; b++) {
			_cleanup_free_ char *vd = xasprintf("%s/%s", nd, vers.v[b]);
			struct strv kvs;
			strv_init(&kvs);
			list_dir(vd, &kvs);
			for (size_t k = 0; k < kvs.n; k++) {
				_cleanup_free_ char *kd = xasprintf("%s/%s", vd, kvs.v[k]);
				struct strv arches;
				strv_init(&arches);
				list_dir(kd, &arches);
				for (size_t x = 0; x < arches.n; x++)
					one_state(ctx, out, n, &seen, names.v[a], vers.v[b],
					          kvs.v[k], arches.v[x], kd);
				strv_release(&arches);
			}
			strv_release(&kvs);
		}
		strv_release(&vers);
	}
	strv_release(&names);

	/* sources nobody built yet: added, or broken when bash cannot read them */
	_cleanup_free_ char *srcdir = ctmod_path(ctx, "/usr/src");
	struct strv srcs;
	strv_init(&srcs);
	if (srcdir)
		list_dir(srcdir, &srcs);
	const char *kver = NULL;
	if (ctmod_ctx_kver(ctx, &kver) < 0) {
		ctmod_ctx_clear_error(ctx);
		kver = ctmod_running_kver();
	}
	for (size_t i = 0; i < srcs.n; i++) {
		_cleanup_free_ char *src = xasprintf("%s/%s", srcdir, srcs.v[i]);
		_cleanup_free_ char *conf = src ? xasprintf("%s/dkms.conf", src) : NULL;
		if (!conf || !exists(conf))
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
			push_status(out, n, gn, gv, NULL, NULL, "broken", ctmod_ctx_error(ctx));
			ctmod_ctx_clear_error(ctx);
			continue;
		}
		_cleanup_free_ char *id = xasprintf("%s/%s", c.name, c.version);
		if (id && !strv_contains(&seen, id))
			push_status(out, n, c.name, c.version, NULL, NULL, "added", NULL);
		ctmod_dkms_conf_release(&c);
	}
	strv_release(&srcs);
	strv_release(&seen);
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
