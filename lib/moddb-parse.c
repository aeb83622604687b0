// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The text resolver's parsers: module names and aliases, modules.dep,
 * modules.alias/.symbols entries, modules.builtin(.modinfo), modprobe.d
 * (and modules.softdep), each with libkmod's rules.  Every one of them is
 * driven by tests/unit/test_moddb.c and tests/fuzz/fuzz_moddb.c.
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

#include "compress.h"
#include "moddb-internal.h"

/* ---- names ---- */

/* kmod's moddb_underscores()/alias_normalize(): '-' becomes '_' except inside
 * [...]; an unbalanced bracket is an error. */
int alias_normalize(const char *in, char *out, size_t outsz)
{
	size_t i = 0;
	for (; in[i]; i++) {
		if (i + 1 >= outsz)
			return -ENAMETOOLONG;
		char c = in[i];
		if (c == '-') {
			out[i] = '_';
		} else if (c == ']') {
			return -EINVAL;
		} else if (c == '[') {
			while (in[i] && in[i] != ']') {
				if (i + 1 >= outsz)
					return -ENAMETOOLONG;
				out[i] = in[i];
				i++;
			}
			if (in[i] != ']')
				return -EINVAL;
			out[i] = ']';
		} else {
			out[i] = c;
		}
	}
	out[i] = '\0';
	return 0;
}

/* libkmod's moddb_underscores(): like alias_normalize but never fails */
void moddb_underscores(char *s)
{
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '-') {
			s[i] = '_';
		} else if (s[i] == '[') {
			size_t n = strcspn(s + i, "]");
			if (!s[i + n])
				return;
			i += n;
		}
	}
}

/* path_to_modname: basename up to the first '.', '-' as '_' */
int path_to_modname(const char *path, char *out, size_t outsz)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strcspn(b, ".");
	if (n == 0 || n >= outsz || n >= 56)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		out[i] = b[i] == '-' ? '_' : b[i];
	out[n] = '\0';
	return 0;
}

static bool is_module_path(const char *p)
{
	return module_suffix(p) != NULL;
}

static bool has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* ---- modules.dep ---- */

/* the index of NAME's entry, added if new; it may move db->mods */
static size_t mod_add(struct ctmod_moddb *db, const char *name, const char *path)
{
	struct hent *e = hmap_find(&db->modidx, name);
	if (e)
		return e->val;
	struct mod *m = ARRAY_PUSH(db->mods, db->nmods, db->capmods);
	m->name = xstrdup(name);
	m->path = xstrdup(path);
	m->exists = -1;
	hmap_put(&db->modidx, m->name, db->nmods - 1);
	return db->nmods - 1;
}

int moddb_dep_fail(struct ctmod_moddb *db, const char *file, size_t line, const char *what)
{
	_cleanup_free_ char *hint = NULL;
	if (asprintf(&hint, "regenerate it: depmod -b %s %s",
	             ctmod_ctx_has_root(db->ctx) ? ctmod_ctx_root(db->ctx) : "/", db->kver) < 0)
		hint = NULL;
	return ctmod_fail_input(db->ctx, -EINVAL, hint, "%s:%zu: %s", file, line, what);
}

int moddb_parse_dep(struct ctmod_moddb *db, const char *file, char *buf)
{
	size_t lineno = 0;
	for (char *line, *rest = buf; (line = strsep(&rest, "\n"));) {
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		char *colon = strchr(p, ':');
		if (!colon)
			return moddb_dep_fail(db, file, lineno,
			                      "malformed line: no ':' after the module path");
		*colon = '\0';
		rstrip(p);
		char name[64];
		if (!*p || strpbrk(p, " \t") || !is_module_path(p) ||
		    path_to_modname(p, name, sizeof(name)) < 0)
			return moddb_dep_fail(db, file, lineno,
			                      "malformed line: not a module path");
		size_t idx = mod_add(db, name, p);
		struct mod *m = &db->mods[idx];
		if (m->has_line)
			continue; /* a duplicate: the first line wins, as in the index */
		if (strcmp(m->path, p) != 0) {
			free(m->path);
			m->path = xstrdup(p);
		}
		m->has_line = true;
		m->line = lineno;
		m->order = db->nlines++;

		size_t cap = 0;
		char *tok, *sp = NULL;
		for (tok = strtok_r(colon + 1, " \t\r", &sp); tok;
		     tok = strtok_r(NULL, " \t\r", &sp)) {
			char dname[64];
			if (!is_module_path(tok) || path_to_modname(tok, dname, sizeof(dname)) < 0)
				return moddb_dep_fail(db, file, lineno,
				                      "malformed dependency: not a module path");
			size_t d = mod_add(db, dname, tok);
			m = &db->mods[idx]; /* mod_add may have moved the array */
			ARRAY_RESERVE(m->deps, cap, m->ndeps + 1);
			m->deps[m->ndeps++] = d;
		}
	}
	return 0;
}

/* ---- modules.alias / modules.symbols ---- */

static void alias_add(struct ctmod_moddb *db, struct aliastab *t, const char *pattern,
                      const char *modname)
{
	char norm[PATH_MAX];
	if (alias_normalize(pattern, norm, sizeof(norm)) < 0)
		return; /* depmod skips these too */
	/* t->n counts it once it is chained below */
	ARRAY_RESERVE(t->v, t->cap, t->n + 1);
	struct alias *a = &t->v[t->n];
	a->pattern = xstrdup(norm);
	char mn[PATH_MAX];
	snprintf(mn, sizeof(mn), "%s", modname);
	moddb_underscores(mn);
	a->modname = xstrdup(mn);
	/* libkmod returns index values ordered by the module's position in
	 * depmod's list, which is the order of modules.dep */
	struct hent *e = hmap_find(&db->modidx, a->modname);
	a->prio = e && db->mods[e->val].has_line ? db->mods[e->val].order : SIZE_MAX / 2 + t->n;
	a->seq = t->n;
	a->next = SIZE_MAX;
	a->wild = false;
	if (has_wildcard(a->pattern)) {
		a->wild = true;
	} else {
		struct hent *x = hmap_find(&t->exact, a->pattern);
		if (x) {
			size_t i = x->val;
			while (t->v[i].next != SIZE_MAX)
				i = t->v[i].next;
			t->v[i].next = t->n;
		} else {
			hmap_put(&t->exact, a->pattern, t->n);
		}
	}
	t->n++;
}

/* ---- modules.builtin, modules.builtin.modinfo ---- */

int moddb_parse_builtin(struct ctmod_moddb *db, const char *file, char *buf)
{
	size_t lineno = 0;
	for (char *line, *rest = buf; (line = strsep(&rest, "\n"));) {
		lineno++;
		rstrip(line);
		if (!*line || *line == '#')
			continue;
		char name[64];
		if (strpbrk(line, " \t") || path_to_modname(line, name, sizeof(name)) < 0)
			return moddb_dep_fail(db, file, lineno,
			                      "malformed line: not a module path");
		if (hmap_find(&db->builtin, name))
			continue;
		char *k = xstrdup(name);
		strv_push_take(&db->builtin_names, k);
		hmap_put(&db->builtin, k, 0);
	}
	return 0;
}

/* NUL-separated "module.key=value"; only the aliases matter here */
int moddb_parse_builtin_modinfo(struct ctmod_moddb *db, const char *buf, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *s = buf + i;
		size_t n = strnlen(s, len - i);
		i += n + 1;
		const char *dot = memchr(s, '.', n);
		if (!dot || n - (size_t)(dot - s) < 7 || strncmp(dot, ".alias=", 7) != 0)
			continue;
		char mod[64];
		size_t mn = (size_t)(dot - s);
		if (mn == 0 || mn >= sizeof(mod))
			continue;
		memcpy(mod, s, mn);
		mod[mn] = '\0';
		_cleanup_free_ char *val = xstrndup(dot + 7, n - mn - 7);
		alias_add(db, &db->builtin_alias, val, mod);
	}
	return 0;
}

/* ---- modprobe.d ---- */

/* the new pair, its name normalized */
static struct confpair *conf_add_pair(struct confpairs *t, const char *name, const char *value)
{
	struct confpair *cp = ARRAY_PUSH(t->v, t->n, t->cap);
	cp->name = xstrdup(name);
	cp->value = xstrdup(value);
	moddb_underscores(cp->name);
	return cp;
}

int moddb_add_options(struct ctmod_moddb *db, const char *modname, const char *opts)
{
	for (char *p = conf_add_pair(&db->options, modname, opts)->value; *p; p++)
		if (*p == '\t')
			*p = ' ';
	return 0;
}

static void add_softdep(struct ctmod_moddb *db, const char *modname, char *rest)
{
	struct softdep *sd = ARRAY_PUSH(db->softdeps.v, db->softdeps.n, db->softdeps.cap);
	sd->name = xstrdup(modname);
	moddb_underscores(sd->name);
	int mode = 0;
	char *sp = NULL;
	for (char *tok = strtok_r(rest, " \t\r\n\v\f", &sp); tok;
	     tok = strtok_r(NULL, " \t\r\n\v\f", &sp)) {
		if (!strcmp(tok, "pre:"))
			mode = 1;
		else if (!strcmp(tok, "post:"))
			mode = 2;
		else if (mode == 1)
			strv_push(&sd->pre, tok);
		else if (mode == 2)
			strv_push(&sd->post, tok);
	}
}

/* One modprobe.d file (or modules.softdep), with libkmod's rules:
 * backslash-newline continues a line, '#' at the start is a comment, a bad
 * line is reported and skipped (modprobe does not stop on it either). */
int moddb_parse_conf(struct ctmod_moddb *db, const char *file, char *buf)
{
	size_t lineno = 0;
	char *p = buf;
	while (*p) {
		char *line = p, *w = p;
		size_t start = lineno + 1;
		/* join continuation lines in place */
		while (*p) {
			if (*p == '\\' && p[1] == '\n') {
				lineno++;
				p += 2;
				continue;
			}
			if (*p == '\n') {
				p++;
				break;
			}
			*w++ = *p++;
		}
		lineno++;
		*w = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *sp = NULL;
		char *cmd = strtok_r(line, "\t ", &sp);
		if (!cmd)
			continue;
		bool bad = false;
		if (!strcmp(cmd, "alias")) {
			char *a = strtok_r(NULL, "\t ", &sp), *m = strtok_r(NULL, "\t ", &sp);
			if (!a || !m)
				bad = true;
			else
				moddb_underscores(conf_add_pair(&db->conf_alias, a, m)->value);
		} else if (!strcmp(cmd, "blacklist")) {
			char *m = strtok_r(NULL, "\t ", &sp);
			if (!m) {
				bad = true;
			} else {
				char *k = xstrdup(m);
				moddb_underscores(k);
				strv_push_take(&db->blacklist, k);
				strv_push_take(&db->blacklist_from, moddb_origin(file, start));
			}
		} else if (!strcmp(cmd, "options") || !strcmp(cmd, "install") ||
		           !strcmp(cmd, "remove") || !strcmp(cmd, "softdep")) {
			char *m = strtok_r(NULL, "\t ", &sp);
			char *rest = sp;
			if (rest)
				rest += strspn(rest, "\t ");
			if (!m || !rest || !*rest) {
				bad = true;
			} else if (cmd[0] == 'o') {
				moddb_add_options(db, m, rest);
			} else if (cmd[0] == 'i') {
				conf_add_pair(&db->install, m, rest);
				strv_push_take(&db->install_from, moddb_origin(file, start));
			} else if (cmd[0] == 'r') {
				conf_add_pair(&db->remove, m, rest);
			} else {
				add_softdep(db, m, rest);
			}
		} else if (!strcmp(cmd, "include") || !strcmp(cmd, "config")) {
			WARN(db->ctx, "%s: command %s is deprecated and not parsed anymore", file,
			     cmd);
		} else {
			bad = true;
		}
		if (bad)
			WARN(db->ctx, "%s line %zu: ignoring bad line starting with '%s'", file,
			     start, cmd);
	}
	return 0;
}
