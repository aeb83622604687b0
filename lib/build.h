/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DKMS builds: one build per (package, kernel, arch), each in its own tree
 * ROOT/var/lib/ctmod/NAME/VERSION/KVER/ARCH/ (build/ holds the copied
 * source, make.log the output, state what happened), run in a private mount
 * namespace (sandbox.h), many at once under one make jobserver.  --install
 * puts the modules under ROOT/lib/modules/KVER/updates/dkms, stripped and
 * compressed like the kernel's own, then runs depmod for that root: into a
 * copy of ROOT/lib/modules/KVER made of hard links, exchanged with it in one
 * rename, so the directory holds the old modules and indexes or the new
 * ones, never half.  --install and --uninstall hold the root's lock (the one
 * ctmod install takes) while they run.
 */
#pragma once

#include <stdbool.h>

#include "ctx.h"
#include "util.h"

#define CTMOD_TREE "/var/lib/ctmod"

enum build_state {
	BUILD_PENDING,
	BUILD_OK,      /* built (and installed with --install) */
	BUILD_SKIPPED, /* BUILD_EXCLUSIVE_* / OBSOLETE_BY: not for this kernel */
	BUILD_FAILED,  /* make or a script failed: see the log */
	BUILD_BROKEN,  /* dkms.conf could not be evaluated */
	BUILD_REMOVED, /* --uninstall removed the modules */
	BUILD_ALREADY, /* built (or installed) before from the same inputs: skipped */
};

struct build_job {
	char *src; /* source directory (holds dkms.conf) */
	char *name, *version;
	char *kver, *arch;
	char *tree; /* ROOT/var/lib/ctmod/NAME/VERSION/KVER/ARCH */
	char *log;  /* tree/make.log */
	struct strv depends;
	enum build_state state;
	char *msg;              /* why it was skipped / failed, one line */
	struct strv warnings;   /* dkms.conf's warnings (DKMS's words), once per package */
	char *script_out;       /* what PRE_INSTALL/POST_INSTALL/POST_REMOVE printed */
	char *fingerprint;      /* of the source, dkms.conf, overrides, headers (build-done.c) */
	bool already_installed; /* BUILD_ALREADY: and its installed files are all there */
	double seconds;
	struct strv installed; /* files put under the root (absolute host paths) */
	struct strv dep_binds; /* BUILD_DEPENDS trees: (host dir, DKMS path) pairs */
	char *modstage;        /* where --install puts, --uninstall removes, its files: a
	                          directory that stands for ROOT/lib/modules/KVER */
	/* scheduler */
	int pid;
	bool token;
};

/* What ctmod_build_run says while it runs, for the caller to show (lib/ never prints). */
enum ctmod_build_event {
	CTMOD_BUILD_STARTED, /* the job's build began */
	CTMOD_BUILD_ENDED,   /* it ended: state, msg and seconds are set (installed later) */
	CTMOD_BUILD_OUTPUT,  /* with stream: a line it wrote to its make.log */
	CTMOD_BUILD_TICK,    /* with tick: nothing happened for tick seconds (job NULL) */
};
struct ctmod_build_progress {
	size_t done, running, queued; /* the plan's jobs, now */
	double elapsed;               /* seconds since the builds began */
};
typedef void ctmod_build_progress_fn(void *arg, const struct build_job *j,
                                     enum ctmod_build_event ev, const char *line,
                                     const struct ctmod_build_progress *p);

struct build_opts {
	int jobs;         /* parallel make jobs in total; <= 0: number of CPUs */
	bool install;     /* also install (+ depmod) */
	bool uninstall;   /* remove installed modules instead of building */
	bool clean;       /* run CLEAN after the modules are kept */
	bool dry_run;     /* plan only */
	bool no_sandbox;  /* set by build_prepare when namespaces are unavailable */
	const char *arch; /* default: the machine's */
	bool no_sign;     /* --no-sign */
	bool force;       /* rebuild what is already built from the same source */
	bool autoinstall; /* the sources are --all's (messages say so) */
	ctmod_build_progress_fn *progress; /* NULL: run silently */
	void *progress_arg;
	bool stream; /* CTMOD_BUILD_OUTPUT: each build's make.log, line by line, as it grows */
	double tick; /* > 0: CTMOD_BUILD_TICK after this many seconds without news */
	/* set by ctmod_build_run (ctmod_build_signing_prepare), freed by ctmod_build_opts_release
	 */
	char *sign_key, *sign_cert, *sign_file;
	int sign_fds[2]; /* key and certificate held open (close-on-exec): the build's
	                    namespace hides ROOT/var/lib/dkms when ROOT is / */
};

/*
 * Module signing as DKMS 3 does it: mok_signing_key / mok_certificate /
 * sign_file / try_sign_modules from ROOT/etc/dkms/framework.conf and
 * framework.conf.d/ *.conf; else DKMS's own pair ROOT/var/lib/dkms/mok.key
 * and mok.pub, made once with openssl when absent and never replaced.  Each
 * kernel with CONFIG_MODULE_SIG_HASH gets its modules signed with that hash
 * by the headers' scripts/sign-file.
 */
int ctmod_build_signing_prepare(struct ctmod_ctx *ctx, struct build_opts *o);
void ctmod_build_opts_release(struct build_opts *o);

struct build_plan {
	struct build_job *jobs;
	size_t n;
	char *root; /* absolute root, "" for / */
};

/*
 * Kernels with headers under the root (ROOT/lib/modules/K/build/Makefile),
 * sorted.  Fails when there are none.
 */
int ctmod_build_kernels(struct ctmod_ctx *ctx, struct strv *out);
/* Fails with the `ctmod install` hint when kver has no headers under the root. */
int ctmod_build_check_headers(struct ctmod_ctx *ctx, const char *kver);

/*
 * Resolve one argument (a directory with a dkms.conf, or NAME/VERSION under
 * ROOT/usr/src) to a source directory.
 */
int ctmod_build_find_source(struct ctmod_ctx *ctx, const char *arg, char **src);
/* Every ROOT/usr/src/ * /dkms.conf with AUTOINSTALL=yes (for --all). */
int ctmod_build_autoinstall_sources(struct ctmod_ctx *ctx, const char *kver, struct strv *out);

/*
 * The plan: sources x kernels, in the order given (source-major); the run
 * starts a job once its BUILD_DEPENDS are built (ctmod_build_deps_ready).
 * A broken dkms.conf gives jobs in state BUILD_BROKEN (the others still
 * run); no kernel at all is an error.
 */
int ctmod_build_plan_make(struct ctmod_ctx *ctx, const struct build_opts *o,
                          const struct strv *srcs, const struct strv *kvers,
                          struct build_plan *plan);
void ctmod_build_plan_release(struct build_plan *plan);

/*
 * Run the plan: at most jobs make jobs at once (one jobserver).  Returns 0
 * when every job is OK or skipped, 1 when some failed (their state and msg
 * say why), -errno on a setup failure.
 */
int ctmod_build_run(struct ctmod_ctx *ctx, struct build_opts *o, struct build_plan *plan);

/* The last lines of a log, for a failed build's message */
char *ctmod_build_log_tail(const char *log, int lines);

/* `dkms status` */
struct build_status {
	char *name, *version, *kver, *arch; /* kver NULL: the source line */
	const char *state;                  /* built, installed, added, broken */
	char *detail;                       /* broken: why */
};
int ctmod_build_status_list(struct ctmod_ctx *ctx, struct build_status **out, size_t *n);
void ctmod_build_status_free(struct build_status *st, size_t n);

const char *ctmod_build_state_name(enum build_state s);
