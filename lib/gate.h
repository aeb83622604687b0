/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctmod gate: run a command (a container, a shell) so that its
 * finit_module() calls load the host's own module of the same name, when
 * that name is allowlisted, instead of the bytes the caller handed in.
 *
 * A seccomp filter (libseccomp) installed in the command turns
 * finit_module() (and, if asked, init_module()) into a user notification
 * served here.  The caller's file is only ever read in the jail (jail.h),
 * by a helper process that pulls the name out of .modinfo; the module
 * loaded is the host's, through ctmod_load().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ctx.h"
#include "util.h"

struct ctmod_moddb;

/* What the gate decided about one request. */
enum ctmod_gate_verdict {
	CTMOD_GATE_LOADED,  /* allowed, the host's module was loaded: 0 */
	CTMOD_GATE_EXISTS,  /* allowed, already live or built in: EEXIST */
	CTMOD_GATE_DENIED,  /* refused: EPERM (or EINVAL/EBADF as the kernel would) */
	CTMOD_GATE_INVALID, /* the caller's module is unreadable or malformed */
	CTMOD_GATE_FAILED,  /* allowed, but loading failed: the load's errno */
	CTMOD_GATE_GONE,    /* the caller went away before the answer */
};

struct ctmod_gate_event {
	pid_t pid;
	const char *comm;    /* the caller's command name ("?" if unknown) */
	const char *syscall; /* "finit_module" or "init_module" */
	const char *module;  /* normalized name from .modinfo, NULL if none */
	enum ctmod_gate_verdict verdict;
	const char *reason; /* one line for the log */
	int err;            /* the errno the caller got, 0 for success */
	double seconds;     /* time the request took */
};

typedef void (*ctmod_gate_cb)(void *data, const struct ctmod_gate_event *ev);

struct ctmod_gate_opts {
	const struct strv *allow; /* module names or aliases */
	bool allow_init_module;   /* serve init_module() instead of EPERM */
	bool allow_params;        /* apply the caller's module parameters */
	double timeout;           /* per-request limit for the helper, s; 0: 10 */
	ctmod_gate_cb cb;         /* hears every decision, from any thread */
	void *data;
};

struct ctmod_gate_result {
	int wstatus;  /* the command's wait status */
	int exec_err; /* errno when the command could not be started, else 0 */
};

/*
 * Run argv under the gate until it exits, then return 0 with its status in
 * res.  -errno (with the error recorded) when the gate cannot be set up:
 * an unknown allowlisted name, no module database, seccomp unavailable.
 */
int ctmod_gate_run(struct ctmod_ctx *ctx, const struct ctmod_gate_opts *opts, char *const argv[],
                   struct ctmod_gate_result *res);

/*
 * The set of modules a gate with this allowlist lets through: the names,
 * or the modules their aliases stand for, with their dependencies and
 * softdeps (a container's modprobe loads those first, each by its own
 * finit_module()).  Normalized names, sorted.
 */
int ctmod_gate_allowed(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const struct strv *allow,
                       struct strv *out);

/* The verdict as a word for logs and JSON: "loaded", "exists", ... */
const char *ctmod_gate_verdict_name(enum ctmod_gate_verdict v);

/*
 * The module name in the .modinfo of the module behind fd, read in the
 * sandbox; flags as ctmod_modinfo_read_fd().  The name is checked
 * (modname_valid) and normalized.  -ENOEXEC for a file that is no module or
 * has no name=, the jail's failures as ctmod_jail_call().
 */
int ctmod_gate_module_name(struct ctmod_ctx *ctx, int fd, unsigned flags, double timeout,
                           char *name, size_t namesz);
