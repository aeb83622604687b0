// SPDX-License-Identifier: LGPL-2.1-or-later
/* The plan: sources x kernels, and the names and paths of each job */
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

const char *ctmod_build_state_name(enum build_state s)
{
	switch (s) {
	case BUILD_PENDING:
		return "pending";
	case BUILD_OK:
		return "ok";
	case BUILD_SKIPPED:
		return "skipped";
	case BUILD_FAILED:
		return "failed";
	case BUILD_BROKEN:
		return "broken";
	case BUILD_REMOVED:
		return "removed";
	case BUILD_ALREADY:
		return "already";
	}
	return "?";
}

static void job_free(struct build_job *j)
{
	free(j->src);
	free(j->name);
	free(j->version);
	free(j->kver);
	free(j->arch);
	free(j->tree);
	free(j->log);
	free(j->msg);
	free(j->script_out);
	free(j->fingerprint);
	strv_release(&j->warnings);
	strv_release(&j->depends);
	strv_release(&j->installed);
	strv_release(&j->dep_binds);
	free(j->modstage);
}

void ctmod_build_plan_release(struct build_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		job_free(&plan->jobs[i]);
	free(plan->jobs);
	free(plan->root);
	memset(plan, 0, sizeof(*plan));
}

/* one source's dkms.conf, read for the first kernel: 0, or why it is broken in *broken */
static int plan_conf(struct ctmod_ctx *ctx, const char *src, const char *kver, const char *arch,
                     const char *gn, const char *gv, struct dkms_conf *c, char **broken)
{
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", src);
	struct dkms_env env;
	char ksrc[512];
	ctmod_build_default_env(ctx, &env, kver, arch, ksrc, sizeof(ksrc));
	env.name = gn;
	env.version = gv;
	*broken = NULL;
	int r = ctmod_dkms_conf_eval(ctx, &env, conf, src, -1, c);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		const char *hint = ctmod_ctx_hint(ctx);
		*broken =
		    xasprintf("%s%s%s", ctmod_ctx_error(ctx), hint ? ": " : "", hint ? hint : "");
		ctmod_ctx_clear_error(ctx);
		return r;
	}
	if (c->bad_patch)
		*broken = xstrdup(c->bad_patch);
	return 0;
}

/*
 * One job per kernel for src.  Name, version and BUILD_DEPENDS come from
 * the first kernel's reading (c NULL: broken, named after its directory);
 * dkms.conf's warnings go on the first job only, so they are said once.
 */
static void plan_source(struct build_plan *plan, const char *src, const struct strv *kvers,
                        const char *arch, const struct dkms_conf *c, const char *gn, const char *gv,
                        const char *broken)
{
	for (size_t k = 0; k < kvers->n; k++) {
		struct build_job *j = &plan->jobs[plan->n++];
		j->src = xstrdup(src);
		j->name = xstrdup(c ? c->name : gn);
		j->version = xstrdup(c ? c->version : gv);
		j->kver = xstrdup(kvers->v[k]);
		j->arch = xstrdup(arch);
		j->tree = xasprintf("%s" CTMOD_TREE "/%s/%s/%s/%s", plan->root, j->name, j->version,
		                    j->kver, arch);
		j->log = xasprintf("%s/make.log", j->tree);
		for (size_t d = 0; c && d < c->build_depends.n; d++)
			strv_push(&j->depends, c->build_depends.v[d]);
		for (size_t w = 0; c && k == 0 && w < c->warnings.n; w++)
			strv_push(&j->warnings, c->warnings.v[w]);
		if (broken) {
			j->state = BUILD_BROKEN;
			j->msg = xstrdup(broken);
		}
	}
}

int ctmod_build_plan_make(struct ctmod_ctx *ctx, const struct build_opts *o,
                          const struct strv *srcs, const struct strv *kvers,
                          struct build_plan *plan)
{
	const char *arch = o->arch ? o->arch : ctmod_arch();
	const char *root = ctmod_ctx_root(ctx);
	char rp[PATH_MAX];
	memset(plan, 0, sizeof(*plan));
	if (kvers->n == 0)
		return ctmod_fail(ctx, -EINVAL, "name one with --kernel", "no kernel to build for");
	plan->root = xstrdup(*root ? (realpath(root, rp) ? rp : root) : "");
	plan->jobs = xcalloc(srcs->n * kvers->n + 1, sizeof(*plan->jobs));
	for (size_t s = 0; s < srcs->n; s++) {
		_cleanup_free_ char *gn = NULL, *gv = NULL, *broken = NULL;
		struct dkms_conf c;
		ctmod_build_guess_name(srcs->v[s], &gn, &gv);
		int r = plan_conf(ctx, srcs->v[s], kvers->v[0], arch, gn, gv, &c, &broken);
		if (r == -ENOMEM)
			return r;
		plan_source(plan, srcs->v[s], kvers, arch, r == 0 ? &c : NULL, gn, gv, broken);
		if (r == 0)
			ctmod_dkms_conf_release(&c);
	}
	return 0;
}

char *ctmod_build_log_tail(const char *log, int lines)
{
	_cleanup_free_ char *txt = NULL;
	size_t len;
	if (read_file(log, 64u << 20, &txt, &len) < 0)
		return NULL;
	while (len && txt[len - 1] == '\n')
		txt[--len] = '\0';
	const char *p = txt + len;
	int n = 0;
	while (p > txt) {
		if (p[-1] == '\n' && ++n == lines)
			break;
		p--;
	}
	return strdup(p);
}
