/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module database of one kernel under the root: modules.dep,
 * modules.softdep, modules.alias, modules.symbols, modules.builtin,
 * modprobe.d and the kernel command line, and dependency resolution exactly
 * as modprobe does it.
 *
 * ctmod has two resolvers; which one answers where:
 *  - libkmod over the .bin indexes (lib/probe.h): single lookups of
 *    `ctmod deps NAME...` and `--show-depends NAME...` (text output, no
 *    --no-softdeps), when ctmod_probe_usable() says libkmod sees what this
 *    one would (an up-to-date modules.dep.bin, the same kernel command
 *    line); and the whole `modprobe` personality (cmd/modprobe.c), which is
 *    kmod's modprobe and reads what kmod reads.
 *  - this one, over the text files: `deps --all` (one parse serves 4,000
 *    resolutions, 170x faster than one libkmod process each), `--tree`,
 *    `--reverse`, `--json`, trees without .bin indexes or with a
 *    modules.dep newer than them, ROOT/proc/cmdline differing from the
 *    host's (libkmod reads only the running system's), the error messages
 *    that name the closest modules, `ctmod load`/`autoload` (their plans:
 *    blacklists, built-ins and install commands step by step, and no
 *    libkmod needed where the kernel's helper does the loading), and
 *    diagnose's symbol search (ctmod_moddb_symbol_owners).
 * Both are checked against kmod's modprobe over Debian's whole tree
 * (tests/cli/test-deps.sh) and kmod's test cases (test-modprobe.sh).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "util.h"

struct ctmod_moddb;

/* Open the database of the context's kernel.  Missing modules.dep is an
 * error with the depmod hint; a malformed line is bad input (file:line). */
int ctmod_moddb_open(struct ctmod_ctx *ctx, struct ctmod_moddb **out);
void ctmod_moddb_free(struct ctmod_moddb *db);

/* One step of a resolution, in load order. */
struct ctmod_moddb_step {
	char *name;        /* normalized module name ('_') */
	char *path;        /* the .ko under the root (absolute), NULL if built-in */
	char *options;     /* modprobe.d options + cmdline mod.param=, "" if none */
	char *install_cmd; /* modprobe.d `install` command, NULL if none */
	char *remove_cmd;  /* modprobe.d `remove` command, NULL if none */
	bool builtin;
	bool blacklisted; /* listed by a blacklist line / modprobe.blacklist= */
	bool target;      /* one of the names asked for (not a dependency) */
};

struct ctmod_moddb_plan {
	struct ctmod_moddb_step *steps;
	size_t n;
};

enum {
	CTMOD_RESOLVE_NO_SOFTDEPS = 1 << 0,
	CTMOD_RESOLVE_IGNORE_INSTALL = 1 << 1, /* -i: do not stop at install commands */
};

/*
 * Resolve NAME (a module name, an alias such as fs-overlay or
 * pci:v00008086d..., or symbol:NAME) into the modules to load, in load
 * order: hard dependencies (right to left of modules.dep), softdep pre:,
 * the module, softdep post:.  A name that is neither a module, an alias
 * nor built-in fails with -ENOENT and a message naming the closest
 * modules.  An alias matching several modules resolves them all.
 */
int ctmod_moddb_resolve(struct ctmod_moddb *db, const char *name, unsigned flags,
                        struct ctmod_moddb_plan *plan);
void ctmod_moddb_plan_release(struct ctmod_moddb_plan *plan);

/* The module names (normalized) an alias or name expands to. */
int ctmod_moddb_lookup(struct ctmod_moddb *db, const char *name, struct strv *mods);
/* Direct and indirect hard dependencies of a module, from modules.dep. */
int ctmod_moddb_depends(struct ctmod_moddb *db, const char *module, struct strv *deps);
/* Modules whose modules.dep line names MODULE (who would keep it in use). */
int ctmod_moddb_users(struct ctmod_moddb *db, const char *module, struct strv *users);
/* Modules that export SYMBOL, from modules.symbols (may be none). */
int ctmod_moddb_symbol_owners(struct ctmod_moddb *db, const char *symbol, struct strv *owners);
bool ctmod_moddb_is_builtin(struct ctmod_moddb *db, const char *module);
/*
 * Where MODULE is blacklisted: "FILE:LINE" of the modprobe.d line, or
 * "modprobe.blacklist= on the kernel command line"; NULL when it is not.
 * Owned by db.
 */
const char *ctmod_moddb_blacklisted_by(struct ctmod_moddb *db, const char *module);
/* Where MODULE's modprobe.d install command is ("FILE:LINE"; the command
 * into *cmd), as for blacklisted_by; NULL when modprobe loads it itself. */
const char *ctmod_moddb_install_by(struct ctmod_moddb *db, const char *module, const char **cmd);
/* MODULE's softdep pre: and post: modules (modprobe.d, modules.softdep), appended. */
int ctmod_moddb_softdeps(struct ctmod_moddb *db, const char *module, struct strv *pre,
                         struct strv *post);
/* Every module of the kernel (normalized names), in modules.dep order. */
int ctmod_moddb_all(struct ctmod_moddb *db, struct strv *mods);

/* As ctmod_moddb_resolve, with options for the named module itself (the
 * `modprobe MODULE param=value` arguments), appended after modprobe.d's. */
int ctmod_moddb_resolve_opts(struct ctmod_moddb *db, const char *name, unsigned flags,
                             const char *extra_options, struct ctmod_moddb_plan *plan);
/* The line `modprobe --show-depends` prints for a step ("insmod PATH OPTS",
 * "install CMD OPTS", "builtin NAME"), appended to out. */
int ctmod_moddb_show_depends(const struct ctmod_moddb_step *step, struct strbuf *out);
/* Direct hard dependencies (modules.dep holds the closure; this is its
 * transitive reduction), in load order. */
int ctmod_moddb_direct_depends(struct ctmod_moddb *db, const char *module, struct strv *deps);
/* ROOT/lib/modules/KVER */
const char *ctmod_moddb_dir(const struct ctmod_moddb *db);
/* Absolute path of a module's file, NULL if not in modules.dep. */
const char *ctmod_moddb_path(struct ctmod_moddb *db, const char *module);
