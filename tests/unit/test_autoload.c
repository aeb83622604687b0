// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The parallel loader against a made-up kernel tree: the dependency
 * closure, a shared dependency reported once, built-in modules, unknown
 * names, and a failing dependency taking down only the modules that need
 * it.  The .ko files are not ELF, so nothing can ever load for real.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoload.h"
#include "ctx.h"
#include "modlist.h"
#include "util.h"

#define KVER "6.1.0-99-test"

static char root[] = "/tmp/ctmod-unit-XXXXXX";

static void put(const char *rel, const char *data)
{
	char *p, *dir;
	assert_true(asprintf(&p, "%s/lib/modules/%s/%s", root, KVER, rel) > 0);
	dir = strdup(p);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(write_file_atomic(p, data, strlen(data), 0644), 0);
	free(dir);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	put("modules.dep", "kernel/fs/a.ko: kernel/lib/shared.ko kernel/lib/base.ko\n"
	                   "kernel/fs/b.ko: kernel/lib/shared.ko kernel/lib/base.ko\n"
	                   "kernel/lib/shared.ko: kernel/lib/base.ko\n"
	                   "kernel/lib/base.ko:\n"
	                   "kernel/drivers/solo.ko:\n");
	put("modules.builtin", "kernel/fs/bi.ko\n");
	put("modules.alias", "");
	put("modules.symbols", "");
	put("modules.softdep", "");
	const char *kos[] = {"kernel/fs/a.ko", "kernel/fs/b.ko", "kernel/lib/shared.ko",
	                     "kernel/lib/base.ko", "kernel/drivers/solo.ko"};
	for (size_t i = 0; i < ARRAY_SIZE(kos); i++)
		put(kos[i], "not an ELF object\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(root);
}

static void make_list(struct ctmod_modlist *l, const char *names)
{
	struct ctmod_modlist_origin o = {.source = CTMOD_SRC_CMDLINE, .file = "cmdline"};
	ctmod_modlist_init(l);
	char *s = strdup(names);
	for (char *t = strtok(s, " "); t; t = strtok(NULL, " "))
		assert_int_equal(ctmod_modlist_add(l, t, NULL, &o), 0);
	free(s);
}

static const struct ctmod_autoload_result *entry(const struct ctmod_autoload_report *rep,
                                                 const char *name)
{
	for (size_t i = 0; i < rep->n_entries; i++)
		if (strcmp(rep->entries[i].name, name) == 0)
			return &rep->entries[i];
	fail_msg("no entry %s", name);
	return NULL;
}

static size_t dep_count(const struct ctmod_autoload_report *rep, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->n_deps; i++)
		n += strcmp(rep->deps[i].name, name) == 0;
	return n;
}

static void test_dry_run(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx;
	struct ctmod_modlist l;
	struct ctmod_autoload_report rep;
	struct ctmod_autoload_opts o = {.dry_run = true, .jobs = 3};

	assert_int_equal(ctmod_ctx_new(&ctx, root, KVER), 0);
	make_list(&l, "a b bi nosuch solo");
	assert_int_equal(ctmod_autoload(ctx, &l, &o, &rep), 0);
	assert_int_equal(rep.n_entries, 5);
	assert_int_equal(entry(&rep, "a")->state, CTMOD_WOULD_LOAD);
	assert_string_equal(entry(&rep, "a")->modules.v[0], "a");
	assert_int_equal(entry(&rep, "b")->state, CTMOD_WOULD_LOAD);
	assert_int_equal(entry(&rep, "solo")->state, CTMOD_WOULD_LOAD);
	assert_int_equal(entry(&rep, "bi")->state, CTMOD_BUILTIN);
	const struct ctmod_autoload_result *bad = entry(&rep, "nosuch");
	assert_int_equal(bad->state, CTMOD_LOAD_FAILED);
	assert_int_equal(bad->err, -ENOENT);
	assert_non_null(strstr(bad->reason, "nosuch"));
	assert_int_equal(rep.failed, 1);
	/* the dependencies shared by a and b: once each */
	assert_int_equal(rep.n_deps, 2);
	assert_int_equal(dep_count(&rep, "shared"), 1);
	assert_int_equal(dep_count(&rep, "base"), 1);
	assert_true(rep.jobs >= 1 && rep.jobs <= 3);
	ctmod_autoload_report_release(&rep);
	ctmod_modlist_release(&l);
	ctmod_ctx_free(ctx);
}

/* Nothing here can load: base fails first, and everything that needs it says so
 * without being tried; solo fails on its own; bi is built in. */
static void test_failure_propagates(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx;
	struct ctmod_modlist l;
	struct ctmod_autoload_report rep;
	struct ctmod_autoload_opts o = {.jobs = 4, .methods = CTMOD_LOAD_KMOD};

	assert_int_equal(ctmod_ctx_new(&ctx, root, KVER), 0);
	make_list(&l, "a solo bi b");
	assert_int_equal(ctmod_autoload(ctx, &l, &o, &rep), 0);
	assert_int_equal(rep.failed, 3);
	assert_int_equal(entry(&rep, "bi")->state, CTMOD_BUILTIN);
	const struct ctmod_autoload_result *a = entry(&rep, "a"), *b = entry(&rep, "b");
	assert_int_equal(a->state, CTMOD_LOAD_FAILED);
	assert_int_equal(b->state, CTMOD_LOAD_FAILED);
	assert_non_null(strstr(a->reason, "needs base, which did not load"));
	assert_non_null(strstr(b->reason, "needs base, which did not load"));
	const struct ctmod_autoload_result *solo = entry(&rep, "solo");
	assert_int_equal(solo->state, CTMOD_LOAD_FAILED);
	assert_null(strstr(solo->reason, "needs"));
	for (size_t i = 0; i < rep.n_deps; i++) {
		assert_int_equal(rep.deps[i].state, CTMOD_LOAD_FAILED);
		if (strcmp(rep.deps[i].name, "shared") == 0)
			assert_non_null(strstr(rep.deps[i].reason, "needs base"));
	}
	ctmod_autoload_report_release(&rep);
	ctmod_modlist_release(&l);
	ctmod_ctx_free(ctx);
}

static void test_empty_and_no_database(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx;
	struct ctmod_modlist l;
	struct ctmod_autoload_report rep;

	/* nothing listed: nothing to open, nothing to do */
	assert_int_equal(ctmod_ctx_new(&ctx, "/nonexistent-root", KVER), 0);
	ctmod_modlist_init(&l);
	assert_int_equal(ctmod_autoload(ctx, &l, NULL, &rep), 0);
	assert_int_equal(rep.n_entries + rep.failed, 0);
	ctmod_autoload_report_release(&rep);

	/* something listed, no module database: the error says so */
	make_list(&l, "a");
	assert_true(ctmod_autoload(ctx, &l, NULL, &rep) < 0);
	assert_non_null(ctmod_ctx_error(ctx));
	ctmod_autoload_report_release(&rep);
	ctmod_modlist_release(&l);
	ctmod_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dry_run),
	    cmocka_unit_test(test_failure_propagates),
	    cmocka_unit_test(test_empty_and_no_database),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
