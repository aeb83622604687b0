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
#include "kmsg.h"
#include "moddb.h"

/* ctmod_diagnose_log about MODULE given as the file PATH (its signature is looked at). */
int ctmod_diagnose_log_file(struct ctmod_ctx *ctx, const struct ctmod_kmsg *log, const char *module,
                            const char *path, struct ctmod_diagnosis *d);

/* A new finding; what is a printf format.  NULL when out of memory. */
struct ctmod_finding *ctmod_finding_add(struct ctmod_diagnosis *d, enum ctmod_severity sev,
                                        const char *id, const char *module, const char *what_fmt,
                                        ...) __attribute__((format(printf, 5, 6)));
/* The finding of this id for this module (NULL: about the system), created on first use. */
struct ctmod_finding *ctmod_finding_once(struct ctmod_diagnosis *d, enum ctmod_severity sev,
                                         const char *id, const char *module, const char *what);
/*
 * Replace what / why; append a fix (a command that runs as printed: a ctmod
 * in it, at a command's place, becomes f->ctmod), a note
 * (a step that is no command) and an evidence line, each once.
 */
int ctmod_finding_what(struct ctmod_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ctmod_finding_why(struct ctmod_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ctmod_finding_fix(struct ctmod_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ctmod_finding_note(struct ctmod_finding *f, const char *fmt, ...)
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

/* The first value of KEY in a module file's .modinfo, or NULL (malloc'd). */
char *ctmod_diagnose_modinfo(struct ctmod_ctx *ctx, const char *path, const char *key);
/* The file `ctmod load NAME` would load (under the root), or NULL (malloc'd). */
char *ctmod_diagnose_module_path(struct ctmod_ctx *ctx, const char *name);

/*
 * The commands that fix things (lib/diagnose-fix.c), added to f as fix
 * lines when they run here and as notes when they cannot.
 */
/* Built for another kernel: ctmod build NAME/VERSION (a DKMS source is
 * known), ctmod load NAME (this kernel's tree has it), else the headers. */
void ctmod_diagnose_fix_rebuild(struct ctmod_ctx *ctx, const char *kver, const char *name,
                                struct ctmod_finding *f);
/* NAME is not installed for KVER, but a DKMS package built it (or has its
 * source): ctmod build --install NAME/VERSION, with what and why.  False when no package is known.
 */
bool ctmod_diagnose_fix_not_installed(struct ctmod_ctx *ctx, const char *kver, const char *name,
                                      struct ctmod_finding *f);
/* Unsigned or signed with an untrusted key: make a key (when there is none),
 * sign PATH (the module file, NULL when unknown), enrol the key under UEFI. */
void ctmod_diagnose_fix_sign(struct ctmod_ctx *ctx, const char *kver, const char *path,
                             struct ctmod_finding *f);
/* "ctmod" with the --root and --kernel of this diagnosis (quoted for the shell), into buf */
const char *ctmod_diagnose_ctmod_cmd(struct ctmod_ctx *ctx, char *buf, size_t n);
/* d->ctmod from ctx, once: the findings added from then on word their fix lines with it */
void ctmod_diagnosis_words(struct ctmod_ctx *ctx, struct ctmod_diagnosis *d);
/* The value of PARAM= on the kernel command line (ROOT/proc/cmdline), malloc'd, or NULL. */
char *ctmod_diagnose_cmdline(struct ctmod_ctx *ctx, const char *param);
/* Is NAME in the comma-separated LIST? */
bool ctmod_diagnose_in_list(const char *list, const char *name);
/* UEFI Secure Boot is on (efivars SecureBoot = 1). */
bool ctmod_diagnose_secure_boot(struct ctmod_ctx *ctx);
/* The Debian package that ships firmware FILE (a table of directories), or NULL. */
const char *ctmod_diagnose_firmware_package(const char *file);
/* Up to 3 installed or built-in module names close to NAME ("did you mean"). */
void ctmod_diagnose_nearest(struct ctmod_moddb *db, const char *name, struct strv *out);

/* What the kernel's log says about one module (lib/diagnose-log.c gathers it). */
struct ctmod_modlog {
	char *name;
	struct strv missing; /* symbols of "Unknown symbol ... (err -2)" */
	struct strv missing_lines;
	bool any_einval;     /* "Unknown symbol (err -22)": version or namespace */
	const char *license; /* from the taint line, if any */
};

/* What a log rule's functions may look at (lib/diagnose-log.c makes it). */
struct ctmod_rule_env {
	struct ctmod_ctx *ctx;
	const char *kver;
	const struct ctmod_kmsg *log;
	const char *filter;      /* the module asked about, or NULL */
	const char *filter_path; /* its file, when asked about a .ko file */
	struct ctmod_moddb *db;  /* opened on first use: db_open() */
	bool db_tried;
	struct strv names; /* per event: the module's own name (see event_names) */
};

/* Event i of the log, named by the module's own name (valid while env is). */
struct ctmod_kmsg_event ctmod_diagnose_named_event(const struct ctmod_rule_env *env, size_t i);

/*
 * Refusals that name no module (lib/diagnose-refusal.c): the module's file
 * (the tool's line, the file asked about, the installed one; malloc'd), who
 * a signature or lockdown line is about (NULL: the system), and their
 * explanations.
 */
char *ctmod_diagnose_module_file(struct ctmod_rule_env *env, const char *name);
const char *ctmod_diagnose_sig_refused(struct ctmod_rule_env *env,
                                       const struct ctmod_kmsg_event *e);
void ctmod_diagnose_explain_sig(struct ctmod_rule_env *env, struct ctmod_finding *f,
                                const struct ctmod_kmsg_event *e);
bool ctmod_diagnose_lockdown_of_modules(const struct ctmod_kmsg_event *e);
const char *ctmod_diagnose_lockdown_refused(struct ctmod_rule_env *env,
                                            const struct ctmod_kmsg_event *e);
void ctmod_diagnose_explain_lockdown(struct ctmod_rule_env *env, struct ctmod_finding *f,
                                     const struct ctmod_kmsg_event *e);

/* The Module.symvers of KVER's headers under the root, or NULL (malloc'd). */
char *ctmod_diagnose_symvers_path(struct ctmod_ctx *ctx, const char *kver);
/*
 * m's unresolved symbols: who exports them (modules.symbols, the headers'
 * Module.symvers, ctmod build's trees), the smallest set of modules to load
 * first, GPL-only exports hidden from it, symbols no one exports.
 */
void ctmod_diagnose_missing_symbols(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *kver,
                                    const struct ctmod_modlog *m, struct ctmod_diagnosis *d);
