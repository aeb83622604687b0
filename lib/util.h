/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by all of libctmod: strings, arrays, files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ __attribute__((cleanup(freep)))
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))

/* A growable string. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
int strbuf_putc(struct strbuf *sb, char c);
int strbuf_puts(struct strbuf *sb, const char *s);
int strbuf_putn(struct strbuf *sb, const char *s, size_t n);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "" when empty, never NULL */
const char *strbuf_str(struct strbuf *sb);
/* hands the buffer over (malloc'd, never NULL unless ENOMEM) and resets sb */
char *strbuf_steal(struct strbuf *sb);

/* A growable array of malloc'd strings, NULL-terminated. */
struct strv {
	char **v;
	size_t n, cap;
};
void strv_init(struct strv *sv);
void strv_release(struct strv *sv);
int strv_push(struct strv *sv, const char *s); /* copies s */
int strv_push_take(struct strv *sv, char *s);  /* takes s */
bool strv_contains(const struct strv *sv, const char *s);
void strv_sort(struct strv *sv);

/* Module names: '-' and '_' are the same; the normal form uses '_'. */
void modname_normalize(const char *in, char *out, size_t outsz);
bool modname_equal(const char *a, const char *b);
/* A valid module name: non-empty, < 56 bytes, no '/', no control chars. */
bool modname_valid(const char *name);

/* Read a whole file (at most max bytes) into a NUL-terminated buffer. */
int read_file(const char *path, size_t max, char **out, size_t *len);
/* Write data to path atomically: a temporary sibling, fsync, rename. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);
/* mkdir -p */
int mkdir_p(const char *path, int mode);
/* rm -rf: 0 or -errno; a missing path is success */
int rm_rf(const char *path);
/* strip trailing whitespace in place; returns s */
char *rstrip(char *s);
/* Levenshtein distance, for "did you mean" suggestions */
size_t edit_distance(const char *a, const char *b);
/*
 * Run argv (searched in PATH) in cwd (NULL: here) and wait.  in, out and err
 * become its stdin, stdout and stderr; -1 is /dev/null.  Returns the exit
 * status (127: not found), 128+signal, or -errno when it could not start.
 */
int run_process(char *const argv[], const char *cwd, int in, int out, int err);
/* monotonic clock in seconds */
double now_seconds(void);
