/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one table of module compressions (kmod's libkmod-file.c keeps one
 * too): what the kernel can decompress itself (finit_module's
 * MODULE_INIT_COMPRESSED_FILE, CONFIG_MODULE_DECOMPRESS), under which
 * suffix depmod and DKMS name it, its magic, the libarchive filter that
 * reads it and the tool DKMS runs to write it.  Every caller that asks
 * "is this compressed, and how" looks it up here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct compression {
	const char *name;   /* "xz" */
	const char *suffix; /* ".xz", as in foo.ko.xz */
	const unsigned char *magic;
	size_t magic_len;
	int archive_filter;               /* ARCHIVE_FILTER_XZ */
	const char *config;               /* "CONFIG_MODULE_COMPRESS_XZ" */
	const char *const *compress_argv; /* writes stdout; the input path follows */
	bool kernel_decompresses;         /* MODULE_INIT_COMPRESSED_FILE takes it */
};

/* gzip, xz, zstd; n in *n */
const struct compression *compression_table(size_t *n);
/* by suffix (".xz") or by the end of a path ("foo.ko.xz"); NULL: none */
const struct compression *compression_by_suffix(const char *path);
/* by the first bytes of data; NULL: not compressed (or not a kind we know) */
const struct compression *compression_by_magic(const void *data, size_t len);
/* the CONFIG_MODULE_COMPRESS_*=y in a kernel .config's text; NULL: none */
const struct compression *compression_by_config(const char *config_text);

/*
 * The module suffix of a file name: ".ko" or ".ko" + a compression suffix
 * at its end, after a non-empty stem.  Returns where it starts, or NULL
 * when the name is not a module's.
 */
const char *module_suffix(const char *name);
