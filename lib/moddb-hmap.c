// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The text resolver's string-keyed hash map (open addressing): module
 * names, aliases, lookups.  See moddb.c.
 */
#include "moddb.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "moddb-internal.h"

/* ---- a string-keyed hash map (open addressing) ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void hmap_release(struct hmap *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

static void hmap_grow(struct hmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct hent *e = xcalloc(cap, sizeof(*e));
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->e[i].key)
			continue;
		size_t j = hash_str(m->e[i].key) & (cap - 1);
		while (e[j].key)
			j = (j + 1) & (cap - 1);
		e[j] = m->e[i];
	}
	free(m->e);
	m->e = e;
	m->cap = cap;
}

struct hent *hmap_find(const struct hmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t j = hash_str(key) & (m->cap - 1);
	while (m->e[j].key) {
		if (strcmp(m->e[j].key, key) == 0)
			return &m->e[j];
		j = (j + 1) & (m->cap - 1);
	}
	return NULL;
}

/* key must outlive the map; an existing key keeps its value (first wins) */
void hmap_put(struct hmap *m, const char *key, size_t val)
{
	if (hmap_find(m, key))
		return;
	if ((m->n + 1) * 2 > m->cap)
		hmap_grow(m);
	size_t j = hash_str(key) & (m->cap - 1);
	while (m->e[j].key)
		j = (j + 1) & (m->cap - 1);
	m->e[j].key = key;
	m->e[j].val = val;
	m->n++;
}
