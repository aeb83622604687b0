/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The boot-time module lists: cloud-config (rancher.modules, ctmod.modules),
 * the kernel command line (rancher.modules=[..], modules_load=,
 * rd.modules_load=, modules-load=, ctmod.modules=), systemd's
 * modules-load.d and Debian's /etc/modules, gathered into one list in the
 * order they were found, each module once, with every place that asked
 * for it.
 *
 * A malformed file does not stop the gathering: its problem is recorded
 * ("FILE:LINE: what is wrong") and the other files and sources still
 * count, so one typo in a cloud-config cannot keep the network driver
 * listed in modules-load.d from loading.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "util.h"

enum ctmod_modlist_source {
	CTMOD_SRC_CMDLINE = 1 << 0,
	CTMOD_SRC_CLOUD_CONFIG = 1 << 1,
	CTMOD_SRC_MODULES_LOAD = 1 << 2, /* modules-load.d and /etc/modules */
	CTMOD_SRC_ALL = 7,
};

/* Where one module was asked for. */
struct ctmod_modlist_origin {
	enum ctmod_modlist_source source;
	char *file;      /* the file read (under the root), never NULL */
	unsigned line;   /* 1-based, 0 when the file has no lines (cmdline) */
	const char *key; /* "rancher.modules", "modules_load", ... or NULL */
};

struct ctmod_modlist_entry {
	char *name;   /* as written (validated with modname_valid) */
	char *params; /* "a=1 b=2", "" when none */
	struct ctmod_modlist_origin *origins;
	size_t n_origins, cap_origins;
};

struct ctmod_modlist {
	struct ctmod_modlist_entry *v;
	size_t n, cap;
	/* what was wrong with the input, one "FILE:LINE: reason" each */
	struct strv problems;
};

void ctmod_modlist_init(struct ctmod_modlist *list);
void ctmod_modlist_release(struct ctmod_modlist *list);

/*
 * Add NAME with PARAMS (may be NULL) asked for at ORIGIN (copied).  A name
 * already listed ('-' and '_' alike) keeps its place and gains the origin;
 * its parameters gain the new ones.  An invalid name becomes a problem.
 * Returns 0, or -ENOMEM.
 */
int ctmod_modlist_add(struct ctmod_modlist *list, const char *name, const char *params,
                      const struct ctmod_modlist_origin *origin);
/*
 * Append MORE to the malloc'd parameter string *PARAMS ("a=1" + "b=2" ->
 * "a=1 b=2"); nothing when MORE is empty or the same.  Cannot fail.
 */
void ctmod_modlist_join_params(char **params, const char *more);
/* Record a problem "FILE:LINE: reason" (LINE left out when 0). */
int ctmod_modlist_problem(struct ctmod_modlist *list, const char *file, unsigned line,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * The parsers, one per format.  FILE names the input in origins and
 * problems.  They return 0, -EINVAL when the input had a problem (recorded
 * in list->problems; what could be read is still added), or -ENOMEM.
 */
/* A cloud-config document: rancher.modules and ctmod.modules. */
int ctmod_modlist_parse_cloud_config(struct ctmod_modlist *list, const char *data, size_t len,
                                     const char *file);
/* A kernel command line. */
int ctmod_modlist_parse_cmdline(struct ctmod_modlist *list, const char *data, size_t len,
                                const char *file);
/* modules-load.d files (NAME.conf): a name a line, '#' and ';' start comments. */
int ctmod_modlist_parse_modules_load(struct ctmod_modlist *list, const char *data, size_t len,
                                     const char *file);
/* Debian's /etc/modules: "NAME [PARAMS]" a line, '#' starts a comment. */
int ctmod_modlist_parse_etc_modules(struct ctmod_modlist *list, const char *data, size_t len,
                                    const char *file);

struct ctmod_modlist_opts {
	unsigned sources;                /* CTMOD_SRC_*; 0 means all */
	const char *const *cloud_config; /* extra files (NULL-terminated), as given */
	const char *cmdline;             /* read instead of ROOT/proc/cmdline */
};

/*
 * Gather every list the sources hold, under the context's root.  Missing
 * files are no error.  Returns 0 (problems, if any, are in
 * list->problems) or -errno with the error recorded in ctx when nothing
 * sensible can be done (no memory, an explicitly named file unreadable).
 */
int ctmod_modlist_gather(struct ctmod_ctx *ctx, const struct ctmod_modlist_opts *opts,
                         struct ctmod_modlist *list);

/* "cloud-config", "cmdline", "modules-load.d" */
const char *ctmod_modlist_source_name(enum ctmod_modlist_source src);
/* Parse "cloud-config,cmdline" into CTMOD_SRC_* bits; -EINVAL on an unknown name. */
int ctmod_modlist_parse_sources(const char *s, unsigned *out);
