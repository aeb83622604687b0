/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parts of diagnose share: building a finding (lib/diagnose.c),
 * read by the log rules (lib/diagnose-log.c), the symbol owners
 * (lib/diagnose-symbols.c) and the system checks (lib/diagnose-system.c).
 * Not for use outside lib/diagnose*.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diagnose.h"
#include "moddb.h"

/* A new finding; what is a printf format.  NULL when out of memory. */
struct ctmod_finding *ctmod_finding_add(struct ctmod_diagnosis *d, enum ctmod_severity sev,
                                        const char *id, const char *module, const char *what_fmt,
                                        ...) __attribute__((format(printf, 5, 6)));
/* The finding of this id for this module (NULL: about the system), created on first use. */
struct ctmod_finding *ctmod_finding_once(struct ctmod_diagnosis *d, enum ctmod_severity sev,
                                         const char *id, const char *module, const char *what);
/* Replace what / why; append a fix command (once) and an evidence line (once, at most 64). */
int ctmod_finding_what(struct ctmod_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ctmod_finding_why(struct ctmod_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ctmod_finding_fix(struct ctmod_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctmod_finding_evidence(struct ctmod_finding *f, const char *line);

/* "a, b, c and 15 more" (malloc'd) */
char *ctmod_diagnose_list_words(const struct strv *sv, size_t max);
/* No filter, or the filter names this module. */
bool ctmod_diagnose_wanted(const char *filter, const char *module);
/* ROOT/(fmt % arg) read whole (at most 1 MiB), or NULL; does it exist. */
char *ctmod_diagnose_read_small(struct ctmod_ctx *ctx, const char *fmt, const char *arg);
bool ctmod_diagnose_exists(struct ctmod_ctx *ctx, const char *fmt, const char *arg);
/* "/x/v4l2-loopback.ko.xz" -> "v4l2_loopback" */
void ctmod_diagnose_module_name_of(const char *path, char *out, size_t outsz);

/* What the kernel's log says about one module (lib/diagnose-log.c gathers it). */
struct ctmod_modlog {
	char *name;
	struct strv missing; /* symbols of "Unknown symbol ... (err -2)" */
	struct strv missing_lines;
	bool any_einval;     /* "Unknown symbol (err -22)": version or namespace */
	const char *license; /* from the taint line, if any */
};

/* The Module.symvers of KVER's headers under the root, or NULL (malloc'd). */
char *ctmod_diagnose_symvers_path(struct ctmod_ctx *ctx, const char *kver);
/*
 * m's unresolved symbols: who exports them (modules.symbols, the headers'
 * Module.symvers, ctmod build's trees), the smallest set of modules to load
 * first, GPL-only exports hidden from it, symbols no one exports.
 */
void ctmod_diagnose_missing_symbols(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *kver,
                                    const struct ctmod_modlog *m, struct ctmod_diagnosis *d);
