// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * BUILD_DEPENDS, as DKMS has it: a job waits for its dependencies' builds
 * for the same kernel; a dependency built earlier (its tree under
 * ROOT/var/lib/ctmod) counts; one skipped by BUILD_EXCLUSIVE skips its
 * dependents; one added but not built defers them, naming it (and its
 * AUTOINSTALL=no); one nowhere refuses the build; circular ones are refused.
 */
#include "build-internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DEP built (result ok) for kver/arch by an earlier run: its tree, NULL if none */
static char *built_before(const struct build_plan *plan, const char *dep, const char *kver,
                          const char *arch, char **version)
{
	_cleanup_free_ char *top = xasprintf("%s" CTMOD_TREE "/%s", plan->root, dep);
	DIR *d = top ? opendir(top) : NULL;
	char *found = NULL;
	struct dirent *de;
	while (d && !found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *tree = xasprintf("%s/%s/%s/%s", top, de->d_name, kver, arch);
		_cleanup_free_ char *st = tree ? xasprintf("%s/state", tree) : NULL;
		_cleanup_free_ char *txt = NULL;
		size_t len;
		_cleanup_free_ char *bd = tree ? xasprintf("%s/build", tree) : NULL;
		if (st && bd && exists(bd) && read_file(st, 1 << 20, &txt, &len) == 0 &&
		    strstr(txt, "\nresult=ok\n")) {
			found = strdup(tree);
			*version = strdup(de->d_name);
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* ROOT/usr/src/DEP-VERSION with a dkms.conf: its directory, NULL if none */
static char *added_source(struct ctmod_ctx *ctx, const char *dep)
{
	_cleanup_free_ char *dir = ctmod_path(ctx, "/usr/src");
	DIR *d = dir ? opendir(dir) : NULL;
	char *found = NULL;
	size_t n = strlen(dep);
	struct dirent *de;
	while (d && !found && (de = readdir(d))) {
		if (strncmp(de->d_name, dep, n) != 0 || de->d_name[n] != '-')
			continue;
		_cleanup_free_ char *src = xasprintf("%s/%s", dir, de->d_name);
		_cleanup_free_ char *conf = src ? xasprintf("%s/dkms.conf", src) : NULL;
		if (conf && exists(conf))
			found = strdup(src);
	}
	if (d)
		closedir(d);
	return found;
}

/* why an added DEP is not in this run: its AUTOINSTALL, when --all left it out */
static char *deferred(struct ctmod_ctx *ctx, const struct build_opts *o, const struct build_job *j,
                      const char *dep, const char *src)
{
	bool noauto = false;
	if (o->autoinstall) {
		struct dkms_env env;
		struct dkms_conf c;
		char ksrc[512];
		ctmod_build_default_env(ctx, &env, j->kver, j->arch, ksrc, sizeof(ksrc));
		_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", src);
		if (conf && ctmod_dkms_conf_eval(ctx, &env, conf, src, -1, &c) == 0) {
			noauto = !c.autoinstall;
			ctmod_dkms_conf_release(&c);
		}
		ctmod_ctx_clear_error(ctx);
	}
	const char *b = strrchr(src, '/');
	return xasprintf("deferred: BUILD_DEPENDS %s is added but not built for %s%s: build it "
	                 "first (ctmod build %s)",
	                 dep, j->kver,
	                 noauto ? " (it says AUTOINSTALL=no, so --all leaves it out)" : "",
	                 b ? b + 1 : src);
}

/* a dependency no job of this run builds: built before, added, or missing */
static int outside_dep(struct ctmod_ctx *ctx, const struct build_opts *o,
                       const struct build_plan *plan, struct build_job *j, const char *dep)
{
	_cleanup_free_ char *ver = NULL;
	_cleanup_free_ char *tree = built_before(plan, dep, j->kver, j->arch, &ver);
	if (tree) {
		strv_push_take(&j->dep_binds, xasprintf("%s/build", tree));
		strv_push_take(&j->dep_binds, xasprintf(DKMS_TREE "/%s/%s/build", dep, ver));
		return 0;
	}
	_cleanup_free_ char *src = added_source(ctx, dep);
	free(j->msg);
	if (src) {
		j->state = BUILD_SKIPPED;
		j->msg = deferred(ctx, o, j, dep, src);
	} else {
		j->state = BUILD_FAILED;
		j->msg = xasprintf("Aborting build of module %s/%s for kernel %s (%s) due to "
		                   "missing BUILD_DEPENDS: %s",
		                   j->name, j->version, j->kver, j->arch, dep);
	}
	return 1;
}

/* the job of this run that builds DEP for j's kernel */
static struct build_job *dep_job(struct build_plan *plan, const struct build_job *j,
                                 const char *dep)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct build_job *o = &plan->jobs[i];
		if (!strcmp(o->kver, j->kver) && !strcmp(o->arch, j->arch) && !strcmp(o->name, dep))
			return o;
	}
	return NULL;
}

int ctmod_build_deps_ready(struct ctmod_ctx *ctx, const struct build_opts *o,
                           struct build_plan *plan, struct build_job *j)
{
	for (size_t d = 0; d < j->depends.n; d++) {
		struct build_job *dj = dep_job(plan, j, j->depends.v[d]);
		if (dj == j) {
			j->state = BUILD_FAILED;
			free(j->msg);
			j->msg = xasprintf("circular BUILD_DEPENDS: %s depends on itself", j->name);
			return 1;
		}
		if (dj && dj->state == BUILD_PENDING)
			return 0;
	}
	strv_release(&j->dep_binds);
	for (size_t d = 0; d < j->depends.n; d++) {
		const char *dep = j->depends.v[d];
		struct build_job *dj = dep_job(plan, j, dep);
		if (!dj) {
			if (outside_dep(ctx, o, plan, j, dep))
				return 1;
			continue;
		}
		if (dj->state == BUILD_OK || dj->state == BUILD_ALREADY) {
			/* the dependency's tree, where the dependent's dkms.conf expects it */
			strv_push_take(&j->dep_binds, xasprintf("%s/build", dj->tree));
			strv_push_take(&j->dep_binds,
			               xasprintf(DKMS_TREE "/%s/%s/build", dj->name, dj->version));
			continue;
		}
		free(j->msg);
		j->state = dj->state == BUILD_SKIPPED ? BUILD_SKIPPED : BUILD_FAILED;
		j->msg = xasprintf("BUILD_DEPENDS %s/%s %s%s%s", dj->name, dj->version,
		                   ctmod_build_state_name(dj->state), dj->msg ? ": " : "",
		                   dj->msg ? dj->msg : "");
		return 1;
	}
	return 2;
}

void ctmod_build_deps_stuck(struct build_plan *plan)
{
	/* the messages first: each names the others while they are all still pending */
	char **msgs = calloc(plan->n + 1, sizeof(char *));
	if (!msgs)
		return;
	for (size_t i = 0; i < plan->n; i++) {
		struct build_job *j = &plan->jobs[i];
		if (j->state != BUILD_PENDING || j->pid)
			continue;
		struct strbuf sb;
		strbuf_init(&sb);
		for (size_t d = 0; d < j->depends.n; d++) {
			struct build_job *dj = dep_job(plan, j, j->depends.v[d]);
			if (dj && dj->state == BUILD_PENDING)
				strbuf_printf(&sb, " %s", dj->name);
		}
		msgs[i] = xasprintf("circular BUILD_DEPENDS: %s waits for%s, which wait for it",
		                    j->name, strbuf_str(&sb));
		strbuf_release(&sb);
	}
	for (size_t i = 0; i < plan->n; i++)
		if (msgs[i]) {
			plan->jobs[i].state = BUILD_FAILED;
			free(plan->jobs[i].msg);
			plan->jobs[i].msg = msgs[i];
		}
	free(msgs);
}
