// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The build's planning decisions, on a root of fixtures: which kernels,
 * which sources, sources x kernels in order, names from dkms.conf, broken
 * confs, what is already built, BUILD_DEPENDS' waits and refusals,
 * BUILD_EXCLUSIVE_KERNEL/ARCH, an older version over a newer one.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-internal.h"
#include "ctx.h"
#include "util.h"

#define K1 "6.1.0-1-amd64"
#define K2 "6.1.0-2-amd64"

static struct ctmod_ctx *ctx;
static char dir[] = "/tmp/ctmod-plan.XXXXXX";

static void put(const char *rel, const char *text)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
	_cleanup_free_ char *d = xstrdup(p);
	*strrchr(d, '/') = '\0';
	assert_int_equal(mkdir_p(d, 0755), 0);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
}

static void conf(const char *dirname, const char *body)
{
	_cleanup_free_ char *rel = xasprintf("usr/src/%s/dkms.conf", dirname);
	put(rel, body);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	/* K1's headers in place, K2's through an absolute link (resolved under the root) */
	put("lib/modules/" K1 "/build/Makefile", "all:\n");
	put("usr/src/linux-headers-" K2 "/Makefile", "all:\n");
	_cleanup_free_ char *l = xasprintf("%s/lib/modules/" K2, dir);
	_cleanup_free_ char *lb = xasprintf("%s/build", l);
	if (mkdir_p(l, 0755) < 0 || symlink("/usr/src/linux-headers-" K2, lb) < 0)
		return -1;
	put("lib/modules/5.10.0-0-noheaders/modules.dep", "");
	conf("alpha-1.0", "PACKAGE_NAME=alpha\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=alpha\n"
	                  "DEST_MODULE_LOCATION[0]=/extra\nAUTOINSTALL=yes\n");
	conf("beta-2.0",
	     "PACKAGE_NAME=beta\nPACKAGE_VERSION=2.0\nBUILT_MODULE_NAME[0]=beta\n"
	     "DEST_MODULE_LOCATION[0]=/extra\nBUILD_DEPENDS=alpha\nREMAKE_INITRD=yes\n");
	conf("dirname-9", "PACKAGE_NAME=realname\nPACKAGE_VERSION=3.1\n"
	                  "BUILT_MODULE_NAME[0]=realname\nDEST_MODULE_LOCATION[0]=/extra\n");
	conf("broken-1.0", "PACKAGE_NAME=broken\nif [ x = x ]; then\nPACKAGE_VERSION=1.0\n");
	conf("excl-1.0", "PACKAGE_NAME=excl\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=excl\n"
	                 "DEST_MODULE_LOCATION[0]=/extra\nBUILD_EXCLUSIVE_KERNEL=\"^2\\.6\\.\"\n");
	conf("exarch-1.0", "PACKAGE_NAME=exarch\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=exarch\n"
	                   "DEST_MODULE_LOCATION[0]=/extra\nBUILD_EXCLUSIVE_ARCH=\"^aarch64$\"\n");
	conf("gamma-1.0", "PACKAGE_NAME=gamma\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=gamma\n"
	                  "DEST_MODULE_LOCATION[0]=/extra\nBUILD_DEPENDS=nosuch\n");
	conf("selfish-1.0", "PACKAGE_NAME=selfish\nPACKAGE_VERSION=1.0\n"
	                    "BUILT_MODULE_NAME[0]=selfish\nDEST_MODULE_LOCATION[0]=/extra\n"
	                    "BUILD_DEPENDS=selfish\n");
	conf("ring-1.0", "PACKAGE_NAME=ring\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=ring\n"
	                 "DEST_MODULE_LOCATION[0]=/extra\nBUILD_DEPENDS=loop\n");
	conf("loop-1.0", "PACKAGE_NAME=loop\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=loop\n"
	                 "DEST_MODULE_LOCATION[0]=/extra\nBUILD_DEPENDS=ring\n");
	put("usr/src/alpha-1.0/alpha.c", "int x;\n");
	return ctmod_ctx_new(&ctx, dir, K1);
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(dir);
	ctmod_ctx_free(ctx);
	return 0;
}

static char *src(const char *dirname)
{
	return xasprintf("%s/usr/src/%s", dir, dirname);
}

/* a plan of the named source directories (NULL-terminated) for kernels (NULL-terminated) */
static void plan(struct build_plan *p, const struct build_opts *o, const char *const *dirs,
                 const char *const *kvers)
{
	_cleanup_strv_ struct strv s = STRV_INIT, k = STRV_INIT;
	for (; *dirs; dirs++)
		strv_push_take(&s, src(*dirs));
	for (; *kvers; kvers++)
		strv_push(&k, *kvers);
	assert_int_equal(ctmod_build_plan_make(ctx, o, &s, &k, p), 0);
}

static struct build_job *job(struct build_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->jobs[i].name, name))
			return &p->jobs[i];
	fail_msg("no job %s", name);
	return NULL;
}

/* kernels: those with headers only, sorted; a missing one fails with the install hint */
static void test_kernels(void **state)
{
	(void)state;
	_cleanup_strv_ struct strv k = STRV_INIT;
	assert_int_equal(ctmod_build_kernels(ctx, &k), 0);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.v[0], K1);
	assert_string_equal(k.v[1], K2);
	assert_int_equal(ctmod_build_check_headers(ctx, K2), 0);
	assert_int_equal(ctmod_build_check_headers(ctx, "5.10.0-0-noheaders"), -ENOENT);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "no kernel headers for 5.10.0-0-noheaders"));
	assert_non_null(strstr(ctmod_ctx_hint(ctx), "install linux-headers-5.10.0-0-noheaders"));
	ctmod_ctx_clear_error(ctx);

	/* a root without any headers */
	struct ctmod_ctx *empty;
	_cleanup_strv_ struct strv none = STRV_INIT;
	_cleanup_free_ char *e = xasprintf("%s/usr/src", dir);
	assert_int_equal(ctmod_ctx_new(&empty, e, K1), 0);
	assert_int_equal(ctmod_build_kernels(empty, &none), -ENOENT);
	assert_non_null(strstr(ctmod_ctx_error(empty), "no kernel with headers"));
	ctmod_ctx_free(empty);
}

/* sources: a directory, NAME/VERSION; anything else is bad input, named */
static void test_find_source(void **state)
{
	(void)state;
	_cleanup_free_ char *want = src("alpha-1.0");
	char *s = NULL;
	assert_int_equal(ctmod_build_find_source(ctx, "alpha/1.0", &s), 0);
	assert_string_equal(s, want);
	free(s);
	assert_int_equal(ctmod_build_find_source(ctx, want, &s), 0);
	assert_string_equal(s, want);
	free(s);
	s = NULL;
	assert_int_equal(ctmod_build_find_source(ctx, "alpha/9.9", &s), -ENOENT);
	assert_null(s);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "alpha/9.9: no "));
	ctmod_ctx_clear_error(ctx);
	assert_int_equal(ctmod_build_find_source(ctx, "/nonexistent", &s), -ENOENT);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "no dkms.conf there"));
	ctmod_ctx_clear_error(ctx);
	assert_int_equal(ctmod_build_find_source(ctx, "alpha/1.0/x", &s), -ENOENT);
	ctmod_ctx_clear_error(ctx);
}

/* --all: AUTOINSTALL=yes only, a broken conf still listed (the build reports it), sorted */
static void test_autoinstall_sources(void **state)
{
	(void)state;
	_cleanup_strv_ struct strv s = STRV_INIT;
	assert_int_equal(ctmod_build_autoinstall_sources(ctx, K1, &s), 0);
	assert_int_equal(s.n, 2);
	_cleanup_free_ char *a = src("alpha-1.0"), *b = src("broken-1.0");
	assert_string_equal(s.v[0], a);
	assert_string_equal(s.v[1], b);
}

/* sources x kernels, source-major in the order given; names, paths, depends, warnings once */
static void test_matrix(void **state)
{
	(void)state;
	struct build_opts o = {.arch = "x86_64"};
	struct build_plan p;
	plan(&p, &o, (const char *[]){"beta-2.0", "alpha-1.0", NULL},
	     (const char *[]){K1, K2, NULL});
	assert_int_equal(p.n, 4);
	const char *names[] = {"beta", "beta", "alpha", "alpha"};
	const char *kvers[] = {K1, K2, K1, K2};
	for (size_t i = 0; i < p.n; i++) {
		struct build_job *j = &p.jobs[i];
		assert_string_equal(j->name, names[i]);
		assert_string_equal(j->kver, kvers[i]);
		assert_string_equal(j->arch, "x86_64");
		assert_int_equal(j->state, BUILD_PENDING);
		assert_null(j->msg);
		_cleanup_free_ char *tree = xasprintf("%s" CTMOD_TREE "/%s/%s/%s/x86_64", p.root,
		                                      j->name, j->version, j->kver);
		_cleanup_free_ char *log = xasprintf("%s/make.log", tree);
		assert_string_equal(j->tree, tree);
		assert_string_equal(j->log, log);
	}
	assert_string_equal(p.jobs[0].version, "2.0");
	assert_int_equal(p.jobs[0].depends.n, 1);
	assert_string_equal(p.jobs[0].depends.v[0], "alpha");
	assert_int_equal(p.jobs[1].depends.n, 1);
	assert_int_equal(p.jobs[2].depends.n, 0);
	/* REMAKE_INITRD's deprecation: on the first kernel's job only */
	assert_true(p.jobs[0].warnings.n > 0);
	assert_non_null(strstr(p.jobs[0].warnings.v[0], "REMAKE_INITRD"));
	assert_int_equal(p.jobs[1].warnings.n, 0);
	ctmod_build_plan_release(&p);

	/* the machine's arch by default */
	struct build_opts d = {0};
	plan(&p, &d, (const char *[]){"alpha-1.0", NULL}, (const char *[]){K1, NULL});
	assert_int_equal(p.n, 1);
	assert_string_equal(p.jobs[0].arch, ctmod_arch());
	ctmod_build_plan_release(&p);
}

/* the name and version are dkms.conf's, not the directory's */
static void test_name_from_conf(void **state)
{
	(void)state;
	struct build_opts o = {.arch = "x86_64"};
	struct build_plan p;
	plan(&p, &o, (const char *[]){"dirname-9", NULL}, (const char *[]){K1, NULL});
	assert_string_equal(p.jobs[0].name, "realname");
	assert_string_equal(p.jobs[0].version, "3.1");
	assert_non_null(strstr(p.jobs[0].tree, CTMOD_TREE "/realname/3.1/" K1 "/x86_64"));
	ctmod_build_plan_release(&p);
}

/* a broken conf: its jobs BROKEN with the file and bash's message, named by the directory;
 * the others still planned */
static void test_broken(void **state)
{
	(void)state;
	struct build_opts o = {.arch = "x86_64"};
	struct build_plan p;
	plan(&p, &o, (const char *[]){"broken-1.0", "alpha-1.0", NULL},
	     (const char *[]){K1, K2, NULL});
	assert_int_equal(p.n, 4);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(p.jobs[i].state, BUILD_BROKEN);
		assert_string_equal(p.jobs[i].name, "broken");
		assert_string_equal(p.jobs[i].version, "1.0");
		assert_non_null(strstr(p.jobs[i].msg, "broken-1.0/dkms.conf"));
		assert_non_null(strstr(p.jobs[i].msg, "syntax error"));
	}
	assert_int_equal(p.jobs[2].state, BUILD_PENDING);
	assert_int_equal(p.jobs[3].state, BUILD_PENDING);
	assert_null(ctmod_ctx_error(ctx)); /* recorded in the jobs, not as the call's error */
	ctmod_build_plan_release(&p);
}

/* bad input: no kernel is an error, no source an empty plan */
static void test_bad_input(void **state)
{
	(void)state;
	struct build_opts o = {0};
	struct build_plan p;
	_cleanup_strv_ struct strv s = STRV_INIT, none = STRV_INIT, k = STRV_INIT;
	strv_push_take(&s, src("alpha-1.0"));
	assert_int_equal(ctmod_build_plan_make(ctx, &o, &s, &none, &p), -EINVAL);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "no kernel"));
	ctmod_ctx_clear_error(ctx);
	ctmod_build_plan_release(&p);
	strv_push(&k, K1);
	assert_int_equal(ctmod_build_plan_make(ctx, &o, &none, &k, &p), 0);
	assert_int_equal(p.n, 0);
	ctmod_build_plan_release(&p);
	/* a directory without dkms.conf, given as a source: broken, not a crash */
	_cleanup_strv_ struct strv nc = STRV_INIT;
	strv_push_take(&nc, xasprintf("%s/lib", dir));
	assert_int_equal(ctmod_build_plan_make(ctx, &o, &nc, &k, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.jobs[0].state, BUILD_BROKEN);
	ctmod_build_plan_release(&p);
}

/* a job's record as a good build of the inputs skip_done fingerprinted */
static void record_built(struct build_job *j)
{
	assert_int_equal(mkdir_p(j->tree, 0755), 0);
	enum build_state s = j->state;
	j->state = BUILD_OK;
	assert_int_equal(ctmod_build_write_state(j), 0);
	j->state = s;
}

/* built before from the same inputs: already; --force, --install of one only built, a
 * changed source, a dependency built again: built again */
static void test_skip_done(void **state)
{
	(void)state;
	struct build_opts o = {.arch = "x86_64", .no_sign = true};
	const char *const dirs[] = {"beta-2.0", "alpha-1.0", NULL};
	const char *const kv[] = {K1, NULL};
	struct build_plan p;
	plan(&p, &o, dirs, kv);
	ctmod_build_skip_done(ctx, &o, &p);
	for (size_t i = 0; i < p.n; i++) {
		assert_int_equal(p.jobs[i].state, BUILD_PENDING); /* nothing built yet */
		assert_non_null(p.jobs[i].fingerprint);
		record_built(&p.jobs[i]);
	}
	ctmod_build_plan_release(&p);

	plan(&p, &o, dirs, kv);
	ctmod_build_skip_done(ctx, &o, &p);
	assert_int_equal(job(&p, "alpha")->state, BUILD_ALREADY);
	assert_int_equal(job(&p, "beta")->state, BUILD_ALREADY);
	assert_false(job(&p, "alpha")->already_installed);
	ctmod_build_plan_release(&p);

	struct build_opts f = o;
	f.force = true;
	plan(&p, &f, dirs, kv);
	ctmod_build_skip_done(ctx, &f, &p);
	assert_int_equal(job(&p, "alpha")->state, BUILD_PENDING);
	ctmod_build_plan_release(&p);

	struct build_opts in = o;
	in.install = true;
	plan(&p, &in, dirs, kv);
	ctmod_build_skip_done(ctx, &in, &p);
	assert_int_equal(job(&p, "alpha")->state, BUILD_PENDING);
	ctmod_build_plan_release(&p);

	/* signing on: another input */
	struct build_opts sg = o;
	sg.no_sign = false;
	plan(&p, &sg, dirs, kv);
	ctmod_build_skip_done(ctx, &sg, &p);
	assert_int_equal(job(&p, "alpha")->state, BUILD_PENDING);
	ctmod_build_plan_release(&p);

	/* alpha's source changes: alpha and beta (BUILD_DEPENDS=alpha) are built again */
	put("usr/src/alpha-1.0/alpha.c", "int x, y;\n");
	plan(&p, &o, dirs, kv);
	ctmod_build_skip_done(ctx, &o, &p);
	assert_int_equal(job(&p, "alpha")->state, BUILD_PENDING);
	assert_int_equal(job(&p, "beta")->state, BUILD_PENDING);
	ctmod_build_plan_release(&p);
	_cleanup_free_ char *t = xasprintf("%s" CTMOD_TREE, dir);
	rm_rf(t);
}

/* BUILD_DEPENDS: a dependent named first waits for its dependency, then gets its tree */
static void test_deps_order(void **state)
{
	(void)state;
	struct build_opts o = {.arch = "x86_64"};
	struct build_plan p;
	plan(&p, &o, (const char *[]){"beta-2.0", "alpha-1.0", NULL}, (const char *[]){K1, NULL});
	struct build_job *a = job(&p, "alpha"), *b = job(&p, "beta");
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, b), 0);
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, a), 2);
	a->state = BUILD_OK;
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, b), 2);
	assert_int_equal(b->dep_binds.n, 2);
	_cleanup_free_ char *bind = xasprintf("%s/build", a->tree);
	assert_string_equal(b->dep_binds.v[0], bind);
	assert_string_equal(b->dep_binds.v[1], DKMS_TREE "/alpha/1.0/build");
	/* a dependency skipped (BUILD_EXCLUSIVE) skips the dependent; a failed one fails it */
	a->state = BUILD_SKIPPED;
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, b), 1);
	assert_int_equal(b->state, BUILD_SKIPPED);
	assert_non_null(strstr(b->msg, "BUILD_DEPENDS alpha/1.0 skipped"));
	b->state = BUILD_PENDING;
	a->state = BUILD_FAILED;
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, b), 1);
	assert_int_equal(b->state, BUILD_FAILED);
	ctmod_build_plan_release(&p);
}

/* BUILD_DEPENDS outside the run: added but not built defers, nowhere refuses, cycles refused */
static void test_deps_refused(void **state)
{
	(void)state;
	struct build_opts o = {.arch = "x86_64"};
	struct build_plan p;
	plan(&p, &o, (const char *[]){"beta-2.0", "gamma-1.0", "selfish-1.0", NULL},
	     (const char *[]){K1, NULL});
	struct build_job *b = job(&p, "beta"), *g = job(&p, "gamma"), *s = job(&p, "selfish");
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, b), 1);
	assert_int_equal(b->state, BUILD_SKIPPED);
	assert_non_null(strstr(b->msg, "deferred: BUILD_DEPENDS alpha is added but not built"));
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, g), 1);
	assert_int_equal(g->state, BUILD_FAILED);
	assert_non_null(strstr(g->msg, "missing BUILD_DEPENDS: nosuch"));
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, s), 1);
	assert_int_equal(s->state, BUILD_FAILED);
	assert_non_null(strstr(s->msg, "depends on itself"));
	ctmod_build_plan_release(&p);

	plan(&p, &o, (const char *[]){"ring-1.0", "loop-1.0", NULL}, (const char *[]){K1, NULL});
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, &p.jobs[0]), 0);
	assert_int_equal(ctmod_build_deps_ready(ctx, &o, &p, &p.jobs[1]), 0);
	ctmod_build_deps_stuck(&p);
	for (size_t i = 0; i < p.n; i++) {
		assert_int_equal(p.jobs[i].state, BUILD_FAILED);
		assert_non_null(strstr(p.jobs[i].msg, "circular BUILD_DEPENDS"));
	}
	assert_non_null(strstr(job(&p, "ring")->msg, "waits for loop"));
	ctmod_build_plan_release(&p);
}

/* BUILD_EXCLUSIVE_KERNEL/ARCH: the run skips them with the reason, nothing built */
static void test_exclusive(void **state)
{
	(void)state;
	struct build_opts o = {.arch = "x86_64", .no_sign = true, .no_sandbox = true, .jobs = 1};
	struct build_plan p;
	plan(&p, &o, (const char *[]){"excl-1.0", "exarch-1.0", NULL}, (const char *[]){K1, NULL});
	assert_int_equal(ctmod_build_run(ctx, &o, &p), 0);
	struct build_job *e = job(&p, "excl"), *x = job(&p, "exarch");
	assert_int_equal(e->state, BUILD_SKIPPED);
	assert_non_null(strstr(e->msg, "BUILD_EXCLUSIVE_KERNEL"));
	assert_int_equal(x->state, BUILD_SKIPPED);
	assert_non_null(strstr(x->msg, "BUILD_EXCLUSIVE_ARCH"));
	_cleanup_free_ char *bd = xasprintf("%s/build", e->tree);
	assert_false(exists(bd));
	ctmod_build_plan_release(&p);
	ctmod_build_opts_release(&o);
	_cleanup_free_ char *t = xasprintf("%s" CTMOD_TREE, dir);
	rm_rf(t);
}

struct events {
	int started, ended, output;
	size_t last_done;
	bool saw_skip_line;
};

static void record(void *arg, const struct build_job *j, enum ctmod_build_event ev,
                   const char *line, const struct ctmod_build_progress *p)
{
	struct events *e = arg;
	if (ev == CTMOD_BUILD_STARTED)
		e->started++;
	if (ev == CTMOD_BUILD_ENDED) {
		e->ended++;
		assert_int_not_equal(j->state, BUILD_PENDING);
		assert_true(p->done > e->last_done);
		e->last_done = p->done;
	}
	if (ev == CTMOD_BUILD_OUTPUT) {
		e->output++;
		assert_null(strchr(line, '\n'));
		e->saw_skip_line |= strstr(line, "skipped: BUILD_EXCLUSIVE_KERNEL") != NULL;
	}
}

/* the run tells its caller as each build starts and ends; with stream, the log's lines */
static void test_progress(void **state)
{
	(void)state;
	struct events e = {0};
	struct build_opts o = {.arch = "x86_64",
	                       .no_sign = true,
	                       .no_sandbox = true,
	                       .jobs = 1,
	                       .progress = record,
	                       .progress_arg = &e,
	                       .stream = true};
	struct build_plan p;
	plan(&p, &o, (const char *[]){"excl-1.0", "exarch-1.0", NULL}, (const char *[]){K1, NULL});
	assert_int_equal(ctmod_build_run(ctx, &o, &p), 0);
	assert_int_equal(e.started, 2);
	assert_int_equal(e.ended, 2);
	assert_int_equal(e.last_done, 2);
	assert_true(e.output > 0);
	assert_true(e.saw_skip_line);
	ctmod_build_plan_release(&p);
	ctmod_build_opts_release(&o);
	_cleanup_free_ char *t = xasprintf("%s" CTMOD_TREE, dir);
	rm_rf(t);
}

/* --install of an older version over a newer installed one: refused, unless --force */
static void test_refuse_older(void **state)
{
	(void)state;
	put("var/lib/ctmod/alpha/2.0/" K1 "/x86_64/state",
	    "state=installed\nsource=/x\nresult=ok\nseconds=1.0\n");
	struct build_opts o = {.arch = "x86_64", .install = true};
	struct build_plan p;
	plan(&p, &o, (const char *[]){"alpha-1.0", NULL}, (const char *[]){K1, NULL});
	ctmod_build_refuse_older(&o, &p);
	assert_int_equal(p.jobs[0].state, BUILD_FAILED);
	assert_non_null(strstr(p.jobs[0].msg, "not newer"));
	assert_non_null(strstr(p.jobs[0].msg, "(2.0)"));
	ctmod_build_plan_release(&p);
	o.force = true;
	plan(&p, &o, (const char *[]){"alpha-1.0", NULL}, (const char *[]){K1, NULL});
	ctmod_build_refuse_older(&o, &p);
	assert_int_equal(p.jobs[0].state, BUILD_PENDING);
	ctmod_build_plan_release(&p);
	_cleanup_free_ char *t = xasprintf("%s" CTMOD_TREE, dir);
	rm_rf(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernels),
	    cmocka_unit_test(test_find_source),
	    cmocka_unit_test(test_autoinstall_sources),
	    cmocka_unit_test(test_matrix),
	    cmocka_unit_test(test_name_from_conf),
	    cmocka_unit_test(test_broken),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_skip_done),
	    cmocka_unit_test(test_deps_order),
	    cmocka_unit_test(test_deps_refused),
	    cmocka_unit_test(test_exclusive),
	    cmocka_unit_test(test_refuse_older),
	    cmocka_unit_test(test_progress),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
