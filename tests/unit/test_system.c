// SPDX-License-Identifier: GPL-2.0-or-later
/* lib/depmod.c and lib/rootlock.c: the one depmod runner and the root's
 * lock, against the real depmod and flock(2). */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctx.h"
#include "depmod.h"
#include "rootlock.h"
#include "util.h"

#define KVER "6.1.0-99-amd64"

static void test_depmod_real(void **state)
{
	(void)state;
	char root[] = "/tmp/ctmod-depmod.XXXXXX";
	assert_non_null(mkdtemp(root));
	_cleanup_free_ char *mods = xasprintf("%s/lib/modules/%s", root, KVER);
	assert_int_equal(mkdir_p(mods, 0755), 0);
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, root, KVER), 0);
	/* an empty tree indexes fine: depmod writes modules.dep */
	assert_int_equal(ctmod_depmod_run(ctx, root, KVER, NULL), 0);
	_cleanup_free_ char *dep = xasprintf("%s/modules.dep", mods);
	struct stat st;
	assert_int_equal(stat(dep, &st), 0);

	/* no such kernel under the base: depmod's own complaint is the reason */
	assert_int_equal(ctmod_depmod_run(ctx, root, "0.0-none", "nothing was installed"), -EIO);
	const char *e = ctmod_ctx_error(ctx);
	_cleanup_free_ char *want = xasprintf("depmod -b %s 0.0-none failed: ", root);
	assert_memory_equal(e, want, strlen(want));
	assert_non_null(strstr(e, "0.0-none")); /* depmod names what it missed */
	assert_non_null(strstr(e, ": nothing was installed"));
	assert_non_null(strstr(ctmod_ctx_hint(ctx), "by hand"));
	ctmod_ctx_free(ctx);
	assert_int_equal(rm_rf(root), 0);
}

static void test_depmod_fake(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctmod-fakedepmod.XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *fake = xasprintf("%s/depmod", dir);
	static const char script[] = "#!/bin/sh\necho \"$*\" >\"${0%/*}/args\"\n"
	                             "echo noise\necho 'depmod: ERROR: bad index' >&2\nexit 3\n";
	assert_int_equal(write_file_atomic(fake, script, strlen(script), 0755), 0);
	char *path = getenv("PATH") ? xstrdup(getenv("PATH")) : xstrdup("/usr/bin");
	_cleanup_free_ char *newpath = xasprintf("%s:%s", dir, path);
	setenv("PATH", newpath, 1);

	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, NULL, KVER), 0);
	/* "" is the running system: -b / */
	assert_int_equal(ctmod_depmod_run(ctx, "", KVER, "the modules are not indexed"), -EIO);
	assert_string_equal(ctmod_ctx_error(ctx), "depmod -b / " KVER " failed: depmod: ERROR: "
	                                          "bad index: the modules are not indexed");
	_cleanup_free_ char *args = NULL, *argf = xasprintf("%s/args", dir);
	size_t len;
	assert_int_equal(read_file(argf, 4096, &args, &len), 0);
	assert_string_equal(args, "-a -b / " KVER "\n");

	/* silent failure: the exit status is the reason */
	static const char quiet[] = "#!/bin/sh\nexit 1\n";
	assert_int_equal(write_file_atomic(fake, quiet, strlen(quiet), 0755), 0);
	assert_int_equal(ctmod_depmod_run(ctx, "/r", KVER, NULL), -EIO);
	assert_string_equal(ctmod_ctx_error(ctx), "depmod -b /r " KVER " failed: exit status 1");
	ctmod_ctx_free(ctx);
	setenv("PATH", path, 1);
	free(path);
	assert_int_equal(rm_rf(dir), 0);
}

static int warnings;
static void count_log(void *data, int prio, const char *fmt, va_list ap)
{
	(void)data;
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (prio == CTMOD_LOG_WARNING && strstr(buf, "waiting for another ctmod install or build"))
		warnings++;
}

static void test_rootlock(void **state)
{
	(void)state;
	char root[] = "/tmp/ctmod-lock.XXXXXX";
	assert_non_null(mkdtemp(root));
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, root, KVER), 0);
	ctmod_ctx_set_log(ctx, count_log, NULL);
	ctmod_ctx_set_log_level(ctx, CTMOD_LOG_DEBUG);

	int fd = ctmod_rootlock_take(ctx, root);
	assert_true(fd >= 0);
	assert_int_equal(warnings, 0);
	/* another holder is refused while fd lives */
	int other = open(root, O_RDONLY | O_DIRECTORY);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);

	/* a second taker waits, and says so, until the first lets go */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd); /* the parent's copy still holds it */
		int r = ctmod_rootlock_take(ctx, root);
		_exit(r >= 0 && warnings == 1 ? 0 : 1);
	}
	usleep(200 * 1000);
	close(fd);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);

	_cleanup_free_ char *missing = xasprintf("%s/none", root);
	assert_int_equal(ctmod_rootlock_take(ctx, missing), -ENOENT);
	assert_non_null(strstr(ctmod_ctx_error(ctx), missing));
	ctmod_ctx_free(ctx);
	assert_int_equal(rm_rf(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_depmod_real),
	    cmocka_unit_test(test_depmod_fake),
	    cmocka_unit_test(test_rootlock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
