/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The .modinfo section of a kernel module: name=, vermagic=, depends= and
 * the rest, read from a plain or compressed (.ko.gz/.xz/.zst) ELF file.
 *
 * The bytes may come from an untrusted source (a container's finit_module
 * call), so every offset and size is checked against the image, a lookup
 * matches a key only at the start of a NUL-separated entry exactly as the
 * kernel's get_modinfo() does, and decompression stops at a size limit.
 * Callers that handle hostile files still run this in a sandbox (gate.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "util.h"

struct ctmod_modinfo;

/* Largest module image (after decompression) we agree to look at. */
#define CTMOD_MODINFO_MAX_IMAGE (256u << 20)
/* Largest .modinfo section; real ones are a few KiB (amdgpu: ~100 KiB). */
#define CTMOD_MODINFO_MAX_SECTION (1u << 20)

enum {
	/* the image is compressed (finit_module's MODULE_INIT_COMPRESSED_FILE):
	 * gzip, xz or zstd, told apart by their magic */
	CTMOD_MODINFO_COMPRESSED = 1 << 0,
	/* decompress when the magic says so (reading a .ko.* from disk) */
	CTMOD_MODINFO_DETECT = 1 << 1,
};

/*
 * Parse the .modinfo section of the ELF image IMAGE (LEN bytes, not
 * compressed).  -ENOEXEC (bad input) when it is not an ELF relocatable
 * object, the section is missing, out of bounds or larger than
 * CTMOD_MODINFO_MAX_SECTION.
 */
int ctmod_modinfo_parse(struct ctmod_ctx *ctx, const void *image, size_t len,
                        struct ctmod_modinfo **out);

/* Whether DATA starts with the magic of a compression we can undo. */
bool ctmod_modinfo_is_compressed(const void *data, size_t len);

/*
 * Decompress a gzip, xz or zstd image into a malloc'd buffer of at most MAX
 * bytes.  -ENOEXEC when the data is not in one of those formats or corrupt,
 * -EFBIG when the output would exceed MAX.
 */
int ctmod_modinfo_decompress(struct ctmod_ctx *ctx, const void *in, size_t len, size_t max,
                             void **out, size_t *outlen);

/*
 * Read the module behind FD from offset 0 with pread() (the file offset,
 * which a caller's process may share, is left alone), at most
 * CTMOD_MODINFO_MAX_IMAGE bytes, decompress according to FLAGS and parse.
 */
int ctmod_modinfo_read_fd(struct ctmod_ctx *ctx, int fd, unsigned flags,
                          struct ctmod_modinfo **out);
/* The same for a path (compression detected by magic). */
int ctmod_modinfo_read_file(struct ctmod_ctx *ctx, const char *path, struct ctmod_modinfo **out);

void ctmod_modinfo_free(struct ctmod_modinfo *mi);

/* The value of the first entry KEY=..., or NULL. */
const char *ctmod_modinfo_get(const struct ctmod_modinfo *mi, const char *key);
/* Every value of KEY (alias=, softdep=, parm=...), in section order. */
int ctmod_modinfo_get_all(const struct ctmod_modinfo *mi, const char *key, struct strv *values);
/* Entries one by one: pass NULL first, then the previous entry; NULL at the end. */
const char *ctmod_modinfo_next(const struct ctmod_modinfo *mi, const char *prev);

static inline const char *ctmod_modinfo_name(const struct ctmod_modinfo *mi)
{
	return ctmod_modinfo_get(mi, "name");
}
static inline const char *ctmod_modinfo_vermagic(const struct ctmod_modinfo *mi)
{
	return ctmod_modinfo_get(mi, "vermagic");
}
/* depends= split at commas (an empty list for "depends=" or none). */
int ctmod_modinfo_depends(const struct ctmod_modinfo *mi, struct strv *deps);
