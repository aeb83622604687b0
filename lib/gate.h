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

/* The container a request came from (agent mode), from its runtime's state. */
struct ctmod_gate_container {
	const char *id;     /* state.id, "?" if the runtime gave none */
	pid_t pid;          /* the container's init, as the runtime saw it */
	const char *bundle; /* state.bundle, NULL if none */
	const char *policy; /* what narrowed the allowlist: "allow=...", "policy=NAME", NULL */
};

struct ctmod_gate_event {
	const struct ctmod_gate_container *container; /* NULL under the process-tree gate */
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
	bool require_cap;         /* agent: the caller needs CAP_SYS_MODULE in its userns */
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

/* How the agent (ctmod_gate_listen) listens and whom it serves how. */
struct ctmod_gate_listen_opts {
	const char *path;   /* the socket */
	int fd;             /* >= 0: a listening socket made for us (systemd's); -1: make path */
	int mode;           /* its mode; 0: 0600 */
	long gid;           /* its group; -1: the agent's */
	const char *policy; /* --policy FILE: "NAME LIST" lines; NULL: none */
	/* hears containers come ("start"), go ("end") and fail ("refused"),
	 * with a detail line; called from the agent's thread, data as opts */
	void (*on_container)(void *data, const struct ctmod_gate_container *c, const char *what,
	                     const char *detail);
};

/*
 * The OCI seccomp agent: listen on lo->path for container runtimes (runc,
 * crun) that hand over a container's seccomp notify fd with its process
 * state (linux.seccomp.listenerPath), and serve every such container's
 * finit_module() as ctmod_gate_run() does, narrowed by the container's
 * listenerMetadata, until SIGTERM or SIGINT (then 0).  -errno with the
 * error recorded when the agent cannot start (a live agent on the socket).
 */
int ctmod_gate_listen(struct ctmod_ctx *ctx, const struct ctmod_gate_opts *opts,
                      const struct ctmod_gate_listen_opts *lo);

/*
 * What a runtime's container process state says (runc's and crun's
 * listenerPath message), parsed from len bytes of JSON.  All fields owned.
 */
struct ctmod_gate_state {
	char *id, *bundle, *metadata;
	pid_t pid;
	int seccomp_fd_index; /* the notify fd's place among the passed fds */
};
int ctmod_gate_state_parse(struct ctmod_ctx *ctx, const char *buf, size_t len,
                           struct ctmod_gate_state *st);
/* The same from an object already parsed (the agent reads incrementally). */
struct json_object;
int ctmod_gate_state_from_json(struct ctmod_ctx *ctx, struct json_object *o,
                               struct ctmod_gate_state *st);
void ctmod_gate_state_release(struct ctmod_gate_state *st);

/*
 * listenerMetadata: space- or ';'-separated "allow=a,b" and "policy=NAME".
 * Fills allow (names) and *policy (malloc'd, or NULL).  -EINVAL (bad input,
 * recorded) on an unknown key or a bad name.
 */
int ctmod_gate_metadata_parse(struct ctmod_ctx *ctx, const char *md, struct strv *allow,
                              char **policy);

/* Where the agent listens unless told otherwise. */
#define CTMOD_GATE_DEFAULT_SOCKET "/run/ctmod-gate.sock"

struct ctmod_gate_profile_opts {
	const char *listen;     /* listenerPath; NULL: CTMOD_GATE_DEFAULT_SOCKET */
	const char *metadata;   /* listenerMetadata; NULL or "": none */
	const char *base;       /* a profile (or config.json) to start from; NULL: allow all */
	bool allow_init_module; /* init_module() to the agent too (default: EPERM) */
	bool docker;            /* docker/podman format, else OCI linux.seccomp */
};

/*
 * A seccomp profile (JSON text, malloc'd, into *out) with finit_module()
 * as SCMP_ACT_NOTIFY to the agent, delete_module() EPERM, init_module()
 * EPERM or NOTIFY, and the base's own rules for those three removed.
 * -errno with the error recorded for a base that cannot be read.
 */
int ctmod_gate_profile(struct ctmod_ctx *ctx, const struct ctmod_gate_profile_opts *po, char **out);

/* An allowlist as written ("a,b c", commas or blanks) appended to out. */
void ctmod_gate_names_add(struct strv *out, const char *list);

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
