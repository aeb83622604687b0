// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "modinfo.h"
#include "util.h"

/*
 * A minimal ELF64 relocatable object: null section, .modinfo (with the given
 * contents and flags), .shstrtab.  pad bytes of zeros follow the contents so
 * a test can make an image of a given size.
 */
struct image {
	unsigned char *buf;
	size_t len;
	Elf64_Shdr *modinfo; /* points into buf, to corrupt it */
	Elf64_Ehdr *eh;
};

static struct image make_elf(const char *info, size_t infolen, uint64_t flags, size_t pad)
{
	static const char shstr[] = "\0.modinfo\0.shstrtab\0";
	size_t off_info = sizeof(Elf64_Ehdr);
	size_t off_str = off_info + infolen + pad;
	size_t off_sh = (off_str + sizeof(shstr) + 7) & ~(size_t)7;
	size_t len = off_sh + 3 * sizeof(Elf64_Shdr);
	unsigned char *b = calloc(1, len);
	assert_non_null(b);

	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_REL;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_shoff = off_sh;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 3;
	eh->e_shstrndx = 2;
	memcpy(b + off_info, info, infolen);
	memcpy(b + off_str, shstr, sizeof(shstr));

	Elf64_Shdr *sh = (Elf64_Shdr *)(b + off_sh);
	sh[1].sh_name = 1;
	sh[1].sh_type = SHT_PROGBITS;
	sh[1].sh_flags = flags;
	sh[1].sh_offset = off_info;
	sh[1].sh_size = infolen;
	sh[1].sh_addralign = 1;
	sh[2].sh_name = 10;
	sh[2].sh_type = SHT_STRTAB;
	sh[2].sh_offset = off_str;
	sh[2].sh_size = sizeof(shstr);
	sh[2].sh_addralign = 1;
	return (struct image){b, len, &sh[1], eh};
}

#define ELF_WITH(s) make_elf(s, sizeof(s) - 1, SHF_ALLOC, 0)

static struct ctmod_ctx *new_ctx(void)
{
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, NULL, "6.1.0-1-amd64"), 0);
	return ctx;
}

static void test_name_is_anchored(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();
	/* LXD's unanchored search would find "name=evil" inside the description */
	struct image im =
	    ELF_WITH("description=x name=evil\0\0\0xname=bad\0name=good\0name=second\0"
	             "vermagic=6.1.0-1-amd64 SMP mod_unload\0depends=a,,b\0alias=fs-x\0"
	             "alias=char-major-1\0");
	struct ctmod_modinfo *mi;
	assert_int_equal(ctmod_modinfo_parse(ctx, im.buf, im.len, &mi), 0);
	assert_string_equal(ctmod_modinfo_name(mi), "good");
	assert_string_equal(ctmod_modinfo_vermagic(mi), "6.1.0-1-amd64 SMP mod_unload");
	assert_null(ctmod_modinfo_get(mi, "nam"));
	assert_null(ctmod_modinfo_get(mi, "license"));

	struct strv sv;
	strv_init(&sv);
	assert_int_equal(ctmod_modinfo_depends(mi, &sv), 0);
	assert_int_equal(sv.n, 2);
	assert_string_equal(sv.v[0], "a");
	assert_string_equal(sv.v[1], "b");
	strv_release(&sv);
	strv_init(&sv);
	assert_int_equal(ctmod_modinfo_get_all(mi, "alias", &sv), 0);
	assert_int_equal(sv.n, 2);
	assert_string_equal(sv.v[1], "char-major-1");
	strv_release(&sv);

	size_t n = 0;
	for (const char *p = ctmod_modinfo_next(mi, NULL); p; p = ctmod_modinfo_next(mi, p))
		n++;
	assert_int_equal(n, 8);
	ctmod_modinfo_free(mi);
	free(im.buf);
	ctmod_ctx_free(ctx);
}

static void test_unterminated_last_entry(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();
	/* no trailing NUL: the value ends with the section, never reads past it */
	struct image im = make_elf("license=GPL\0name=tail", 21, SHF_ALLOC, 0);
	struct ctmod_modinfo *mi;
	assert_int_equal(ctmod_modinfo_parse(ctx, im.buf, im.len, &mi), 0);
	assert_string_equal(ctmod_modinfo_name(mi), "tail");
	struct strv sv;
	strv_init(&sv);
	assert_int_equal(ctmod_modinfo_depends(mi, &sv), 0);
	assert_int_equal(sv.n, 0);
	strv_release(&sv);
	ctmod_modinfo_free(mi);
	free(im.buf);
	ctmod_ctx_free(ctx);
}

static void expect_bad(struct ctmod_ctx *ctx, const void *buf, size_t len, int err, const char *msg)
{
	struct ctmod_modinfo *mi = (void *)1;
	assert_int_equal(ctmod_modinfo_parse(ctx, buf, len, &mi), err);
	assert_null(mi);
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	if (!strstr(ctmod_ctx_error(ctx), msg))
		fail_msg("error '%s' lacks '%s'", ctmod_ctx_error(ctx), msg);
	ctmod_ctx_clear_error(ctx);
}

static void test_malformed(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();

	expect_bad(ctx, "hello", 5, -ENOEXEC, "not an ELF");
	expect_bad(ctx, "", 0, -ENOEXEC, "");

	struct image im = ELF_WITH("name=x\0");
	/* truncated: section headers cut off, then only the ELF header left */
	expect_bad(ctx, im.buf, im.len - 10, -ENOEXEC, "");
	expect_bad(ctx, im.buf, 40, -ENOEXEC, "");

	/* an executable, not a module */
	im.eh->e_type = ET_EXEC;
	expect_bad(ctx, im.buf, im.len, -ENOEXEC, "not a relocatable");
	im.eh->e_type = ET_REL;

	/* .modinfo beyond the end of the file, and a size that wraps */
	im.modinfo->sh_offset = im.len - 2;
	expect_bad(ctx, im.buf, im.len, -ENOEXEC, "beyond the end");
	im.modinfo->sh_offset = sizeof(Elf64_Ehdr);
	im.modinfo->sh_size = UINT64_MAX - 8;
	expect_bad(ctx, im.buf, im.len, -ENOEXEC, "beyond the end");
	im.modinfo->sh_size = 7;

	/* the kernel only looks at an allocated .modinfo */
	im.modinfo->sh_flags = 0;
	expect_bad(ctx, im.buf, im.len, -ENOEXEC, "no .modinfo");
	im.modinfo->sh_flags = SHF_ALLOC;
	im.modinfo->sh_type = SHT_NOBITS;
	expect_bad(ctx, im.buf, im.len, -ENOEXEC, "no contents");
	free(im.buf);

	/* a .modinfo within the file but larger than any module has */
	size_t big = CTMOD_MODINFO_MAX_SECTION + 4096;
	char *info = calloc(1, big);
	assert_non_null(info);
	memcpy(info, "name=big", 8);
	im = make_elf(info, big, SHF_ALLOC, 0);
	expect_bad(ctx, im.buf, im.len, -ENOEXEC, "more than");
	free(im.buf);
	free(info);
	ctmod_ctx_free(ctx);
}

/* compress with libarchive's writer: "raw" format, one filter */
static void *compress_buf(const void *in, size_t len, int filter, size_t *outlen)
{
	size_t cap = len + 65536;
	void *out = malloc(cap);
	assert_non_null(out);
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, out, cap, outlen), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "m.ko");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, in, len), (la_ssize_t)len);
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return out;
}

static int write_tmp(const void *buf, size_t len, char *path)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	return fd;
}

static void test_compressed(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();
	struct image im = ELF_WITH("name=packed\0vermagic=6.1\0");
	const int filters[] = {ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_XZ, ARCHIVE_FILTER_ZSTD};
	for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
		size_t clen;
		void *c = compress_buf(im.buf, im.len, filters[i], &clen);
		assert_true(ctmod_modinfo_is_compressed(c, clen));
		char path[] = "/tmp/ctmod-unit-XXXXXX";
		int fd = write_tmp(c, clen, path);
		/* the file offset is shared with a caller: reading must not move it */
		assert_int_equal(lseek(fd, 3, SEEK_SET), 3);

		struct ctmod_modinfo *mi;
		assert_int_equal(ctmod_modinfo_read_fd(ctx, fd, CTMOD_MODINFO_COMPRESSED, &mi), 0);
		assert_string_equal(ctmod_modinfo_name(mi), "packed");
		ctmod_modinfo_free(mi);
		assert_int_equal(lseek(fd, 0, SEEK_CUR), 3);
		assert_int_equal(ctmod_modinfo_read_file(ctx, path, &mi), 0);
		assert_string_equal(ctmod_modinfo_name(mi), "packed");
		ctmod_modinfo_free(mi);
		/* without MODULE_INIT_COMPRESSED_FILE the kernel would see no ELF */
		assert_int_equal(ctmod_modinfo_read_fd(ctx, fd, 0, &mi), -ENOEXEC);

		/* a limit on the output: a bomb stops there */
		void *out;
		size_t outlen;
		assert_int_equal(ctmod_modinfo_decompress(ctx, c, clen, 64, &out, &outlen), -EFBIG);
		assert_null(out);
		/* corrupt or cut-off stream */
		assert_int_equal(ctmod_modinfo_decompress(ctx, c, clen / 2, 1 << 20, &out, &outlen),
		                 -ENOEXEC);

		/* two layers: the kernel undoes one */
		size_t c2len;
		void *c2 = compress_buf(c, clen, filters[i], &c2len);
		assert_int_equal(ctmod_modinfo_decompress(ctx, c2, c2len, 1 << 20, &out, &outlen),
		                 -ENOEXEC);
		free(c2);
		close(fd);
		unlink(path);
		free(c);
	}
	/* the flag on an uncompressed image */
	char path[] = "/tmp/ctmod-unit-XXXXXX";
	int fd = write_tmp(im.buf, im.len, path);
	struct ctmod_modinfo *mi;
	assert_int_equal(ctmod_modinfo_read_fd(ctx, fd, CTMOD_MODINFO_COMPRESSED, &mi), -ENOEXEC);
	assert_int_equal(ctmod_modinfo_read_fd(ctx, fd, CTMOD_MODINFO_DETECT, &mi), 0);
	ctmod_modinfo_free(mi);
	close(fd);
	unlink(path);
	free(im.buf);
	ctmod_ctx_free(ctx);
}

static void test_large_output(void **state)
{
	(void)state;
	struct ctmod_ctx *ctx = new_ctx();
	/* > 1 MiB, so the output buffer has to grow */
	struct image im = make_elf("name=large\0", 11, SHF_ALLOC, 3u << 20);
	size_t clen;
	void *c = compress_buf(im.buf, im.len, ARCHIVE_FILTER_GZIP, &clen);
	void *out;
	size_t outlen;
	assert_int_equal(
	    ctmod_modinfo_decompress(ctx, c, clen, CTMOD_MODINFO_MAX_IMAGE, &out, &outlen), 0);
	assert_int_equal(outlen, im.len);
	assert_memory_equal(out, im.buf, im.len);
	free(out);
	assert_int_equal(ctmod_modinfo_decompress(ctx, c, clen, im.len, &out, &outlen), 0);
	free(out);
	assert_int_equal(ctmod_modinfo_decompress(ctx, c, clen, im.len - 1, &out, &outlen), -EFBIG);
	free(c);
	free(im.buf);
	ctmod_ctx_free(ctx);
}

/* Real modules of the Debian kernel, when scripts/test-kernel has cached them. */
static void test_real_modules(void **state)
{
	(void)state;
	char *cur = NULL, *kver = NULL, *kroot = NULL;
	const char *cache = getenv("CTMOD_TEST_CACHE"), *home = getenv("HOME");
	char *p;
	if (cache)
		assert_true(asprintf(&p, "%s/current", cache) > 0);
	else
		assert_true(asprintf(&p, "%s/.cache/ctmod-test/current", home ? home : "/root") >
		            0);
	size_t len;
	if (read_file(p, 1 << 16, &cur, &len) < 0) {
		free(p);
		skip();
	}
	free(p);
	for (char *line = strtok(cur, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "KVER=", 5) == 0)
			kver = line + 5;
		else if (strncmp(line, "KROOT=", 6) == 0)
			kroot = line + 6;
	}
	assert_non_null(kver);
	assert_non_null(kroot);
	struct ctmod_ctx *ctx = new_ctx();
	static const struct {
		const char *path, *name, *depends;
	} mods[] = {
	    {"kernel/net/netfilter/nft_log.ko", "nft_log", "nf_tables"},
	    {"kernel/fs/overlayfs/overlay.ko", "overlay", ""},
	    {"kernel/fs/btrfs/btrfs.ko", "btrfs", "zstd_compress"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		char *ko;
		assert_true(asprintf(&ko, "%s/lib/modules/%s/%s", kroot, kver, mods[i].path) > 0);
		struct ctmod_modinfo *mi;
		int r = ctmod_modinfo_read_file(ctx, ko, &mi);
		if (r < 0)
			fail_msg("%s: %s", ko, ctmod_ctx_error(ctx));
		assert_string_equal(ctmod_modinfo_name(mi), mods[i].name);
		assert_non_null(ctmod_modinfo_vermagic(mi));
		assert_true(strncmp(ctmod_modinfo_vermagic(mi), kver, strlen(kver)) == 0);
		struct strv deps;
		strv_init(&deps);
		assert_int_equal(ctmod_modinfo_depends(mi, &deps), 0);
		if (*mods[i].depends)
			assert_true(strv_contains(&deps, mods[i].depends));
		else
			assert_int_equal(deps.n, 0);
		strv_release(&deps);
		ctmod_modinfo_free(mi);
		free(ko);
	}
	ctmod_ctx_free(ctx);
	free(cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_is_anchored), cmocka_unit_test(test_unterminated_last_entry),
	    cmocka_unit_test(test_malformed),        cmocka_unit_test(test_compressed),
	    cmocka_unit_test(test_large_output),     cmocka_unit_test(test_real_modules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
