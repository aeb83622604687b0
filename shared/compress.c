// SPDX-License-Identifier: LGPL-2.1-or-later
#include "compress.h"

#include <archive.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

static const unsigned char gz_magic[] = {0x1f, 0x8b};
static const unsigned char xz_magic[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
static const unsigned char zst_magic[] = {0x28, 0xb5, 0x2f, 0xfd};

/* the kernel's in-kernel xz decoder wants CRC32 and a dict <= 1 MiB */
static const char *const xz_argv[] = {"xz", "--check=crc32", "--lzma2=dict=1MiB", "-c", NULL};
static const char *const zst_argv[] = {"zstd", "-q", "-T0", "-c", NULL};
static const char *const gz_argv[] = {"gzip", "-9", "-n", "-c", NULL};

/* in DKMS's order of preference when a .config names several */
static const struct compression table[] = {
    {"xz", ".xz", xz_magic, sizeof(xz_magic), ARCHIVE_FILTER_XZ, "CONFIG_MODULE_COMPRESS_XZ",
     xz_argv, true},
    {"zstd", ".zst", zst_magic, sizeof(zst_magic), ARCHIVE_FILTER_ZSTD,
     "CONFIG_MODULE_COMPRESS_ZSTD", zst_argv, true},
    {"gzip", ".gz", gz_magic, sizeof(gz_magic), ARCHIVE_FILTER_GZIP, "CONFIG_MODULE_COMPRESS_GZIP",
     gz_argv, true},
};

const struct compression *compression_table(size_t *n)
{
	*n = ARRAY_SIZE(table);
	return table;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

const struct compression *compression_by_suffix(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (ends_with(path, table[i].suffix))
			return &table[i];
	return NULL;
}

const struct compression *compression_by_magic(const void *data, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (len >= table[i].magic_len &&
		    memcmp(data, table[i].magic, table[i].magic_len) == 0)
			return &table[i];
	return NULL;
}

const struct compression *compression_by_config(const char *txt)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		char want[64];
		snprintf(want, sizeof(want), "\n%s=y", table[i].config);
		if (strstr(txt, want))
			return &table[i];
	}
	return NULL;
}

const char *module_suffix(const char *name)
{
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	const char *dot = strstr(b, ".ko");
	if (!dot || dot == b)
		return NULL;
	const char *ext = dot + 3;
	if (!*ext)
		return dot;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (strcmp(ext, table[i].suffix) == 0)
			return dot;
	return NULL;
}
