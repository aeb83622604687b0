/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Why a module does not load: findings from the kernel log (lib/kmsg.h),
 * grouped per module, and from the state of the system under the root
 * (capabilities, containers, modules_disabled, lockdown, missing modules
 * or headers, a stale depmod, a module built for another kernel).  Each
 * finding says what is wrong, why, and the commands that fix it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "kmsg.h"
#include "util.h"

/* Printed NOTE, WARN, ERROR; in --json "note", "warn", "error". */
enum ctmod_severity {
	CTMOD_SEV_INFO = 0,    /* NOTE: context, nothing to fix */
	CTMOD_SEV_WARNING = 1, /* WARN: it loaded (or may), with a problem */
	CTMOD_SEV_ERROR = 2,   /* ERROR: keeps a module from loading */
};

struct ctmod_finding {
	enum ctmod_severity severity;
	char *id;        /* the class, a stable name: "missing-dependencies", "no-cap-sys-module" */
	char *module;    /* NULL when about the system */
	char *what;      /* one sentence */
	char *why;       /* the reason, in the kernel's or the system's terms */
	struct strv fix; /* shell commands that run as printed, in order */
	struct strv notes;      /* steps that are not commands (a boot loader edit, a reboot) */
	struct strv load_first; /* missing-dependencies: the modules to load first */
	struct strv evidence;   /* the log lines or files this comes from */
	const char *ctmod;      /* the diagnosis's ctmod command word (see below), not owned */
};

struct ctmod_diagnosis {
	struct ctmod_finding *f;
	size_t n, cap;
	char *kver;
	char *log_source; /* "/dev/kmsg", a file, "standard input"; NULL: no log read */
	char *log_error;  /* why the log could not be read, when it could not */
	size_t log_lines, log_events;
	/* "ctmod --root ROOT --kernel KVER" (what this diagnosis ran with): each
	 * fix line's ctmod command gets it, so that it runs as printed */
	char *ctmod;
};

struct ctmod_diagnose_opts {
	const char *module; /* a module name or a .ko file; NULL: everything */
	const char *dmesg;  /* a dmesg file or "-"; NULL: the kernel's /dev/kmsg */
	bool no_system;     /* only the log (tests, pasted logs from elsewhere) */
};

/*
 * Read the log and look at the system.  Returns 0 with the findings in d
 * (possibly none), or -errno for bad input (an unreadable --dmesg file,
 * a bad module name) with the error recorded in ctx.  A kernel log that
 * cannot be read is not an error: d->log_error says why.
 */
int ctmod_diagnose(struct ctmod_ctx *ctx, const struct ctmod_diagnose_opts *opts,
                   struct ctmod_diagnosis *d);
/* The log part alone, over events already parsed. */
int ctmod_diagnose_log(struct ctmod_ctx *ctx, const struct ctmod_kmsg *log, const char *module,
                       struct ctmod_diagnosis *d);
/* The system part alone. */
int ctmod_diagnose_system(struct ctmod_ctx *ctx, const char *module, struct ctmod_diagnosis *d);

void ctmod_diagnosis_init(struct ctmod_diagnosis *d);
void ctmod_diagnosis_release(struct ctmod_diagnosis *d);
/* The finding with this id (and module, when not NULL), or NULL. */
const struct ctmod_finding *ctmod_diagnosis_find(const struct ctmod_diagnosis *d, const char *id,
                                                 const char *module);
/* Counts per severity; returns the worst one (CTMOD_SEV_INFO when none). */
enum ctmod_severity ctmod_diagnosis_worst(const struct ctmod_diagnosis *d, size_t count[3]);
const char *ctmod_diagnosis_severity_name(enum ctmod_severity s);
