// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "dkms.h"
#include "util.h"

static struct ctmod_ctx *ctx;
static char dir[] = "/tmp/ctmod-dkms.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	return ctmod_ctx_new(&ctx, dir, "6.1.0-9-amd64");
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(dir);
	ctmod_ctx_free(ctx);
	return 0;
}

static void write_conf(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
}

static int eval(const char *conf, const char *kver, struct dkms_conf *c)
{
	struct dkms_env env = {
	    .root = dir,
	    .kernelver = kver,
	    .arch = "x86_64",
	    .kernel_source_dir = "/nonexistent/build",
	    .name = "pkg",
	    .version = "1.0",
	};
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, conf);
	ctmod_ctx_clear_error(ctx);
	return ctmod_dkms_conf_eval(ctx, &env, p, dir, -1, c);
}

/* real bash: arrays, if, $BASH_SOURCE, pushd, and the presets */
static void test_eval_bash(void **state)
{
	(void)state;
	struct dkms_conf c;
	write_conf("a.conf",
	           "PACKAGE_NAME=pkg\n"
	           "PACKAGE_VERSION=\"1.0\"\n"
	           "pushd \"$(dirname \"$BASH_SOURCE\")\" >/dev/null && popd >/dev/null\n"
	           "echo noise; echo noise >&2\n"
	           "if [ \"$arch\" = x86_64 ]; then BUILT_MODULE_NAME[0]=a; fi\n"
	           "BUILT_MODULE_NAME[1]=\"b\"\n"
	           "BUILT_MODULE_LOCATION[1]=sub\n"
	           "DEST_MODULE_LOCATION[0]=/extra\n"
	           "DEST_MODULE_LOCATION[1]=/extra\n"
	           "DEST_MODULE_NAME[1]=bee\n"
	           "STRIP[0]=no\n"
	           "MAKE[0]=\"make KVER=$kernelver -C $dkms_tree/$module/$module_version/build\"\n"
	           "AUTOINSTALL=Yes\n"
	           "BUILD_DEPENDS=\"other third\"\n");
	assert_int_equal(eval("a.conf", "6.1.0-9-amd64", &c), 0);
	assert_string_equal(c.name, "pkg");
	assert_string_equal(c.version, "1.0");
	assert_int_equal(c.n_mods, 2);
	assert_string_equal(c.mods[0].built_name, "a");
	assert_string_equal(c.mods[0].dest_name, "a");
	assert_false(c.mods[0].strip);
	assert_false(c.mods[1].strip); /* inherits STRIP[0], as DKMS */
	assert_string_equal(c.mods[1].built_location, "sub/");
	assert_string_equal(c.mods[1].dest_name, "bee");
	assert_string_equal(c.make, "make KVER=6.1.0-9-amd64 -C /var/lib/dkms/pkg/1.0/build");
	assert_true(c.autoinstall);
	assert_int_equal(c.build_depends.n, 2);
	assert_string_equal(c.build_depends.v[1], "third");
	ctmod_dkms_conf_release(&c);
}

static void test_make_match_patch_overrides(void **state)
{
	(void)state;
	struct dkms_conf c;
	char p[256];
	snprintf(p, sizeof(p), "%s/etc/dkms", dir);
	assert_int_equal(mkdir_p(p, 0755), 0);
	write_conf("m.conf", "PACKAGE_NAME=pkg; PACKAGE_VERSION=1.0\n"
	                     "BUILT_MODULE_NAME=pkg; DEST_MODULE_LOCATION=/updates\n"
	                     "MAKE[0]='make old'; MAKE_MATCH[0]='^5\\.'\n"
	                     "MAKE[1]='make new'; MAKE_MATCH[1]='^6\\.'\n"
	                     "PATCH[0]=all.patch\n"
	                     "PATCH[1]=five.patch; PATCH_MATCH[1]='^5'\n");
	write_conf("etc/dkms/pkg.conf", "STRIP[0]=no\n");
	write_conf("etc/dkms/pkg-1.0-6.1.0-9-amd64.conf", "DEST_MODULE_NAME[0]=renamed\n");
	assert_int_equal(eval("m.conf", "6.1.0-9-amd64", &c), 0);
	assert_string_equal(c.make, "make new");
	assert_int_equal(c.patches.n, 1);
	assert_string_equal(c.patches.v[0], "all.patch");
	assert_false(c.mods[0].strip);
	assert_string_equal(c.mods[0].dest_name, "renamed");
	ctmod_dkms_conf_release(&c);
	assert_int_equal(eval("m.conf", "5.10.0-1-amd64", &c), 0);
	assert_string_equal(c.make, "make old");
	assert_int_equal(c.patches.n, 2);
	assert_string_equal(c.mods[0].dest_name, "pkg"); /* override is per kernel */
	ctmod_dkms_conf_release(&c);
}

static void test_broken(void **state)
{
	(void)state;
	struct dkms_conf c;
	write_conf("bad.conf", "PACKAGE_NAME=x\nif true; then\n");
	assert_int_equal(eval("bad.conf", "6.1.0-9-amd64", &c), -EINVAL);
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "bad.conf"));
	assert_non_null(strstr(ctmod_ctx_error(ctx), "syntax error"));

	write_conf("noname.conf", "BUILT_MODULE_NAME=x\nDEST_MODULE_LOCATION=/extra\n");
	assert_int_equal(eval("noname.conf", "6.1.0-9-amd64", &c), -EINVAL);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "PACKAGE_NAME"));

	write_conf("escape.conf", "PACKAGE_NAME=x; PACKAGE_VERSION=1\nBUILT_MODULE_NAME=x\n"
	                          "DEST_MODULE_LOCATION=/extra\nBUILT_MODULE_LOCATION=../../etc\n");
	assert_int_equal(eval("escape.conf", "6.1.0-9-amd64", &c), -EINVAL);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "leaves the build tree"));

	write_conf("ko.conf", "PACKAGE_NAME=x; PACKAGE_VERSION=1\nBUILT_MODULE_NAME=x.ko\n"
	                      "DEST_MODULE_LOCATION=/extra\n");
	assert_int_equal(eval("ko.conf", "6.1.0-9-amd64", &c), -EINVAL);
}

static void test_parse_records(void **state)
{
	(void)state;
	struct dkms_conf c;
	static const char rec[] = "PACKAGE_NAME\0"
	                          "0\0"
	                          "p\0"
	                          "PACKAGE_VERSION\0"
	                          "0\0"
	                          "2\0"
	                          "DEST_MODULE_LOCATION\0"
	                          "0\0"
	                          "/extra\0";
	assert_int_equal(ctmod_dkms_conf_parse(ctx, "f", rec, sizeof(rec) - 1, "6.1", &c), 0);
	assert_string_equal(c.mods[0].built_name, "p"); /* one DEST: PACKAGE_NAME */
	ctmod_dkms_conf_release(&c);
	static const char trunc[] = "PACKAGE_NAME\0"
	                            "0\0"
	                            "p";
	assert_int_equal(ctmod_dkms_conf_parse(ctx, "f", trunc, sizeof(trunc) - 1, "6.1", &c),
	                 -EINVAL);
	static const char badidx[] = "MAKE\0"
	                             "x\0"
	                             "make\0";
	assert_int_equal(ctmod_dkms_conf_parse(ctx, "f", badidx, sizeof(badidx) - 1, "6.1", &c),
	                 -EINVAL);
	static const char unknown[] = "EVIL\0"
	                              "0\0"
	                              "x\0";
	assert_int_equal(ctmod_dkms_conf_parse(ctx, "f", unknown, sizeof(unknown) - 1, "6.1", &c),
	                 -EINVAL);
}

static void test_excluded(void **state)
{
	(void)state;
	struct dkms_conf c = {0};
	char *why;
	strv_init(&c.excl_config);
	assert_int_equal(ctmod_dkms_excluded(&c, "6.1.0-9-amd64", "x86_64", NULL, &why), 0);
	c.excl_kernel = "^5\\.";
	assert_int_equal(ctmod_dkms_excluded(&c, "6.1.0-9-amd64", "x86_64", NULL, &why), 1);
	assert_non_null(strstr(why, "BUILD_EXCLUSIVE_KERNEL"));
	free(why);
	c.excl_kernel = NULL;
	c.excl_arch = "^arm";
	assert_int_equal(ctmod_dkms_excluded(&c, "6.1.0-9-amd64", "x86_64", NULL, &why), 1);
	free(why);
	c.excl_arch = NULL;
	strv_push(&c.excl_config, "CONFIG_ACPI");
	strv_push(&c.excl_config, "!CONFIG_FOO");
	assert_int_equal(ctmod_dkms_excluded(&c, "6.1", "x86_64", "\nCONFIG_ACPI=y\n", &why), 0);
	assert_int_equal(
	    ctmod_dkms_excluded(&c, "6.1", "x86_64", "\nCONFIG_ACPI=y\nCONFIG_FOO=m\n", &why), 1);
	free(why);
	assert_int_equal(
	    ctmod_dkms_excluded(&c, "6.1", "x86_64", "\n# CONFIG_ACPI is not set\n", &why), 1);
	free(why);
	strv_release(&c.excl_config);
	c.obsolete_by = "6.0";
	assert_int_equal(ctmod_dkms_excluded(&c, "6.1.0-9-amd64", "x86_64", NULL, &why), 1);
	assert_non_null(strstr(why, "OBSOLETE_BY"));
	free(why);
	assert_int_equal(ctmod_dkms_excluded(&c, "5.10.0-9-amd64", "x86_64", NULL, &why), 0);
}

static void test_make_command(void **state)
{
	(void)state;
	struct dkms_conf c = {.name = "vpoll", .version = "0.1"};
	struct dkms_env env = {.kernelver = "6.1.0-9-amd64",
	                       .kernel_source_dir = "/lib/modules/6.1.0-9-amd64/build"};
	char *m = ctmod_dkms_make_command(&c, &env, 4);
	assert_string_equal(m, "make -j4 KERNELRELEASE=6.1.0-9-amd64 -C "
	                       "/lib/modules/6.1.0-9-amd64/build M=/var/lib/dkms/vpoll/0.1/build");
	free(m);
	c.make = "make KERNEL_DIR=/k all";
	m = ctmod_dkms_make_command(&c, &env, 0);
	assert_string_equal(m, "make KERNELRELEASE=6.1.0-9-amd64 KERNEL_DIR=/k all");
	free(m);
	c.make = "./build.sh";
	m = ctmod_dkms_make_command(&c, &env, 2);
	assert_string_equal(m, "./build.sh");
	free(m);
	assert_true(ctmod_dkms_yes("YES"));
	assert_false(ctmod_dkms_yes("y"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eval_bash), cmocka_unit_test(test_make_match_patch_overrides),
	    cmocka_unit_test(test_broken),    cmocka_unit_test(test_parse_records),
	    cmocka_unit_test(test_excluded),  cmocka_unit_test(test_make_command),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
