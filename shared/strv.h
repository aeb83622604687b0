/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A growable, NULL-terminated array of malloc'd strings (systemd's strv and
 * kmod's array are the models).  Pushing cannot fail: out of memory aborts
 * (xalloc.h), so no caller tests it.  Embedded by the caller:
 *   _cleanup_strv_ struct strv names = STRV_INIT;
 * v is NULL while the array is empty, else NULL-terminated (an argv).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

struct strv {
	char **v;
	size_t n, cap;
};
#define STRV_INIT                                                                                  \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void strv_init(struct strv *sv);
void strv_release(struct strv *sv);
#define _cleanup_strv_ _cleanup_(strv_release)

void strv_push(struct strv *sv, const char *s); /* copies s */
void strv_push_take(struct strv *sv, char *s);  /* takes s; NULL means out of memory */
bool strv_contains(const struct strv *sv, const char *s);
void strv_sort(struct strv *sv);
/* sort keys (stable), moving carried's strings along with them: the two
 * arrays are parallel, as file names and their paths */
void strv_sort_with(struct strv *keys, struct strv *carried);
