// SPDX-License-Identifier: GPL-2.0-or-later
/* The gate's sandboxed helper: what it can do, and what happens when it misbehaves. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "gate.h"
#include "jail.h"
#include "util.h"

static struct ctmod_ctx *new_ctx(void)
{
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, NULL, "6.1.0-1-amd64"), 0);
	return ctx;
}

static int tmpfile_with(const char *text)
{
	char path[] = "/tmp/ctmod-unit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return fd;
}

/* reads fd 0 and reports what else is open */
static int fn_echo(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
{
	(void)ctx;
	(void)arg;
	struct stat st;
	ssize_t n = pread(fd, out, outsz - 1, 0);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	/* nothing but 0 (module) and 1 (answer) */
	for (int i = 2; i < 64; i++)
		if (fstat(i, &st) == 0)
			return -EEXIST;
	return 0;
}

static int fn_fail(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
{
	(void)fd;
	(void)out;
	(void)outsz;
	(void)arg;
	return ctmod_fail_input(ctx, -ENOEXEC, NULL, "not a module, says the helper");
}

static int fn_hang(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
{
	(void)ctx;
	(void)fd;
	(void)out;
	(void)outsz;
	(void)arg;
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

static int fn_open(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
{
	(void)ctx;
	(void)fd;
	(void)arg;
	/* a subverted helper: no files to open, and a socket is fatal */
	if (open("/etc/passwd", O_RDONLY) >= 0)
		return -EEXIST;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	snprintf(out, outsz, "socket %d", s);
	return 0;
}

static int fn_crash(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
{
	(void)ctx;
	(void)fd;
	(void)out;
	(void)outsz;
	(void)arg;
	volatile int *p = NULL;
	return *p;
}

static int fn_hog(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
{
	(void)ctx;
	(void)fd;
	(void)arg;
	/* more than the helper's address-space limit: must fail, not succeed */
	size_t big = 4ul << 30;
	char *p = malloc(big);
	snprintf(out, outsz, "%s", p ? "got 4 GiB" : "refused");
	free(p);
	return 0;
}

static void test_jail_answers(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();
	int fd = tmpfile_with("name=hello");
	/* a stray descriptor of the supervisor must not reach the helper */
	int stray = open("/dev/null", O_RDONLY);
	char out[128];
	assert_int_equal(ctmod_jail_call(ctx, fd, 5, fn_echo, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "name=hello");

	assert_int_equal(ctmod_jail_call(ctx, fd, 5, fn_fail, NULL, out, sizeof(out)), -ENOEXEC);
	assert_string_equal(ctmod_ctx_error(ctx), "not a module, says the helper");
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	close(stray);
	close(fd);
	ctmod_ctx_free(ctx);
}

static void test_jail_misbehaves(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();
	int fd = tmpfile_with("x");
	char out[128];

	double t0 = now_seconds();
	assert_int_equal(ctmod_jail_call(ctx, fd, 0.3, fn_hang, NULL, out, sizeof(out)), -ETIME);
	assert_true(now_seconds() - t0 < 3);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "timed out"));

	assert_int_equal(ctmod_jail_call(ctx, fd, 5, fn_crash, NULL, out, sizeof(out)), -ECHILD);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "killed by"));

	int r = ctmod_jail_call(ctx, fd, 5, fn_open, NULL, out, sizeof(out));
	assert_int_equal(r, -ECHILD);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "forbidden system call"));

	r = ctmod_jail_call(ctx, fd, 5, fn_hog, NULL, out, sizeof(out));
	if (r == 0)
		assert_string_equal(out, "refused");
	else
		assert_int_equal(r, -ECHILD);
	close(fd);
	ctmod_ctx_free(ctx);
}

struct hang_arg {
	int fd;
	int r;
};

static void *hang_thread(void *p)
{
	struct hang_arg *a = p;
	struct ctmod_ctx *ctx = new_ctx();
	char out[16];
	a->r = ctmod_jail_call(ctx, a->fd, 2, fn_hang, NULL, out, sizeof(out));
	ctmod_ctx_free(ctx);
	return NULL;
}

/* A hanging helper of one request holds up no other request. */
static void test_jail_in_parallel(void **state)
{
	(void)state;
	struct hang_arg a = {.fd = tmpfile_with("y")};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, hang_thread, &a), 0);
	usleep(100 * 1000);
	struct ctmod_ctx *ctx = new_ctx();
	int fd = tmpfile_with("quick");
	char out[64];
	double t0 = now_seconds();
	assert_int_equal(ctmod_jail_call(ctx, fd, 5, fn_echo, NULL, out, sizeof(out)), 0);
	assert_true(now_seconds() - t0 < 1.0);
	assert_string_equal(out, "quick");
	pthread_join(t, NULL);
	assert_int_equal(a.r, -ETIME);
	close(fd);
	close(a.fd);
	ctmod_ctx_free(ctx);
}

static void test_module_name(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();
	char name[64];
	int fd = tmpfile_with("not an elf");
	assert_int_equal(ctmod_gate_module_name(ctx, fd, 0, 5, name, sizeof(name)), -ENOEXEC);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "not an ELF"));
	close(fd);
	ctmod_ctx_free(ctx);
}

static void test_state_parse(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();
	struct ctmod_gate_state st;
	/* what runc 1.1 sends (TESTBED.md), with the metadata */
	const char *runc = "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":4711,"
	                   "\"metadata\":\"allow=overlay\",\"state\":{\"ociVersion\":\"1.0.2\","
	                   "\"id\":\"web1\",\"status\":\"creating\",\"pid\":4711,"
	                   "\"bundle\":\"/run/b/web1\"}}";
	assert_int_equal(ctmod_gate_state_parse(ctx, runc, strlen(runc), &st), 0);
	assert_string_equal(st.id, "web1");
	assert_string_equal(st.bundle, "/run/b/web1");
	assert_string_equal(st.metadata, "allow=overlay");
	assert_int_equal(st.pid, 4711);
	assert_int_equal(st.seccomp_fd_index, 0);
	ctmod_gate_state_release(&st);
	/* no metadata, the fd second */
	const char *two = "{\"fds\":[\"other\",\"seccompFd\"],\"state\":{\"id\":\"x\"}}";
	assert_int_equal(ctmod_gate_state_parse(ctx, two, strlen(two), &st), 0);
	assert_null(st.metadata);
	assert_int_equal(st.seccomp_fd_index, 1);
	ctmod_gate_state_release(&st);
	/* refused: no seccompFd, not an object, cut short */
	const char *bad[] = {"{\"fds\":[]}", "[1,2]", "{\"fds\":[\"seccompFd\"", "", "nul\0l"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctmod_gate_state_parse(ctx, bad[i], strlen(bad[i]), &st), -EINVAL);
		assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	}
	ctmod_ctx_free(ctx);
}

static void test_metadata_parse(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();
	struct strv allow;
	char *policy;
	strv_init(&allow);
	assert_int_equal(
	    ctmod_gate_metadata_parse(ctx, "allow=overlay,nft-log policy=fs", &allow, &policy), 0);
	assert_int_equal(allow.n, 2);
	assert_string_equal(allow.v[0], "overlay");
	assert_string_equal(allow.v[1], "nft_log"); /* normalized */
	assert_string_equal(policy, "fs");
	free(policy);
	strv_release(&allow);
	assert_int_equal(ctmod_gate_metadata_parse(ctx, "", &allow, &policy), 0);
	assert_int_equal(allow.n, 0);
	assert_null(policy);
	const char *bad[] = {"widen=all", "allow=../x", "policy=a/b", "allow"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctmod_gate_metadata_parse(ctx, bad[i], &allow, &policy), -EINVAL);
		assert_null(policy);
		strv_release(&allow);
	}
	ctmod_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jail_answers),     cmocka_unit_test(test_jail_misbehaves),
	    cmocka_unit_test(test_jail_in_parallel), cmocka_unit_test(test_module_name),
	    cmocka_unit_test(test_state_parse),      cmocka_unit_test(test_metadata_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
