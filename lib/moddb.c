// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The text resolver: the files depmod writes (modules.dep, .alias,
 * .symbols, .softdep, .builtin, .builtin.modinfo), modprobe.d and the kernel
 * command line, and a resolver that reproduces libkmod's probe list
 * (kmod_module_new_from_lookup + kmod_module_probe_insert_module) step for
 * step, so that `ctmod deps --show-depends` prints what modprobe prints.
 *
 * Why a resolver of our own beside libkmod's (lib/probe.c, which serves
 * single lookups): one parse of the text serves every module of the kernel
 * (`deps --all`), a tree without .bin indexes (or a half-written one)
 * still resolves, every parser can be fuzzed, and the kernel command line is
 * taken from ROOT/proc/cmdline (libkmod always reads the host's).  Which
 * resolver serves which path is listed in moddb.h.
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

int moddb_load_raw(struct ctmod_moddb *db, const char *name, struct rawfile *f)
{
	if (f->loaded)
		return 0;
	f->loaded = true;
	return read_opt(db, name, &f->buf, &f->len, &f->path);
}

int moddb_load_builtin_modinfo(struct ctmod_moddb *db)
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

void moddb_objlist_free(struct objlist *l)
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
	strv_release(&db->blacklist_from);
	strv_release(&db->install_from);
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
		moddb_objlist_free(l);
	}
	hmap_release(&db->lookups);
	free(db->dir);
	free(db->kver);
	free(db);
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
		return moddb_not_found(db, module);
	struct mod *m = &db->mods[i];
	for (size_t k = m->ndeps; k-- > 0;)
		strv_push(deps, db->mods[m->deps[k]].name);
	return 0;
}

int ctmod_moddb_direct_depends(struct ctmod_moddb *db, const char *module, struct strv *deps)
{
	ssize_t i = find_mod(db, module);
	if (i < 0)
		return moddb_not_found(db, module);
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
		return moddb_not_found(db, module);
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
	int r = moddb_load_raw(db, "modules.symbols", &db->symbols);
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
		m->abspath = moddb_abs_path(db, m->path);
	return m->abspath;
}
