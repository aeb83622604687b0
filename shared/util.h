/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shared helper layer (kmod's shared/ is the model), all of it: include
 * this one header.  Nothing here knows struct ctmod_ctx; helpers that record
 * an error in the context live in lib/ (lib/depmod.h, lib/lock.h).
 *
 *   macro.h     ARRAY_SIZE, _cleanup_free_/_fclose_/_close_
 *   xalloc.h    allocation that aborts on out of memory; the growable array
 *   strbuf.h    growable string, _cleanup_strbuf_
 *   strv.h      growable string array, _cleanup_strv_
 *   process.h   running a program (posix_spawn)
 *   compress.h  the table of module compressions (compress.h, not here)
 *   sha256.h    SHA-256 to hex (sha256.h, not here)
 *   util.h      files, module names, small string helpers (below)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "process.h"
#include "strbuf.h"
#include "strv.h"
#include "xalloc.h"

/* Module names: '-' and '_' are the same; the normal form uses '_'. */
void modname_normalize(const char *in, char *out, size_t outsz);
bool modname_equal(const char *a, const char *b);
/* A valid module name: non-empty, < 56 bytes, no '/', no control chars. */
bool modname_valid(const char *name);

/* Read a whole file (at most max bytes) into a NUL-terminated buffer:
 * 0, or -errno (-EFBIG: over max). */
int read_file(const char *path, size_t max, char **out, size_t *len);
/* Write data to path atomically: a temporary sibling, fsync, rename. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);
/* mkdir -p */
int mkdir_p(const char *path, int mode);
/* mkdir -p that records every directory it creates, in order, in created
 * (NULL: not recorded), for a rollback by rmdirs_created() */
int mkdir_tracked(const char *path, int mode, struct strv *created);
/* remove (if empty) the directories recorded, newest first */
void rmdirs_created(struct strv *created);
/* rm -rf: 0 or -errno; a missing path is success */
int rm_rf(const char *path);
/* strip trailing whitespace in place; returns s */
char *rstrip(char *s);
/* Levenshtein distance, for "did you mean" suggestions */
size_t edit_distance(const char *a, const char *b);
/* monotonic clock in seconds */
double now_seconds(void);
