/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A growable string (kmod's shared/strbuf.h is the model).  It cannot fail:
 * out of memory aborts (xalloc.h).  Embedded by the caller:
 *   _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

struct strbuf {
	char *buf;
	size_t len, cap;
};
#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
#define _cleanup_strbuf_ _cleanup_(strbuf_release)

void strbuf_putc(struct strbuf *sb, char c);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putn(struct strbuf *sb, const char *s, size_t n);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) _printf_(2, 0);
/* "" when empty, never NULL */
const char *strbuf_str(struct strbuf *sb);
/* hands the buffer over (malloc'd, never NULL) and resets sb */
char *strbuf_steal(struct strbuf *sb);
