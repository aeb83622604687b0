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

int ctmod_build_plan_make(struct ctmod_ctx *ctx, const struct build_opts *o,
                          const struct strv *srcs, const struct strv *kvers,
                          struct build_plan *plan)
{
	const char *arch = o->arch ? o->arch : ctmod_arch();
	const char *root = ctmod_ctx_root(ctx);
	char rp[PATH_MAX];
	memset(plan, 0, sizeof(*plan));
	plan->root = strdup(*root ? (realpath(root, rp) ? rp : root) : "");
	plan->jobs = calloc(srcs->n * kvers->n + 1, sizeof(*plan->jobs));
	if (!plan->jobs || !plan->root)
		return -ENOMEM;
	for (size_t s = 0; s < srcs->n; s++) {
		const char *src = srcs->v[s];
		_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", src);
		_cleanup_free_ char *gn = NULL, *gv = NULL;
		ctmod_build_guess_name(src, &gn, &gv);
		/* metadata (name, version, BUILD_DEPENDS) from the first kernel */
		struct dkms_env env;
		char ksrc[512];
		struct dkms_conf c;
		ctmod_build_default_env(ctx, &env, kvers->v[0], arch, ksrc, sizeof(ksrc));
		env.name = gn;
		env.version = gv;
		int r = ctmod_dkms_conf_eval(ctx, &env, conf, src, -1, &c);
		char *broken = NULL;
		if (r < 0) {
			if (r == -ENOMEM)
				return r;
			broken = xasprintf("%s%s%s", ctmod_ctx_error(ctx),
			                   ctmod_ctx_hint(ctx) ? ": " : "",
			                   ctmod_ctx_hint(ctx) ? ctmod_ctx_hint(ctx) : "");
			ctmod_ctx_clear_error(ctx);
		} else if (c.bad_patch) {
			broken = strdup(c.bad_patch);
		}
		for (size_t k = 0; k < kvers->n; k++) {
			struct build_job *j = &plan->jobs[plan->n++];
			j->src = strdup(src);
			j->name = strdup(r < 0 ? gn : c.name);
			j->version = strdup(r < 0 ? gv : c.version);
			j->kver = strdup(kvers->v[k]);
			j->arch = strdup(arch);
			j->tree = xasprintf("%s" CTMOD_TREE "/%s/%s/%s/%s", plan->root, j->name,
			                    j->version, j->kver, arch);
			j->log = j->tree ? xasprintf("%s/make.log", j->tree) : NULL;
			if (r == 0)
				for (size_t d = 0; d < c.build_depends.n; d++)
					strv_push(&j->depends, c.build_depends.v[d]);
			if (r == 0 && k == 0)
				for (size_t w = 0; w < c.warnings.n; w++)
					strv_push(&j->warnings, c.warnings.v[w]);
			if (broken) {
				j->state = BUILD_BROKEN;
				j->msg = strdup(broken);
			}
			if (!j->src || !j->name || !j->version || !j->kver || !j->arch ||
			    !j->tree || !j->log) {
				free(broken);
				if (r == 0)
					ctmod_dkms_conf_release(&c);
				return -ENOMEM;
			}
		}
		free(broken);
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
