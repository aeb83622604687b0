// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Serving one notification of a gate: a worker thread takes a slot, checks
 * the caller, takes its module and reads the name in the jail, decides, and
 * answers.  The notification is re-validated after every read from the
 * caller (a PID can be reused); the caller's bytes are never loaded.
 */
#include "gate-internal.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/module.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jail.h"
#include "loader.h"
#include "moddb.h"
#include "modinfo.h"

/*
 * A context with its module database, reused by one request at a time:
 * opening the database of ~4,000 modules costs more than the rest of a
 * request.  Requests in parallel take different slots, so none waits for
 * another; a slot whose modules.dep changed (depmod ran) is reopened.
 */
struct ctmod_gate_slot {
	struct ctmod_ctx *ctx;
	struct ctmod_moddb *db;
	struct timespec dep_mtime;
	struct ctmod_gate_slot *next;
};

struct request {
	struct ctmod_gate *g;
	struct ctmod_gate_source *src;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	struct ctmod_gate_slot *slot;
	struct ctmod_ctx *ctx; /* this request's own (the slot's) */
	const char *syscall;
	struct ctmod_gate_caller caller;
	char module[64];
	char reason[768];
	enum ctmod_gate_verdict verdict;
	int err;
	double t0;
	struct ctmod_gate_queue *q; /* its process's queue (process-tree gate) */
	struct request *next;       /* in that queue */
};

/*
 * The process-tree gate's notifications all come from one descriptor, so
 * the kernel cannot keep one process's requests from another's: they are
 * received at once and queued per process (thread group) here.  A process
 * has at most CTMOD_GATE_SOURCE_ACTIVE requests in flight, and a free slot
 * goes to the queue with the fewest in flight, so a process with nothing in
 * flight waits for no more than the next slot to free, however many
 * requests others have queued.  (The agent needs none of this: it reads
 * each container's descriptor only while that container is under its
 * share.)
 */
struct ctmod_gate_queue {
	pid_t tgid;
	unsigned active;
	struct request *head, *tail;
	struct ctmod_gate_queue *next;
};

static void decide(struct request *rq, enum ctmod_gate_verdict v, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void decide(struct request *rq, enum ctmod_gate_verdict v, int err, const char *fmt, ...)
{
	va_list ap;
	rq->verdict = v;
	rq->err = err < 0 ? -err : err;
	va_start(ap, fmt);
	vsnprintf(rq->reason, sizeof(rq->reason), fmt, ap);
	va_end(ap);
}

static bool still_there(struct request *rq)
{
	if (seccomp_notify_id_valid(rq->src->nfd, rq->req->id) == 0)
		return true;
	decide(rq, CTMOD_GATE_GONE, 0, "the caller went away during the request");
	return false;
}

struct load_watch {
	const char *target;
	enum ctmod_load_state state;
	bool seen;
};

static void on_load(void *data, const struct ctmod_load_event *ev)
{
	struct load_watch *w = data;
	if (ev->name && modname_equal(ev->name, w->target)) {
		w->state = ev->state;
		w->seen = true;
	}
}

static struct timespec dep_mtime(struct ctmod_gate *g, struct ctmod_ctx *ctx)
{
	struct timespec t = {0, 0};
	char *p = ctmod_path(ctx, "/lib/modules/%s/modules.dep", g->kver);
	struct stat st;
	if (p && stat(p, &st) == 0)
		t = st.st_mtim;
	free(p);
	return t;
}

static int slot_db(struct ctmod_gate *g, struct ctmod_gate_slot *sl, struct ctmod_moddb **db)
{
	struct timespec t = dep_mtime(g, sl->ctx);
	if (sl->db && (t.tv_sec != sl->dep_mtime.tv_sec || t.tv_nsec != sl->dep_mtime.tv_nsec)) {
		ctmod_moddb_free(sl->db);
		sl->db = NULL;
	}
	if (!sl->db) {
		int r = ctmod_moddb_open(sl->ctx, &sl->db);
		if (r < 0) {
			sl->db = NULL;
			return r;
		}
		sl->dep_mtime = t;
	}
	*db = sl->db;
	return 0;
}

static struct ctmod_gate_slot *slot_get(struct ctmod_gate *g)
{
	pthread_mutex_lock(&g->lock);
	struct ctmod_gate_slot *sl = g->free_slots;
	if (sl)
		g->free_slots = sl->next;
	pthread_mutex_unlock(&g->lock);
	if (sl)
		return sl;
	sl = calloc(1, sizeof(*sl));
	if (sl && ctmod_ctx_new(&sl->ctx, g->root, g->kver) < 0) {
		free(sl);
		sl = NULL;
	}
	return sl;
}

static void slot_put(struct ctmod_gate *g, struct ctmod_gate_slot *sl)
{
	ctmod_ctx_clear_error(sl->ctx);
	pthread_mutex_lock(&g->lock);
	sl->next = g->free_slots;
	g->free_slots = sl;
	pthread_mutex_unlock(&g->lock);
}

void ctmod_gate_slots_free(struct ctmod_gate *g)
{
	while (g->free_slots) {
		struct ctmod_gate_slot *sl = g->free_slots;
		g->free_slots = sl->next;
		ctmod_moddb_free(sl->db);
		ctmod_ctx_free(sl->ctx);
		free(sl);
	}
}

static void load_host_module(struct request *rq, const char *params)
{
	struct ctmod_gate *g = rq->g;
	struct ctmod_moddb *db;
	int r = slot_db(g, rq->slot, &db);
	if (r < 0) {
		decide(rq, CTMOD_GATE_FAILED, r, "host module database: %s",
		       ctmod_ctx_error(rq->ctx) ? ctmod_ctx_error(rq->ctx) : strerror(-r));
		return;
	}
	struct ctmod_load_opts lo = {
	    /* the host's own files, by libkmod: no detours through helpers */
	    .methods = CTMOD_LOAD_KMOD,
	    .params = g->allow_params && params && *params ? params : NULL,
	};
	struct load_watch w = {.target = rq->module};
	r = ctmod_load(rq->ctx, db, rq->module, &lo, on_load, &w);
	const char *ignored =
	    params && *params && !g->allow_params ? " (caller's parameters ignored)" : "";
	if (r < 0)
		decide(rq, CTMOD_GATE_FAILED, r,
		       "allowlisted; loading the host's module failed: %s",
		       ctmod_ctx_error(rq->ctx) ? ctmod_ctx_error(rq->ctx) : strerror(-r));
	else if (w.seen && (w.state == CTMOD_ALREADY_LOADED || w.state == CTMOD_BUILTIN))
		decide(rq, CTMOD_GATE_EXISTS, EEXIST, "allowlisted; %s",
		       w.state == CTMOD_BUILTIN ? "built into the kernel" : "already loaded");
	else
		decide(rq, CTMOD_GATE_LOADED, 0, "allowlisted; loaded the host's module%s%s%s",
		       lo.params ? " with parameters \"" : "", lo.params ? lo.params : "",
		       lo.params ? "\"" : ignored);
}

/* The caller may load modules at all: its status, user namespace, capability. */
static bool caller_may_load(struct request *rq)
{
	pid_t pid = (pid_t)rq->req->pid;
	int r = ctmod_gate_caller_status(pid, &rq->caller);
	if (!still_there(rq))
		return false;
	if (r < 0) {
		decide(rq, CTMOD_GATE_DENIED, EPERM, "cannot read the caller's status: %s",
		       strerror(-r));
		return false;
	}
	/* a container's caller: its policy decides, and CAP_SYS_MODULE in its
	 * own user namespace only when asked (see ctmod-gate(8), trust model) */
	if (rq->src->agent && !rq->g->opts->require_cap)
		return true;
	if (!rq->src->agent) {
		r = ctmod_gate_caller_userns(pid, &rq->g->userns);
		if (!still_there(rq))
			return false;
		if (r <= 0) {
			decide(rq, CTMOD_GATE_DENIED, EPERM,
			       r < 0 ? "cannot tell the caller's user namespace"
			             : "the caller is in another user namespace");
			return false;
		}
	}
	if (!(rq->caller.capeff & (UINT64_C(1) << CAP_SYS_MODULE))) {
		decide(rq, CTMOD_GATE_DENIED, EPERM, "the caller lacks CAP_SYS_MODULE");
		return false;
	}
	return true;
}

/* finit_module()'s flags: false (decided) for unknown or refused ones */
static bool flags_ok(struct request *rq, unsigned flags)
{
	const unsigned known = MODULE_INIT_IGNORE_MODVERSIONS | MODULE_INIT_IGNORE_VERMAGIC |
	                       MODULE_INIT_COMPRESSED_FILE;
	if (flags & ~known) {
		decide(rq, CTMOD_GATE_DENIED, EINVAL, "unknown flags 0x%x", flags);
		return false;
	}
	if (flags & (MODULE_INIT_IGNORE_MODVERSIONS | MODULE_INIT_IGNORE_VERMAGIC)) {
		decide(rq, CTMOD_GATE_DENIED, EPERM,
		       "refusing MODULE_INIT_IGNORE_MODVERSIONS/VERMAGIC (flags 0x%x)", flags);
		return false;
	}
	return true;
}

/*
 * The caller's module as a descriptor of ours (its own for finit_module(),
 * a memfd copy for init_module()), and where its parameters are: -1
 * (decided) when it cannot be taken.
 */
static int take_module(struct request *rq, bool finit, unsigned *mflags, uint64_t *uargs)
{
	const struct seccomp_data *d = &rq->req->data;
	pid_t pid = (pid_t)rq->req->pid;
	int modfd = -1, r;
	if (finit) {
		/* the kernel takes int arguments: the upper halves do not count */
		unsigned flags = (unsigned)d->args[2];
		if (!flags_ok(rq, flags))
			return -1;
		if (flags & MODULE_INIT_COMPRESSED_FILE)
			*mflags |= CTMOD_MODINFO_COMPRESSED;
		r = ctmod_gate_caller_fd(pid, (int)d->args[0], &modfd);
		*uargs = d->args[1];
	} else {
		r = ctmod_gate_caller_image(rq->ctx, pid, d->args[0], d->args[1], rq->g->timeout,
		                            &modfd);
		*uargs = d->args[2];
	}
	if (!still_there(rq)) {
		r = -1;
	} else if (r == -EINVAL && finit) {
		decide(rq, CTMOD_GATE_DENIED, EINVAL, "fd %d is not a regular file",
		       (int)d->args[0]);
	} else if (r < 0) {
		decide(rq, CTMOD_GATE_DENIED,
		       r == -EBADF || r == -EINVAL || r == -EFAULT ? -r : EPERM,
		       "cannot take the caller's module: %s",
		       r == -ETIME || r == -ECHILD ? ctmod_ctx_error(rq->ctx) : strerror(-r));
	} else if (finit) {
		struct stat st;
		if (fstat(modfd, &st) < 0 || !S_ISREG(st.st_mode)) {
			decide(rq, CTMOD_GATE_DENIED, EINVAL, "fd %d is not a regular file",
			       (int)d->args[0]);
			r = -1;
		}
	}
	if (r < 0 && modfd >= 0) {
		close(modfd);
		modfd = -1;
	}
	return r < 0 ? -1 : modfd;
}

/* The name in the module behind modfd (closed here): false when decided. */
static bool read_name(struct request *rq, int modfd, unsigned mflags)
{
	int r = ctmod_gate_module_name(rq->ctx, modfd, mflags, rq->g->timeout, rq->module,
	                               sizeof(rq->module));
	close(modfd);
	if (!still_there(rq))
		return false;
	if (r == 0)
		return true;
	const char *msg = ctmod_ctx_error(rq->ctx) ? ctmod_ctx_error(rq->ctx) : strerror(-r);
	rq->module[0] = '\0';
	/* a reader that had to be stopped is a refusal; a bad file is ENOEXEC */
	if (r == -ETIME || r == -ECHILD)
		decide(rq, CTMOD_GATE_DENIED, EPERM, "%s", msg);
	else
		decide(rq, CTMOD_GATE_INVALID,
		       ctmod_ctx_err_class(rq->ctx) == CTMOD_ERR_BAD_INPUT
		           ? (r == -EFBIG ? EFBIG : ENOEXEC)
		           : -r,
		       "%s", msg);
	return false;
}

static void serve(struct request *rq)
{
	struct ctmod_gate *g = rq->g;
	const struct seccomp_data *d = &rq->req->data;

	char *sc = seccomp_syscall_resolve_num_arch(d->arch, d->nr);
	bool finit = sc && strcmp(sc, "finit_module") == 0;
	bool init = sc && strcmp(sc, "init_module") == 0;
	free(sc);
	rq->syscall = finit ? "finit_module" : init ? "init_module" : "?";
	if (!finit && !init) {
		decide(rq, CTMOD_GATE_DENIED, ENOSYS, "unexpected system call %d", d->nr);
		return;
	}
	if (!caller_may_load(rq))
		return;

	unsigned mflags = 0;
	uint64_t uargs = 0;
	int modfd = take_module(rq, finit, &mflags, &uargs);
	if (modfd < 0)
		return;
	/* the name first: memory that stalls the copier is read for an allowed name only */
	if (!read_name(rq, modfd, mflags))
		return; /* decided */
	if (!strv_contains(rq->src->allowed, rq->module)) {
		decide(rq, CTMOD_GATE_DENIED, EPERM, "%s",
		       rq->src->allowed != &g->allowed && strv_contains(&g->allowed, rq->module)
		           ? "not allowed for this container (its metadata narrows the allowlist)"
		           : "not allowlisted");
		return;
	}
	char *params = NULL;
	int r = ctmod_gate_caller_string(rq->ctx, (pid_t)rq->req->pid, uargs, CTMOD_GATE_MAX_PARAMS,
	                                 g->timeout, &params);
	if (!still_there(rq))
		;
	else if (r < 0)
		decide(rq, CTMOD_GATE_DENIED,
		       r == -E2BIG    ? E2BIG
		       : r == -EFAULT ? EFAULT
		                      : EPERM,
		       "cannot read the caller's parameters: %s",
		       r == -ETIME || r == -ECHILD ? ctmod_ctx_error(rq->ctx) : strerror(-r));
	else if (ctmod_module_live(rq->ctx, rq->module))
		decide(rq, CTMOD_GATE_EXISTS, EEXIST, "allowlisted; already loaded");
	else
		load_host_module(rq, params);
	free(params);
}

static void respond_and_log(struct request *rq)
{
	struct ctmod_gate *g = rq->g;
	if (rq->verdict != CTMOD_GATE_GONE) {
		rq->resp->id = rq->req->id;
		rq->resp->flags = 0;
		rq->resp->val = 0;
		rq->resp->error = rq->err ? -rq->err : 0;
		if (seccomp_notify_respond(rq->src->nfd, rq->resp) < 0 &&
		    seccomp_notify_id_valid(rq->src->nfd, rq->req->id) != 0) {
			size_t n = strlen(rq->reason);
			snprintf(rq->reason + n, sizeof(rq->reason) - n,
			         "; the caller went away before the answer");
			rq->verdict = CTMOD_GATE_GONE;
		}
	}
	struct ctmod_gate_event ev = {
	    .container = rq->src->agent ? &rq->src->info : NULL,
	    .pid = (pid_t)rq->req->pid,
	    .comm = rq->caller.comm[0] ? rq->caller.comm : "?",
	    .syscall = rq->syscall ? rq->syscall : "?",
	    .module = rq->module[0] ? rq->module : NULL,
	    .verdict = rq->verdict,
	    .reason = rq->reason,
	    .err = rq->verdict == CTMOD_GATE_GONE ? 0 : rq->err,
	    .seconds = now_seconds() - rq->t0,
	};
	pthread_mutex_lock(&g->lock);
	if (!g->closed && g->opts->cb)
		g->opts->cb(g->opts->data, &ev);
	pthread_mutex_unlock(&g->lock);
}

static void request_free(struct request *rq)
{
	if (rq->slot)
		slot_put(rq->g, rq->slot);
	seccomp_notify_free(rq->req, rq->resp);
	free(rq);
}

static void *worker(void *arg);

/* Start rq in a thread of its own (in this one if none can be started). */
static void start(struct request *rq)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	if (pthread_create(&t, &attr, worker, rq) != 0)
		worker(rq); /* serve it here rather than leave the caller hanging */
	pthread_attr_destroy(&attr);
}

/* Under the lock: the next queued request to start, counted as active; NULL if none may. */
static struct request *next_queued(struct ctmod_gate *g)
{
	if (g->active >= CTMOD_GATE_MAX_ACTIVE)
		return NULL;
	struct ctmod_gate_queue *best = NULL;
	for (struct ctmod_gate_queue *q = g->queues; q; q = q->next)
		if (q->head && q->active < CTMOD_GATE_SOURCE_ACTIVE &&
		    (!best || q->active < best->active))
			best = q;
	if (!best)
		return NULL;
	struct request *rq = best->head;
	best->head = rq->next;
	if (!best->head)
		best->tail = NULL;
	best->active++;
	g->queued--;
	g->active++;
	rq->src->active++;
	/* the chosen queue goes last, so equals take turns */
	struct ctmod_gate_queue **pp = &g->queues;
	while (*pp != best)
		pp = &(*pp)->next;
	*pp = best->next;
	best->next = NULL;
	for (pp = &g->queues; *pp; pp = &(*pp)->next)
		;
	*pp = best;
	return rq;
}

/* Under the lock: rq joins its process's queue. */
static void enqueue(struct ctmod_gate *g, struct request *rq, pid_t tgid)
{
	struct ctmod_gate_queue *q = g->queues;
	while (q && q->tgid != tgid)
		q = q->next;
	if (!q) {
		q = xcalloc(1, sizeof(*q));
		q->tgid = tgid;
		q->next = g->queues;
		g->queues = q;
	}
	rq->q = q;
	if (q->tail)
		q->tail->next = rq;
	else
		q->head = rq;
	q->tail = rq;
	g->queued++;
}

/* Under the lock: rq's queue loses it; an empty idle queue goes. */
static void dequeue_done(struct ctmod_gate *g, struct ctmod_gate_queue *q)
{
	q->active--;
	if (q->active || q->head)
		return;
	for (struct ctmod_gate_queue **pp = &g->queues; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			free(q);
			return;
		}
}

static void *worker(void *arg)
{
	struct request *rq = arg;
	struct ctmod_gate *g = rq->g;
	struct ctmod_gate_source *src = rq->src;
	struct ctmod_gate_queue *q = rq->q;
	rq->slot = slot_get(g);
	if (!rq->slot) {
		decide(rq, CTMOD_GATE_DENIED, ENOMEM, "out of memory");
	} else {
		rq->ctx = rq->slot->ctx;
		serve(rq);
	}
	respond_and_log(rq);
	request_free(rq);
	pthread_mutex_lock(&g->lock);
	g->active--;
	src->active--;
	if (q)
		dequeue_done(g, q);
	struct request *next = next_queued(g);
	/* under the lock: once active is 0 and the lock free, g may go */
	uint64_t one = 1;
	if (write(g->wakefd, &one, sizeof(one)) < 0) {
		/* full counter: the loop is awake anyway */
	}
	pthread_cond_broadcast(&g->idle);
	pthread_mutex_unlock(&g->lock);
	if (next)
		start(next);
	return NULL;
}

void ctmod_gate_dispatch(struct ctmod_gate *g, struct ctmod_gate_source *src)
{
	struct request *rq = calloc(1, sizeof(*rq));
	if (!rq)
		return;
	rq->g = g;
	rq->src = src;
	if (seccomp_notify_alloc(&rq->req, &rq->resp) < 0) {
		free(rq);
		return;
	}
	/* fails when the caller died after the wakeup: nothing to answer */
	if (seccomp_notify_receive(src->nfd, rq->req) < 0) {
		seccomp_notify_free(rq->req, rq->resp);
		free(rq);
		return;
	}
	rq->t0 = now_seconds();
	pthread_mutex_lock(&g->lock);
	if (src->agent) {
		/* the agent's loop already keeps each container to its share */
		g->active++;
		src->active++;
	} else {
		enqueue(g, rq, ctmod_gate_caller_tgid((pid_t)rq->req->pid));
		rq = next_queued(g);
	}
	pthread_mutex_unlock(&g->lock);
	if (rq)
		start(rq);
}

void ctmod_gate_wait_idle(struct ctmod_gate *g, double limit)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)limit;
	pthread_mutex_lock(&g->lock);
	while (g->active > 0 || g->queued > 0)
		if (pthread_cond_timedwait(&g->idle, &g->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&g->lock);
}

struct ctmod_gate_source *ctmod_gate_source_new(int nfd, const struct strv *allowed)
{
	struct ctmod_gate_source *src = xcalloc(1, sizeof(*src));
	src->nfd = nfd;
	strv_init(&src->own);
	src->allowed = allowed ? allowed : &src->own;
	return src;
}

void ctmod_gate_source_free(struct ctmod_gate_source *src)
{
	if (!src)
		return;
	if (src->nfd >= 0)
		close(src->nfd);
	strv_release(&src->own);
	free(src->id);
	free(src->bundle);
	free(src->policy);
	free(src);
}

void ctmod_gate_free(struct ctmod_gate *g)
{
	ctmod_gate_slots_free(g);
	strv_release(&g->allowed);
	free(g->root);
	free(g->kver);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->idle);
	if (g->wakefd >= 0)
		close(g->wakefd);
	free(g);
}

int ctmod_gate_new(struct ctmod_ctx *ctx, const struct ctmod_gate_opts *opts,
                   struct ctmod_gate **out)
{
	const char *kver;
	int r = ctmod_ctx_kver(ctx, &kver);
	if (r < 0)
		return r;
	struct ctmod_gate *g = calloc(1, sizeof(*g));
	if (!g)
		return ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
	g->ctx = ctx;
	g->opts = opts;
	g->allow_params = opts->allow_params;
	g->timeout = opts->timeout > 0 ? opts->timeout : CTMOD_JAIL_TIMEOUT;
	strv_init(&g->allowed);
	g->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->idle, NULL);
	g->root = strdup(ctmod_ctx_root(ctx));
	g->kver = strdup(kver);
	if (!g->root || !g->kver) {
		ctmod_gate_free(g);
		return ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
	}
	if (stat("/proc/self/ns/user", &g->userns) < 0) {
		r = -errno;
		ctmod_gate_free(g);
		return ctmod_fail(ctx, r, "mount /proc", "/proc/self/ns/user: %s", strerror(-r));
	}
	struct ctmod_moddb *db;
	r = ctmod_moddb_open(ctx, &db);
	if (r < 0) {
		ctmod_gate_free(g);
		return r;
	}
	r = opts->allow ? ctmod_gate_allowed(ctx, db, opts->allow, &g->allowed) : 0;
	ctmod_moddb_free(db);
	if (r < 0) {
		ctmod_gate_free(g);
		return r;
	}
	for (size_t i = 0; i < g->allowed.n; i++)
		DBG(ctx, "gate: allowing %s", g->allowed.v[i]);
	*out = g;
	return 0;
}
