// SPDX-License-Identifier: LGPL-2.1-or-later
#include "autoload.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "moddb.h"

#define NONE ((size_t)-1)

struct edge {
	size_t node;
	bool hard; /* a modules.dep dependency, not a softdep */
};

struct edges {
	struct edge *v;
	size_t n, cap;
};

/* One module of the closure: a listed target or something it needs. */
struct node {
	char *name; /* normalized */
	char *params;
	bool builtin;
	bool target;
	struct edges prereq, users;
	size_t pending;    /* prerequisites not finished yet */
	size_t blocked_by; /* a hard prerequisite that failed, or NONE */
	enum ctmod_load_state state;
	enum ctmod_load_method method;
	int err;
	char *reason;
	double seconds;
};

struct graph {
	struct node *v;
	size_t n, cap;
};

static void graph_release(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].name);
		free(g->v[i].params);
		free(g->v[i].prereq.v);
		free(g->v[i].users.v);
		free(g->v[i].reason);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
}

/* The node of NAME, added when new. */
static size_t node_get(struct graph *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (modname_equal(g->v[i].name, name))
			return i;
	struct node *n = ARRAY_PUSH(g->v, g->n, g->cap);
	n->name = xmalloc(strlen(name) + 1);
	n->params = xstrdup("");
	modname_normalize(name, n->name, strlen(name) + 1);
	n->blocked_by = NONE;
	return g->n - 1;
}

static void edge_add(struct edges *es, size_t node, bool hard)
{
	for (size_t i = 0; i < es->n; i++)
		if (es->v[i].node == node) {
			es->v[i].hard |= hard;
			return;
		}
	*(struct edge *)ARRAY_PUSH(es->v, es->n, es->cap) =
	    (struct edge){.node = node, .hard = hard};
}

static char *error_text(struct ctmod_ctx *ctx)
{
	const char *msg = ctmod_ctx_error(ctx), *hint = ctmod_ctx_hint(ctx);
	char *s = NULL;
	if (asprintf(&s, "%s%s%s", msg ? msg : "failed", hint ? ": " : "", hint ? hint : "") < 0)
		s = NULL;
	ctmod_ctx_clear_error(ctx);
	return s;
}

/*
 * The targets of one list entry: the steps its resolution marks as
 * targets, or, when it marks none, the step of that name, else the last.
 * Only -ENOMEM fails; a name that does not resolve fails its entry.
 */
static int add_targets(struct ctmod_ctx *ctx, struct ctmod_moddb *db,
                       const struct ctmod_modlist_entry *entry, struct ctmod_autoload_result *res,
                       struct ctmod_autoload_report *rep, struct graph *g)
{
	_cleanup_(ctmod_moddb_plan_release) struct ctmod_moddb_plan plan = {0};
	int r = ctmod_moddb_resolve(db, entry->name, 0, &plan);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		res->state = CTMOD_LOAD_FAILED;
		res->err = r;
		res->reason = error_text(ctx);
		rep->failed++;
		return 0;
	}
	size_t ntargets = 0;
	for (size_t s = 0; s < plan.n; s++)
		ntargets += plan.steps[s].target;
	for (size_t s = 0; s < plan.n; s++) {
		const struct ctmod_moddb_step *st = &plan.steps[s];
		if (ntargets ? !st->target
		             : !(modname_equal(st->name, entry->name) || s + 1 == plan.n))
			continue;
		if (!ntargets)
			ntargets = 1;
		/* systemd-modules-load probes with KMOD_PROBE_APPLY_BLACKLIST: a
		 * blacklisted module asked for by a list is not loaded */
		const char *by = ctmod_moddb_blacklisted_by(db, st->name);
		if (by) {
			if (!res->blacklisted)
				res->blacklisted = xstrdup(by);
			continue;
		}
		size_t k = node_get(g, st->name);
		g->v[k].target = true;
		g->v[k].builtin = st->builtin;
		ctmod_modlist_join_params(&g->v[k].params, entry->params);
		strv_push(&res->modules, g->v[k].name);
	}
	return 0;
}

/* Node K's prerequisites: every module its own resolution loads before it. */
static int add_prereqs(struct ctmod_ctx *ctx, struct ctmod_moddb *db, struct graph *g, size_t k)
{
	_cleanup_(ctmod_moddb_plan_release) struct ctmod_moddb_plan plan = {0};
	_cleanup_strv_ struct strv hard = STRV_INIT;
	int r = ctmod_moddb_resolve(db, g->v[k].name, 0, &plan);
	if (r < 0) {
		/* it came out of a resolution: let its load say what is wrong */
		ctmod_ctx_clear_error(ctx);
		return r == -ENOMEM ? r : 0;
	}
	if (ctmod_moddb_depends(db, g->v[k].name, &hard) < 0)
		ctmod_ctx_clear_error(ctx);
	bool before = true;
	for (size_t s = 0; s < plan.n; s++) {
		const struct ctmod_moddb_step *st = &plan.steps[s];
		if (modname_equal(st->name, g->v[k].name)) {
			g->v[k].builtin = st->builtin;
			before = false;
			continue;
		}
		size_t p = node_get(g, st->name);
		g->v[p].builtin = st->builtin;
		bool is_hard = false;
		for (size_t h = 0; h < hard.n; h++)
			is_hard |= modname_equal(hard.v[h], st->name);
		if (before)
			edge_add(&g->v[k].prereq, p, is_hard);
	}
	return 0;
}

/*
 * The targets of each entry, then the closure: every module a node's own
 * resolution loads before it is its prerequisite (hard when modules.dep
 * says so, soft for a softdep), every module after it (post: softdeps)
 * just has to be loaded too.
 */
static int build_graph(struct ctmod_ctx *ctx, struct ctmod_moddb *db,
                       const struct ctmod_modlist *list, struct ctmod_autoload_report *rep,
                       struct graph *g)
{
	int r;
	for (size_t i = 0; i < list->n; i++)
		if ((r = add_targets(ctx, db, &list->v[i], &rep->entries[i], rep, g)) < 0)
			return r;
	/* g->n grows while the closure is walked */
	for (size_t k = 0; k < g->n; k++)
		if ((r = add_prereqs(ctx, db, g, k)) < 0)
			return r;
	return 0;
}

/*
 * Softdeps may form a cycle (a pre: b, b pre: a).  ctmod_load() of a module
 * loads everything it needs anyway, so the order among the modules of a
 * cycle is dropped rather than waited for forever.
 */
static void break_cycles(struct graph *g)
{
	_cleanup_free_ size_t *pending = xcalloc(g->n + 1, sizeof(*pending));
	_cleanup_free_ size_t *queue = xcalloc(g->n + 1, sizeof(*queue));
	_cleanup_free_ bool *done = xcalloc(g->n + 1, sizeof(*done));
	size_t head = 0, tail = 0;
	for (size_t k = 0; k < g->n; k++) {
		pending[k] = g->v[k].prereq.n;
		if (!pending[k])
			queue[tail++] = k;
	}
	/* users are not built yet: walk prerequisites backwards */
	while (head < tail) {
		size_t k = queue[head++];
		done[k] = true;
		for (size_t u = 0; u < g->n; u++)
			for (size_t e = 0; e < g->v[u].prereq.n; e++)
				if (g->v[u].prereq.v[e].node == k && --pending[u] == 0)
					queue[tail++] = u;
	}
	for (size_t k = 0; k < g->n; k++)
		if (!done[k]) {
			/* keep the edges to modules outside the cycle */
			size_t m = 0;
			for (size_t e = 0; e < g->v[k].prereq.n; e++)
				if (done[g->v[k].prereq.v[e].node])
					g->v[k].prereq.v[m++] = g->v[k].prereq.v[e];
			g->v[k].prereq.n = m;
		}
	for (size_t k = 0; k < g->n; k++) {
		g->v[k].pending = g->v[k].prereq.n;
		for (size_t e = 0; e < g->v[k].prereq.n; e++) {
			struct node *p = &g->v[g->v[k].prereq.v[e].node];
			edge_add(&p->users, k, g->v[k].prereq.v[e].hard);
		}
	}
}

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_mutex_t log_lock;
	struct graph *g;
	size_t *queue;
	size_t head, tail;
	size_t remaining;
	unsigned started; /* workers that found work and opened their database */
	struct ctmod_ctx *ctx;
	struct ctmod_moddb *db; /* the caller's, for the calling thread */
	const char *root, *kver;
	const struct ctmod_autoload_opts *opts;
};

/* Workers log through the caller's context, one message at a time. */
static void forward_log(void *data, int prio, const char *fmt, va_list ap)
{
	struct pool *pool = data;
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	size_t n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	pthread_mutex_lock(&pool->log_lock);
	ctmod_log(pool->ctx, prio, "%s", msg);
	pthread_mutex_unlock(&pool->log_lock);
	free(msg);
}

struct catch_event {
	const char *name;
	bool seen;
	struct ctmod_load_event ev;
};

static void on_event(void *data, const struct ctmod_load_event *ev)
{
	struct catch_event *c = data;
	if (ev->name && modname_equal(ev->name, c->name)) {
		c->seen = true;
		c->ev = *ev;
		c->ev.name = NULL;
	}
}

/* Load node K (the lock is not held: only this worker writes K now). */
static void load_node(struct pool *pool, struct ctmod_ctx *wctx, struct ctmod_moddb *wdb, size_t k)
{
	struct node *n = &pool->g->v[k];
	if (n->blocked_by != NONE) {
		n->state = CTMOD_LOAD_FAILED;
		n->err = -ENOLINK;
		const struct node *dep = &pool->g->v[n->blocked_by];
		if (asprintf(&n->reason, "needs %s, which did not load: %s", dep->name,
		             dep->reason ? dep->reason : "failed") < 0)
			n->reason = NULL;
		return;
	}
	if (n->builtin) {
		n->state = CTMOD_BUILTIN;
		return;
	}
	/* the loader's dry run does not look at the running kernel; on the
	 * running system (no --root) -n should say what is there already */
	if (pool->opts->dry_run && !ctmod_ctx_has_root(wctx) && ctmod_module_live(wctx, n->name)) {
		n->state = CTMOD_ALREADY_LOADED;
		return;
	}
	struct ctmod_load_opts lo = {
	    .methods = pool->opts->methods,
	    .dry_run = pool->opts->dry_run,
	    .params = *n->params ? n->params : NULL,
	};
	struct catch_event c = {.name = n->name};
	double t0 = now_seconds();
	int r = ctmod_load(wctx, wdb, n->name, &lo, on_event, &c);
	n->seconds = now_seconds() - t0;
	if (c.seen) {
		n->state = c.ev.state;
		n->method = c.ev.method;
		n->err = c.ev.err;
	} else {
		n->state = pool->opts->dry_run ? CTMOD_WOULD_LOAD : CTMOD_LOADED;
	}
	if (r < 0) {
		n->state = CTMOD_LOAD_FAILED;
		n->err = r;
		n->reason = error_text(wctx);
	} else if (n->state == CTMOD_LOAD_FAILED && !n->reason) {
		if (asprintf(&n->reason, "%s", strerror(n->err < 0 ? -n->err : EIO)) < 0)
			n->reason = NULL;
	}
	ctmod_ctx_clear_error(wctx);
}

/* Called with the lock held: K is finished, wake what waited for it. */
static void finish_node(struct pool *pool, size_t k)
{
	struct graph *g = pool->g;
	bool failed = g->v[k].state == CTMOD_LOAD_FAILED;
	for (size_t e = 0; e < g->v[k].users.n; e++) {
		struct node *u = &g->v[g->v[k].users.v[e].node];
		if (failed && g->v[k].users.v[e].hard && u->blocked_by == NONE)
			u->blocked_by = k;
		if (--u->pending == 0)
			pool->queue[pool->tail++] = g->v[k].users.v[e].node;
	}
	pool->remaining--;
	pthread_cond_broadcast(&pool->cond);
}

/* Take the next ready module, waiting for one; NONE when all are done. */
static size_t next_node(struct pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	while (pool->head == pool->tail && pool->remaining > 0)
		pthread_cond_wait(&pool->cond, &pool->lock);
	size_t k = pool->remaining ? pool->queue[pool->head++] : NONE;
	pthread_mutex_unlock(&pool->lock);
	return k;
}

/* Give a module back when this worker cannot load anything (at most once
 * per worker: the queue has room for that). */
static void put_back(struct pool *pool, size_t k)
{
	pthread_mutex_lock(&pool->lock);
	pool->queue[pool->tail++] = k;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}

static void work(struct pool *pool, struct ctmod_ctx *wctx, struct ctmod_moddb *wdb, size_t k)
{
	for (; k != NONE; k = next_node(pool)) {
		load_node(pool, wctx, wdb, k);
		pthread_mutex_lock(&pool->lock);
		finish_node(pool, k);
		pthread_mutex_unlock(&pool->lock);
	}
}

/*
 * An extra worker: its own context and module database (libkmod is not
 * thread-safe), opened only once there is work for it, so that a list
 * with little to do in parallel costs no extra database.  If it cannot
 * open one, the calling thread, which always works, takes the module.
 */
static void *worker(void *arg)
{
	struct pool *pool = arg;
	struct ctmod_ctx *wctx = NULL;
	struct ctmod_moddb *wdb = NULL;

	size_t k = next_node(pool);
	if (k == NONE)
		return NULL;
	int r = ctmod_ctx_new(&wctx, pool->root, pool->kver);
	if (r == 0) {
		ctmod_ctx_set_log(wctx, forward_log, pool);
		ctmod_ctx_set_log_level(wctx, ctmod_ctx_log_level(pool->ctx));
		r = ctmod_moddb_open(wctx, &wdb);
	}
	if (r < 0) {
		if (wctx)
			DBG(pool->ctx, "autoload: a worker gives up: %s", ctmod_ctx_error(wctx));
		put_back(pool, k);
		ctmod_ctx_free(wctx);
		return NULL;
	}
	pthread_mutex_lock(&pool->lock);
	pool->started++;
	pthread_mutex_unlock(&pool->lock);
	work(pool, wctx, wdb, k);
	ctmod_moddb_free(wdb);
	ctmod_ctx_free(wctx);
	return NULL;
}

static unsigned default_jobs(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	return cpus * 2 > 16 ? 16 : (unsigned)cpus * 2;
}

/*
 * The calling thread is a worker too, with the caller's context and the
 * database the closure was resolved with; jobs - 1 threads join it.
 */
static int run_pool(struct ctmod_ctx *ctx, struct ctmod_moddb *db, struct graph *g,
                    const struct ctmod_autoload_opts *opts, unsigned *jobs_used)
{
	struct pool pool = {
	    .lock = PTHREAD_MUTEX_INITIALIZER,
	    .cond = PTHREAD_COND_INITIALIZER,
	    .log_lock = PTHREAD_MUTEX_INITIALIZER,
	    .g = g,
	    .remaining = g->n,
	    .started = 1,
	    .ctx = ctx,
	    .db = db,
	    .root = ctmod_ctx_root(ctx),
	    .opts = opts,
	};
	int r = ctmod_ctx_kver(ctx, &pool.kver);
	if (r < 0)
		return r;
	unsigned jobs = opts->jobs ? opts->jobs : default_jobs();
	if (jobs > g->n)
		jobs = (unsigned)g->n;
	*jobs_used = 0;
	if (!jobs)
		return 0;
	pool.queue = calloc(g->n + jobs, sizeof(*pool.queue));
	pthread_t *threads = calloc(jobs, sizeof(*threads));
	if (!pool.queue || !threads) {
		free(pool.queue);
		free(threads);
		return ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
	}
	for (size_t k = 0; k < g->n; k++)
		if (!g->v[k].pending)
			pool.queue[pool.tail++] = k;

	unsigned extra = 0;
	while (extra + 1 < jobs && pthread_create(&threads[extra], NULL, worker, &pool) == 0)
		extra++;
	work(&pool, ctx, db, next_node(&pool));
	for (unsigned i = 0; i < extra; i++)
		pthread_join(threads[i], NULL);
	*jobs_used = pool.started;
	free(pool.queue);
	free(threads);
	return 0;
}

static int set_result(struct ctmod_autoload_result *res, const char *name, const char *params)
{
	res->name = strdup(name);
	res->params = strdup(params ? params : "");
	return res->name && res->params ? 0 : -ENOMEM;
}

/* An entry that resolved to several modules: the worst of them wins. */
static int state_rank(enum ctmod_load_state s)
{
	switch (s) {
	case CTMOD_LOAD_FAILED:
		return 4;
	case CTMOD_LOADED:
		return 3;
	case CTMOD_WOULD_LOAD:
		return 2;
	case CTMOD_ALREADY_LOADED:
		return 1;
	default:
		return 0;
	}
}

static int summarize(const struct graph *g, struct ctmod_autoload_report *rep)
{
	for (size_t i = 0; i < rep->n_entries; i++) {
		struct ctmod_autoload_result *res = &rep->entries[i];
		if (res->state == CTMOD_LOAD_FAILED && res->reason)
			continue; /* did not resolve */
		bool first = true;
		if (!res->modules.n && res->blacklisted) {
			res->state = CTMOD_BLACKLISTED;
			continue;
		}
		if (!res->modules.n && !(res->reason = strdup("resolves to no module")))
			return -ENOMEM;
		for (size_t m = 0; m < res->modules.n; m++) {
			size_t k = 0;
			while (k < g->n && strcmp(g->v[k].name, res->modules.v[m]) != 0)
				k++;
			if (k == g->n)
				continue;
			const struct node *n = &g->v[k];
			if (n->seconds > res->seconds)
				res->seconds = n->seconds;
			if (!first && state_rank(n->state) <= state_rank(res->state))
				continue;
			first = false;
			res->state = n->state;
			res->method = n->method;
			res->err = n->err;
			free(res->reason);
			res->reason = n->reason ? strdup(n->reason) : NULL;
			if (n->reason && !res->reason)
				return -ENOMEM;
		}
		if (res->state == CTMOD_LOAD_FAILED)
			rep->failed++;
	}
	size_t nd = 0;
	for (size_t k = 0; k < g->n; k++)
		nd += !g->v[k].target;
	rep->deps = calloc(nd + 1, sizeof(*rep->deps));
	if (!rep->deps)
		return -ENOMEM;
	for (size_t k = 0; k < g->n; k++) {
		const struct node *n = &g->v[k];
		if (n->target)
			continue;
		struct ctmod_autoload_result *d = &rep->deps[rep->n_deps++];
		strv_init(&d->modules);
		if (set_result(d, n->name, n->params) < 0)
			return -ENOMEM;
		d->state = n->state;
		d->method = n->method;
		d->err = n->err;
		d->seconds = n->seconds;
		d->reason = n->reason ? strdup(n->reason) : NULL;
	}
	return 0;
}

int ctmod_autoload(struct ctmod_ctx *ctx, const struct ctmod_modlist *list,
                   const struct ctmod_autoload_opts *opts, struct ctmod_autoload_report *rep)
{
	static const struct ctmod_autoload_opts defaults = {0};
	struct ctmod_moddb *db = NULL;
	struct graph g = {0};
	double t0 = now_seconds();
	int r;

	if (!opts)
		opts = &defaults;
	memset(rep, 0, sizeof(*rep));
	rep->entries = calloc(list->n + 1, sizeof(*rep->entries));
	if (!rep->entries)
		return ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
	rep->n_entries = list->n;
	for (size_t i = 0; i < list->n; i++) {
		strv_init(&rep->entries[i].modules);
		rep->entries[i].state = CTMOD_LOAD_FAILED; /* until a module of it says otherwise */
		if (set_result(&rep->entries[i], list->v[i].name, list->v[i].params) < 0)
			return ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
	}
	if (!list->n)
		return 0;

	r = ctmod_moddb_open(ctx, &db);
	if (r < 0)
		return r;
	r = build_graph(ctx, db, list, rep, &g);
	if (r == 0)
		break_cycles(&g);
	if (r == -ENOMEM)
		r = ctmod_fail(ctx, r, NULL, "out of memory");
	if (r == 0)
		r = run_pool(ctx, db, &g, opts, &rep->jobs);
	ctmod_moddb_free(db);
	if (r == 0 && summarize(&g, rep) < 0)
		r = ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
	graph_release(&g);
	rep->seconds = now_seconds() - t0;
	return r;
}

static void result_release(struct ctmod_autoload_result *res)
{
	free(res->name);
	free(res->params);
	free(res->reason);
	free(res->blacklisted);
	strv_release(&res->modules);
}

void ctmod_autoload_report_release(struct ctmod_autoload_report *rep)
{
	for (size_t i = 0; i < rep->n_entries; i++)
		result_release(&rep->entries[i]);
	for (size_t i = 0; i < rep->n_deps; i++)
		result_release(&rep->deps[i]);
	free(rep->entries);
	free(rep->deps);
	memset(rep, 0, sizeof(*rep));
}

/* The entry's first target (as build_graph picks them) that a blacklist names, or NULL. */
static char *entry_blacklisted(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *name)
{
	struct ctmod_moddb_plan plan = {0};
	char *by = NULL;
	if (ctmod_moddb_resolve(db, name, 0, &plan) < 0) {
		ctmod_ctx_clear_error(ctx);
		return NULL;
	}
	size_t ntargets = 0;
	for (size_t s = 0; s < plan.n; s++)
		ntargets += plan.steps[s].target;
	for (size_t s = 0; !by && s < plan.n; s++) {
		const struct ctmod_moddb_step *st = &plan.steps[s];
		bool target =
		    ntargets ? st->target : modname_equal(st->name, name) || s + 1 == plan.n;
		const char *b = target ? ctmod_moddb_blacklisted_by(db, st->name) : NULL;
		if (b && asprintf(&by, "%s", b) < 0)
			abort();
	}
	ctmod_moddb_plan_release(&plan);
	return by;
}

int ctmod_autoload_blacklisted(struct ctmod_ctx *ctx, const struct ctmod_modlist *list,
                               struct strv *why)
{
	struct ctmod_moddb *db;
	strv_init(why);
	int r = ctmod_moddb_open(ctx, &db);
	for (size_t i = 0; i < list->n; i++) {
		char *by = r == 0 ? entry_blacklisted(ctx, db, list->v[i].name) : NULL;
		strv_push_take(why, by ? by : strdup(""));
	}
	if (r < 0)
		ctmod_ctx_clear_error(ctx);
	else
		ctmod_moddb_free(db);
	return r < 0 ? r : 0;
}
