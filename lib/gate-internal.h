/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The gate's parts, shared between its files and with no other user:
 *   gate-caller.c  reading what a caller hands in (its status, descriptor,
 *                  memory), and the module name, read in the jail
 *   gate-serve.c   serving one notification: a worker thread, a slot
 *                  (context + module database), the decision, the answer
 *   gate.c         the process-tree gate: the filter, the command, its loop
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "gate.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Requests served at once; more wait in the kernel until a slot frees. */
#define CTMOD_GATE_MAX_ACTIVE 64
/* Requests the process-tree gate holds in its per-process queues at most. */
#define CTMOD_GATE_MAX_QUEUED 4096
/*
 * Requests of one source (one container) served at once: the agent stops
 * reading a source's notifications while it has this many in flight, so
 * one container holds at most this many of the slots above.
 */
#define CTMOD_GATE_SOURCE_ACTIVE 4
/* The longest parameter string we take from a caller. */
#define CTMOD_GATE_MAX_PARAMS 4096

/* ---- gate-caller.c ---- */

/* What /proc/PID/status says about a caller. */
struct ctmod_gate_caller {
	char comm[64]; /* printable, no '"' */
	uint64_t capeff;
	bool have_capeff;
};

/* /proc/PID/status: 0, -errno, -EPROTO without a CapEff: line */
int ctmod_gate_caller_status(pid_t pid, struct ctmod_gate_caller *c);
/* the thread group (process) of thread tid, tid itself if unknown */
pid_t ctmod_gate_caller_tgid(pid_t tid);
/* 1 when pid is in the user namespace described by ns, 0 if not, -errno */
int ctmod_gate_caller_userns(pid_t pid, const struct stat *ns);
/*
 * The caller's descriptor fdnum as our own, read-only: -EBADF (none, or not
 * readable), -EINVAL (not a regular file), -errno.
 */
int ctmod_gate_caller_fd(pid_t pid, int fdnum, int *out);
/*
 * The caller's memory is read by a copier in the jail (jail.h), killed at
 * the time limit, so memory that never answers (userfaultfd) holds up that
 * helper only; -ETIME / -ECHILD as ctmod_jail_run(), the error recorded.
 */
/* A NUL-terminated string at addr, at most max bytes: -EFAULT, -E2BIG, -ESRCH */
int ctmod_gate_caller_string(struct ctmod_ctx *ctx, pid_t pid, uint64_t addr, size_t max,
                             double timeout, char **out);
/* init_module()'s image at addr, copied into a memfd: -EFBIG, -EFAULT, -ESRCH */
int ctmod_gate_caller_image(struct ctmod_ctx *ctx, pid_t pid, uint64_t addr, uint64_t len,
                            double timeout, int *out);

/* ---- gate-serve.c ---- */

struct ctmod_gate_slot;
struct ctmod_gate_queue;

/*
 * Where notifications come from: the command's filter under the process-
 * tree gate, one container's under the agent.  Its requests point at it;
 * it goes (ctmod_gate_source_free) once it has ended and none is active.
 */
struct ctmod_gate_source {
	int nfd;
	unsigned active;            /* its requests in flight (under the gate's lock) */
	bool ended;                 /* the filter has no users left (POLLHUP) */
	bool agent;                 /* a container's: the agent's rules for the caller */
	const struct strv *allowed; /* &own, or the gate's allowlist */
	struct strv own;
	struct ctmod_gate_container info; /* strings below, owned */
	char *id, *bundle, *policy;
	struct ctmod_gate_source *next;
};
struct ctmod_gate_source *ctmod_gate_source_new(int nfd, const struct strv *allowed);
void ctmod_gate_source_free(struct ctmod_gate_source *src); /* closes nfd */

/* One gate: what every request it serves shares. */
struct ctmod_gate {
	struct ctmod_ctx *ctx;
	char *root, *kver;
	const struct ctmod_gate_opts *opts; /* the caller's: valid until closed */
	bool allow_params;
	double timeout;
	struct strv allowed;
	struct stat userns;
	pthread_mutex_t lock; /* active, the free slots, and the event callback */
	pthread_cond_t idle;
	unsigned active;
	unsigned queued; /* received, waiting in a process's queue */
	struct ctmod_gate_queue *queues;
	int wakefd;  /* an eventfd: a request finished (the agent polls it) */
	bool closed; /* ctmod_gate_run returned: no more events */
	struct ctmod_gate_slot *free_slots;
};

/*
 * Receive one notification from src->nfd and serve it in a thread of its
 * own (in this one if no thread can be started); g->active and src->active
 * count it until its answer is sent.
 */
void ctmod_gate_dispatch(struct ctmod_gate *g, struct ctmod_gate_source *src);
/*
 * A gate for opts with its allowlist resolved (closed over dependencies),
 * or -errno with the error recorded.  ctmod_gate_free() when no request is
 * active.
 */
int ctmod_gate_new(struct ctmod_ctx *ctx, const struct ctmod_gate_opts *opts,
                   struct ctmod_gate **out);
void ctmod_gate_free(struct ctmod_gate *g);
/* Wait until no request is active, at most limit seconds. */
void ctmod_gate_wait_idle(struct ctmod_gate *g, double limit);
/* Free the idle slots (their contexts and module databases). */
void ctmod_gate_slots_free(struct ctmod_gate *g);

/* ---- gate-policy.c ---- */

/* A named policy of the agent's --policy file. */
struct ctmod_gate_policy {
	char *name;
	struct strv allowed; /* closed over dependencies, sorted */
	struct ctmod_gate_policy *next;
};
/*
 * "NAME module,module ..." lines (# comments), each set narrowed to ceiling
 * (NULL: not narrowed): -errno, bad input recorded
 */
int ctmod_gate_policy_load(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *path,
                           const struct strv *ceiling, struct ctmod_gate_policy **out);
const struct ctmod_gate_policy *ctmod_gate_policy_find(const struct ctmod_gate_policy *p,
                                                       const char *name);
void ctmod_gate_policies_free(struct ctmod_gate_policy *p);
/*
 * What a container with this listenerMetadata may load, into out (empty,
 * initialized): the metadata's allow= and policy= sets (both: what both
 * allow), always inside ceiling.  *how (malloc'd) says what narrowed it.
 * -errno (bad input recorded; out left empty) for metadata that is bad or
 * names an unknown policy: the caller refuses that container everything.
 */
int ctmod_gate_container_allowed(struct ctmod_ctx *ctx, struct ctmod_moddb *db,
                                 const struct strv *ceiling,
                                 const struct ctmod_gate_policy *policies, const char *metadata,
                                 struct strv *out, char **how);
