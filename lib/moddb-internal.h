/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inside of struct ctmod_moddb, shared by the text resolver's files
 * (moddb.c: opening, files, queries; moddb-parse.c: the parsers;
 * moddb-cmdline.c: the kernel command line; moddb-resolve.c: lookups and the
 * probe list; moddb-hmap.c: the hash map), tests/unit/test_moddb.c and
 * tests/fuzz/fuzz_moddb.c.
 */
#pragma once

#include <sys/types.h>

#include "moddb.h"

#define MAX_INDEX_FILE (256u << 20)
#define MAX_CONF_FILE  (16u << 20)
/* deeper softdep chains than this are treated as a cycle: the kernel has a
 * few levels, a crafted config must not overflow the stack */
#define MAX_DEPTH 256

struct hent {
	const char *key;
	size_t val;
};

struct hmap {
	struct hent *e;
	size_t cap, n;
};

struct hent *hmap_find(const struct hmap *m, const char *key);
/* cannot fail: out of memory aborts (xalloc.h) */
void hmap_put(struct hmap *m, const char *key, size_t val);
void hmap_release(struct hmap *m);

/* one line of modules.dep */
struct mod {
	char *name;    /* normalized */
	char *path;    /* as written in modules.dep (relative to the dir) */
	char *abspath; /* cached by ctmod_moddb_path() */
	size_t *deps;  /* indexes into mods, in line order */
	size_t ndeps;
	size_t line;   /* line number, for messages */
	size_t order;  /* position among the lines: depmod's module index */
	bool has_line; /* false: only named as someone's dependency */
	int exists;    /* -1 not checked yet */
};

struct alias {
	char *pattern; /* normalized */
	char *modname;
	size_t prio; /* libkmod's value priority */
	size_t seq;
	size_t next; /* next entry with the same exact key, SIZE_MAX ends */
	bool wild;
};

struct aliastab {
	struct alias *v;
	size_t n, cap;
	struct hmap exact; /* pattern without wildcards -> first entry */
};

/* a text index kept as read, scanned per lookup */
struct rawfile {
	char *buf, *path;
	size_t len;
	bool loaded;
};

struct alias_match {
	char modname[64];
	size_t prio, seq;
};

struct confpair {
	char *name;
	char *value;
};

struct confpairs {
	struct confpair *v;
	size_t n, cap;
};

struct softdep {
	char *name;
	struct strv pre, post;
};

/* libkmod's struct kmod_module: one per (name, alias) */
struct obj {
	char *key;
	char name[64];
	const char *alias; /* points into key */
	ssize_t mod;       /* index of its modules.dep line, -1 if none */
	struct obj **deps;
	size_t ndeps;
	bool deps_done;
	ssize_t softdep; /* -2 not looked up, -1 none */
	const char *install_override, *remove_override;
	char *options;
	bool options_done;
	int builtin;
	unsigned visit_gen, ign_gen;
	bool ignorecmd;
};

struct objlist {
	char *name;
	struct obj **v;
	size_t n, cap;
};

struct ctmod_moddb {
	struct ctmod_ctx *ctx;
	char *dir; /* ROOT/lib/modules/KVER */
	char *kver;
	struct mod *mods;
	size_t nmods, capmods, nlines;
	struct hmap modidx;
	struct rawfile aliases, symbols;
	struct aliastab builtin_alias;
	bool modinfo_loaded;
	struct hmap builtin;
	struct strv builtin_names;
	struct confpairs conf_alias, options, install, remove;
	struct {
		struct softdep *v;
		size_t n, cap;
	} softdeps;
	struct strv blacklist;
	struct strv blacklist_from; /* where each blacklist entry was read, in step */
	struct strv install_from;   /* where each install command was read, in step */
	struct hmap objs;
	struct hmap lookups;
	unsigned gen;
};

struct ctmod_moddb *moddb_new(struct ctmod_ctx *ctx, const char *dir, const char *kver);
int alias_normalize(const char *in, char *out, size_t outsz);
int path_to_modname(const char *path, char *out, size_t outsz);
/* parsers: buf is modified in place; a malformed line fails with file:line */
int moddb_parse_dep(struct ctmod_moddb *db, const char *file, char *buf);
/* the matches of NAME (normalized) in a modules.alias-format file, in libkmod's order */
int moddb_alias_scan(struct ctmod_moddb *db, struct rawfile *f, const char *name,
                     struct alias_match **out, size_t *n);
int moddb_parse_builtin(struct ctmod_moddb *db, const char *file, char *buf);
int moddb_parse_builtin_modinfo(struct ctmod_moddb *db, const char *buf, size_t len);
int moddb_parse_conf(struct ctmod_moddb *db, const char *file, char *buf);
int moddb_parse_cmdline(struct ctmod_moddb *db, char *buf);
int moddb_add_options(struct ctmod_moddb *db, const char *modname, const char *opts);
int moddb_lookup(struct ctmod_moddb *db, const char *name, struct objlist **out);
bool moddb_is_builtin_name(struct ctmod_moddb *db, const char *name);
bool moddb_blacklisted(struct ctmod_moddb *db, const char *name);
/* "FILE:LINE", malloc'd */
char *moddb_origin(const char *file, size_t line);

/* shared between the text resolver's files (moddb.c, moddb-parse.c,
 * moddb-resolve.c) */
void moddb_underscores(char *s);
int moddb_dep_fail(struct ctmod_moddb *db, const char *file, size_t line, const char *what);
int moddb_load_raw(struct ctmod_moddb *db, const char *name, struct rawfile *f);
int moddb_load_builtin_modinfo(struct ctmod_moddb *db);
void moddb_objlist_free(struct objlist *l);
char *moddb_abs_path(struct ctmod_moddb *db, const char *rel);
/* -ENOENT with "module NAME not found in DIR: did you mean ..." */
int moddb_not_found(struct ctmod_moddb *db, const char *name);
