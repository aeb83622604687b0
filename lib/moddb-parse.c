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

static ssize_t mod_add(struct ctmod_moddb *db, const char *name, const char *path)
{
	struct hent *e = hmap_find(&db->modidx, name);
	if (e)
		return (ssize_t)e->val;
	if (db->nmods == db->capmods) {
		size_t cap = db->capmods ? db->capmods * 2 : 1024;
		struct mod *m = realloc(db->mods, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		db->mods = m;
		db->capmods = cap;
	}
	struct mod *m = &db->mods[db->nmods];
	memset(m, 0, sizeof(*m));
	m->name = strdup(name);
	m->path = strdup(path);
	if (!m->name || !m->path) {
		free(m->name);
		free(m->path);
		return -ENOMEM;
	}
	m->exists = -1;
	if (hmap_put(&db->modidx, m->name, db->nmods) < 0) {
		free(m->name);
		free(m->path);
		return -ENOMEM;
	}
	return (ssize_t)db->nmods++;
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
		ssize_t idx = mod_add(db, name, p);
		if (idx < 0)
			return ctmod_fail(db->ctx, -ENOMEM, NULL, "out of memory");
		struct mod *m = &db->mods[idx];
		if (m->has_line)
			continue; /* a duplicate: the first line wins, as in the index */
		if (strcmp(m->path, p) != 0) {
			char *np = strdup(p);
			if (!np)
				return -ENOMEM;
			free(m->path);
			m->path = np;
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
			ssize_t d = mod_add(db, dname, tok);
			if (d < 0)
				return -ENOMEM;
			m = &db->mods[idx]; /* mod_add may have moved the array */
			if (m->ndeps == cap) {
				cap = cap ? cap * 2 : 4;
				size_t *nd = realloc(m->deps, cap * sizeof(*nd));
				if (!nd)
					return -ENOMEM;
				m->deps = nd;
			}
			m->deps[m->ndeps++] = (size_t)d;
		}
	}
	return 0;
}

/* ---- modules.alias / modules.symbols ---- */

static int alias_add(struct ctmod_moddb *db, struct aliastab *t, const char *pattern,
                     const char *modname)
{
	char norm[PATH_MAX];
	if (alias_normalize(pattern, norm, sizeof(norm)) < 0)
		return 0; /* depmod skips these too */
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct alias *a = realloc(t->v, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		t->v = a;
		t->cap = cap;
	}
	struct alias *a = &t->v[t->n];
	a->pattern = strdup(norm);
	char mn[PATH_MAX];
	snprintf(mn, sizeof(mn), "%s", modname);
	moddb_underscores(mn);
	a->modname = strdup(mn);
	if (!a->pattern || !a->modname) {
		free(a->pattern);
		free(a->modname);
		return -ENOMEM;
	}
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
		} else if (hmap_put(&t->exact, a->pattern, t->n) < 0) {
			return -ENOMEM;
		}
	}
	t->n++;
	return 0;
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
		if (hmap_put(&db->builtin, k, 0) < 0)
			return -ENOMEM;
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
		char *val = strndup(dot + 7, n - mn - 7);
		if (!val)
			return -ENOMEM;
		int r = alias_add(db, &db->builtin_alias, val, mod);
		free(val);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- modprobe.d ---- */

static int conf_push(void **v, size_t *n, size_t *cap, size_t sz)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		void *nv = realloc(*v, c * sz);
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	return 0;
}

static int conf_add_pair(struct ctmod_moddb *db, struct confpairs *t, const char *name,
                         const char *value)
{
	if (conf_push((void **)&t->v, &t->n, &t->cap, sizeof(*t->v)) < 0)
		return -ENOMEM;
	char *k = strdup(name), *v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	moddb_underscores(k);
	t->v[t->n].name = k;
	t->v[t->n].value = v;
	t->n++;
	(void)db;
	return 0;
}

int moddb_add_options(struct ctmod_moddb *db, const char *modname, const char *opts)
{
	int r = conf_add_pair(db, &db->options, modname, opts);
	if (r < 0)
		return r;
	for (char *p = db->options.v[db->options.n - 1].value; *p; p++)
		if (*p == '\t')
			*p = ' ';
	return 0;
}

static int add_softdep(struct ctmod_moddb *db, const char *modname, char *rest)
{
	if (conf_push((void **)&db->softdeps.v, &db->softdeps.n, &db->softdeps.cap,
	              sizeof(*db->softdeps.v)) < 0)
		return -ENOMEM;
	struct softdep *sd = &db->softdeps.v[db->softdeps.n];
	memset(sd, 0, sizeof(*sd));
	sd->name = strdup(modname);
	if (!sd->name)
		return -ENOMEM;
	moddb_underscores(sd->name);
	db->softdeps.n++;
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
	return 0;
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
		int r = 0;
		bool bad = false;
		if (!strcmp(cmd, "alias")) {
			char *a = strtok_r(NULL, "\t ", &sp), *m = strtok_r(NULL, "\t ", &sp);
			if (!a || !m)
				bad = true;
			else
				r = conf_add_pair(db, &db->conf_alias, a, m);
			if (!bad && r == 0)
				moddb_underscores(db->conf_alias.v[db->conf_alias.n - 1].value);
		} else if (!strcmp(cmd, "blacklist")) {
			char *m = strtok_r(NULL, "\t ", &sp);
			if (!m) {
				bad = true;
			} else {
				char *k = strdup(m);
				if (!k)
					return -ENOMEM;
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
			if (!m || !rest || !*rest)
				bad = true;
			else if (cmd[0] == 'o')
				r = moddb_add_options(db, m, rest);
			else if (cmd[0] == 'i') {
				r = conf_add_pair(db, &db->install, m, rest);
				if (r == 0)
					strv_push_take(&db->install_from,
					               moddb_origin(file, start));
			} else if (cmd[0] == 'r')
				r = conf_add_pair(db, &db->remove, m, rest);
			else
				r = add_softdep(db, m, rest);
		} else if (!strcmp(cmd, "include") || !strcmp(cmd, "config")) {
			WARN(db->ctx, "%s: command %s is deprecated and not parsed anymore", file,
			     cmd);
		} else {
			bad = true;
		}
		if (r < 0)
			return ctmod_fail(db->ctx, r, NULL, "out of memory");
		if (bad)
			WARN(db->ctx, "%s line %zu: ignoring bad line starting with '%s'", file,
			     start, cmd);
	}
	return 0;
}
