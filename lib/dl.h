/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Libraries opened with dlopen() on first use, so that a process that never
 * needs them (ctmod deps, ctmod as the kernel's modprobe helper) does not
 * pay for loading them and their ~40 dependencies: what it loads is
 * libkmod and what libkmod links, as kmod's modprobe does.
 *
 * lib/dl-curl.c, dl-archive.c, dl-seccomp.c, dl-yaml.c, dl-elf.c and
 * dl-json.c define the curl_*, archive_*, seccomp_*, yaml_*, elf_* and
 * json_* functions ctmod calls, with their headers' prototypes: each
 * wrapper loads its library once (thread-safe) and calls the real function;
 * when the library cannot be loaded it returns that function's own failure
 * value (NULL, CURLE_FAILED_INIT, ARCHIVE_FATAL, EV_NONE, ...) and
 * ctmod_dl_error() says why (json-c's constructors, which have no failure,
 * end the process instead: lib/dl-json.c).  The code calling them stays as
 * it is; its error path for a NULL handle asks ctmod_dl_fail() first.  A new
 * call of one of these libraries needs its wrapper there: the binary does
 * not link them, so without one it does not link.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct ctmod_ctx;

struct ctmod_dl_sym {
	const char *name;
	void **fn;
};
/* { "archive_read_new", &sym_archive_read_new } from the function's name */
/* clang-format off */
#define CTMOD_DL_SYM(name) {#name, (void **)&sym_##name}
/* clang-format on */

struct ctmod_dl {
	const char *soname;  /* "libcurl.so.4" */
	const char *package; /* the Debian package that ships it: "libcurl4" */
	const struct ctmod_dl_sym *syms;
	size_t n_syms;
	/* the rest is the loader's */
	pthread_mutex_t lock;
	atomic_int state; /* 0 not tried yet, 1 loaded, -1 cannot be loaded */
	void *handle;
	char error[256];
};
#define CTMOD_DL_INIT(so, pkg, table)                                                              \
	{                                                                                          \
		.soname = (so), .package = (pkg), .syms = (table),                                 \
		.n_syms = sizeof(table) / sizeof((table)[0]), .lock = PTHREAD_MUTEX_INITIALIZER,   \
	}

/* libcurl.so.4 (lib/dl-curl.c) and libarchive.so.13 (lib/dl-archive.c) */
extern struct ctmod_dl ctmod_dl_curl;
extern struct ctmod_dl ctmod_dl_archive;
/* libseccomp.so.2 (lib/dl-seccomp.c) and libyaml-0.so.2 (lib/dl-yaml.c) */
extern struct ctmod_dl ctmod_dl_seccomp;
extern struct ctmod_dl ctmod_dl_yaml;
/* libelf.so.1 (lib/dl-elf.c) and libjson-c.so.5 (lib/dl-json.c) */
extern struct ctmod_dl ctmod_dl_elf;
extern struct ctmod_dl ctmod_dl_json;

/*
 * Open DL and resolve all its symbols, the first time only; 0, or -ELIBACC
 * when the library or one of its symbols is missing.  Thread-safe.
 */
int ctmod_dl_open(struct ctmod_dl *dl);

/* Why DL cannot be loaded (dlerror()'s words, one line), or NULL. */
const char *ctmod_dl_error(struct ctmod_dl *dl);

/*
 * When DL cannot be loaded: record "WHAT: cannot load SONAME: why" with the
 * hint to install its package, and return -ELIBACC; otherwise return 0 and
 * record nothing, so the caller goes on to its own error.
 */
int ctmod_dl_fail(struct ctmod_ctx *ctx, struct ctmod_dl *dl, const char *what);
