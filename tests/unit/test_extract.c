// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "ctx.h"
#include "fetch.h"
#include "headers.h"
#include "tar.h"
#include "util.h"

static void test_safe_name(void **state)
{
	(void)state;
	char *out;
	assert_int_equal(ctmod_archive_safe_name("./usr//src/./x/", &out), 0);
	assert_string_equal(out, "usr/src/x");
	free(out);
	assert_int_equal(ctmod_archive_safe_name("./", &out), 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(ctmod_archive_safe_name("a..b/..c", &out), 0);
	assert_string_equal(out, "a..b/..c");
	free(out);
	assert_int_equal(ctmod_archive_safe_name("/etc/passwd", &out), -EINVAL);
	assert_int_equal(ctmod_archive_safe_name("usr/../../x", &out), -EINVAL);
	assert_int_equal(ctmod_archive_safe_name("..", &out), -EINVAL);
	assert_int_equal(ctmod_archive_safe_name("a/..", &out), -EINVAL);
	assert_null(out);
}

static void test_link_inside(void **state)
{
	(void)state;
	/* Debian's links */
	assert_true(ctmod_archive_link_inside("usr/src/linux-headers-X/scripts",
	                                      "../../lib/linux-kbuild-6.1/scripts"));
	assert_true(ctmod_archive_link_inside("lib/modules/X/build", "/usr/src/linux-headers-X"));
	assert_true(
	    ctmod_archive_link_inside("usr/src/linux-kbuild-6.1", "../lib/linux-kbuild-6.1"));
	/* climbing out */
	assert_false(ctmod_archive_link_inside("usr/evil", "../../etc"));
	assert_false(ctmod_archive_link_inside("evil", ".."));
	assert_false(ctmod_archive_link_inside("a/b", "c/../../../x"));
	assert_true(ctmod_archive_link_inside("a/b", "c/../../x"));
	assert_false(ctmod_archive_link_inside("a", ""));
}

static void test_kver_and_template(void **state)
{
	(void)state;
	char *k = ctmod_install_package_kver("linux-headers-6.1.0-56-amd64");
	assert_string_equal(k, "6.1.0-56-amd64");
	free(k);
	k = ctmod_install_package_kver("linux-image-6.1.0-56-amd64-unsigned");
	assert_string_equal(k, "6.1.0-56-amd64");
	free(k);
	assert_null(ctmod_install_package_kver("linux-headers-6.1.0-56-common"));
	assert_null(ctmod_install_package_kver("linux-headers-amd64"));
	assert_null(ctmod_install_package_kver("linux-kbuild-6.1"));
	assert_null(ctmod_install_package_kver(NULL));
	char *u = ctmod_install_template_expand("http://h/build-linux-{kver}-{arch}.tar.gz?{kver}",
	                                        "4.14.1", "x86_64");
	assert_string_equal(u, "http://h/build-linux-4.14.1-x86_64.tar.gz?4.14.1");
	free(u);
	assert_true(ctmod_fetch_sha256_valid(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	assert_false(ctmod_fetch_sha256_valid("e3b0"));
	assert_false(ctmod_fetch_sha256_valid(
	    "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	char *b = ctmod_fetch_basename("https://x/a/b%20c.deb?x=1");
	assert_string_equal(b, "b c.deb");
	free(b);
	b = ctmod_fetch_basename("http://x/");
	assert_string_equal(b, "download");
	free(b);
}

static int extract_ents(const struct ent *e, size_t n, char *dir, struct ctmod_ctx **ctxp)
{
	size_t len;
	void *buf = mktar(e, n, &len);
	struct ctmod_archive_info info;
	assert_int_equal(ctmod_ctx_new(ctxp, NULL, NULL), 0);
	assert_non_null(mkdtemp(dir));
	int r = ctmod_archive_extract_mem(*ctxp, buf, len, "t.tar.gz", dir, &info);
	ctmod_archive_info_release(&info);
	free(buf);
	return r;
}

static void test_extract_good(void **state)
{
	(void)state;
	const struct ent e[] = {
	    {'d', "./usr/", NULL},
	    {'f', "./usr/src/h/Makefile", "all:\n"},
	    {'l', "./usr/src/h/scripts", "../../lib/kbuild/scripts"},
	    {'l', "./lib/modules/9/build", "/usr/src/h"},
	    {'h', "./usr/src/h/Makefile2", "usr/src/h/Makefile"},
	};
	char dir[] = "/tmp/ctmod-unit-XXXXXX";
	struct ctmod_ctx *ctx;
	assert_int_equal(extract_ents(e, ARRAY_SIZE(e), dir, &ctx), 0);
	char p[256], *data;
	size_t len;
	snprintf(p, sizeof(p), "%s/usr/src/h/Makefile2", dir);
	assert_int_equal(read_file(p, 100, &data, &len), 0);
	assert_string_equal(data, "all:\n");
	free(data);
	snprintf(p, sizeof(p), "%s/lib/modules/9/build", dir);
	char t[64] = "";
	assert_true(readlink(p, t, sizeof(t) - 1) > 0);
	assert_string_equal(t, "/usr/src/h");
	ctmod_ctx_free(ctx);
	rm_rf(dir);
}

static void expect_refused(const struct ent *e, size_t n, const char *why)
{
	char dir[] = "/tmp/ctmod-unit-XXXXXX";
	struct ctmod_ctx *ctx;
	assert_int_equal(extract_ents(e, n, dir, &ctx), -EINVAL);
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	if (!strstr(ctmod_ctx_error(ctx), why))
		fail_msg("error '%s' lacks '%s'", ctmod_ctx_error(ctx), why);
	ctmod_ctx_free(ctx);
	rm_rf(dir);
}

static void test_extract_refused(void **state)
{
	(void)state;
	const struct ent dotdot[] = {{'f', "a/../../x", "x"}};
	expect_refused(dotdot, 1, "'..'");
	const struct ent abs[] = {{'f', "/tmp/ctmod-unit-abs", "x"}};
	expect_refused(abs, 1, "absolute path");
	assert_int_equal(access("/tmp/ctmod-unit-abs", F_OK), -1);
	const struct ent out[] = {{'l', "usr/evil", "../../tmp"}};
	expect_refused(out, 1, "outside the root");
	const struct ent through[] = {{'l', "evil", "/tmp"}, {'f', "evil/ctmod-unit-through", "x"}};
	expect_refused(through, 2, "written through a symlink");
	assert_int_equal(access("/tmp/ctmod-unit-through", F_OK), -1);
	const struct ent hard[] = {{'h', "pw", "../etc/passwd"}};
	expect_refused(hard, 1, "hard link");
	const struct ent dev[] = {{'c', "null", NULL}};
	expect_refused(dev, 1, "device node");
}

static void test_extract_garbage(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctmod-unit-XXXXXX";
	struct ctmod_ctx *ctx;
	struct ctmod_archive_info info;
	assert_int_equal(ctmod_ctx_new(&ctx, NULL, NULL), 0);
	assert_non_null(mkdtemp(dir));
	const char junk[] = "this is not an archive, not even close to one............";
	assert_int_equal(ctmod_archive_extract_mem(ctx, junk, sizeof(junk), "j", dir, &info),
	                 -EINVAL);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "corrupt archive"));
	ctmod_archive_info_release(&info);
	/* a well-formed ar archive whose first member is not debian-binary */
	char deb[256];
	int n = snprintf(deb, sizeof(deb), "!<arch>\n%-16s%-12s%-6s%-6s%-8s%-10s`\nabc\n", "foo",
	                 "0", "0", "0", "100644", "4");
	assert_int_equal(ctmod_archive_extract_mem(ctx, deb, (size_t)n, "d.deb", dir, &info),
	                 -EINVAL);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "not a Debian package"));
	ctmod_archive_info_release(&info);
	ctmod_ctx_free(ctx);
	rm_rf(dir);
}

static void test_merge_conflict(void **state)
{
	(void)state;
	char src[] = "/tmp/ctmod-unit-XXXXXX", dst[] = "/tmp/ctmod-unit-XXXXXX";
	assert_non_null(mkdtemp(src));
	assert_non_null(mkdtemp(dst));
	char p[256];
	snprintf(p, sizeof(p), "%s/usr/src/x", src);
	assert_int_equal(mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/usr/lib", dst);
	assert_int_equal(mkdir_p(p, 0755), 0);
	/* the root's usr/src is a file: a conflict found by the dry run */
	snprintf(p, sizeof(p), "%s/usr/src", dst);
	assert_int_equal(write_file_atomic(p, "f", 1, 0644), 0);
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, NULL, NULL), 0);
	int sfd = open(src, O_RDONLY | O_DIRECTORY), dfd = open(dst, O_RDONLY | O_DIRECTORY);
	assert_int_equal(ctmod_tree_merge(ctx, sfd, dfd, "", true, dst, NULL), -EEXIST);
	/* the root's usr/src a symlink to a directory inside it: merged through */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/usr/lib", p), 0);
	struct strv moved;
	strv_init(&moved);
	assert_int_equal(ctmod_tree_merge(ctx, sfd, dfd, "", true, dst, NULL), 0);
	assert_int_equal(ctmod_tree_merge(ctx, sfd, dfd, "", false, dst, &moved), 0);
	assert_int_equal(moved.n, 1);
	assert_string_equal(moved.v[0], "usr/src/x");
	snprintf(p, sizeof(p), "%s/usr/lib/x", dst);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	strv_release(&moved);
	close(sfd);
	close(dfd);
	ctmod_ctx_free(ctx);
	rm_rf(src);
	rm_rf(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_safe_name),         cmocka_unit_test(test_link_inside),
	    cmocka_unit_test(test_kver_and_template), cmocka_unit_test(test_extract_good),
	    cmocka_unit_test(test_extract_refused),   cmocka_unit_test(test_extract_garbage),
	    cmocka_unit_test(test_merge_conflict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
