// SPDX-License-Identifier: GPL-2.0-or-later
/* The shared helper layer (shared/): buffers, arrays, the process spawner,
 * the compression table, SHA-256. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "sha256.h"
#include "util.h"

static void test_strbuf(void **state)
{
	(void)state;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	assert_string_equal(strbuf_str(&sb), "");
	strbuf_puts(&sb, "abc");
	strbuf_putc(&sb, '-');
	strbuf_putn(&sb, "xyz", 2);
	strbuf_printf(&sb, "%d/%s", 42, "k");
	assert_string_equal(strbuf_str(&sb), "abc-xy42/k");
	assert_int_equal(sb.len, 10);
	/* past the first allocation, many times over */
	for (int i = 0; i < 1000; i++)
		strbuf_puts(&sb, "0123456789");
	assert_int_equal(sb.len, 10010);
	assert_int_equal(strlen(sb.buf), 10010);
	char *s = strbuf_steal(&sb);
	assert_int_equal(sb.len, 0);
	assert_null(sb.buf);
	assert_memory_equal(s, "abc-xy42/k0123", 14);
	free(s);
	/* stealing an empty buffer still hands over a string */
	s = strbuf_steal(&sb);
	assert_string_equal(s, "");
	free(s);
}

static void test_strv(void **state)
{
	(void)state;
	_cleanup_strv_ struct strv sv = STRV_INIT;
	assert_null(sv.v);
	char word[16];
	for (int i = 99; i >= 0; i--) {
		snprintf(word, sizeof(word), "w%02d", i);
		strv_push(&sv, word);
	}
	strv_push_take(&sv, xstrdup("a"));
	assert_int_equal(sv.n, 101);
	assert_null(sv.v[sv.n]); /* an argv: NULL-terminated */
	assert_true(strv_contains(&sv, "w42"));
	assert_false(strv_contains(&sv, "w100"));
	strv_sort(&sv);
	assert_string_equal(sv.v[0], "a");
	assert_string_equal(sv.v[1], "w00");
	assert_string_equal(sv.v[100], "w99");
	strv_release(&sv);
	assert_int_equal(sv.n, 0);
	assert_null(sv.v);
}

static void test_strv_sort_with(void **state)
{
	(void)state;
	_cleanup_strv_ struct strv names = STRV_INIT, paths = STRV_INIT;
	static const char *const in[][2] = {
	    {"b.conf", "/etc/b.conf"}, {"a.conf", "/usr/lib/a.conf"}, {"c.conf", "/run/c.conf"}};
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		strv_push(&names, in[i][0]);
		strv_push(&paths, in[i][1]);
	}
	strv_sort_with(&names, &paths);
	assert_string_equal(names.v[0], "a.conf");
	assert_string_equal(paths.v[0], "/usr/lib/a.conf");
	assert_string_equal(names.v[1], "b.conf");
	assert_string_equal(paths.v[1], "/etc/b.conf");
	assert_string_equal(paths.v[2], "/run/c.conf");
}

struct pair {
	int a;
	char b;
};

static void test_array(void **state)
{
	(void)state;
	struct pair *v = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 1000; i++) {
		struct pair *p = ARRAY_PUSH(v, n, cap);
		assert_int_equal(p->a, 0); /* zeroed */
		p->a = i;
	}
	assert_int_equal(n, 1000);
	assert_true(cap >= 1000 && cap < 2048);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v[i].a, i);
	size_t before = cap;
	ARRAY_RESERVE(v, cap, 10); /* less than there is: nothing moves */
	assert_int_equal(cap, before);
	free(v);
}

static void test_xalloc(void **state)
{
	(void)state;
	char *s = xasprintf("%s-%d", "k", 6);
	assert_string_equal(s, "k-6");
	free(s);
	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	int *z = xcalloc(4, sizeof(int));
	assert_int_equal(z[0] | z[1] | z[2] | z[3], 0);
	free(z);
}

static void test_compression_table(void **state)
{
	(void)state;
	size_t n;
	const struct compression *t = compression_table(&n);
	assert_int_equal(n, 3);
	assert_ptr_equal(compression_by_suffix("kernel/fs/btrfs/btrfs.ko.zst"), &t[1]);
	assert_string_equal(compression_by_suffix(".xz")->name, "xz");
	assert_string_equal(compression_by_suffix("a.ko.gz")->config,
	                    "CONFIG_MODULE_COMPRESS_GZIP");
	assert_null(compression_by_suffix("a.ko"));
	assert_null(compression_by_suffix("a.ko.bz2"));

	static const unsigned char xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00, 0x00};
	static const unsigned char gz[] = {0x1f, 0x8b, 0x08};
	static const unsigned char zs[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00};
	static const unsigned char elf[] = {0x7f, 'E', 'L', 'F'};
	assert_string_equal(compression_by_magic(xz, sizeof(xz))->suffix, ".xz");
	assert_string_equal(compression_by_magic(gz, sizeof(gz))->suffix, ".gz");
	assert_string_equal(compression_by_magic(zs, sizeof(zs))->suffix, ".zst");
	assert_null(compression_by_magic(elf, sizeof(elf)));
	assert_null(compression_by_magic(xz, 3)); /* too short to tell */

	assert_string_equal(
	    compression_by_config("#\nCONFIG_X=y\nCONFIG_MODULE_COMPRESS_ZSTD=y\n")->name, "zstd");
	assert_null(compression_by_config("#\n# CONFIG_MODULE_COMPRESS_XZ is not set\n"));
	assert_null(compression_by_config("\nCONFIG_MODULE_COMPRESS_NONE=y\n"));
	for (size_t i = 0; i < n; i++) {
		assert_non_null(t[i].compress_argv[0]);
		assert_true(t[i].kernel_decompresses);
	}
}

static void test_module_suffix(void **state)
{
	(void)state;
	assert_string_equal(module_suffix("kernel/a/b.ko"), ".ko");
	assert_string_equal(module_suffix("/x/v4l2loopback.ko.xz"), ".ko.xz");
	assert_string_equal(module_suffix("b.ko.zst"), ".ko.zst");
	assert_null(module_suffix(".ko"));      /* no stem */
	assert_null(module_suffix("a/.ko.gz")); /* no stem */
	assert_null(module_suffix("b.ko.bz2")); /* not a suffix the kernel knows */
	assert_null(module_suffix("b.kobj"));
	assert_null(module_suffix("b.o"));
	assert_null(module_suffix("b.ko/c"));
}

static void test_sha256(void **state)
{
	(void)state;
	char hex[65];
	/* FIPS 180-2's "abc" vector */
	assert_int_equal(sha256_hex("abc", 3, hex), 0);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sha256_hex("", 0, hex), 0);
	assert_string_equal(hex,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	char path[] = "/tmp/ctmod-sha.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, "abc", 3), 3);
	lseek(fd, 0, SEEK_SET);
	char hex2[65];
	assert_int_equal(sha256_fd_hex(fd, hex2), 0);
	assert_string_equal(hex2,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	close(fd);
	assert_int_equal(sha256_fd_hex(-1, hex2), -EBADF);
}

static void test_spawn(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctmod-spawn.XXXXXX";
	assert_non_null(mkdtemp(dir));

	char *exit3[] = {"sh", "-c", "exit 3", NULL};
	assert_int_equal(spawn_run(exit3, NULL), 3);
	char *killed[] = {"sh", "-c", "kill -9 $$", NULL};
	assert_int_equal(spawn_run(killed, NULL), 128 + 9);
	char *missing[] = {"ctmod-no-such-program", NULL};
	assert_int_equal(spawn_run(missing, NULL), 127);

	/* cwd, stdout to a file, fd 3 */
	_cleanup_free_ char *out = xasprintf("%s/out", dir);
	char tmpl[] = "/tmp/ctmod-fd3.XXXXXX";
	int fd3 = mkstemp(tmpl);
	assert_true(fd3 >= 0);
	unlink(tmpl);
	struct spawn_opts o = SPAWN_OPTS_INIT;
	o.cwd = dir;
	o.out_path = out;
	o.fd3 = fd3;
	char *sh[] = {"sh", "-c", "pwd; echo three >&3; read x || echo eof", NULL};
	assert_int_equal(spawn_run(sh, &o), 0);
	_cleanup_free_ char *txt = NULL;
	size_t len;
	assert_int_equal(read_file(out, 4096, &txt, &len), 0);
	_cleanup_free_ char *want = xasprintf("%s\neof\n", dir);
	assert_string_equal(txt, want); /* stdin was /dev/null */
	char buf[16] = "";
	assert_int_equal(pread(fd3, buf, sizeof(buf) - 1, 0), 6);
	assert_string_equal(buf, "three\n");
	close(fd3);

	/* run_process: the same spawner, stdout and stderr to fds */
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	char *both[] = {"sh", "-c", "echo o; echo e >&2", NULL};
	assert_int_equal(run_process(both, NULL, -1, pfd[1], pfd[1]), 0);
	close(pfd[1]);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(pfd[0], buf, sizeof(buf) - 1), 4);
	assert_string_equal(buf, "o\ne\n");
	close(pfd[0]);

	/* a missing cwd: it does not start */
	struct spawn_opts bad = SPAWN_OPTS_INIT;
	bad.cwd = "/nonexistent/ctmod";
	char *t[] = {"true", NULL};
	assert_int_not_equal(spawn_run(t, &bad), 0);
	assert_int_equal(rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strbuf),         cmocka_unit_test(test_strv),
	    cmocka_unit_test(test_strv_sort_with), cmocka_unit_test(test_array),
	    cmocka_unit_test(test_xalloc),         cmocka_unit_test(test_compression_table),
	    cmocka_unit_test(test_module_suffix),  cmocka_unit_test(test_sha256),
	    cmocka_unit_test(test_spawn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
