// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The text resolver's walk: libkmod's objects (one per name and alias),
 * lookups through modprobe.d aliases, modules.dep, modules.alias,
 * modules.symbols and the built-ins in libkmod's order, and the probe list
 * of kmod_module_probe_insert_module step for step.  See moddb.h for where
 * this resolver serves and where libkmod's (lib/probe.c) does.
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

/* ---- objects: libkmod's struct kmod_module, one per (name, alias) ---- */

/* NULL: NAME is longer than a module name can be (its callers say -ENOMEM) */
static struct obj *obj_get(struct ctmod_moddb *db, const char *name, const char *alias)
{
	size_t nl = strlen(name);
	if (nl >= sizeof(((struct obj *)NULL)->name))
		return NULL;
	_cleanup_free_ char *key = xasprintf("%s%s%s", name, alias ? "\\" : "", alias ? alias : "");
	struct hent *e = hmap_find(&db->objs, key);
	if (e)
		return (struct obj *)e->val;
	struct obj *o = xcalloc(1, sizeof(*o));
	o->key = key;
	key = NULL;
	memcpy(o->name, name, nl + 1);
	o->alias = alias ? o->key + nl + 1 : NULL;
	struct hent *m = hmap_find(&db->modidx, name);
	o->mod = m && db->mods[m->val].has_line ? (ssize_t)m->val : -1;
	o->softdep = -2;
	hmap_put(&db->objs, o->key, (size_t)o);
	return o;
}

static void objlist_push(struct objlist *l, struct obj *o)
{
	ARRAY_RESERVE(l->v, l->cap, l->n + 1);
	l->v[l->n++] = o;
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
static void alias_search(struct aliastab *t, const char *name, struct alias ***out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	struct hent *e = hmap_find(&t->exact, name);
	for (size_t i = e ? e->val : SIZE_MAX; i != SIZE_MAX; i = t->v[i].next) {
		ARRAY_RESERVE(*out, cap, *n + 1);
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
		ARRAY_RESERVE(*out, cap, *n + 1);
		(*out)[(*n)++] = a;
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_alias_prio);
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
/* One match of a modules.alias-format scan: MODULE (ml < 64 bytes) of
 * line LINENO, ranked as libkmod ranks it (the module's modules.dep order,
 * modules without a line after those with one, then the line). */
static void match_push(struct ctmod_moddb *db, struct alias_match **out, size_t *n, size_t *cap,
                       const char *mod, size_t ml, size_t lineno)
{
	struct alias_match *m = ARRAY_PUSH(*out, *n, *cap);
	memcpy(m->modname, mod, ml);
	m->modname[ml] = '\0';
	moddb_underscores(m->modname);
	struct hent *e = hmap_find(&db->modidx, m->modname);
	m->prio = e && db->mods[e->val].has_line ? db->mods[e->val].order : SIZE_MAX / 2 + lineno;
	m->seq = lineno;
}

int moddb_alias_scan(struct ctmod_moddb *db, struct rawfile *f, const char *name,
                     struct alias_match **out, size_t *n)
{
	size_t cap = 0, lineno = 0;
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
		match_push(db, out, n, &cap, mod, ml, lineno);
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_match_prio);
	return 0;
malformed:
	/* no partial result: the matches before a bad line are dropped */
	free(*out);
	*out = NULL;
	*n = 0;
	return moddb_dep_fail(db, f->path, lineno,
	                      "malformed line: expected 'alias PATTERN MODULE'");
}

static int lookup_rawfile(struct ctmod_moddb *db, struct rawfile *f, const char *name,
                          struct objlist *l)
{
	_cleanup_free_ struct alias_match *m = NULL;
	size_t n;
	int r = moddb_alias_scan(db, f, name, &m, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct obj *o = obj_get(db, m[i].modname, name);
		if (!o)
			return -ENOMEM;
		objlist_push(l, o);
	}
	return 0;
}

static int lookup_aliastab(struct ctmod_moddb *db, struct aliastab *t, const char *name,
                           bool builtin, struct objlist *l)
{
	_cleanup_free_ struct alias **m = NULL;
	size_t n;
	alias_search(t, name, &m, &n);
	for (size_t i = 0; i < n; i++) {
		struct obj *o = obj_get(db, m[i]->modname, name);
		if (!o)
			return -ENOMEM;
		if (builtin)
			o->builtin = 1;
		objlist_push(l, o);
	}
	return 0;
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
		if (!o)
			return -ENOMEM;
		objlist_push(l, o);
	}
	if (l->n)
		return 0;
	if (!strchr(name, ':')) {
		struct hent *e = hmap_find(&db->modidx, name);
		if (e && db->mods[e->val].has_line) {
			struct obj *o = obj_get(db, name, NULL);
			if (!o)
				return -ENOMEM;
			objlist_push(l, o);
			return 0;
		}
	}
	if (!strncmp(name, "symbol:", 7)) {
		if ((r = moddb_load_raw(db, "modules.symbols", &db->symbols)) < 0)
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
			objlist_push(l, o);
			return 0;
		}
	}
	if ((r = moddb_load_raw(db, "modules.alias", &db->aliases)) < 0)
		return r;
	if ((r = lookup_rawfile(db, &db->aliases, name, l)) < 0 || l->n)
		return r;
	if (moddb_is_builtin_name(db, name)) {
		struct obj *o = obj_get(db, name, NULL);
		if (!o)
			return -ENOMEM;
		o->builtin = 1;
		objlist_push(l, o);
		return 0;
	}
	if ((r = moddb_load_builtin_modinfo(db)) < 0)
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
	struct objlist *l = xcalloc(1, sizeof(*l));
	l->name = xstrdup(name);
	r = lookup_uncached(db, name, l);
	if (r < 0) {
		free(l->name);
		moddb_objlist_free(l);
		return r;
	}
	hmap_put(&db->lookups, l->name, (size_t)l);
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
		o->deps = xcalloc(m->ndeps ? m->ndeps : 1, sizeof(*o->deps));
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
			objlist_push(out, l->v[j]);
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
	objlist_push(&p->list, o);
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
		objlist_push(&p->list, o);
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

char *moddb_origin(const char *file, size_t line)
{
	char *s;
	if (asprintf(&s, "%s:%zu", file, line) < 0)
		abort();
	return s;
}

int ctmod_moddb_softdeps(struct ctmod_moddb *db, const char *module, struct strv *pre,
                         struct strv *post)
{
	/* the first softdep line whose pattern matches, as obj_softdep picks it */
	for (size_t i = 0; i < db->softdeps.n; i++) {
		const struct softdep *sd = &db->softdeps.v[i];
		if (fnmatch(sd->name, module, 0) != 0)
			continue;
		for (size_t k = 0; k < sd->pre.n; k++)
			strv_push(pre, sd->pre.v[k]);
		for (size_t k = 0; k < sd->post.n; k++)
			strv_push(post, sd->post.v[k]);
		break;
	}
	return 0;
}

const char *ctmod_moddb_blacklisted_by(struct ctmod_moddb *db, const char *name)
{
	for (size_t i = 0; i < db->blacklist.n; i++)
		if (modname_equal(db->blacklist.v[i], name))
			return i < db->blacklist_from.n ? db->blacklist_from.v[i] : "a blacklist";
	return NULL;
}

const char *ctmod_moddb_install_by(struct ctmod_moddb *db, const char *name, const char **cmd)
{
	char n[256];
	modname_normalize(name, n, sizeof(n));
	for (size_t i = 0; i < db->install.n; i++)
		if (fnmatch(db->install.v[i].name, n, 0) == 0) {
			if (cmd)
				*cmd = db->install.v[i].value;
			return i < db->install_from.n ? db->install_from.v[i]
			                              : "an install command";
		}
	return NULL;
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

char *moddb_abs_path(struct ctmod_moddb *db, const char *rel)
{
	return rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", db->dir, rel);
}

static void step_from_obj(struct ctmod_moddb *db, struct obj *o, bool target, const char *extra,
                          struct ctmod_moddb_step *s)
{
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(o->name);
	s->target = target;
	s->blacklisted = moddb_blacklisted(db, o->name);
	const char *mo = obj_options(db, o);
	struct strbuf sb = STRBUF_INIT;
	/* as libkmod's module_options_concat: config options and a space, then
	 * the caller's (so modprobe prints a trailing space after them) */
	if (mo) {
		strbuf_puts(&sb, mo);
		strbuf_putc(&sb, ' ');
	}
	if (target && extra)
		strbuf_puts(&sb, extra);
	s->options = strbuf_steal(&sb);
	const char *cmd = obj_install(db, o);
	bool ign = o->ign_gen && o->ignorecmd;
	if (cmd && !ign)
		s->install_cmd = xstrdup(cmd);
	const char *rm = obj_remove(db, o);
	if (rm)
		s->remove_cmd = xstrdup(rm);
	if (o->mod >= 0)
		s->path = moddb_abs_path(db, db->mods[o->mod].path);
	else
		s->builtin = moddb_obj_builtin(db, o);
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

int moddb_not_found(struct ctmod_moddb *db, const char *name)
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
		_cleanup_free_ char *p = moddb_abs_path(db, m->path);
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
		return moddb_not_found(db, name);

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
			step_from_obj(db, o, o == target, extra_options, &s);
			/* modprobe does nothing for a name with neither file,
			 * install command nor built-in entry */
			if (!s.path && !s.builtin && !s.install_cmd) {
				step_release(&s);
				continue;
			}
			ARRAY_RESERVE(plan->steps, cap, plan->n + 1);
			plan->steps[plan->n++] = s;
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
