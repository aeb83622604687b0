// SPDX-License-Identifier: GPL-2.0-or-later
/* lib/headers.c and lib/fetch.c: ctmod install's transaction on tarballs
 * written here, and getting a source onto the local disk. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "fetch.h"
#include "headers.h"
#include "tar.h"
#include "util.h"

#define KVER "6.1.0-99-amd64"

static char *write_tar(const char *dir, const char *name, const struct ent *e, size_t n)
{
	size_t len;
	void *buf = mktar(e, n, &len);
	char *p = xasprintf("%s/%s", dir, name);
	assert_int_equal(write_file_atomic(p, buf, len, 0644), 0);
	free(buf);
	return p;
}

/* a temporary directory with a tarball of ENTS in it and a root below it */
struct fixture {
	char dir[32];
	char *tar, *root;
	struct ctmod_ctx *ctx;
	struct ctmod_install_opts o;
	const char *src[1];
};

static void fixture_init(struct fixture *f, const struct ent *e, size_t n, const char *kver)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/ctmod-install.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->tar = write_tar(f->dir, "t.tar.gz", e, n);
	f->root = xasprintf("%s/root", f->dir);
	assert_int_equal(ctmod_ctx_new(&f->ctx, f->root, kver), 0);
	f->src[0] = f->tar;
	f->o = (struct ctmod_install_opts){.sources = f->src, .nsources = 1};
}

static void fixture_release(struct fixture *f)
{
	ctmod_ctx_free(f->ctx);
	assert_int_equal(rm_rf(f->dir), 0);
	free(f->tar);
	free(f->root);
}

/* ctmod_install that must succeed */
static void install_ok(struct fixture *f, struct ctmod_install_result *res)
{
	if (ctmod_install(f->ctx, &f->o, res) < 0)
		fail_msg("%s (%s)", ctmod_ctx_error(f->ctx), ctmod_ctx_hint(f->ctx));
}

/* staging directories the transaction left in root */
static int stages_left(const char *root)
{
	DIR *d = opendir(root);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strncmp(de->d_name, ".ctmod-install.", 15) == 0;
	closedir(d);
	return n;
}

static bool exists(const char *root, const char *rel)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
	struct stat st;
	return lstat(p, &st) == 0;
}

/* a bare kernel build tree, as a CI system packs one */
static const struct ent bare_tree[] = {
    {'d', "linux-build", NULL},
    {'f', "linux-build/Makefile", "# kbuild\n"},
    {'d', "linux-build/include", NULL},
    {'d', "linux-build/include/generated", NULL},
    {'f', "linux-build/include/generated/utsrelease.h", "#define UTS_RELEASE \"" KVER "\"\n"},
    {'d', "linux-build/scripts", NULL},
    {'f', "linux-build/Module.symvers", ""},
};

static void test_install_bare_tree(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, bare_tree, ARRAY_SIZE(bare_tree), NULL);
	struct ctmod_install_result res;
	install_ok(&f, &res);
	assert_string_equal(res.kver, KVER);
	assert_string_equal(res.headers, "/usr/src/linux-headers-" KVER);
	assert_string_equal(res.build, "/usr/src/linux-headers-" KVER);
	assert_false(res.noop);
	assert_int_equal(res.n, 1);
	assert_string_equal(res.src[0].layout, "headers-tree");
	assert_true(res.src[0].entries >= 6);
	assert_true(exists(f.root, "usr/src/linux-headers-" KVER "/Makefile"));
	assert_true(exists(f.root, "lib/modules/" KVER "/build"));
	assert_true(exists(f.root, "lib/modules/" KVER "/source"));
	assert_int_equal(stages_left(f.root), 0);
	ctmod_install_result_release(&res);

	/* the same sources again: the record says so, nothing moves */
	install_ok(&f, &res);
	assert_true(res.noop);
	assert_int_equal(res.moved.n, 0);
	ctmod_install_result_release(&res);
	fixture_release(&f);
}

static void test_install_extras_depmod(void **state)
{
	(void)state;
	static const struct ent mods[] = {
	    {'d', "lib", NULL},
	    {'d', "lib/modules", NULL},
	    {'d', "lib/modules/" KVER, NULL},
	    {'d', "lib/modules/" KVER "/extra", NULL},
	    {'f', "lib/modules/" KVER "/extra/x.ko", "not really ELF"},
	};
	struct fixture f;
	fixture_init(&f, mods, ARRAY_SIZE(mods), KVER);
	f.o.extras = f.o.kver_explicit = true;
	struct ctmod_install_result res;
	install_ok(&f, &res);
	assert_true(res.depmod);
	_cleanup_free_ char *dep = NULL;
	_cleanup_free_ char *depf = xasprintf("%s/lib/modules/%s/modules.dep", f.root, KVER);
	size_t len;
	assert_int_equal(read_file(depf, 4096, &dep, &len), 0);
	assert_string_equal(dep, "extra/x.ko:\n"); /* the real depmod indexed it */
	ctmod_install_result_release(&res);

	/* a kernel the sources do not match: refused before anything moves */
	ctmod_ctx_free(f.ctx);
	assert_int_equal(ctmod_ctx_new(&f.ctx, f.root, "6.1.0-1-amd64"), 0);
	assert_true(ctmod_install(f.ctx, &f.o, &res) < 0);
	assert_int_equal(ctmod_ctx_err_class(f.ctx), CTMOD_ERR_BAD_INPUT);
	assert_false(exists(f.root, "lib/modules/6.1.0-1-amd64"));
	ctmod_install_result_release(&res);
	fixture_release(&f);
}

static void test_install_refused_keeps_root(void **state)
{
	(void)state;
	static const struct ent evil[] = {
	    {'d', "usr", NULL},
	    {'l', "usr/evil", "../../etc"},
	};
	struct fixture f;
	fixture_init(&f, evil, ARRAY_SIZE(evil), KVER);
	struct ctmod_install_result res;
	assert_true(ctmod_install(f.ctx, &f.o, &res) < 0);
	assert_non_null(strstr(ctmod_ctx_error(f.ctx), "symlink pointing outside the root"));
	/* the root it created for the install is gone again */
	assert_false(exists(f.dir, "root"));
	ctmod_install_result_release(&res);

	f.o.nsources = 0;
	assert_int_equal(ctmod_install(f.ctx, &f.o, &res), -EINVAL);
	fixture_release(&f);
}

static void test_conf_template(void **state)
{
	(void)state;
	char root[] = "/tmp/ctmod-conf.XXXXXX";
	assert_non_null(mkdtemp(root));
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, root, KVER), 0);
	char *t;
	assert_int_equal(ctmod_install_conf_template(ctx, &t), 0);
	assert_null(t); /* no file: no template */
	_cleanup_free_ char *etc = xasprintf("%s/etc/ctmod", root);
	assert_int_equal(mkdir_p(etc, 0755), 0);
	_cleanup_free_ char *conf = xasprintf("%s/ctmod.conf", etc);
	static const char txt[] =
	    "# x\nheaders-url-x = no\n  headers-url =  http://h/{kver}.tgz  \n";
	assert_int_equal(write_file_atomic(conf, txt, strlen(txt), 0644), 0);
	assert_int_equal(ctmod_install_conf_template(ctx, &t), 0);
	assert_string_equal(t, "http://h/{kver}.tgz");
	free(t);
	ctmod_ctx_free(ctx);
	assert_int_equal(rm_rf(root), 0);
}

static void test_fetch_local(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctmod-fetch.XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *p = xasprintf("%s/a b.tar", dir);
	assert_int_equal(write_file_atomic(p, "abc", 3, 0644), 0);
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, NULL, NULL), 0);
	struct ctmod_fetch_opts o = {0};
	struct ctmod_fetched f;
	assert_int_equal(ctmod_fetch(ctx, p, &o, NULL, &f), 0);
	assert_string_equal(f.path, p);
	assert_int_equal(f.size, 3);
	assert_false(f.downloaded);
	assert_string_equal(f.sha256,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(ctmod_fetch_commit(ctx, &f), 0); /* a local file: nothing to do */
	ctmod_fetched_release(&f);

	/* a file:// URL, percent-decoded; the expected digest in any case */
	_cleanup_free_ char *url = xasprintf("file://%s/a%%20b.tar", dir);
	o.sha256 = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
	assert_int_equal(ctmod_fetch(ctx, url, &o, NULL, &f), 0);
	assert_string_equal(f.path, p);
	ctmod_fetched_release(&f);

	o.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
	assert_int_equal(ctmod_fetch(ctx, p, &o, NULL, &f), -EBADMSG);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "SHA-256 mismatch"));
	ctmod_fetched_release(&f);
	o.sha256 = NULL;

	assert_int_equal(ctmod_fetch(ctx, dir, &o, NULL, &f), -EINVAL);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "not a regular file"));
	ctmod_fetched_release(&f);
	_cleanup_free_ char *none = xasprintf("%s/none.deb", dir);
	assert_int_equal(ctmod_fetch(ctx, none, &o, NULL, &f), -ENOENT);
	ctmod_fetched_release(&f);
	ctmod_ctx_free(ctx);
	assert_int_equal(rm_rf(dir), 0);
}

static void test_mkdir_tracked(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctmod-mkdir.XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *deep = xasprintf("%s/a/b/c", dir);
	_cleanup_strv_ struct strv created = STRV_INIT;
	assert_int_equal(mkdir_tracked(deep, 0755, &created), 0);
	assert_int_equal(created.n, 3); /* a, a/b, a/b/c: in the order made */
	assert_string_equal(created.v[2], deep);
	assert_true(exists(dir, "a/b/c"));
	/* again: nothing new */
	_cleanup_strv_ struct strv again = STRV_INIT;
	assert_int_equal(mkdir_tracked(deep, 0755, &again), 0);
	assert_int_equal(again.n, 0);
	/* a file in the middle keeps its directory on rollback */
	_cleanup_free_ char *keep = xasprintf("%s/a/keep", dir);
	assert_int_equal(write_file_atomic(keep, "", 0, 0644), 0);
	rmdirs_created(&created);
	assert_false(exists(dir, "a/b"));
	assert_true(exists(dir, "a/keep"));
	assert_int_equal(rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_install_bare_tree),
	    cmocka_unit_test(test_install_extras_depmod),
	    cmocka_unit_test(test_install_refused_keeps_root),
	    cmocka_unit_test(test_conf_template),
	    cmocka_unit_test(test_fetch_local),
	    cmocka_unit_test(test_mkdir_tracked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
