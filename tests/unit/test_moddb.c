// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The text resolver's parsers (lib/moddb*.c): modules.dep, modprobe.d, the
 * kernel command line as libkmod 30 parses it, names and aliases, and one
 * resolution through a small tree on disk.  The expectations for the
 * command line follow libkmod 30's kmod_config_parse_kcmdline; the CLI
 * test test-modprobe.sh checks the same cases against kmod's modprobe.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "moddb-internal.h"
#include "moddb.h"
#include "util.h"

static struct ctmod_ctx *ctx;

static int setup(void **state)
{
	(void)state;
	return ctmod_ctx_new(&ctx, NULL, "1.0-test") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	ctmod_ctx_free(ctx);
	return 0;
}

static struct ctmod_moddb *db_new(void)
{
	return moddb_new(ctx, "/nonexistent", "1.0-test");
}

/* "name=value;..." of the options table, for one-line comparisons */
static char *options_of(const struct ctmod_moddb *db)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < db->options.n; i++)
		strbuf_printf(&sb, "%s=%s;", db->options.v[i].name, db->options.v[i].value);
	return strbuf_steal(&sb);
}

static char *blacklist_of(const struct ctmod_moddb *db)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < db->blacklist.n; i++)
		strbuf_printf(&sb, "%s;", db->blacklist.v[i]);
	return strbuf_steal(&sb);
}

static void assert_cmdline(const char *line, const char *want_opts, const char *want_bl)
{
	struct ctmod_moddb *db = db_new();
	char *buf = strdup(line);
	assert_int_equal(moddb_parse_cmdline(db, buf), 0);
	char *o = options_of(db), *b = blacklist_of(db);
	assert_string_equal(o, want_opts);
	assert_string_equal(b, want_bl);
	free(o);
	free(b);
	free(buf);
	ctmod_moddb_free(db);
}

static void test_cmdline_options(void **state)
{
	(void)state;
	assert_cmdline("quiet loop.max_part=5 console=ttyS0", "loop=max_part=5;", "");
	/* a parameter without a value is kept (kmod's mod_simple.foo) */
	assert_cmdline("mod_simple.foo root=/dev/sda", "mod_simple=foo;", "");
	/* dashes in the module name become underscores, not in the value */
	assert_cmdline("snd-hda.model=a-b\n", "snd_hda=model=a-b;", "");
	/* a dot in the value is fine; a second one in the parameter is not */
	assert_cmdline("a.b=1.2 c.d.e=3", "a=b=1.2;", "");
	/* '=' before any dot: not a module option */
	assert_cmdline("x=1.y z.w=2", "z=w=2;", "");
	assert_cmdline("", "", "");
	assert_cmdline("   \t ", "", "");
}

static void test_cmdline_quotes(void **state)
{
	(void)state;
	/* quotes inside a value keep its spaces */
	assert_cmdline("crc7.z=\"q r\" loop.a=1", "crc7=z=\"q r\";loop=a=1;", "");
	/* a whole token in quotes, as grub passes it, is re-quoted around the value */
	assert_cmdline("\"parport.dyndbg=file drivers/parport/ieee1284_ops.c +mpf\" x.y=1",
	               "parport=dyndbg=\"file drivers/parport/ieee1284_ops.c +mpf\";x=y=1;", "");
	/* a quote in the middle of a name spoils the token */
	assert_cmdline("a\"b.c=1\" d.e=2", "d=e=2;", "");
	/* a space in quotes outside a value spoils the token */
	assert_cmdline("\"a b.c=1\" d.e=2", "d=e=2;", "");
	/* a value still in quotes at the end is dropped */
	assert_cmdline("a.b=1 c.d=\"e f", "a=b=1;", "");
}

static void test_cmdline_blacklist(void **state)
{
	(void)state;
	assert_cmdline("modprobe.blacklist=a,b quiet modprobe.blacklist=c", "", "a;b;c;");
	/* modprobe.blacklist without '=' is an option of a module "modprobe" */
	assert_cmdline("modprobe.blacklist", "modprobe=blacklist;", "");
	/* a bad module name (a lone ']') is ignored */
	assert_cmdline("a].x=1 b[1].y=2", "b[1]=y=2;", "");
}

static void test_cmdline_huge(void **state)
{
	(void)state;
	/* libkmod reads 4095 bytes of /proc/cmdline: what is past them does not count */
	size_t n = 8192;
	char *buf = malloc(n + 1);
	memset(buf, 'a', n);
	memcpy(buf, "x.y=1 ", 6);
	memcpy(buf + 5000, " z.w=2 ", 7);
	buf[n] = '\0';
	struct ctmod_moddb *db = db_new();
	assert_int_equal(moddb_parse_cmdline(db, buf), 0);
	char *o = options_of(db);
	assert_string_equal(o, "x=y=1;");
	free(o);
	free(buf);
	ctmod_moddb_free(db);
}

static void test_conf(void **state)
{
	(void)state;
	struct ctmod_moddb *db = db_new();
	char buf[] = "# a comment\n"
	             "options loop max_loop=8\n"
	             "options crc-7 a=1 \\\n b=2\n"
	             "alias my-loop loop\n"
	             "blacklist snd-pcsp\n"
	             "softdep isofs pre: crc7 post: loop\n"
	             "weakdep xfs crc7\n" /* kmod 30: a bad line, skipped */
	             "install\n"
	             "remove crc7 /bin/true\n";
	assert_int_equal(moddb_parse_conf(db, "t.conf", buf), 0);
	char *o = options_of(db), *b = blacklist_of(db);
	assert_string_equal(o, "loop=max_loop=8;crc_7=a=1  b=2;");
	assert_string_equal(b, "snd_pcsp;");
	assert_int_equal(db->conf_alias.n, 1);
	assert_string_equal(db->conf_alias.v[0].name, "my_loop");
	assert_string_equal(db->conf_alias.v[0].value, "loop");
	assert_int_equal(db->softdeps.n, 1);
	assert_string_equal(db->softdeps.v[0].pre.v[0], "crc7");
	assert_string_equal(db->softdeps.v[0].post.v[0], "loop");
	assert_int_equal(db->install.n, 0);
	assert_int_equal(db->remove.n, 1);
	free(o);
	free(b);
	ctmod_moddb_free(db);
}

static void test_dep(void **state)
{
	(void)state;
	struct ctmod_moddb *db = db_new();
	char buf[] = "kernel/fs/a-b.ko: kernel/lib/c.ko.xz kernel/lib/d.ko\n"
	             "\n"
	             "kernel/lib/c.ko.xz:\n"
	             "kernel/lib/d.ko: kernel/lib/c.ko.xz\n"
	             "kernel/lib/c.ko.xz: kernel/lib/d.ko\n"; /* a duplicate: the first wins */
	assert_int_equal(moddb_parse_dep(db, "modules.dep", buf), 0);
	assert_int_equal(db->nlines, 3);
	assert_string_equal(db->mods[0].name, "a_b");
	assert_int_equal(db->mods[0].ndeps, 2);
	assert_string_equal(db->mods[db->mods[0].deps[0]].name, "c");
	assert_int_equal(db->mods[db->mods[0].deps[0]].ndeps, 0);
	ctmod_moddb_free(db);

	static const char *const bad[] = {
	    "kernel/a.ko kernel/b.ko\n", /* no colon */
	    ": kernel/b.ko\n",           /* no module */
	    "kernel/a.txt:\n",           /* not a module path */
	    "kernel/a.ko: b.txt\n",      /* a dependency that is no module */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		db = db_new();
		char *b = strdup(bad[i]);
		assert_true(moddb_parse_dep(db, "modules.dep", b) < 0);
		assert_non_null(strstr(ctmod_ctx_error(ctx), "modules.dep:1"));
		ctmod_ctx_clear_error(ctx);
		free(b);
		ctmod_moddb_free(db);
	}
}

static void test_names(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(path_to_modname("kernel/fs/a-b.ko.zst", out, sizeof(out)), 0);
	assert_string_equal(out, "a_b");
	assert_int_equal(path_to_modname("x/.ko", out, sizeof(out)), -EINVAL);
	assert_int_equal(alias_normalize("pci:v0000-[a-b]*", out, sizeof(out)), 0);
	assert_string_equal(out, "pci:v0000_[a-b]*");
	assert_int_equal(alias_normalize("a]b", out, sizeof(out)), -EINVAL);
	assert_int_equal(alias_normalize("a[bc", out, sizeof(out)), -EINVAL);
	assert_int_equal(alias_normalize("abcdef", out, 4), -ENAMETOOLONG);
}

static void put(const char *root, const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s%s", root, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	assert_int_equal(mkdir_p(p, 0755), 0);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A small tree on disk, opened as `ctmod deps --root` opens it. */
static void test_resolve(void **state)
{
	(void)state;
	char root[] = "/tmp/test_moddb.XXXXXX";
	assert_non_null(mkdtemp(root));
	const char *m = "/lib/modules/1.0-test";
	char p[256];
	static const char *const kos[] = {"a", "b", "c", "f"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/kernel/%s.ko", m, kos[i]);
		put(root, p, "");
	}
	snprintf(p, sizeof(p), "%s/modules.dep", m);
	put(root, p,
	    "kernel/a.ko: kernel/b.ko kernel/c.ko\nkernel/b.ko: kernel/c.ko\nkernel/c.ko:\n"
	    "kernel/f.ko:\n");
	snprintf(p, sizeof(p), "%s/modules.alias", m);
	put(root, p, "alias fs-zz a\n");
	put(root, "/etc/modprobe.d/t.conf", "options c x=1\nsoftdep a post: f\n");
	put(root, "/proc/cmdline", "a.y=\"p q\" modprobe.blacklist=f\n");

	struct ctmod_ctx *c;
	assert_int_equal(ctmod_ctx_new(&c, root, "1.0-test"), 0);
	struct ctmod_moddb *db;
	assert_int_equal(ctmod_moddb_open(c, &db), 0);
	struct ctmod_moddb_plan plan;
	assert_int_equal(ctmod_moddb_resolve_opts(db, "fs-zz", 0, "z=3", &plan), 0);
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < plan.n; i++)
		strbuf_printf(&sb, "%s[%s]%s ", plan.steps[i].name, plan.steps[i].options,
		              plan.steps[i].blacklisted ? "!" : "");
	assert_string_equal(strbuf_str(&sb), "c[x=1 ] b[] a[y=\"p q\" z=3] f[]! ");
	strbuf_release(&sb);
	ctmod_moddb_plan_release(&plan);
	assert_int_equal(ctmod_moddb_resolve(db, "nosuch", 0, &plan), -ENOENT);
	ctmod_moddb_free(db);
	ctmod_ctx_free(c);
	rm_rf(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmdline_options),
	    cmocka_unit_test(test_cmdline_quotes),
	    cmocka_unit_test(test_cmdline_blacklist),
	    cmocka_unit_test(test_cmdline_huge),
	    cmocka_unit_test(test_conf),
	    cmocka_unit_test(test_dep),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
