/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading a module list in parallel.  The whole dependency closure of the
 * list is known before anything loads, so a module shared by several
 * entries (libcrc32c for btrfs and nf_tables) is loaded once, before the
 * modules that need it, while modules that do not depend on each other
 * load side by side on a bounded pool of threads.  A libkmod context is
 * not thread-safe: every worker has its own context and module database.
 * One module failing does not stop the others; only the modules that
 * need it are given up, with the reason.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "loader.h"
#include "modlist.h"

struct ctmod_autoload_opts {
	unsigned jobs;    /* worker threads; 0: twice the online CPUs, at most 16 */
	bool dry_run;     /* -n: resolve and report, load nothing */
	unsigned methods; /* CTMOD_LOAD_*; 0: all */
};

/* What happened to one module. */
struct ctmod_autoload_result {
	char *name;   /* a listed entry as written, or a dependency's module name */
	char *params; /* "" when none */
	enum ctmod_load_state state;
	enum ctmod_load_method method; /* how it was loaded, when loaded */
	int err;                       /* -errno when failed */
	char *reason;                  /* when failed: what went wrong and the next step */
	double seconds;                /* the time its own load took */
	/* entries only: where the module is blacklisted (state CTMOD_BLACKLISTED) */
	char *blacklisted;
	/* entries only: the modules it resolved to (normalized names) */
	struct strv modules;
};

struct ctmod_autoload_report {
	struct ctmod_autoload_result *entries; /* one per list entry, in list order */
	size_t n_entries;
	struct ctmod_autoload_result *deps; /* modules loaded only as dependencies */
	size_t n_deps;
	size_t failed; /* entries that failed */
	unsigned jobs; /* the workers used */
	double seconds;
};

/*
 * Load every module of LIST (with its parameters) and its dependencies.
 * Fills REP whatever happens to the modules; returns 0 when the work could
 * be done (check rep->failed), or -errno with the error recorded in ctx
 * when it could not start (no module database, no memory).
 */
int ctmod_autoload(struct ctmod_ctx *ctx, const struct ctmod_modlist *list,
                   const struct ctmod_autoload_opts *opts, struct ctmod_autoload_report *rep);
void ctmod_autoload_report_release(struct ctmod_autoload_report *rep);

/*
 * For --list: WHY[i] is where LIST's entry i is blacklisted ("FILE:LINE",
 * "modprobe.blacklist= on the kernel command line"), or "" when it is
 * not.  Without a module database every entry gets "" and the error is
 * returned (and cleared from ctx: the list is still worth printing).
 */
int ctmod_autoload_blacklisted(struct ctmod_ctx *ctx, const struct ctmod_modlist *list,
                               struct strv *why);
