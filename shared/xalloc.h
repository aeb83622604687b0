/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation that cannot fail: out of memory aborts the program, through
 * oom(), as git's xmalloc does.  Callers never test these results, and no
 * caller of strv_push(), strbuf_*() or ARRAY_PUSH() tests one either.
 *
 * A size that comes from untrusted input is still checked by its caller
 * against a budget before it gets here (-EFBIG / -ENOMEM is returned then):
 * abort is for the machine running out, not for a hostile length.
 */
#pragma once

#include <stddef.h>

#include "macro.h"

/* prints "ctmod: out of memory" on stderr and aborts */
_noreturn_ void oom(void);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

/*
 * The one growable array: make room for NEED elements of *P, whose capacity
 * (in elements) is CAP; it grows by doubling.  Both are updated in place.
 *   struct item *items = NULL; size_t n = 0, cap = 0;
 *   *ARRAY_PUSH(items, n, cap) = it;
 */
void *array_grow(void *p, size_t *cap, size_t need, size_t elem);
#define ARRAY_RESERVE(p, cap, need) ((p) = array_grow((p), &(cap), (need), sizeof(*(p))))
/* a pointer to a new, zeroed last element; n grows by one */
#define ARRAY_PUSH(p, n, cap)                                                                      \
	(ARRAY_RESERVE(p, cap, (n) + 1), array_zero_(&(p)[(n)++], sizeof(*(p))))
void *array_zero_(void *elem, size_t size);
