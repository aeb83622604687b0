// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The module database: the text files depmod writes (modules.dep, .alias,
 * .symbols, .softdep, .builtin, .builtin.modinfo), modprobe.d and the kernel
 * command line, and a resolver that reproduces libkmod's probe list
 * (kmod_module_new_from_lookup + kmod_module_probe_insert_module) step for
 * step, so that `ctmod deps --show-depends` prints what modprobe prints.
 *
 * The text files are read rather than the .bin indexes so that a tree
 * without indexes (or a half-written one) still resolves, so that every
 * parser can be fuzzed, and so that the kernel command line is taken from
 * ROOT/proc/cmdline (libkmod always reads the host's).
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

#define MAX_INDEX_FILE (256u << 20)
#define MAX_CONF_FILE  (16u << 20)
/* deeper softdep chains than this are treated as a cycle: the kernel has a
 * few levels, a crafted config must not overflow the stack */
#define MAX_DEPTH 256

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

static int hmap_grow(struct hmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct hent *e = calloc(cap, sizeof(*e));
	if (!e)
		return -ENOMEM;
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
	return 0;
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
int hmap_put(struct hmap *m, const char *key, size_t val)
{
	if (hmap_find(m, key))
		return 0;
	if ((m->n + 1) * 2 > m->cap && hmap_grow(m) < 0)
		return -ENOMEM;
	size_t j = hash_str(key) & (m->cap - 1);
	while (m->e[j].key)
		j = (j + 1) & (m->cap - 1);
	m->e[j].key = key;
	m->e[j].val = val;
	m->n++;
	return 1;
}

/* ---- names ---- */

/* kmod's underscores()/alias_normalize(): '-' becomes '_' except inside
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

/* libkmod's underscores(): like alias_normalize but never fails */
static void underscores(char *s)
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

static int dep_fail(struct ctmod_moddb *db, const char *file, size_t line, const char *what)
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
	char *save = NULL;
	for (char *line = buf; line; line = save) {
		char *nl = strchr(line, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		char *colon = strchr(p, ':');
		if (!colon)
			return dep_fail(db, file, lineno,
			                "malformed line: no ':' after the module path");
		*colon = '\0';
		rstrip(p);
		char name[64];
		if (!*p || strpbrk(p, " \t") || !is_module_path(p) ||
		    path_to_modname(p, name, sizeof(name)) < 0)
			return dep_fail(db, file, lineno, "malformed line: not a module path");
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
				return dep_fail(db, file, lineno,
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
	underscores(mn);
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
	char *save = NULL;
	for (char *line = buf; line; line = save) {
		char *nl = strchr(line, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		rstrip(line);
		if (!*line || *line == '#')
			continue;
		char name[64];
		if (strpbrk(line, " \t") || path_to_modname(line, name, sizeof(name)) < 0)
			return dep_fail(db, file, lineno, "malformed line: not a module path");
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
	underscores(k);
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
	underscores(sd->name);
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
				underscores(db->conf_alias.v[db->conf_alias.n - 1].value);
		} else if (!strcmp(cmd, "blacklist")) {
			char *m = strtok_r(NULL, "\t ", &sp);
			if (!m) {
				bad = true;
			} else {
				char *k = strdup(m);
				if (!k)
					return -ENOMEM;
				underscores(k);
				strv_push_take(&db->blacklist, k);
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
			else if (cmd[0] == 'i')
				r = conf_add_pair(db, &db->install, m, rest);
			else if (cmd[0] == 'r')
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

/* The kernel command line as libkmod reads it: "mod.param=value" adds
 * options, "modprobe.blacklist=a,b" blacklists. */
int moddb_parse_cmdline(struct ctmod_moddb *db, char *buf)
{
	char *p, *modname = buf, *param = NULL, *value = NULL;
	bool quoted = false;
	int r = 0;
	for (p = buf; *p && *p != '\n'; p++) {
		switch (*p) {
		case '"':
			quoted = !quoted;
			break;
		case ' ':
			if (quoted)
				break;
			*p = '\0';
			r = 0;
			if (modname && param && value) {
				if (!strcmp(modname, "modprobe") &&
				    !strncmp(param, "blacklist=", 10)) {
					char *v = value, *t;
					while ((t = strsep(&v, ",")))
						strv_push(&db->blacklist, t);
				} else {
					r = moddb_add_options(db, modname, param);
				}
			}
			if (r < 0)
				return r;
			param = value = NULL;
			modname = p + 1;
			break;
		case '.':
			if (quoted || param)
				break;
			*p = '\0';
			param = p + 1;
			break;
		case '=':
			if (param && !value)
				value = p + 1;
			break;
		}
	}
	*p = '\0';
	if (modname && param && value) {
		if (!strcmp(modname, "modprobe") && !strncmp(param, "blacklist=", 10)) {
			char *v = value, *t;
			while ((t = strsep(&v, ",")))
				strv_push(&db->blacklist, t);
		} else {
			return moddb_add_options(db, modname, param);
		}
	}
	return 0;
}

static int load_conf_dirs(struct ctmod_moddb *db)
{
	/* the first file of a given name wins; files apply in name order */
	struct strv names, paths;
	strv_init(&names);
	strv_init(&paths);
	int r = 0;
	for (size_t i = 0; ctmod_modprobe_dirs[i] && r == 0; i++) {
		_cleanup_free_ char *dir = ctmod_path(db->ctx, "%s", ctmod_modprobe_dirs[i]);
		if (!dir) {
			r = -ENOMEM;
			break;
		}
		DIR *d = opendir(dir);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			const char *fn = de->d_name;
			size_t len = strlen(fn);
			if (fn[0] == '.' || len < 6 ||
			    (strcmp(fn + len - 5, ".conf") && strcmp(fn + len - 6, ".alias")))
				continue;
			if (strv_contains(&names, fn))
				continue;
			char *full = NULL;
			struct stat st;
			if (asprintf(&full, "%s/%s", dir, fn) < 0) {
				r = -ENOMEM;
				break;
			}
			if (stat(full, &st) < 0 || S_ISDIR(st.st_mode)) {
				free(full);
				continue;
			}
			strv_push(&names, fn);
			strv_push_take(&paths, full);
		}
		closedir(d);
	}
	/* sort by file name, carrying the paths along */
	for (size_t i = 1; r == 0 && i < names.n; i++)
		for (size_t j = i; j > 0 && strcmp(names.v[j - 1], names.v[j]) > 0; j--) {
			char *t = names.v[j];
			names.v[j] = names.v[j - 1];
			names.v[j - 1] = t;
			t = paths.v[j];
			paths.v[j] = paths.v[j - 1];
			paths.v[j - 1] = t;
		}
	for (size_t i = 0; r == 0 && i < paths.n; i++) {
		char *buf = NULL;
		size_t len;
		if (read_file(paths.v[i], MAX_CONF_FILE, &buf, &len) < 0) {
			WARN(db->ctx, "cannot read %s: %m", paths.v[i]);
			continue;
		}
		r = moddb_parse_conf(db, paths.v[i], buf);
		free(buf);
	}
	strv_release(&names);
	strv_release(&paths);
	return r;
}

/* ---- opening ---- */

static char *dbfile(struct ctmod_moddb *db, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", db->dir, name) < 0)
		return NULL;
	return p;
}

/* read an optional file: 0 and *buf NULL when missing */
static int read_opt(struct ctmod_moddb *db, const char *name, char **buf, size_t *len, char **path)
{
	*buf = NULL;
	*path = dbfile(db, name);
	if (!*path)
		return -ENOMEM;
	int r = read_file(*path, MAX_INDEX_FILE, buf, len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return ctmod_fail(db->ctx, r, NULL, "cannot read %s: %s", *path, strerror(-r));
	return 0;
}

static int load_raw(struct ctmod_moddb *db, const char *name, struct rawfile *f)
{
	if (f->loaded)
		return 0;
	f->loaded = true;
	return read_opt(db, name, &f->buf, &f->len, &f->path);
}

static int load_builtin_modinfo(struct ctmod_moddb *db)
{
	if (db->modinfo_loaded)
		return 0;
	db->modinfo_loaded = true;
	_cleanup_free_ char *buf = NULL, *path = NULL;
	size_t len;
	int r = read_opt(db, "modules.builtin.modinfo", &buf, &len, &path);
	if (r < 0 || !buf)
		return r;
	return moddb_parse_builtin_modinfo(db, buf, len);
}

struct ctmod_moddb *moddb_new(struct ctmod_ctx *ctx, const char *dir, const char *kver)
{
	struct ctmod_moddb *db = calloc(1, sizeof(*db));
	if (!db)
		return NULL;
	db->ctx = ctx;
	db->dir = strdup(dir);
	db->kver = strdup(kver);
	if (!db->dir || !db->kver) {
		ctmod_moddb_free(db);
		return NULL;
	}
	return db;
}

int ctmod_moddb_open(struct ctmod_ctx *ctx, struct ctmod_moddb **out)
{
	const char *kver;
	int r = ctmod_ctx_kver(ctx, &kver);
	if (r < 0)
		return r;
	_cleanup_free_ char *dir = ctmod_path(ctx, "/lib/modules/%s", kver);
	if (!dir)
		return -ENOMEM;
	struct ctmod_moddb *db = moddb_new(ctx, dir, kver);
	if (!db)
		return ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");

	_cleanup_free_ char *buf = NULL, *path = dbfile(db, "modules.dep");
	_cleanup_free_ char *cmdline_path = NULL;
	size_t len;
	if (!path) {
		r = -ENOMEM;
		goto fail;
	}
	r = read_file(path, MAX_INDEX_FILE, &buf, &len);
	if (r < 0) {
		_cleanup_free_ char *hint = NULL;
		if (asprintf(&hint, "run depmod -b %s %s",
		             ctmod_ctx_has_root(ctx) ? ctmod_ctx_root(ctx) : "/", kver) < 0)
			hint = NULL;
		struct stat st;
		if (r == -ENOENT && stat(dir, &st) < 0)
			r = ctmod_fail(
			    ctx, r, "install the kernel's modules, or name another with --kernel",
			    "%s: no modules for kernel %s", dir, kver);
		else
			r = ctmod_fail(ctx, r, hint, "cannot read %s: %s", path, strerror(-r));
		goto fail;
	}
	r = moddb_parse_dep(db, path, buf);
	if (r < 0)
		goto fail;
	free(buf);
	buf = NULL;
	free(path);

	/* modules.builtin: small and needed by nearly every lookup */
	path = NULL;
	r = read_opt(db, "modules.builtin", &buf, &len, &path);
	if (r < 0)
		goto fail;
	if (buf && (r = moddb_parse_builtin(db, path, buf)) < 0)
		goto fail;
	free(buf);
	buf = NULL;

	/* modprobe.d, then depmod's modules.softdep (a modprobe.d softdep for
	 * the same module wins, as with libkmod), then the command line */
	r = load_conf_dirs(db);
	if (r < 0)
		goto fail;
	free(path);
	path = NULL;
	r = read_opt(db, "modules.softdep", &buf, &len, &path);
	if (r < 0)
		goto fail;
	if (buf && (r = moddb_parse_conf(db, path, buf)) < 0)
		goto fail;
	free(buf);
	buf = NULL;
	cmdline_path = ctmod_path(ctx, "/proc/cmdline");
	if (cmdline_path && read_file(cmdline_path, 1 << 20, &buf, &len) == 0) {
		r = moddb_parse_cmdline(db, buf);
		if (r < 0)
			goto fail;
	}
	*out = db;
	return 0;
fail:
	ctmod_moddb_free(db);
	return r;
}

static void aliastab_release(struct aliastab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].pattern);
		free(t->v[i].modname);
	}
	free(t->v);
	hmap_release(&t->exact);
}

static void pairs_release(struct confpairs *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].value);
	}
	free(t->v);
}

static void objlist_free(struct objlist *l)
{
	if (!l)
		return;
	free(l->v);
	free(l);
}

void ctmod_moddb_free(struct ctmod_moddb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nmods; i++) {
		free(db->mods[i].name);
		free(db->mods[i].path);
		free(db->mods[i].abspath);
		free(db->mods[i].deps);
	}
	free(db->mods);
	hmap_release(&db->modidx);
	free(db->aliases.buf);
	free(db->aliases.path);
	free(db->symbols.buf);
	free(db->symbols.path);
	aliastab_release(&db->builtin_alias);
	hmap_release(&db->builtin);
	strv_release(&db->builtin_names);
	pairs_release(&db->conf_alias);
	pairs_release(&db->options);
	pairs_release(&db->install);
	pairs_release(&db->remove);
	for (size_t i = 0; i < db->softdeps.n; i++) {
		free(db->softdeps.v[i].name);
		strv_release(&db->softdeps.v[i].pre);
		strv_release(&db->softdeps.v[i].post);
	}
	free(db->softdeps.v);
	strv_release(&db->blacklist);
	for (size_t i = 0; i < db->objs.cap; i++) {
		struct obj *o =
		    db->objs.e && db->objs.e[i].key ? (struct obj *)db->objs.e[i].val : NULL;
		if (!o)
			continue;
		free(o->key);
		free(o->deps);
		free(o->options);
		free(o);
	}
	hmap_release(&db->objs);
	for (size_t i = 0; i < db->lookups.cap; i++) {
		if (!db->lookups.e || !db->lookups.e[i].key)
			continue;
		struct objlist *l = (struct objlist *)db->lookups.e[i].val;
		free(l->name);
		objlist_free(l);
	}
	hmap_release(&db->lookups);
	free(db->dir);
	free(db->kver);
	free(db);
}

/* ---- objects: libkmod's struct kmod_module, one per (name, alias) ---- */

static struct obj *obj_get(struct ctmod_moddb *db, const char *name, const char *alias)
{
	_cleanup_free_ char *key = NULL;
	if (asprintf(&key, "%s%s%s", name, alias ? "\\" : "", alias ? alias : "") < 0)
		return NULL;
	struct hent *e = hmap_find(&db->objs, key);
	if (e)
		return (struct obj *)e->val;
	struct obj *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->key = key;
	key = NULL;
	size_t nl = strlen(name);
	if (nl >= sizeof(o->name)) {
		free(o->key);
		free(o);
		return NULL;
	}
	memcpy(o->name, name, nl + 1);
	o->alias = alias ? o->key + nl + 1 : NULL;
	struct hent *m = hmap_find(&db->modidx, name);
	o->mod = m && db->mods[m->val].has_line ? (ssize_t)m->val : -1;
	o->softdep = -2;
	if (hmap_put(&db->objs, o->key, (size_t)o) < 0) {
		free(o->key);
		free(o);
		return NULL;
	}
	return o;
}

static int objlist_push(struct objlist *l, struct obj *o)
{
	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 4;
		struct obj **v = realloc(l->v, c * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = c;
	}
	l->v[l->n++] = o;
	return 0;
}

static int cmp_alias_prio(const void *a, const void *b)
{
	const struct alias *x = *(const struct alias *const *)a,
	                   *y = *(const struct alias *const *)b;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	/* libkmod puts a later value of equal priority first */
	return x->seq < y->seq ? 1 : (x->seq > y->seq ? -1 : 0);
}

/* index_searchwild: exact keys, and keys with wildcards that fnmatch */
static int alias_search(struct aliastab *t, const char *name, struct alias ***out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	struct hent *e = hmap_find(&t->exact, name);
	for (size_t i = e ? e->val : SIZE_MAX; i != SIZE_MAX; i = t->v[i].next) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct alias **v = realloc(*out, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			*out = v;
		}
		(*out)[(*n)++] = &t->v[i];
	}
	for (size_t i = 0; i < t->n; i++) {
		struct alias *a = &t->v[i];
		if (!a->wild)
			continue;
		/* the literal prefix before the first wildcard must match */
		size_t pre = strcspn(a->pattern, "*?[\\");
		if (strncmp(a->pattern, name, pre) != 0)
			continue;
		if (fnmatch(a->pattern, name, 0) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct alias **v = realloc(*out, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			*out = v;
		}
		(*out)[(*n)++] = a;
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_alias_prio);
	return 0;
}

static int cmp_match_prio(const void *a, const void *b)
{
	const struct alias_match *x = a, *y = b;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	/* libkmod puts a later value of equal priority first */
	return x->seq < y->seq ? 1 : (x->seq > y->seq ? -1 : 0);
}

/*
 * modules.alias and modules.symbols are scanned for one name at a time
 * instead of being loaded into a table: a single lookup then costs one pass
 * over the text, and the results are memoized per name anyway.  Every line
 * is checked, so a malformed one is reported wherever it is.
 */
int moddb_alias_scan(struct ctmod_moddb *db, struct rawfile *f, const char *name,
                     struct alias_match **out, size_t *n)
{
	size_t cap = 0, lineno = 0;
	int r;
	*out = NULL;
	*n = 0;
	const char *p = f->buf, *end = f->buf ? f->buf + f->len : NULL;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *line = p;
		p = nl ? nl + 1 : end;
		lineno++;
		while (line < le && (*line == ' ' || *line == '\t' || *line == '\r'))
			line++;
		if (line == le || *line == '#')
			continue;
		/* "alias PATTERN MODULE": the keyword is checked on every line,
		 * the rest only where the pattern can match */
		if (le - line < 6 || memcmp(line, "alias", 5) != 0 ||
		    (line[5] != ' ' && line[5] != '\t'))
			goto malformed;
		const char *pat = line + 6;
		while (pat < le && (*pat == ' ' || *pat == '\t'))
			pat++;
		size_t i = 0;
		bool wild = false;
		for (; pat + i < le && pat[i] != ' ' && pat[i] != '\t'; i++) {
			char c = pat[i];
			if (c == '*' || c == '?' || c == '[' || c == '\\') {
				wild = true;
				break;
			}
			/* a NUL in the file matches nothing: name ends there */
			if (c == '\0' || (c == '-' ? '_' : c) != name[i])
				break;
		}
		if (!wild && pat + i < le && pat[i] != ' ' && pat[i] != '\t')
			continue; /* a literal character differs */
		if (!wild && name[i] != '\0')
			continue; /* the pattern is a strict prefix of the name */
		const char *pe = pat;
		while (pe < le && *pe != ' ' && *pe != '\t')
			pe++;
		const char *mod = pe;
		while (mod < le && (*mod == ' ' || *mod == '\t'))
			mod++;
		const char *me = mod;
		while (me < le && *me != ' ' && *me != '\t' && *me != '\r')
			me++;
		const char *rest = me;
		while (rest < le && (*rest == ' ' || *rest == '\t' || *rest == '\r'))
			rest++;
		size_t pl = (size_t)(pe - pat), ml = (size_t)(me - mod);
		if (!pl || !ml || ml >= 64 || pl >= PATH_MAX || rest != le)
			goto malformed;
		if (wild) {
			char buf[PATH_MAX], norm[PATH_MAX];
			memcpy(buf, pat, pl);
			buf[pl] = '\0';
			if (alias_normalize(buf, norm, sizeof(norm)) < 0 ||
			    fnmatch(norm, name, 0) != 0)
				continue;
		}
		const char *tok[3] = {line, pat, mod};
		size_t tl[3] = {5, pl, ml};
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct alias_match *v = realloc(*out, cap * sizeof(*v));
			if (!v) {
				r = -ENOMEM;
				goto fail;
			}
			*out = v;
		}
		struct alias_match *m = &(*out)[(*n)++];
		memcpy(m->modname, tok[2], tl[2]);
		m->modname[tl[2]] = '\0';
		underscores(m->modname);
		struct hent *e = hmap_find(&db->modidx, m->modname);
		m->prio =
		    e && db->mods[e->val].has_line ? db->mods[e->val].order : SIZE_MAX / 2 + lineno;
		m->seq = lineno;
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_match_prio);
	return 0;
malformed:
	r = dep_fail(db, f->path, lineno, "malformed line: expected 'alias PATTERN MODULE'");
fail:
	/* no partial result: the matches before a bad line are dropped */
	free(*out);
	*out = NULL;
	*n = 0;
	return r;
}

static int lookup_rawfile(struct ctmod_moddb *db, struct rawfile *f, const char *name,
                          struct objlist *l)
{
	struct alias_match *m;
	size_t n;
	int r = moddb_alias_scan(db, f, name, &m, &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct obj *o = obj_get(db, m[i].modname, name);
		r = !o ? -ENOMEM : objlist_push(l, o);
	}
	free(m);
	return r;
}

static int lookup_aliastab(struct ctmod_moddb *db, struct aliastab *t, const char *name,
                           bool builtin, struct objlist *l)
{
	struct alias **m;
	size_t n;
	int r = alias_search(t, name, &m, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct obj *o = obj_get(db, m[i]->modname, name);
		if (!o) {
			r = -ENOMEM;
			break;
		}
		if (builtin)
			o->builtin = 1;
		r = objlist_push(l, o);
	}
	free(m);
	return r;
}

bool moddb_is_builtin_name(struct ctmod_moddb *db, const char *name)
{
	return hmap_find(&db->builtin, name) != NULL;
}

/* kmod_module_new_from_lookup, in its order: modprobe.d aliases,
 * modules.dep, modules.symbols, install/remove commands, modules.alias,
 * modules.builtin, modules.builtin.modinfo aliases */
static int lookup_uncached(struct ctmod_moddb *db, const char *name, struct objlist *l)
{
	int r;
	for (size_t i = 0; i < db->conf_alias.n; i++) {
		if (fnmatch(db->conf_alias.v[i].name, name, 0) != 0)
			continue;
		struct obj *o = obj_get(db, db->conf_alias.v[i].value, db->conf_alias.v[i].name);
		if (!o || objlist_push(l, o) < 0)
			return -ENOMEM;
	}
	if (l->n)
		return 0;
	if (!strchr(name, ':')) {
		struct hent *e = hmap_find(&db->modidx, name);
		if (e && db->mods[e->val].has_line) {
			struct obj *o = obj_get(db, name, NULL);
			return !o ? -ENOMEM : objlist_push(l, o);
		}
	}
	if (!strncmp(name, "symbol:", 7)) {
		if ((r = load_raw(db, "modules.symbols", &db->symbols)) < 0)
			return r;
		if ((r = lookup_rawfile(db, &db->symbols, name, l)) < 0 || l->n)
			return r;
	}
	for (int pass = 0; pass < 2; pass++) {
		struct confpairs *t = pass ? &db->remove : &db->install;
		for (size_t i = 0; i < t->n; i++) {
			if (strcmp(t->v[i].name, name) != 0)
				continue;
			struct obj *o = obj_get(db, name, NULL);
			if (!o)
				return -ENOMEM;
			if (pass)
				o->remove_override = t->v[i].value;
			else
				o->install_override = t->v[i].value;
			return objlist_push(l, o);
		}
	}
	if ((r = load_raw(db, "modules.alias", &db->aliases)) < 0)
		return r;
	if ((r = lookup_rawfile(db, &db->aliases, name, l)) < 0 || l->n)
		return r;
	if (moddb_is_builtin_name(db, name)) {
		struct obj *o = obj_get(db, name, NULL);
		if (!o)
			return -ENOMEM;
		o->builtin = 1;
		return objlist_push(l, o);
	}
	if ((r = load_builtin_modinfo(db)) < 0)
		return r;
	return lookup_aliastab(db, &db->builtin_alias, name, true, l);
}

/* memoized: the answer for a name never changes within one database */
int moddb_lookup(struct ctmod_moddb *db, const char *raw, struct objlist **out)
{
	char name[PATH_MAX];
	int r = alias_normalize(raw, name, sizeof(name));
	if (r < 0)
		return r;
	struct hent *e = hmap_find(&db->lookups, name);
	if (e) {
		*out = (struct objlist *)e->val;
		return 0;
	}
	struct objlist *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->name = strdup(name);
	if (!l->name) {
		free(l);
		return -ENOMEM;
	}
	r = lookup_uncached(db, name, l);
	if (r < 0 || hmap_put(&db->lookups, l->name, (size_t)l) < 0) {
		free(l->name);
		objlist_free(l);
		return r < 0 ? r : -ENOMEM;
	}
	*out = l;
	return 0;
}

/* ---- the probe list (libkmod's __kmod_module_get_probe_list) ---- */

struct probe {
	struct ctmod_moddb *db;
	unsigned gen;
	bool no_softdeps;
	struct objlist list;
	int depth;
};

/* dependencies in load order: modules.dep right to left */
static int obj_deps(struct ctmod_moddb *db, struct obj *o)
{
	if (o->deps_done)
		return 0;
	if (o->mod >= 0) {
		struct mod *m = &db->mods[o->mod];
		o->deps = calloc(m->ndeps ? m->ndeps : 1, sizeof(*o->deps));
		if (!o->deps)
			return -ENOMEM;
		for (size_t i = 0; i < m->ndeps; i++) {
			struct obj *d = obj_get(db, db->mods[m->deps[m->ndeps - 1 - i]].name, NULL);
			if (!d)
				return -ENOMEM;
			o->deps[i] = d;
		}
		o->ndeps = m->ndeps;
	}
	o->deps_done = true;
	return 0;
}

static struct softdep *obj_softdep(struct ctmod_moddb *db, struct obj *o)
{
	if (o->softdep == -2) {
		o->softdep = -1;
		for (size_t i = 0; i < db->softdeps.n; i++)
			if (fnmatch(db->softdeps.v[i].name, o->name, 0) == 0) {
				o->softdep = (ssize_t)i;
				break;
			}
	}
	return o->softdep >= 0 ? &db->softdeps.v[o->softdep] : NULL;
}

static int probe_list(struct probe *p, struct obj *o, bool ignorecmd);

static int softdep_lookup(struct probe *p, const struct strv *names, struct objlist *out)
{
	for (size_t i = 0; i < names->n; i++) {
		struct objlist *l;
		int r = moddb_lookup(p->db, names->v[i], &l);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			WARN(p->db->ctx, "failed to lookup soft dependency '%s', continuing anyway",
			     names->v[i]);
			continue;
		}
		for (size_t j = 0; j < l->n; j++)
			if (objlist_push(out, l->v[j]) < 0)
				return -ENOMEM;
	}
	return 0;
}

static int fill_softdep(struct probe *p, struct obj *o)
{
	struct objlist pre = {0}, post = {0};
	struct softdep *sd = p->no_softdeps ? NULL : obj_softdep(p->db, o);
	int r = 0;
	if (++p->depth > MAX_DEPTH) {
		r = ctmod_fail(p->db->ctx, -ELOOP,
		               "check the softdep lines in modprobe.d and modules.softdep",
		               "softdep chain through %s is deeper than %d modules (a cycle?)",
		               o->name, MAX_DEPTH);
		goto out;
	}
	if (sd) {
		if ((r = softdep_lookup(p, &sd->pre, &pre)) < 0 ||
		    (r = softdep_lookup(p, &sd->post, &post)) < 0)
			goto out;
	}
	for (size_t i = 0; i < pre.n && r == 0; i++)
		r = probe_list(p, pre.v[i], false);
	if (r < 0)
		goto out;
	if ((r = objlist_push(&p->list, o)) < 0)
		goto out;
	o->ign_gen = p->gen;
	o->ignorecmd = pre.n || post.n;
	for (size_t i = 0; i < post.n && r == 0; i++)
		r = probe_list(p, post.v[i], false);
out:
	p->depth--;
	free(pre.v);
	free(post.v);
	return r;
}

static int probe_list(struct probe *p, struct obj *o, bool ignorecmd)
{
	if (o->visit_gen == p->gen)
		return 0;
	o->visit_gen = p->gen;
	int r = obj_deps(p->db, o);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o->ndeps; i++)
		if ((r = fill_softdep(p, o->deps[i])) < 0)
			return r;
	if (ignorecmd) {
		if ((r = objlist_push(&p->list, o)) < 0)
			return r;
		o->ign_gen = p->gen;
		o->ignorecmd = true;
		return 0;
	}
	return fill_softdep(p, o);
}

static const char *obj_install(struct ctmod_moddb *db, struct obj *o)
{
	if (o->install_override)
		return o->install_override;
	for (size_t i = 0; i < db->install.n; i++)
		if (fnmatch(db->install.v[i].name, o->name, 0) == 0)
			return db->install.v[i].value;
	return NULL;
}

static const char *obj_remove(struct ctmod_moddb *db, struct obj *o)
{
	if (o->remove_override)
		return o->remove_override;
	for (size_t i = 0; i < db->remove.n; i++)
		if (fnmatch(db->remove.v[i].name, o->name, 0) == 0)
			return db->remove.v[i].value;
	return NULL;
}

static const char *obj_options(struct ctmod_moddb *db, struct obj *o)
{
	if (o->options_done)
		return o->options;
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < db->options.n; i++) {
		const char *mn = db->options.v[i].name;
		if (strcmp(mn, o->name) != 0 && !(o->alias && strcmp(mn, o->alias) == 0))
			continue;
		if (!*db->options.v[i].value)
			continue;
		if (sb.len)
			strbuf_putc(&sb, ' ');
		strbuf_puts(&sb, db->options.v[i].value);
	}
	o->options = sb.len ? strbuf_steal(&sb) : NULL;
	strbuf_release(&sb);
	o->options_done = true;
	return o->options;
}

bool moddb_blacklisted(struct ctmod_moddb *db, const char *name)
{
	return strv_contains(&db->blacklist, name);
}

bool moddb_obj_builtin(struct ctmod_moddb *db, struct obj *o)
{
	return o->builtin || moddb_is_builtin_name(db, o->name);
}

/* a dependency that lists its user again is a cycle depmod should have
 * refused; report it instead of loading in a made-up order */
static int check_cycle(struct ctmod_moddb *db, struct obj *o)
{
	if (o->mod < 0)
		return 0;
	struct mod *m = &db->mods[o->mod];
	for (size_t i = 0; i < m->ndeps; i++) {
		struct mod *d = &db->mods[m->deps[i]];
		bool loop = m->deps[i] == (size_t)o->mod;
		for (size_t j = 0; !loop && j < d->ndeps; j++)
			loop = d->deps[j] == (size_t)o->mod;
		if (loop) {
			_cleanup_free_ char *hint = NULL;
			if (asprintf(&hint, "rebuild it: depmod -b %s %s",
			             ctmod_ctx_has_root(db->ctx) ? ctmod_ctx_root(db->ctx) : "/",
			             db->kver) < 0)
				hint = NULL;
			return ctmod_fail(db->ctx, -ELOOP, hint,
			                  "dependency cycle in %s/modules.dep: %s -> %s -> %s",
			                  db->dir, m->name, d->name, m->name);
		}
	}
	return 0;
}

static char *abs_path(struct ctmod_moddb *db, const char *rel)
{
	char *p = NULL;
	if (rel[0] == '/')
		return strdup(rel);
	if (asprintf(&p, "%s/%s", db->dir, rel) < 0)
		return NULL;
	return p;
}

static int step_from_obj(struct ctmod_moddb *db, struct obj *o, bool target, const char *extra,
                         struct ctmod_moddb_step *s)
{
	memset(s, 0, sizeof(*s));
	s->name = strdup(o->name);
	if (!s->name)
		return -ENOMEM;
	s->target = target;
	s->blacklisted = moddb_blacklisted(db, o->name);
	const char *mo = obj_options(db, o);
	struct strbuf sb;
	strbuf_init(&sb);
	/* as libkmod's module_options_concat: config options and a space, then
	 * the caller's (so modprobe prints a trailing space after them) */
	if (mo) {
		strbuf_puts(&sb, mo);
		strbuf_putc(&sb, ' ');
	}
	if (target && extra)
		strbuf_puts(&sb, extra);
	s->options = strbuf_steal(&sb);
	if (!s->options)
		return -ENOMEM;
	const char *cmd = obj_install(db, o);
	bool ign = o->ign_gen && o->ignorecmd;
	if (cmd && !ign) {
		s->install_cmd = strdup(cmd);
		if (!s->install_cmd)
			return -ENOMEM;
	}
	const char *rm = obj_remove(db, o);
	if (rm && !(s->remove_cmd = strdup(rm)))
		return -ENOMEM;
	if (o->mod >= 0) {
		s->path = abs_path(db, db->mods[o->mod].path);
		if (!s->path)
			return -ENOMEM;
	} else {
		s->builtin = moddb_obj_builtin(db, o);
	}
	return 0;
}

static int plan_push(struct ctmod_moddb_plan *plan, size_t *cap, struct ctmod_moddb_step *s)
{
	if (plan->n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct ctmod_moddb_step *v = realloc(plan->steps, c * sizeof(*v));
		if (!v)
			return -ENOMEM;
		plan->steps = v;
		*cap = c;
	}
	plan->steps[plan->n++] = *s;
	return 0;
}

static void step_release(struct ctmod_moddb_step *s)
{
	free(s->name);
	free(s->path);
	free(s->options);
	free(s->install_cmd);
	free(s->remove_cmd);
}

void ctmod_moddb_plan_release(struct ctmod_moddb_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++)
		step_release(&plan->steps[i]);
	free(plan->steps);
	plan->steps = NULL;
	plan->n = 0;
}

static int not_found(struct ctmod_moddb *db, const char *name)
{
	/* the closest module names, for "did you mean" */
	char norm[PATH_MAX];
	modname_normalize(name, norm, sizeof(norm));
	const char *best[3] = {0};
	size_t bd[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
	size_t limit = strlen(norm) / 3 + 2;
	for (size_t pass = 0; pass < 2; pass++) {
		size_t n = pass ? db->builtin_names.n : db->nmods;
		for (size_t i = 0; i < n; i++) {
			const char *c = pass ? db->builtin_names.v[i] : db->mods[i].name;
			if (!pass && !db->mods[i].has_line)
				continue;
			size_t d =
			    strstr(c, norm) && strlen(norm) >= 3 ? 1 : edit_distance(norm, c);
			if (d > limit)
				continue;
			for (int k = 0; k < 3; k++) {
				if (d < bd[k]) {
					for (int j = 2; j > k; j--) {
						bd[j] = bd[j - 1];
						best[j] = best[j - 1];
					}
					bd[k] = d;
					best[k] = c;
					break;
				}
			}
		}
	}
	struct strbuf hint;
	strbuf_init(&hint);
	if (best[0]) {
		strbuf_puts(&hint, "did you mean ");
		for (int k = 0; k < 3 && best[k]; k++)
			strbuf_printf(&hint, "%s%s",
			              k ? (k == 2 || !best[k + 1] ? " or " : ", ") : "", best[k]);
		strbuf_puts(&hint, "?");
	} else {
		strbuf_printf(&hint, "check the name, or run ctmod deps --all to list the modules");
	}
	int r = ctmod_fail(db->ctx, -ENOENT, strbuf_str(&hint), "module %s not found in %s", name,
	                   db->dir);
	strbuf_release(&hint);
	return r;
}

/* stat each module file once: a listed file that is gone means the
 * indexes are stale */
static int check_exists(struct ctmod_moddb *db, struct obj *o)
{
	if (o->mod < 0)
		return 0;
	struct mod *m = &db->mods[o->mod];
	if (m->exists < 0) {
		_cleanup_free_ char *p = abs_path(db, m->path);
		if (!p)
			return -ENOMEM;
		m->exists = access(p, F_OK) == 0;
	}
	if (!m->exists) {
		_cleanup_free_ char *hint = NULL;
		if (asprintf(&hint, "the module index is stale: run depmod -b %s %s",
		             ctmod_ctx_has_root(db->ctx) ? ctmod_ctx_root(db->ctx) : "/",
		             db->kver) < 0)
			hint = NULL;
		return ctmod_fail(db->ctx, -ENOENT, hint,
		                  "%s/modules.dep lists %s, which does not exist", db->dir,
		                  m->path);
	}
	return 0;
}

int ctmod_moddb_resolve_opts(struct ctmod_moddb *db, const char *name, unsigned flags,
                             const char *extra_options, struct ctmod_moddb_plan *plan)
{
	struct objlist *l;
	size_t cap = 0;
	plan->steps = NULL;
	plan->n = 0;
	int r = moddb_lookup(db, name, &l);
	if (r == -EINVAL)
		return ctmod_fail_input(db->ctx, r, "close the [...] in the name",
		                        "%s: not a valid module name or alias", name);
	if (r < 0)
		return ctmod_fail(db->ctx, r, NULL, "looking up %s: %s", name, strerror(-r));
	if (!l->n)
		return not_found(db, name);

	struct probe p = {.db = db, .no_softdeps = flags & CTMOD_RESOLVE_NO_SOFTDEPS};
	for (size_t t = 0; t < l->n; t++) {
		struct obj *target = l->v[t];
		/* modprobe: an alias never loads a blacklisted module */
		if (target->alias && moddb_blacklisted(db, target->name))
			continue;
		if ((r = check_cycle(db, target)) < 0)
			goto fail;
		p.gen = ++db->gen;
		p.list.n = 0;
		p.depth = 0;
		r = probe_list(&p, target, flags & CTMOD_RESOLVE_IGNORE_INSTALL);
		if (r < 0)
			goto fail;
		for (size_t i = 0; i < p.list.n; i++) {
			struct obj *o = p.list.v[i];
			if ((r = check_exists(db, o)) < 0)
				goto fail;
			struct ctmod_moddb_step s;
			r = step_from_obj(db, o, o == target, extra_options, &s);
			if (r < 0) {
				step_release(&s);
				goto fail;
			}
			/* modprobe does nothing for a name with neither file,
			 * install command nor built-in entry */
			if (!s.path && !s.builtin && !s.install_cmd) {
				step_release(&s);
				continue;
			}
			if ((r = plan_push(plan, &cap, &s)) < 0) {
				step_release(&s);
				goto fail;
			}
		}
	}
	free(p.list.v);
	return 0;
fail:
	free(p.list.v);
	ctmod_moddb_plan_release(plan);
	if (r == -ENOMEM && !ctmod_ctx_error(db->ctx))
		ctmod_fail(db->ctx, r, NULL, "out of memory");
	return r;
}

int ctmod_moddb_resolve(struct ctmod_moddb *db, const char *name, unsigned flags,
                        struct ctmod_moddb_plan *plan)
{
	return ctmod_moddb_resolve_opts(db, name, flags, NULL, plan);
}

int ctmod_moddb_show_depends(const struct ctmod_moddb_step *s, struct strbuf *out)
{
	if (s->install_cmd)
		strbuf_printf(out, "install %s %s\n", s->install_cmd, s->options);
	else if (s->path)
		strbuf_printf(out, "insmod %s %s\n", s->path, s->options);
	else if (s->builtin)
		strbuf_printf(out, "builtin %s\n", s->name);
	return 0;
}

/* ---- queries ---- */

static ssize_t find_mod(struct ctmod_moddb *db, const char *module)
{
	char norm[PATH_MAX];
	modname_normalize(module, norm, sizeof(norm));
	struct hent *e = hmap_find(&db->modidx, norm);
	if (!e || !db->mods[e->val].has_line)
		return -1;
	return (ssize_t)e->val;
}

int ctmod_moddb_lookup(struct ctmod_moddb *db, const char *name, struct strv *mods)
{
	struct objlist *l;
	int r = moddb_lookup(db, name, &l);
	if (r < 0)
		return r == -EINVAL ? ctmod_fail_input(db->ctx, r, NULL,
		                                       "%s: not a valid module name or alias", name)
		                    : r;
	for (size_t i = 0; i < l->n; i++)
		if (!strv_contains(mods, l->v[i]->name))
			strv_push(mods, l->v[i]->name);
	return 0;
}

int ctmod_moddb_depends(struct ctmod_moddb *db, const char *module, struct strv *deps)
{
	ssize_t i = find_mod(db, module);
	if (i < 0)
		return not_found(db, module);
	struct mod *m = &db->mods[i];
	for (size_t k = m->ndeps; k-- > 0;)
		strv_push(deps, db->mods[m->deps[k]].name);
	return 0;
}

int ctmod_moddb_direct_depends(struct ctmod_moddb *db, const char *module, struct strv *deps)
{
	ssize_t i = find_mod(db, module);
	if (i < 0)
		return not_found(db, module);
	struct mod *m = &db->mods[i];
	/* modules.dep holds the closure: a direct dependency is one that no
	 * other dependency already pulls in */
	for (size_t k = m->ndeps; k-- > 0;) {
		size_t d = m->deps[k];
		bool indirect = false;
		for (size_t j = 0; j < m->ndeps && !indirect; j++) {
			if (j == k || m->deps[j] == d)
				continue;
			struct mod *o = &db->mods[m->deps[j]];
			for (size_t x = 0; x < o->ndeps && !indirect; x++)
				indirect = o->deps[x] == d && m->deps[j] != (size_t)i;
		}
		if (!indirect && d != (size_t)i)
			strv_push(deps, db->mods[d].name);
	}
	return 0;
}

int ctmod_moddb_users(struct ctmod_moddb *db, const char *module, struct strv *users)
{
	ssize_t t = find_mod(db, module);
	if (t < 0)
		return not_found(db, module);
	for (size_t i = 0; i < db->nmods; i++) {
		struct mod *m = &db->mods[i];
		if (!m->has_line || i == (size_t)t)
			continue;
		for (size_t k = 0; k < m->ndeps; k++)
			if (m->deps[k] == (size_t)t) {
				strv_push(users, m->name);
				break;
			}
	}
	return 0;
}

int ctmod_moddb_symbol_owners(struct ctmod_moddb *db, const char *symbol, struct strv *owners)
{
	int r = load_raw(db, "modules.symbols", &db->symbols);
	if (r < 0)
		return r;
	_cleanup_free_ char *key = NULL;
	if (asprintf(&key, "%s%s", strncmp(symbol, "symbol:", 7) ? "symbol:" : "", symbol) < 0)
		return -ENOMEM;
	struct alias_match *m;
	size_t n;
	if ((r = moddb_alias_scan(db, &db->symbols, key, &m, &n)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		if (!strv_contains(owners, m[i].modname))
			strv_push(owners, m[i].modname);
	free(m);
	return r;
}

bool ctmod_moddb_is_builtin(struct ctmod_moddb *db, const char *module)
{
	char norm[PATH_MAX];
	modname_normalize(module, norm, sizeof(norm));
	return moddb_is_builtin_name(db, norm);
}

int ctmod_moddb_all(struct ctmod_moddb *db, struct strv *mods)
{
	for (size_t i = 0; i < db->nmods; i++)
		if (db->mods[i].has_line)
			strv_push(mods, db->mods[i].name);
	return 0;
}

const char *ctmod_moddb_dir(const struct ctmod_moddb *db)
{
	return db->dir;
}

const char *ctmod_moddb_path(struct ctmod_moddb *db, const char *module)
{
	ssize_t i = find_mod(db, module);
	if (i < 0)
		return NULL;
	struct mod *m = &db->mods[i];
	if (!m->abspath)
		m->abspath = abs_path(db, m->path);
	return m->abspath;
}
