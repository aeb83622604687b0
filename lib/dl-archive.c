// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libarchive functions libctmod calls (lib/extract.c for install,
 * lib/modinfo.c for compressed modules), each loading libarchive.so.13 on
 * first use (lib/dl.h).  A process that reads neither an archive nor a
 * .ko.{gz,xz,zst} never loads libarchive and the libraries behind it.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "dl.h"

static __typeof__(archive_read_new) *sym_archive_read_new;
static __typeof__(archive_read_support_filter_all) *sym_archive_read_support_filter_all;
static __typeof__(archive_read_support_filter_gzip) *sym_archive_read_support_filter_gzip;
static __typeof__(archive_read_support_filter_xz) *sym_archive_read_support_filter_xz;
static __typeof__(archive_read_support_filter_zstd) *sym_archive_read_support_filter_zstd;
static __typeof__(archive_read_support_format_ar) *sym_archive_read_support_format_ar;
static __typeof__(archive_read_support_format_raw) *sym_archive_read_support_format_raw;
static __typeof__(archive_read_support_format_tar) *sym_archive_read_support_format_tar;
static __typeof__(archive_read_open) *sym_archive_read_open;
static __typeof__(archive_read_open_filename) *sym_archive_read_open_filename;
static __typeof__(archive_read_open_memory) *sym_archive_read_open_memory;
static __typeof__(archive_read_next_header) *sym_archive_read_next_header;
static __typeof__(archive_read_data) *sym_archive_read_data;
static __typeof__(archive_read_data_block) *sym_archive_read_data_block;
static __typeof__(archive_read_data_skip) *sym_archive_read_data_skip;
static __typeof__(archive_read_free) *sym_archive_read_free;
static __typeof__(archive_filter_count) *sym_archive_filter_count;
static __typeof__(archive_write_disk_new) *sym_archive_write_disk_new;
static __typeof__(archive_write_disk_set_options) *sym_archive_write_disk_set_options;
static __typeof__(archive_write_header) *sym_archive_write_header;
static __typeof__(archive_write_data_block) *sym_archive_write_data_block;
static __typeof__(archive_write_finish_entry) *sym_archive_write_finish_entry;
static __typeof__(archive_write_close) *sym_archive_write_close;
static __typeof__(archive_write_free) *sym_archive_write_free;
static __typeof__(archive_errno) *sym_archive_errno;
static __typeof__(archive_error_string) *sym_archive_error_string;
static __typeof__(archive_entry_pathname) *sym_archive_entry_pathname;
static __typeof__(archive_entry_hardlink) *sym_archive_entry_hardlink;
static __typeof__(archive_entry_symlink) *sym_archive_entry_symlink;
static __typeof__(archive_entry_filetype) *sym_archive_entry_filetype;
static __typeof__(archive_entry_size) *sym_archive_entry_size;
static __typeof__(archive_entry_set_pathname) *sym_archive_entry_set_pathname;
static __typeof__(archive_entry_set_hardlink) *sym_archive_entry_set_hardlink;
static __typeof__(archive_set_error) *sym_archive_set_error;

static const struct ctmod_dl_sym archive_syms[] = {
    CTMOD_DL_SYM(archive_read_new),
    CTMOD_DL_SYM(archive_read_support_filter_all),
    CTMOD_DL_SYM(archive_read_support_filter_gzip),
    CTMOD_DL_SYM(archive_read_support_filter_xz),
    CTMOD_DL_SYM(archive_read_support_filter_zstd),
    CTMOD_DL_SYM(archive_read_support_format_ar),
    CTMOD_DL_SYM(archive_read_support_format_raw),
    CTMOD_DL_SYM(archive_read_support_format_tar),
    CTMOD_DL_SYM(archive_read_open),
    CTMOD_DL_SYM(archive_read_open_filename),
    CTMOD_DL_SYM(archive_read_open_memory),
    CTMOD_DL_SYM(archive_read_next_header),
    CTMOD_DL_SYM(archive_read_data),
    CTMOD_DL_SYM(archive_read_data_block),
    CTMOD_DL_SYM(archive_read_data_skip),
    CTMOD_DL_SYM(archive_read_free),
    CTMOD_DL_SYM(archive_filter_count),
    CTMOD_DL_SYM(archive_write_disk_new),
    CTMOD_DL_SYM(archive_write_disk_set_options),
    CTMOD_DL_SYM(archive_write_header),
    CTMOD_DL_SYM(archive_write_data_block),
    CTMOD_DL_SYM(archive_write_finish_entry),
    CTMOD_DL_SYM(archive_write_close),
    CTMOD_DL_SYM(archive_write_free),
    CTMOD_DL_SYM(archive_errno),
    CTMOD_DL_SYM(archive_error_string),
    CTMOD_DL_SYM(archive_entry_pathname),
    CTMOD_DL_SYM(archive_entry_hardlink),
    CTMOD_DL_SYM(archive_entry_symlink),
    CTMOD_DL_SYM(archive_entry_filetype),
    CTMOD_DL_SYM(archive_entry_size),
    CTMOD_DL_SYM(archive_entry_set_pathname),
    CTMOD_DL_SYM(archive_entry_set_hardlink),
    CTMOD_DL_SYM(archive_set_error),
};

struct ctmod_dl ctmod_dl_archive = CTMOD_DL_INIT("libarchive.so.13", "libarchive13", archive_syms);

static inline int loaded(void)
{
	return ctmod_dl_open(&ctmod_dl_archive) == 0;
}

static const char *why_not(void)
{
	const char *e = ctmod_dl_error(&ctmod_dl_archive);
	return e ? e : "libarchive is not loaded";
}

/*
 * Without the library: NULL for a new handle, ARCHIVE_FATAL for a call on
 * one (there can be none), and the loader's reason for an error string.
 */
struct archive *archive_read_new(void)
{
	return loaded() ? sym_archive_read_new() : NULL;
}

int archive_read_support_filter_all(struct archive *a)
{
	return loaded() ? sym_archive_read_support_filter_all(a) : ARCHIVE_FATAL;
}

int archive_read_support_filter_gzip(struct archive *a)
{
	return loaded() ? sym_archive_read_support_filter_gzip(a) : ARCHIVE_FATAL;
}

int archive_read_support_filter_xz(struct archive *a)
{
	return loaded() ? sym_archive_read_support_filter_xz(a) : ARCHIVE_FATAL;
}

int archive_read_support_filter_zstd(struct archive *a)
{
	return loaded() ? sym_archive_read_support_filter_zstd(a) : ARCHIVE_FATAL;
}

int archive_read_support_format_ar(struct archive *a)
{
	return loaded() ? sym_archive_read_support_format_ar(a) : ARCHIVE_FATAL;
}

int archive_read_support_format_raw(struct archive *a)
{
	return loaded() ? sym_archive_read_support_format_raw(a) : ARCHIVE_FATAL;
}

int archive_read_support_format_tar(struct archive *a)
{
	return loaded() ? sym_archive_read_support_format_tar(a) : ARCHIVE_FATAL;
}

int archive_read_open(struct archive *a, void *client_data, archive_open_callback *opener,
                      archive_read_callback *reader, archive_close_callback *closer)
{
	return loaded() ? sym_archive_read_open(a, client_data, opener, reader, closer)
	                : ARCHIVE_FATAL;
}

int archive_read_open_filename(struct archive *a, const char *filename, size_t block_size)
{
	return loaded() ? sym_archive_read_open_filename(a, filename, block_size) : ARCHIVE_FATAL;
}

int archive_read_open_memory(struct archive *a, const void *buff, size_t size)
{
	return loaded() ? sym_archive_read_open_memory(a, buff, size) : ARCHIVE_FATAL;
}

int archive_read_next_header(struct archive *a, struct archive_entry **entry)
{
	return loaded() ? sym_archive_read_next_header(a, entry) : ARCHIVE_FATAL;
}

la_ssize_t archive_read_data(struct archive *a, void *buff, size_t size)
{
	return loaded() ? sym_archive_read_data(a, buff, size) : ARCHIVE_FATAL;
}

int archive_read_data_block(struct archive *a, const void **buff, size_t *size, la_int64_t *offset)
{
	return loaded() ? sym_archive_read_data_block(a, buff, size, offset) : ARCHIVE_FATAL;
}

int archive_read_data_skip(struct archive *a)
{
	return loaded() ? sym_archive_read_data_skip(a) : ARCHIVE_FATAL;
}

int archive_read_free(struct archive *a)
{
	return loaded() ? sym_archive_read_free(a) : ARCHIVE_FATAL;
}

int archive_filter_count(struct archive *a)
{
	return loaded() ? sym_archive_filter_count(a) : 0;
}

struct archive *archive_write_disk_new(void)
{
	return loaded() ? sym_archive_write_disk_new() : NULL;
}

int archive_write_disk_set_options(struct archive *a, int flags)
{
	return loaded() ? sym_archive_write_disk_set_options(a, flags) : ARCHIVE_FATAL;
}

int archive_write_header(struct archive *a, struct archive_entry *entry)
{
	return loaded() ? sym_archive_write_header(a, entry) : ARCHIVE_FATAL;
}

la_ssize_t archive_write_data_block(struct archive *a, const void *buff, size_t size,
                                    la_int64_t offset)
{
	return loaded() ? sym_archive_write_data_block(a, buff, size, offset) : ARCHIVE_FATAL;
}

int archive_write_finish_entry(struct archive *a)
{
	return loaded() ? sym_archive_write_finish_entry(a) : ARCHIVE_FATAL;
}

int archive_write_close(struct archive *a)
{
	return loaded() ? sym_archive_write_close(a) : ARCHIVE_FATAL;
}

int archive_write_free(struct archive *a)
{
	return loaded() ? sym_archive_write_free(a) : ARCHIVE_FATAL;
}

int archive_errno(struct archive *a)
{
	return loaded() ? sym_archive_errno(a) : ELIBACC;
}

const char *archive_error_string(struct archive *a)
{
	return loaded() ? sym_archive_error_string(a) : why_not();
}

const char *archive_entry_pathname(struct archive_entry *e)
{
	return loaded() ? sym_archive_entry_pathname(e) : NULL;
}

const char *archive_entry_hardlink(struct archive_entry *e)
{
	return loaded() ? sym_archive_entry_hardlink(e) : NULL;
}

const char *archive_entry_symlink(struct archive_entry *e)
{
	return loaded() ? sym_archive_entry_symlink(e) : NULL;
}

__LA_MODE_T archive_entry_filetype(struct archive_entry *e)
{
	return loaded() ? sym_archive_entry_filetype(e) : 0;
}

la_int64_t archive_entry_size(struct archive_entry *e)
{
	return loaded() ? sym_archive_entry_size(e) : 0;
}

void archive_entry_set_pathname(struct archive_entry *e, const char *name)
{
	if (loaded())
		sym_archive_entry_set_pathname(e, name);
}

void archive_entry_set_hardlink(struct archive_entry *e, const char *target)
{
	if (loaded())
		sym_archive_entry_set_hardlink(e, target);
}

/* variadic: format here, hand libarchive the finished text */
void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	if (!loaded())
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sym_archive_set_error(a, err, "%s", buf);
}
