// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modinfo.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "dl.h"

struct ctmod_modinfo {
	char *data;  /* the section's bytes plus one NUL, so the last entry always ends */
	size_t size; /* the section's size, without that NUL */
};

static const char not_module_hint[] = "give a kernel module (.ko, .ko.gz, .ko.xz or .ko.zst)";

void ctmod_modinfo_free(struct ctmod_modinfo *mi)
{
	if (!mi)
		return;
	free(mi->data);
	free(mi);
}

/* The first .modinfo section the kernel would use: find_sec() wants SHF_ALLOC. */
static int find_modinfo(struct ctmod_ctx *ctx, Elf *e, size_t len, GElf_Shdr *out)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return ctmod_fail_input(ctx, -ENOEXEC, not_module_hint,
		                        "module image: no section name table: %s", elf_errmsg(-1));
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return ctmod_fail_input(ctx, -ENOEXEC, not_module_hint,
			                        "module image: bad section header: %s",
			                        elf_errmsg(-1));
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".modinfo") != 0 || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (sh.sh_type == SHT_NOBITS)
			return ctmod_fail_input(ctx, -ENOEXEC, not_module_hint,
			                        "module image: .modinfo has no contents");
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)
			return ctmod_fail_input(
			    ctx, -ENOEXEC, not_module_hint,
			    "module image: .modinfo (%ju bytes at %ju) lies beyond "
			    "the end of the file (%zu bytes)",
			    (uintmax_t)sh.sh_size, (uintmax_t)sh.sh_offset, len);
		if (sh.sh_size > CTMOD_MODINFO_MAX_SECTION)
			return ctmod_fail_input(
			    ctx, -ENOEXEC, not_module_hint,
			    "module image: .modinfo is %ju bytes, more than the "
			    "%u a module has",
			    (uintmax_t)sh.sh_size, CTMOD_MODINFO_MAX_SECTION);
		*out = sh;
		return 0;
	}
	return ctmod_fail_input(ctx, -ENOEXEC, not_module_hint,
	                        "module image: no .modinfo section");
}

int ctmod_modinfo_parse(struct ctmod_ctx *ctx, const void *image, size_t len,
                        struct ctmod_modinfo **out)
{
	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		if (ctmod_dl_fail(ctx, &ctmod_dl_elf, "module image") < 0)
			return -ELIBACC;
		return ctmod_fail(ctx, -ENOTSUP, NULL, "libelf: %s", elf_errmsg(-1));
	}
	/* ELF_C_READ_MEMORY never writes to the image; the cast is libelf's API */
	Elf *e = elf_memory((char *)image, len);
	if (!e)
		return ctmod_fail_input(ctx, -ENOEXEC, not_module_hint, "module image: %s",
		                        elf_errmsg(-1));
	int r;
	GElf_Ehdr eh;
	GElf_Shdr sh = {0};
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		r = ctmod_fail_input(ctx, -ENOEXEC, not_module_hint,
		                     "module image: not an ELF file");
		goto out;
	}
	if (eh.e_type != ET_REL) {
		r = ctmod_fail_input(ctx, -ENOEXEC, not_module_hint,
		                     "module image: ELF type %u, not a relocatable object",
		                     (unsigned)eh.e_type);
		goto out;
	}
	r = find_modinfo(ctx, e, len, &sh);
	if (r < 0)
		goto out;

	struct ctmod_modinfo *mi = calloc(1, sizeof(*mi));
	if (!mi || !(mi->data = malloc(sh.sh_size + 1))) {
		free(mi);
		r = ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
		goto out;
	}
	memcpy(mi->data, (const char *)image + sh.sh_offset, sh.sh_size);
	mi->data[sh.sh_size] = '\0';
	mi->size = sh.sh_size;
	*out = mi;
	r = 0;
out:
	elf_end(e);
	return r;
}

const char *ctmod_modinfo_next(const struct ctmod_modinfo *mi, const char *prev)
{
	const char *p = mi->data, *end = mi->data + mi->size;
	if (prev)
		p = prev + strlen(prev) + 1;
	/* entries are separated by one or more NULs (alignment padding) */
	while (p < end && *p == '\0')
		p++;
	return p < end ? p : NULL;
}

/* Anchored at the start of an entry, as the kernel's get_modinfo(): a value
 * that happens to contain "name=" does not count. */
const char *ctmod_modinfo_get(const struct ctmod_modinfo *mi, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = ctmod_modinfo_next(mi, NULL); p; p = ctmod_modinfo_next(mi, p))
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			return p + klen + 1;
	return NULL;
}

int ctmod_modinfo_get_all(const struct ctmod_modinfo *mi, const char *key, struct strv *values)
{
	size_t klen = strlen(key);
	for (const char *p = ctmod_modinfo_next(mi, NULL); p; p = ctmod_modinfo_next(mi, p))
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			strv_push(values, p + klen + 1);
	return 0;
}

int ctmod_modinfo_depends(const struct ctmod_modinfo *mi, struct strv *deps)
{
	const char *v = ctmod_modinfo_get(mi, "depends");
	while (v && *v) {
		size_t n = strcspn(v, ",");
		if (n > 0) {
			strv_push_take(deps, xstrndup(v, n));
		}
		v += n;
		if (*v == ',')
			v++;
	}
	return 0;
}

bool ctmod_modinfo_is_compressed(const void *data, size_t len)
{
	return compression_by_magic(data, len) != NULL;
}

static int too_big(struct ctmod_ctx *ctx, size_t max)
{
	return ctmod_fail_input(ctx, -EFBIG, not_module_hint,
	                        "module image: decompresses to more than %zu bytes", max);
}

/* the one entry of a raw archive, at most max bytes, into *out */
static int read_raw(struct ctmod_ctx *ctx, struct archive *a, size_t max, char **out,
                    size_t *outlen)
{
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			if (cap > max)
				return too_big(ctx, max);
			size_t ncap = cap ? cap * 2 : 1u << 20;
			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= cap)
				ncap = cap + 1;
			buf = xrealloc(buf, ncap);
			cap = ncap;
		}
		la_ssize_t got = archive_read_data(a, buf + n, cap - n);
		if (got < 0)
			return ctmod_fail_input(ctx, -ENOEXEC, not_module_hint,
			                        "module image: corrupt compressed data: %s",
			                        archive_error_string(a) ? archive_error_string(a)
			                                                : "?");
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max)
			return too_big(ctx, max);
	}
	*out = buf;
	*outlen = n;
	buf = NULL;
	return 0;
}

int ctmod_modinfo_decompress(struct ctmod_ctx *ctx, const void *in, size_t len, size_t max,
                             void **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (!ctmod_modinfo_is_compressed(in, len))
		return ctmod_fail_input(ctx, -ENOEXEC, not_module_hint,
		                        "module image: not gzip, xz or zstd data");
	struct archive *a = archive_read_new();
	if (!a) {
		if (ctmod_dl_fail(ctx, &ctmod_dl_archive, "module image") < 0)
			return -ELIBACC;
		oom();
	}
	/* only the three formats the kernel's own module decompressor knows */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);

	int r;
	char *buf = NULL;
	struct archive_entry *ent;
	if (archive_read_open_memory(a, in, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK)
		r = ctmod_fail_input(ctx, -ENOEXEC, not_module_hint, "module image: %s",
		                     archive_error_string(a) ? archive_error_string(a)
		                                             : "cannot decompress");
	/* one layer, as the kernel undoes one: the filter plus libarchive's "none" */
	else if (archive_filter_count(a) != 2)
		r = ctmod_fail_input(ctx, -ENOEXEC, not_module_hint,
		                     "module image: not a single gzip, xz or zstd stream");
	else
		r = read_raw(ctx, a, max, &buf, outlen);
	archive_read_free(a);
	*out = buf;
	return r;
}

/* Everything behind fd, from offset 0, at most max bytes. */
static int slurp_fd(struct ctmod_ctx *ctx, int fd, size_t max, char **out, size_t *outlen)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		return ctmod_fail(ctx, -e, NULL, "module file: %s", strerror(e));
	}
	bool seekable = S_ISREG(st.st_mode);
	if (seekable && (uintmax_t)st.st_size > max)
		return ctmod_fail_input(
		    ctx, -EFBIG, not_module_hint,
		    "module file: %jd bytes, more than the %zu a module may have",
		    (intmax_t)st.st_size, max);
	size_t cap = seekable ? (size_t)st.st_size + 1 : 1u << 16, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				return ctmod_fail_input(ctx, -EFBIG, not_module_hint,
				                        "module file: more than %zu bytes", max);
			}
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, ncap);
			cap = ncap;
		}
		ssize_t got =
		    seekable ? pread(fd, buf + n, cap - n, (off_t)n) : read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;
			free(buf);
			return ctmod_fail(ctx, -e, NULL, "module file: %s", strerror(e));
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		free(buf);
		return ctmod_fail_input(ctx, -EFBIG, not_module_hint,
		                        "module file: more than %zu bytes", max);
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int ctmod_modinfo_read_fd(struct ctmod_ctx *ctx, int fd, unsigned flags, struct ctmod_modinfo **out)
{
	*out = NULL;
	char *raw = NULL;
	size_t len = 0;
	bool mapped = false;
	struct stat st;
	/* a regular file is mapped, not copied: only the headers and .modinfo
	 * of a 20 MB module are ever touched (a file truncated under us raises
	 * SIGBUS, which is why untrusted files are read in a sandbox) */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size <= CTMOD_MODINFO_MAX_IMAGE) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			raw = p;
			len = (size_t)st.st_size;
			mapped = true;
		}
	}
	int r = mapped ? 0 : slurp_fd(ctx, fd, CTMOD_MODINFO_MAX_IMAGE, &raw, &len);
	if (r < 0)
		return r;
	if ((flags & CTMOD_MODINFO_COMPRESSED) ||
	    ((flags & CTMOD_MODINFO_DETECT) && ctmod_modinfo_is_compressed(raw, len))) {
		void *img;
		size_t imglen;
		r = ctmod_modinfo_decompress(ctx, raw, len, CTMOD_MODINFO_MAX_IMAGE, &img, &imglen);
		if (mapped)
			munmap(raw, len);
		else
			free(raw);
		if (r < 0)
			return r;
		raw = img;
		len = imglen;
		mapped = false;
	}
	r = ctmod_modinfo_parse(ctx, raw, len, out);
	if (mapped)
		munmap(raw, len);
	else
		free(raw);
	return r;
}

int ctmod_modinfo_read_file(struct ctmod_ctx *ctx, const char *path, struct ctmod_modinfo **out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return ctmod_fail(ctx, -e, "check the path", "%s: %s", path, strerror(e));
	}
	int r = ctmod_modinfo_read_fd(ctx, fd, CTMOD_MODINFO_DETECT, out);
	close(fd);
	if (r < 0) {
		/* name the file: the lower layers only know "module image" */
		char *msg = strdup(ctmod_ctx_error(ctx) ? ctmod_ctx_error(ctx) : "failed");
		char *hint = ctmod_ctx_hint(ctx) ? strdup(ctmod_ctx_hint(ctx)) : NULL;
		bool input = ctmod_ctx_err_class(ctx) == CTMOD_ERR_BAD_INPUT;
		const char *m = msg ? msg : "failed";
		if (strncmp(m, "module image: ", 14) == 0)
			m += 14;
		else if (strncmp(m, "module file: ", 13) == 0)
			m += 13;
		if (input)
			ctmod_fail_input(ctx, r, hint, "%s: %s", path, m);
		else
			ctmod_fail(ctx, r, hint, "%s: %s", path, m);
		free(msg);
		free(hint);
	}
	return r;
}
