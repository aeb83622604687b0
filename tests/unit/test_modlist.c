// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "modlist.h"
#include "util.h"

static const struct ctmod_modlist_entry *find(const struct ctmod_modlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* The names in order, space-separated, for one-line comparisons. */
static char *names(const struct ctmod_modlist *l)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < l->n; i++)
		strbuf_printf(&sb, "%s%s", i ? " " : "", l->v[i].name);
	return strbuf_steal(&sb);
}

static void assert_names(const struct ctmod_modlist *l, const char *want)
{
	char *got = names(l);
	assert_string_equal(got, want);
	free(got);
}

static bool has_problem(const struct ctmod_modlist *l, const char *needle)
{
	for (size_t i = 0; i < l->problems.n; i++)
		if (strstr(l->problems.v[i], needle))
			return true;
	return false;
}

static int cc(struct ctmod_modlist *l, const char *yaml)
{
	return ctmod_modlist_parse_cloud_config(l, yaml, strlen(yaml), "cc.yml");
}

static int cmdline(struct ctmod_modlist *l, const char *s)
{
	return ctmod_modlist_parse_cmdline(l, s, strlen(s), "cmdline");
}

static void test_cloud_config_rancher(void **state)
{
	(void)state;
	struct ctmod_modlist l;
	ctmod_modlist_init(&l);
	assert_int_equal(cc(&l, "#cloud-config\n"
	                        "hostname: x\n"
	                        "rancher:\n"
	                        "  console: ubuntu\n"
	                        "  modules:\n"
	                        "    - btrfs\n"
	                        "    - \"nbd   nbds_max=1024 max_part=8\"\n"
	                        "    - nf-tables\n"),
	                 0);
	assert_names(&l, "btrfs nbd nf-tables");
	const struct ctmod_modlist_entry *e = find(&l, "nbd");
	assert_non_null(e);
	assert_string_equal(e->params, "nbds_max=1024 max_part=8");
	assert_int_equal(e->n_origins, 1);
	assert_int_equal(e->origins[0].line, 7);
	assert_string_equal(e->origins[0].file, "cc.yml");
	assert_string_equal(e->origins[0].key, "rancher.modules");
	assert_int_equal(e->origins[0].source, CTMOD_SRC_CLOUD_CONFIG);
	assert_string_equal(find(&l, "btrfs")->params, "");
	assert_int_equal(l.problems.n, 0);
	ctmod_modlist_release(&l);

	/* a flow list, and nothing at all, are fine too */
	ctmod_modlist_init(&l);
	assert_int_equal(cc(&l, "rancher: {modules: [overlay, 'loop max_loop=4']}\n"), 0);
	assert_names(&l, "overlay loop");
	assert_string_equal(find(&l, "loop")->params, "max_loop=4");
	assert_int_equal(cc(&l, ""), 0);
	assert_int_equal(cc(&l, "rancher:\n  modules:\n"), 0);
	assert_int_equal(cc(&l, "# just a comment\n"), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.problems.n, 0);
	ctmod_modlist_release(&l);
}

static void test_cloud_config_ctmod(void **state)
{
	(void)state;
	struct ctmod_modlist l;
	ctmod_modlist_init(&l);
	assert_int_equal(cc(&l, "ctmod:\n"
	                        "  modules:\n"
	                        "    - br_netfilter\n"
	                        "    - name: v4l2loopback\n"
	                        "      parameters:\n"
	                        "        - devices=2\n"
	                        "        - exclusive_caps=1\n"
	                        "    - {name: nbd, parameters: nbds_max=4}\n"
	                        "    - name: dummy\n"),
	                 0);
	assert_names(&l, "br_netfilter v4l2loopback nbd dummy");
	assert_string_equal(find(&l, "v4l2loopback")->params, "devices=2 exclusive_caps=1");
	assert_int_equal(find(&l, "v4l2loopback")->origins[0].line, 4);
	assert_string_equal(find(&l, "v4l2loopback")->origins[0].key, "ctmod.modules");
	assert_string_equal(find(&l, "nbd")->params, "nbds_max=4");
	assert_string_equal(find(&l, "dummy")->params, "");
	ctmod_modlist_release(&l);
}

static void test_cloud_config_malformed(void **state)
{
	(void)state;
	struct ctmod_modlist l;
	ctmod_modlist_init(&l);

	/* broken YAML: the line of the problem, nothing from that file */
	assert_int_equal(cc(&l, "rancher:\n  modules:\n    - btrfs\n  bad: [\n"), -EINVAL);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.problems.n, 1);
	assert_true(has_problem(&l, "cc.yml:5: malformed YAML"));

	/* wrong shapes: named, with their lines; the good entries still count */
	ctmod_modlist_release(&l);
	ctmod_modlist_init(&l);
	assert_int_equal(cc(&l, "rancher:\n"
	                        "  modules: btrfs\n"
	                        "ctmod:\n"
	                        "  modules:\n"
	                        "    - ok1\n"
	                        "    - [nested]\n"
	                        "    - name: ok2\n"
	                        "      parameter: [x=1]\n"
	                        "    - parameters: [y=1]\n"
	                        "    - ../../evil\n"
	                        "    - \"\"\n"
	                        "    - ok3\n"),
	                 -EINVAL);
	assert_names(&l, "ok1 ok2 ok3");
	assert_true(has_problem(&l, "cc.yml:2: rancher.modules: is not a list"));
	assert_true(has_problem(&l, "cc.yml:6: ctmod.modules: an entry is not a string"));
	assert_true(has_problem(&l, "cc.yml:8: ctmod.modules: unknown key 'parameter'"));
	assert_true(has_problem(&l, "cc.yml:9: ctmod.modules: entry without a name"));
	assert_true(has_problem(&l, "cc.yml:10: ctmod.modules: '../../evil' is not a valid module "
	                            "name (a name, not a path)"));
	assert_true(has_problem(&l, "cc.yml:11: ctmod.modules: empty module name"));
	assert_int_equal(l.problems.n, 6);
	ctmod_modlist_release(&l);

	/* a rancher entry must be a string; a mapping is ctmod's shape only */
	ctmod_modlist_init(&l);
	assert_int_equal(cc(&l, "rancher:\n  modules:\n    - {name: x}\n"), -EINVAL);
	assert_true(has_problem(&l, "cc.yml:3: rancher.modules: an entry is not a string"));
	assert_int_equal(cc(&l, "- just\n- a list\n"), -EINVAL);
	assert_true(has_problem(&l, "cc.yml:1: a cloud-config is a mapping"));
	assert_int_equal(cc(&l, "rancher: [a]\n"), -EINVAL);
	assert_true(has_problem(&l, "rancher: is not a mapping"));
	/* a NUL inside a quoted scalar is not a name */
	assert_int_equal(cc(&l, "ctmod: {modules: [\"a\\0b\"]}\n"), -EINVAL);
	assert_int_equal(l.n, 0);
	ctmod_modlist_release(&l);

	/* a user-data script in cloud-config.d is not YAML and not ours */
	ctmod_modlist_init(&l);
	assert_int_equal(cc(&l, "#!/bin/sh\nmodprobe x: [\n"), 0);
	assert_int_equal(l.n + l.problems.n, 0);
	ctmod_modlist_release(&l);
}

static void test_cmdline(void **state)
{
	(void)state;
	struct ctmod_modlist l;
	ctmod_modlist_init(&l);
	assert_int_equal(cmdline(&l, "BOOT_IMAGE=/vmlinuz-6.1 root=/dev/vda1 ro quiet "
	                             "rancher.modules=[btrfs,overlay] modules-load=nft_log,dummy "
	                             "rd.modules_load=loop modules_load=vfat ctmod.modules=nbd "
	                             "rancher.password=x module_blacklist=y\n"),
	                 0);
	assert_names(&l, "btrfs overlay nft_log dummy loop vfat nbd");
	const struct ctmod_modlist_entry *e = find(&l, "nft_log");
	assert_int_equal(e->origins[0].source, CTMOD_SRC_CMDLINE);
	assert_string_equal(e->origins[0].key, "modules_load");
	assert_int_equal(e->origins[0].line, 0);
	assert_string_equal(find(&l, "btrfs")->origins[0].key, "rancher.modules");
	assert_string_equal(find(&l, "loop")->origins[0].key, "rd.modules_load");
	ctmod_modlist_release(&l);

	/* quotes and brackets keep spaces: parameters ride along */
	ctmod_modlist_init(&l);
	assert_int_equal(cmdline(&l,
	                         "a=1 rancher.modules=[nbd nbds_max=1024, btrfs] b=2 "
	                         "\"rancher.modules=['loop max_loop=8']\" "
	                         "rancher.modules=\"[dummy numdummies=2]\" rancher.modules=vfat"),
	                 0);
	assert_names(&l, "nbd btrfs loop dummy vfat");
	assert_string_equal(find(&l, "nbd")->params, "nbds_max=1024");
	assert_string_equal(find(&l, "loop")->params, "max_loop=8");
	assert_string_equal(find(&l, "dummy")->params, "numdummies=2");
	ctmod_modlist_release(&l);

	/* malformed values are named; the rest of the line still counts */
	ctmod_modlist_init(&l);
	assert_int_equal(cmdline(&l, "rancher.modules=[a,{b: c}] modules_load=x,,y "
	                             "ctmod.modules=../z rancher.modules=[unclosed"),
	                 -EINVAL);
	assert_names(&l, "a x y");
	assert_true(
	    has_problem(&l, "cmdline: rancher.modules=[a,{b: c}]: an entry is not a string"));
	assert_true(has_problem(&l, "cmdline: modules_load: empty module name"));
	assert_true(has_problem(&l, "cmdline: ctmod.modules: '../z' is not a valid module name"));
	assert_true(has_problem(&l, "cmdline: rancher.modules=[unclosed: not a YAML list"));
	ctmod_modlist_release(&l);

	/* no list, and binary garbage after a NUL, are nothing */
	ctmod_modlist_init(&l);
	assert_int_equal(ctmod_modlist_parse_cmdline(&l, "ro\0modules_load=x", 17, "c"), 0);
	assert_int_equal(cmdline(&l, ""), 0);
	assert_int_equal(l.n, 0);
	ctmod_modlist_release(&l);
}

static void test_modules_load_and_etc_modules(void **state)
{
	(void)state;
	struct ctmod_modlist l;
	ctmod_modlist_init(&l);
	const char conf[] = "# comment\n"
	                    "; also a comment\n"
	                    "\n"
	                    "  overlay  \n"
	                    "br_netfilter\r\n"
	                    "nbd nbds_max=1\n"
	                    "bad/name\n"
	                    "last-no-newline";
	assert_int_equal(ctmod_modlist_parse_modules_load(&l, conf, strlen(conf), "m.conf"),
	                 -EINVAL);
	assert_names(&l, "overlay br_netfilter last-no-newline");
	assert_int_equal(find(&l, "overlay")->origins[0].line, 4);
	assert_int_equal(find(&l, "last-no-newline")->origins[0].line, 8);
	assert_true(has_problem(&l, "m.conf:6: 'nbd nbds_max=1': one module name a line"));
	assert_true(has_problem(&l, "m.conf:7: 'bad/name' is not a valid module name"));
	assert_int_equal(ctmod_modlist_parse_modules_load(&l, "a\0b\nc\n", 6, "n.conf"), -EINVAL);
	assert_true(has_problem(&l, "n.conf:1: a NUL byte"));
	assert_non_null(find(&l, "c"));
	ctmod_modlist_release(&l);

	ctmod_modlist_init(&l);
	const char mods[] = "# /etc/modules\nloop max_loop=8\n  # indented comment\nlp\n";
	assert_int_equal(ctmod_modlist_parse_etc_modules(&l, mods, strlen(mods), "modules"), 0);
	assert_names(&l, "loop lp");
	assert_string_equal(find(&l, "loop")->params, "max_loop=8");
	ctmod_modlist_release(&l);
}

static void test_dedup_keeps_order(void **state)
{
	(void)state;
	struct ctmod_modlist l;
	ctmod_modlist_init(&l);
	assert_int_equal(cmdline(&l, "modules_load=nf-tables,btrfs"), 0);
	assert_int_equal(cc(&l, "rancher: {modules: [overlay, nf_tables, 'btrfs a=1']}\n"), 0);
	assert_int_equal(cc(&l, "ctmod: {modules: [{name: btrfs, parameters: [b=2]}]}\n"), 0);
	assert_names(&l, "nf-tables btrfs overlay");
	const struct ctmod_modlist_entry *e = find(&l, "nf-tables");
	assert_int_equal(e->n_origins, 2);
	assert_int_equal(e->origins[1].source, CTMOD_SRC_CLOUD_CONFIG);
	e = find(&l, "btrfs");
	assert_int_equal(e->n_origins, 3);
	assert_string_equal(e->params, "a=1 b=2");
	ctmod_modlist_release(&l);
}

static void put(const char *root, const char *rel, const char *data)
{
	char *p, *dir;
	assert_true(asprintf(&p, "%s%s", root, rel) > 0);
	dir = strdup(p);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(write_file_atomic(p, data, strlen(data), 0644), 0);
	free(dir);
	free(p);
}

static void test_gather(void **state)
{
	(void)state;
	char root[] = "/tmp/ctmod-unit-XXXXXX";
	assert_non_null(mkdtemp(root));
	put(root, "/proc/cmdline", "ro rancher.modules=[btrfs] modules-load=dummy\n");
	put(root, "/var/lib/rancher/conf/cloud-config.yml", "rancher: {modules: [overlay]}\n");
	put(root, "/var/lib/rancher/conf/cloud-config.d/b.yml", "rancher: {modules: [b_cc]}\n");
	put(root, "/var/lib/rancher/conf/cloud-config.d/a.yml", "rancher: {modules: [a_cc]}\n");
	put(root, "/var/lib/rancher/conf/cloud-config.d/broken.yml", "rancher: {modules: [x\n");
	put(root, "/var/lib/rancher/conf/cloud-config.d/ignored.txt", "rancher: {modules: [no]}\n");
	put(root, "/etc/ctmod/cloud-config.d/c.yml", "ctmod: {modules: [{name: c_cc}]}\n");
	/* systemd's rules: same name -> /etc wins; sorted by name across dirs */
	put(root, "/usr/lib/modules-load.d/10-a.conf", "shadowed\n");
	put(root, "/etc/modules-load.d/10-a.conf", "etc_a\n");
	put(root, "/lib/modules-load.d/05-z.conf", "lib_z\n");
	put(root, "/run/modules-load.d/20-r.conf", "run_r\n");
	put(root, "/usr/lib/modules-load.d/30-masked.conf", "masked\n");
	put(root, "/usr/lib/modules-load.d/not-conf.txt", "no\n");
	char *mask;
	assert_true(asprintf(&mask, "%s/etc/modules-load.d/30-masked.conf", root) > 0);
	assert_int_equal(symlink("/dev/null", mask), 0);
	free(mask);
	put(root, "/etc/modules", "loop max_loop=8\n");
	char *extra;
	assert_true(asprintf(&extra, "%s/extra.yml", root) > 0);
	put(root, "/extra.yml", "ctmod: {modules: [extra]}\n");

	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, root, "6.1.0-1-amd64"), 0);
	struct ctmod_modlist l;
	const char *clouds[] = {extra, NULL};
	struct ctmod_modlist_opts o = {.cloud_config = clouds};
	ctmod_modlist_init(&l);
	assert_int_equal(ctmod_modlist_gather(ctx, &o, &l), 0);
	assert_names(&l, "btrfs dummy overlay a_cc b_cc c_cc extra lib_z etc_a run_r loop");
	assert_int_equal(l.problems.n, 1);
	assert_true(has_problem(&l, "cloud-config.d/broken.yml:2: malformed YAML"));
	assert_non_null(strstr(find(&l, "btrfs")->origins[0].file, "/proc/cmdline"));
	ctmod_modlist_release(&l);

	/* --source restricts */
	o.sources = CTMOD_SRC_MODULES_LOAD;
	ctmod_modlist_init(&l);
	assert_int_equal(ctmod_modlist_gather(ctx, &o, &l), 0);
	assert_names(&l, "lib_z etc_a run_r loop");
	ctmod_modlist_release(&l);

	/* --cmdline FILE replaces ROOT/proc/cmdline; a missing one is bad input */
	o.sources = CTMOD_SRC_CMDLINE;
	o.cmdline = extra; /* not a command line, but readable: no list in it */
	ctmod_modlist_init(&l);
	assert_int_equal(ctmod_modlist_gather(ctx, &o, &l), 0);
	assert_int_equal(l.n, 0);
	o.cmdline = "/nonexistent/cmdline";
	assert_int_equal(ctmod_modlist_gather(ctx, &o, &l), -ENOENT);
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "/nonexistent/cmdline"));
	ctmod_modlist_release(&l);
	ctmod_ctx_free(ctx);

	/* an empty root: nothing, and no error */
	char empty[] = "/tmp/ctmod-unit-XXXXXX";
	assert_non_null(mkdtemp(empty));
	assert_int_equal(ctmod_ctx_new(&ctx, empty, "6.1.0-1-amd64"), 0);
	ctmod_modlist_init(&l);
	assert_int_equal(ctmod_modlist_gather(ctx, NULL, &l), 0);
	assert_int_equal(l.n + l.problems.n, 0);
	ctmod_modlist_release(&l);
	ctmod_ctx_free(ctx);

	free(extra);
	assert_int_equal(rm_rf(root), 0);
	assert_int_equal(rm_rf(empty), 0);
}

static void test_sources(void **state)
{
	(void)state;
	unsigned s = 0;
	assert_int_equal(ctmod_modlist_parse_sources("cmdline,modules-load.d", &s), 0);
	assert_int_equal(s, CTMOD_SRC_CMDLINE | CTMOD_SRC_MODULES_LOAD);
	assert_int_equal(ctmod_modlist_parse_sources("all", &s), 0);
	assert_int_equal(s, CTMOD_SRC_ALL);
	assert_int_equal(ctmod_modlist_parse_sources("cloud-config", &s), 0);
	assert_int_equal(s, CTMOD_SRC_CLOUD_CONFIG);
	assert_int_equal(ctmod_modlist_parse_sources("cmdline,", &s), -EINVAL);
	assert_int_equal(ctmod_modlist_parse_sources("yaml", &s), -EINVAL);
	assert_string_equal(ctmod_modlist_source_name(CTMOD_SRC_MODULES_LOAD), "modules-load.d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cloud_config_rancher),
	    cmocka_unit_test(test_cloud_config_ctmod),
	    cmocka_unit_test(test_cloud_config_malformed),
	    cmocka_unit_test(test_cmdline),
	    cmocka_unit_test(test_modules_load_and_etc_modules),
	    cmocka_unit_test(test_dedup_keeps_order),
	    cmocka_unit_test(test_gather),
	    cmocka_unit_test(test_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
