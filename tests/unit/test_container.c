// SPDX-License-Identifier: GPL-2.0-or-later
/* The engine command line of build --container (lib/container.c). */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "ctx.h"
#include "util.h"

static char *joined(const struct strv *v)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < v->n; i++)
		strbuf_printf(&sb, "%s%s", i ? " " : "", v->v[i]);
	return strbuf_steal(&sb);
}

static void test_plan_under_root(void **state)
{
	(void)state;
	char root[] = "/tmp/ctmod-unit-ctr.XXXXXX", rp[PATH_MAX];
	assert_non_null(mkdtemp(root));
	assert_non_null(realpath(root, rp));
	char *kb, *dkms;
	assert_true(asprintf(&kb, "%s/usr/lib/linux-kbuild-6.1", rp) > 0);
	assert_true(asprintf(&dkms, "%s/etc/dkms", rp) > 0);
	assert_int_equal(mkdir_p(kb, 0755), 0);
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, root, "6.1.0-1-amd64"), 0);
	char *argv[] = {"build",  "-v", "--container", "docker:img:1",
	                "--json", "-n", "a/1",         "--image-layout=/out",
	                NULL};
	struct ctmod_container c;
	assert_int_equal(
	    ctmod_container_plan(ctx, "docker:img:1", "6.1.0-1-amd64", true, 8, argv, &c), 0);
	assert_string_equal(c.engine, "docker");
	assert_string_equal(c.image, "img:1");
	char *got = joined(&c.argv), *want;
	/* -v, -n, --container and the build's --json are dropped; --json goes in once, globally */
	assert_true(
	    asprintf(&want,
	             "docker run --rm --privileged -v %s/usr/src:/usr/src -v "
	             "%s/lib/modules:/lib/modules -v %s/var/lib/ctmod:/var/lib/ctmod -v "
	             "%s:/usr/lib/linux-kbuild-6.1:ro -v /out:/out --entrypoint ctmod img:1 "
	             "-S 6.1.0-1-amd64 --json build a/1 --image-layout /out",
	             rp, rp, rp, kb) > 0);
	assert_string_equal(got, want);
	/* only the ctmod tree and the layout are made before a run, never /usr/src */
	assert_int_equal(c.mkdirs.n, 2);
	assert_true(strstr(c.mkdirs.v[0], "/var/lib/ctmod") != NULL);
	assert_string_equal(c.mkdirs.v[1], "/out");
	free(got);
	free(want);
	ctmod_container_release(&c);

	/* /etc/dkms goes in once it exists; the default image */
	assert_int_equal(mkdir_p(dkms, 0755), 0);
	char *argv2[] = {"build", "a/1", NULL};
	assert_int_equal(ctmod_container_plan(ctx, "podman", NULL, false, 2, argv2, &c), 0);
	got = joined(&c.argv);
	assert_non_null(strstr(got, "/etc/dkms:/etc/dkms "));
	assert_non_null(strstr(got, " --entrypoint ctmod " CTMOD_CONTAINER_IMAGE " build a/1"));
	assert_null(strstr(got, " -S "));
	free(got);
	ctmod_container_release(&c);
	ctmod_ctx_free(ctx);
	assert_int_equal(rm_rf(root), 0);
	free(kb);
	free(dkms);
}

static void test_unknown_engine(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, NULL, "6.1.0-1-amd64"), 0);
	char *argv[] = {"build", "a/1", NULL};
	struct ctmod_container c;
	assert_int_equal(ctmod_container_plan(ctx, "lxc:img", NULL, false, 2, argv, &c), -EINVAL);
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "unknown engine 'lxc'"));
	ctmod_container_release(&c);
	/* an empty image after the colon: the default */
	assert_int_equal(ctmod_container_plan(ctx, "podman:", NULL, false, 2, argv, &c), 0);
	assert_string_equal(c.image, CTMOD_CONTAINER_IMAGE);
	ctmod_container_release(&c);
	ctmod_ctx_free(ctx);
}

static void test_engine_missing(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, NULL, "6.1.0-1-amd64"), 0);
	char *argv[] = {"build", "a/1", NULL};
	struct ctmod_container c;
	assert_int_equal(ctmod_container_plan(ctx, "system-docker", NULL, false, 2, argv, &c), 0);
	const char *path = getenv("PATH");
	char *saved = path ? strdup(path) : NULL;
	setenv("PATH", "/nonexistent", 1);
	int st = -1;
	assert_int_equal(ctmod_container_run(ctx, &c, &st), -ENOENT);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "system-docker: not found in PATH"));
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_FAILED);
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
	ctmod_container_release(&c);
	ctmod_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_under_root),
	    cmocka_unit_test(test_unknown_engine),
	    cmocka_unit_test(test_engine_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
