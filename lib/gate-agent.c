// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The gate as an OCI seccomp agent (ctmod_gate_listen): runc and crun,
 * given linux.seccomp.listenerPath, connect to our socket once per
 * container and send one message: the container's seccomp notify fd
 * (SCM_RIGHTS) and its process state as JSON.  They keep the connection
 * open, so the message ends where the JSON object ends, not at EOF.  Each
 * container becomes a source (gate-internal.h) served like the process-tree
 * gate's command, with its own allowlist, until its filter has no users.
 *
 * One thread polls: the signalfd, the socket, the connections still
 * sending, and every container's notify fd that is under its share of the
 * slots.  Nothing a runtime or a container sends can end the agent; only
 * SIGTERM and SIGINT do.
 */
#include "gate-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "moddb.h"

/* Connections still sending their message, and how long they may take. */
#define MAX_PENDING    32
#define PENDING_LIMIT  5.0
#define MAX_STATE      (256u << 10)
#define MAX_PASSED_FDS 8

struct conn {
	int fd;
	double deadline;
	struct json_tokener *tok;
	size_t got;
	int fds[MAX_PASSED_FDS];
	int nfds;
	struct conn *next;
};

struct agent {
	struct ctmod_gate *g;
	const struct ctmod_gate_listen_opts *lo;
	struct ctmod_gate_policy *policies;
	const struct ctmod_gate_policy *fallback; /* "default", for no metadata */
	int lsock, sfd;
	struct stat sock_st; /* the socket file we made, to remove only ours */
	struct conn *conns;
	unsigned nconns;
	struct ctmod_gate_source *sources;
	unsigned long served; /* containers seen, for the log */
};

static void conn_free(struct conn *c)
{
	close(c->fd);
	for (int i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	json_tokener_free(c->tok);
	free(c);
}

/* ---- the socket ---------------------------------------------------------- */

/* 0 when path is free or a stale socket (then removed), -errno otherwise */
static int claim_path(struct ctmod_ctx *ctx, const struct sockaddr_un *sa)
{
	struct stat st;
	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT
		           ? 0
		           : ctmod_fail(ctx, -errno, NULL, "%s: %s", sa->sun_path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return ctmod_fail(ctx, -EEXIST, "remove it or choose another path",
		                  "%s exists and is not a socket", sa->sun_path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return ctmod_fail(ctx, -errno, NULL, "socket: %s", strerror(errno));
	int r = connect(s, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;
	close(s);
	if (r == 0)
		return ctmod_fail(ctx, -EADDRINUSE, "stop it first, or give another --listen path",
		                  "another agent is listening on %s", sa->sun_path);
	if (e != ECONNREFUSED)
		return ctmod_fail(ctx, -e, NULL, "%s: %s", sa->sun_path, strerror(e));
	/* nobody listens: a socket left by an agent that died */
	return 0;
}

/*
 * Bind under a temporary name with the final mode already set (umask:
 * never a moment when others could connect), then rename over the path.
 */
static int make_socket(struct ctmod_ctx *ctx, struct agent *a)
{
	const struct ctmod_gate_listen_opts *lo = a->lo;
	struct sockaddr_un sa = {.sun_family = AF_UNIX}, tmp = {.sun_family = AF_UNIX};
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", lo->path) >=
	        (int)sizeof(sa.sun_path) ||
	    snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d.new", lo->path, (int)getpid()) >=
	        (int)sizeof(tmp.sun_path))
		return ctmod_fail_input(ctx, -ENAMETOOLONG, "use a shorter path",
		                        "--listen %s: too long for a unix socket", lo->path);
	int r = claim_path(ctx, &sa);
	if (r < 0)
		return r;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return ctmod_fail(ctx, -errno, NULL, "socket: %s", strerror(errno));
	unlink(tmp.sun_path);
	mode_t old = umask(0177);
	r = bind(s, (struct sockaddr *)&tmp, sizeof(tmp));
	umask(old);
	int mode = lo->mode ? lo->mode : 0600;
	if (r == 0 && lo->gid >= 0 && chown(tmp.sun_path, (uid_t)-1, (gid_t)lo->gid) < 0)
		r = -1;
	if (r == 0 && chmod(tmp.sun_path, (mode_t)mode) < 0)
		r = -1;
	if (r == 0 && listen(s, 64) < 0)
		r = -1;
	if (r == 0 && rename(tmp.sun_path, sa.sun_path) < 0)
		r = -1;
	if (r == 0 && stat(sa.sun_path, &a->sock_st) < 0)
		r = -1;
	if (r < 0) {
		int e = errno;
		unlink(tmp.sun_path);
		close(s);
		return ctmod_fail(ctx, -e, "check the directory exists and is writable",
		                  "--listen %s: %s", lo->path, strerror(e));
	}
	a->lsock = s;
	return 0;
}

/* A listening socket handed over (socket activation): it stays its maker's. */
static int take_socket(struct ctmod_ctx *ctx, struct agent *a)
{
	struct stat st;
	int type = 0;
	socklen_t len = sizeof(type);
	if (fstat(a->lo->fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(a->lo->fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return ctmod_fail(ctx, -ENOTSOCK, "give the socket unit ListenStream=",
		                  "descriptor %d is not a stream socket", a->lo->fd);
	int fl = fcntl(a->lo->fd, F_GETFL);
	fcntl(a->lo->fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(a->lo->fd, F_SETFD, FD_CLOEXEC);
	a->lsock = a->lo->fd;
	return 0;
}

static void remove_socket(struct agent *a)
{
	/* a socket made for us stays: its maker keeps it, connections wait in it */
	struct stat st;
	if (a->lo->fd < 0 && lstat(a->lo->path, &st) == 0 && st.st_dev == a->sock_st.st_dev &&
	    st.st_ino == a->sock_st.st_ino)
		unlink(a->lo->path);
	close(a->lsock);
}

/* ---- containers arriving ------------------------------------------------- */

static void tell(struct agent *a, const struct ctmod_gate_container *c, const char *what,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void tell(struct agent *a, const struct ctmod_gate_container *c, const char *what,
                 const char *fmt, ...)
{
	if (!a->lo->on_container)
		return;
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&a->g->lock);
	a->lo->on_container(a->g->opts->data, c, what, detail);
	pthread_mutex_unlock(&a->g->lock);
}

/* fd is a seccomp notify fd (anon_inode:seccomp notify), not any file */
static bool is_notify_fd(int fd)
{
	char path[64], target[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:seccomp notify") == 0;
}

static void printable(char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"')
			*s = '?';
}

/* The container's allowlist into src (every failure: an empty one). */
static void container_policy(struct agent *a, struct ctmod_gate_source *src, const char *md)
{
	struct ctmod_gate *g = a->g;
	if (!md || !*md) {
		src->allowed = a->fallback ? &a->fallback->allowed : &g->allowed;
		src->policy = a->fallback ? xstrdup("policy=default") : NULL;
		return;
	}
	struct ctmod_moddb *db = NULL;
	int r = ctmod_moddb_open(g->ctx, &db);
	char *how = NULL;
	if (r == 0)
		r = ctmod_gate_container_allowed(g->ctx, db, &g->allowed, a->policies, md,
		                                 &src->own, &how);
	ctmod_moddb_free(db);
	src->allowed = &src->own;
	if (r < 0) {
		src->policy = xstrdup("refused");
		src->info.policy = src->policy;
		tell(a, &src->info, "refused", "%s: every request of this container is refused",
		     ctmod_ctx_error(g->ctx) ? ctmod_ctx_error(g->ctx) : strerror(-r));
		ctmod_ctx_clear_error(g->ctx);
		return;
	}
	src->policy = how;
}

/* A complete message: the container becomes a source. */
static void conn_done(struct agent *a, struct conn *c, struct json_object *o)
{
	struct ctmod_gate_state st;
	struct ctmod_gate_container anon = {.id = "?"};
	int r = ctmod_gate_state_from_json(a->g->ctx, o, &st);
	if (r == 0 &&
	    (st.seccomp_fd_index >= c->nfds || !is_notify_fd(c->fds[st.seccomp_fd_index])))
		r = ctmod_fail_input(a->g->ctx, -EBADF, NULL,
		                     "the runtime's message carries no seccomp notify fd");
	if (r < 0) {
		tell(a, &anon, "refused", "%s", ctmod_ctx_error(a->g->ctx));
		ctmod_ctx_clear_error(a->g->ctx);
		ctmod_gate_state_release(&st);
		return;
	}
	struct ctmod_gate_source *src = ctmod_gate_source_new(c->fds[st.seccomp_fd_index], NULL);
	c->fds[st.seccomp_fd_index] = -1;
	src->agent = true;
	src->id = st.id ? st.id : xstrdup("?");
	src->bundle = st.bundle;
	st.id = st.bundle = NULL;
	printable(src->id);
	printable(src->bundle);
	src->info.id = src->id;
	src->info.bundle = src->bundle;
	src->info.pid = st.pid;
	container_policy(a, src, st.metadata);
	src->info.policy = src->policy;
	ctmod_gate_state_release(&st);
	src->next = a->sources;
	a->sources = src;
	a->served++;
	tell(a, &src->info, "start", "serving (%zu modules allowed)", src->allowed->n);
}

/* 1 when the connection is finished with (done or bad), 0 to keep reading */
static int conn_read(struct agent *a, struct conn *c)
{
	char buf[4096];
	union {
		char b[CMSG_SPACE(MAX_PASSED_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	ssize_t n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			if (c->nfds < MAX_PASSED_FDS)
				c->fds[c->nfds++] = fd;
			else
				close(fd);
		}
	}
	struct ctmod_gate_container anon = {.id = "?"};
	if (n == 0) {
		tell(a, &anon, "refused", "the runtime hung up before its message ended");
		return 1;
	}
	c->got += (size_t)n;
	struct json_object *o = json_tokener_parse_ex(c->tok, buf, (int)n);
	enum json_tokener_error e = json_tokener_get_error(c->tok);
	if (o) {
		conn_done(a, c, o);
		json_object_put(o);
		return 1;
	}
	if (e != json_tokener_continue || c->got > MAX_STATE) {
		tell(a, &anon, "refused", "the runtime's message is no container state: %s",
		     e != json_tokener_continue ? json_tokener_error_desc(e) : "too long");
		return 1;
	}
	return 0;
}

static void conn_accept(struct agent *a)
{
	int fd = accept4(a->lsock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	struct conn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->deadline = now_seconds() + PENDING_LIMIT;
	c->tok = json_tokener_new();
	if (!c->tok)
		abort();
	c->next = a->conns;
	a->conns = c;
	a->nconns++;
}

/* ---- the loop ------------------------------------------------------------ */

/* the poll set, in this order: signals, socket, wakeups, connections, sources */
struct pollset {
	struct pollfd *p; /* poll() takes them as one array */
	size_t n, cap;
	struct pollwho {
		struct conn *conn;
		struct ctmod_gate_source *src;
	} * who; /* what p[i] belongs to */
	size_t who_cap;
	bool throttled; /* a source is held back until a request finishes */
};

static void pollset_add(struct pollset *ps, int fd, struct conn *c, struct ctmod_gate_source *s)
{
	ARRAY_RESERVE(ps->p, ps->cap, ps->n + 1);
	ARRAY_RESERVE(ps->who, ps->who_cap, ps->n + 1);
	ps->p[ps->n] = (struct pollfd){.fd = fd, .events = POLLIN};
	ps->who[ps->n] = (struct pollwho){.conn = c, .src = s};
	ps->n++;
}

static void pollset_release(struct pollset *ps)
{
	free(ps->p);
	free(ps->who);
}

/* Sources that ended with nothing in flight go; the others are polled if under their share. */
static void collect_sources(struct agent *a, struct pollset *ps)
{
	struct ctmod_gate *g = a->g;
	pthread_mutex_lock(&g->lock);
	bool full = g->active >= CTMOD_GATE_MAX_ACTIVE;
	struct ctmod_gate_source **pp = &a->sources, *gone = NULL;
	while (*pp) {
		struct ctmod_gate_source *s = *pp;
		if (s->ended && s->active == 0) {
			*pp = s->next;
			s->next = gone;
			gone = s;
			continue;
		}
		if (!s->ended && (full || s->active >= CTMOD_GATE_SOURCE_ACTIVE))
			ps->throttled = true;
		else if (!s->ended)
			pollset_add(ps, s->nfd, NULL, s);
		pp = &s->next;
	}
	pthread_mutex_unlock(&g->lock);
	while (gone) {
		struct ctmod_gate_source *s = gone;
		gone = s->next;
		tell(a, &s->info, "end", "its seccomp filter has no users left");
		ctmod_gate_source_free(s);
	}
}

static void build_pollset(struct agent *a, struct pollset *ps, int *timeout)
{
	ps->n = 0;
	ps->throttled = false;
	pollset_add(ps, a->sfd, NULL, NULL);
	pollset_add(ps, a->nconns < MAX_PENDING ? a->lsock : -1, NULL, NULL);
	pollset_add(ps, a->g->wakefd, NULL, NULL);
	double now = now_seconds(), next = -1;
	for (struct conn *c = a->conns; c; c = c->next) {
		pollset_add(ps, c->fd, c, NULL);
		if (next < 0 || c->deadline < next)
			next = c->deadline;
	}
	collect_sources(a, ps);
	*timeout = next < 0 ? -1 : (int)((next - now) * 1000) + 1;
	if (*timeout < 0 && next >= 0)
		*timeout = 0;
}

static void drop_conn(struct agent *a, struct conn *c)
{
	for (struct conn **pp = &a->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	a->nconns--;
	conn_free(c);
}

static void expire_conns(struct agent *a)
{
	double now = now_seconds();
	struct conn *c = a->conns;
	while (c) {
		struct conn *next = c->next;
		if (c->deadline <= now) {
			struct ctmod_gate_container anon = {.id = "?"};
			tell(a, &anon, "refused", "the runtime sent no complete message in %.0f s",
			     PENDING_LIMIT);
			drop_conn(a, c);
		}
		c = next;
	}
}

/* One round: 1 when a signal says stop. */
static int agent_round(struct agent *a, struct pollset *ps)
{
	int timeout;
	build_pollset(a, ps, &timeout);
	int k = poll(ps->p, ps->n, timeout);
	if (k < 0) {
		if (errno != EINTR)
			usleep(10000); /* never a reason to stop serving */
		return 0;
	}
	if (ps->p[0].revents & POLLIN) {
		struct signalfd_siginfo si;
		if (read(a->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
		    (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT))
			return 1;
	}
	if (ps->p[2].revents & POLLIN) {
		uint64_t n;
		if (read(a->g->wakefd, &n, sizeof(n)) < 0) {
			/* nothing to read: a spurious wakeup */
		}
	}
	for (size_t i = 3; i < ps->n; i++) {
		short rev = ps->p[i].revents;
		if (!rev)
			continue;
		struct pollwho *w = &ps->who[i];
		if (w->conn && conn_read(a, w->conn))
			drop_conn(a, w->conn);
		else if (w->src && (rev & POLLIN))
			ctmod_gate_dispatch(a->g, w->src);
		else if (w->src && (rev & (POLLHUP | POLLERR | POLLNVAL)))
			w->src->ended = true; /* no task uses its filter any more */
	}
	if (ps->p[1].revents & POLLIN)
		conn_accept(a);
	expire_conns(a);
	return 0;
}

/* The policies, narrowed to the ceiling; without --allow their union is it. */
static int load_policies(struct ctmod_ctx *ctx, struct agent *a)
{
	struct ctmod_gate *g = a->g;
	if (!a->lo->policy)
		return 0;
	struct ctmod_moddb *db;
	int r = ctmod_moddb_open(ctx, &db);
	if (r < 0)
		return r;
	r = ctmod_gate_policy_load(ctx, db, a->lo->policy, g->opts->allow ? &g->allowed : NULL,
	                           &a->policies);
	ctmod_moddb_free(db);
	if (r < 0)
		return r;
	for (const struct ctmod_gate_policy *p = a->policies; p; p = p->next) {
		for (size_t i = 0; !g->opts->allow && i < p->allowed.n; i++)
			if (!strv_contains(&g->allowed, p->allowed.v[i]))
				strv_push(&g->allowed, p->allowed.v[i]);
		DBG(ctx, "gate: policy %s allows %zu modules", p->name, p->allowed.n);
	}
	strv_sort(&g->allowed);
	a->fallback = ctmod_gate_policy_find(a->policies, "default");
	return 0;
}

static void agent_close(struct agent *a, const sigset_t *old)
{
	struct ctmod_gate *g = a->g;
	remove_socket(a);
	while (a->conns)
		drop_conn(a, a->conns);
	ctmod_gate_wait_idle(g, g->timeout + 10);
	pthread_mutex_lock(&g->lock);
	bool idle = g->active == 0;
	g->closed = true;
	pthread_mutex_unlock(&g->lock);
	close(a->sfd);
	pthread_sigmask(SIG_SETMASK, old, NULL);
	if (!idle)
		return; /* a load is stuck in the kernel: g stays until exit */
	while (a->sources) {
		struct ctmod_gate_source *s = a->sources;
		a->sources = s->next;
		ctmod_gate_source_free(s);
	}
	ctmod_gate_policies_free(a->policies);
	ctmod_gate_free(g);
}

int ctmod_gate_listen(struct ctmod_ctx *ctx, const struct ctmod_gate_opts *opts,
                      const struct ctmod_gate_listen_opts *lo)
{
	struct agent a = {.lo = lo, .lsock = -1, .sfd = -1};
	if (!lo || !lo->path || !*lo->path)
		return ctmod_fail_input(ctx, -EINVAL, NULL, "no socket path to listen on");
	int r = ctmod_gate_new(ctx, opts, &a.g);
	if (r < 0)
		return r;
	r = load_policies(ctx, &a);
	if (r == 0)
		r = lo->fd >= 0 ? take_socket(ctx, &a) : make_socket(ctx, &a);
	if (r < 0) {
		ctmod_gate_policies_free(a.policies);
		ctmod_gate_free(a.g);
		return r;
	}
	/* signals through a signalfd, blocked before any worker thread exists */
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigset_t blocked = mask;
	sigaddset(&blocked, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &blocked, &old);
	a.sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (a.sfd < 0) {
		r = -errno;
		remove_socket(&a);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		ctmod_gate_policies_free(a.policies);
		ctmod_gate_free(a.g);
		return ctmod_fail(ctx, r, NULL, "signalfd: %s", strerror(-r));
	}
	struct ctmod_gate_container self = {.id = "-"};
	tell(&a, &self, "listen", "listening on %s (%zu modules allowed)", lo->path,
	     a.g->allowed.n);
	_cleanup_(pollset_release) struct pollset ps = {0};
	while (!agent_round(&a, &ps))
		;
	tell(&a, &self, "stop", "stopping after %lu containers", a.served);
	agent_close(&a, &old);
	return 0;
}
