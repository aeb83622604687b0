/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compiler helpers every file uses: ARRAY_SIZE and the cleanup attribute.
 * A variable declared `_cleanup_free_ char *p = ...;` is freed on every
 * return path; the typed variants (_cleanup_strv_, _cleanup_strbuf_) live
 * beside their types.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(fn)  __attribute__((cleanup(fn)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_     __attribute__((noreturn))
#define _must_check_   __attribute__((warn_unused_result))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* an fd that is closed when it goes out of scope; -1 is no fd */
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)
