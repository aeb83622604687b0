// SPDX-License-Identifier: LGPL-2.1-or-later
#include "strv.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void strv_init(struct strv *sv)
{
	memset(sv, 0, sizeof(*sv));
}

void strv_release(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	strv_init(sv);
}

void strv_push_take(struct strv *sv, char *s)
{
	if (!s)
		oom(); /* the caller's strdup/asprintf failed */
	ARRAY_RESERVE(sv->v, sv->cap, sv->n + 2);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strv_push(struct strv *sv, const char *s)
{
	strv_push_take(sv, xstrdup(s));
}

bool strv_contains(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(struct strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(char *), cmp_str);
}

static void swap(char **a, char **b)
{
	char *t = *a;
	*a = *b;
	*b = t;
}

void strv_sort_with(struct strv *keys, struct strv *carried)
{
	/* insertion sort: the lists are a few dozen config files */
	for (size_t i = 1; i < keys->n; i++)
		for (size_t j = i; j > 0 && strcmp(keys->v[j - 1], keys->v[j]) > 0; j--) {
			swap(&keys->v[j], &keys->v[j - 1]);
			swap(&carried->v[j], &carried->v[j - 1]);
		}
}
