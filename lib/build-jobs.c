// SPDX-License-Identifier: LGPL-2.1-or-later
/* The scheduler: builds in forked children under one make jobserver */
#include "build-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <poll.h>
#include <sys/wait.h>

struct running {
	struct build_job *job;
	int resfd;             /* read end of the child's result pipe */
	int logfd;             /* o->stream: the job's make.log, read as it grows; else -1 */
	struct strbuf partial; /* o->stream: the log's last line, not ended yet */
	double start;
};

/* the scheduler: the plan, one jobserver, the builds running */
struct sched {
	struct ctmod_ctx *ctx;
	struct build_opts *o;
	struct build_plan *plan;
	struct running *run;
	struct pollfd *pfd;
	size_t parallel, nrun;
	int jp[2], nb;   /* the jobserver's pipe, and nb: its non-blocking read end */
	bool want_token; /* a build waits for a token to come back */
	double start;
};

/* the caller's progress callback, with the plan's counts as they are now */
static void tell(struct sched *sc, const struct build_job *j, enum ctmod_build_event ev,
                 const char *line)
{
	if (!sc->o->progress)
		return;
	struct ctmod_build_progress p = {.running = sc->nrun, .elapsed = now_seconds() - sc->start};
	for (size_t i = 0; i < sc->plan->n; i++) {
		const struct build_job *o = &sc->plan->jobs[i];
		if (o->state != BUILD_PENDING)
			p.done++;
		else if (!o->pid)
			p.queued++;
	}
	sc->o->progress(sc->o->progress_arg, j, ev, line, &p);
}

/* o->stream: the lines the job's log gained, to the callback; all of it once it ended */
static void stream_log(struct sched *sc, struct running *slot, bool ended)
{
	char buf[4096];
	ssize_t n;
	if (slot->logfd < 0)
		return;
	while ((n = read(slot->logfd, buf, sizeof(buf))) > 0) {
		const char *p = buf, *end = buf + n, *nl;
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			strbuf_putn(&slot->partial, p, (size_t)(nl - p));
			tell(sc, slot->job, CTMOD_BUILD_OUTPUT, strbuf_str(&slot->partial));
			strbuf_release(&slot->partial);
			p = nl + 1;
		}
		strbuf_putn(&slot->partial, p, (size_t)(end - p));
	}
	if (ended && slot->partial.len)
		tell(sc, slot->job, CTMOD_BUILD_OUTPUT, strbuf_str(&slot->partial));
	if (ended) {
		strbuf_release(&slot->partial);
		close(slot->logfd);
		slot->logfd = -1;
	}
}

static void collect(struct build_job *j, int fd)
{
	struct strbuf sb;
	char buf[4096];
	ssize_t n;
	strbuf_init(&sb);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_putn(&sb, buf, (size_t)n);
	close(fd);
	char *s = (char *)strbuf_str(&sb);
	char *nl = strchr(s, '\n');
	j->state = BUILD_FAILED;
	if (!nl) {
		free(j->msg);
		j->msg = strdup("the build process died");
		strbuf_release(&sb);
		return;
	}
	*nl = '\0';
	char *tab = strchr(s, '\t');
	if (tab) {
		*tab = '\0';
		for (int k = BUILD_PENDING; k <= BUILD_REMOVED; k++)
			if (strcmp(s, ctmod_build_state_name(k)) == 0)
				j->state = k;
		free(j->msg);
		j->msg = tab[1] ? strdup(tab + 1) : NULL;
	}
	for (char *l = nl + 1; *l;) {
		char *e = strchr(l, '\n');
		if (e)
			*e = '\0';
		if (*l)
			strv_push(&j->installed, l);
		if (!e)
			break;
		l = e + 1;
	}
	strbuf_release(&sb);
}

/* what the job's PRE_INSTALL/POST_INSTALL/POST_REMOVE printed, for the caller to show */
static void load_script_out(struct build_job *j)
{
	_cleanup_free_ char *p = xasprintf("%s/scripts.out", j->tree);
	size_t len;
	free(j->script_out);
	j->script_out = NULL;
	if (p && read_file(p, 1 << 20, &j->script_out, &len) == 0 && len == 0) {
		free(j->script_out);
		j->script_out = NULL;
	}
}

/*
 * The job's make.log, emptied now, before the child runs: whatever the
 * build prints afterwards, or fails with, is this run's.  A log that cannot
 * be written (a tree an earlier build by another user owns) fails the job
 * before it starts, and the job names no log: the one there is not its own.
 */
static int open_log(struct build_job *j)
{
	int fd = -1;
	if (mkdir_p(j->tree, 0755) == 0)
		fd = open(j->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0)
		return fd;
	int err = errno;
	struct stat st;
	const char *p = stat(j->log, &st) == 0 ? j->log : j->tree;
	bool other = stat(p, &st) == 0 && st.st_uid != geteuid();
	free(j->msg);
	if (other)
		j->msg = xasprintf("cannot write %s: %s (uid %u's, from an earlier build: build as "
		                   "that user, or into a --root of your own)",
		                   p, strerror(err), (unsigned)st.st_uid);
	else
		j->msg = xasprintf("cannot write %s: %s", j->log, strerror(err));
	j->state = BUILD_FAILED;
	free(j->log);
	j->log = NULL;
	return -1;
}

/*
 * Start j in slot; the child frees its copy of the slots, which it never
 * uses.  1 when j failed before it could start (its state and msg say why).
 */
static int start_job(struct sched *sc, struct build_job *j, struct running *slot)
{
	int pfd[2];
	int logfd = open_log(j);
	if (logfd < 0)
		return 1;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		close(logfd);
		return ctmod_fail(sc->ctx, -errno, NULL, "pipe: %m");
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(logfd);
		close(pfd[0]);
		close(pfd[1]);
		return ctmod_fail(sc->ctx, -errno, NULL, "fork: %m");
	}
	if (pid == 0) {
		close(pfd[0]);
		free(sc->run);
		free(sc->pfd);
		ctmod_build_child(sc->ctx, sc->o, sc->plan->root, j, logfd, pfd[1]);
		_exit(0);
	}
	close(logfd);
	close(pfd[1]);
	j->pid = pid;
	slot->job = j;
	slot->resfd = pfd[0];
	slot->logfd = sc->o->stream ? open(j->log, O_RDONLY | O_CLOEXEC) : -1;
	strbuf_init(&slot->partial);
	slot->start = now_seconds();
	sc->nrun++;
	tell(sc, j, CTMOD_BUILD_STARTED, NULL);
	return 0;
}

/* POST_REMOVE from the source, as DKMS runs it; its output kept for the caller to show */
static void post_remove(struct build_job *j, const char *script)
{
	_cleanup_free_ char *out = xasprintf("%s/scripts.out", j->tree);
	_cleanup_free_ char *cmd = xasprintf("cd \"$1\" || exit 15; r=./${2%%%% *}; "
	                                     "[ -x \"$r\" ] || { echo \"Warning: The post_remove "
	                                     "script is not executable.\"; exit 0; }; exec ./$2");
	int fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	if (fd < 0 || !cmd) {
		if (fd >= 0)
			close(fd);
		return;
	}
	dprintf(fd, "Running the post_remove script:\n");
	char *pr[] = {"bash", "-c", cmd, "bash", j->src, (char *)script, NULL};
	run_process(pr, j->src, -1, fd, fd);
	close(fd);
	load_script_out(j);
}

/* the files an --install put in place, removed from the staged copy of lib/modules/KVER */
static int uninstall_job(struct ctmod_ctx *ctx, const char *root, struct build_job *j)
{
	_cleanup_free_ char *live = xasprintf("%s/lib/modules/%s/", root, j->kver);
	if (!live)
		return -ENOMEM;
	_cleanup_free_ char *p = xasprintf("%s/state", j->tree);
	_cleanup_free_ char *txt = NULL;
	size_t len;
	if (!p || read_file(p, 1 << 20, &txt, &len) < 0) {
		j->state = BUILD_SKIPPED;
		j->msg = strdup("not built");
		return 0;
	}
	bool any = false;
	for (char *l = txt; l && *l;) {
		char *e = strchr(l, '\n');
		if (e)
			*e = '\0';
		if (strncmp(l, "installed=", 10) == 0) {
			const char *f = l + 10;
			_cleanup_free_ char *staged =
			    j->modstage && !strncmp(f, live, strlen(live))
			        ? xasprintf("%s/%s", j->modstage, f + strlen(live))
			        : NULL;
			if (unlink(staged ? staged : f) < 0 && errno != ENOENT)
				return ctmod_fail(ctx, -errno, NULL, "uninstall: %s: %m", f);
			strv_push(&j->installed, l + 10);
			any = true;
		}
		l = e ? e + 1 : NULL;
	}
	if (!any) {
		j->state = BUILD_SKIPPED;
		j->msg = strdup("not installed");
		return 0;
	}
	j->state = BUILD_REMOVED; /* recorded once the directory is in place */
	/* POST_REMOVE runs from the source, as DKMS's does */
	struct dkms_env env;
	char ksrc[512];
	struct dkms_conf c;
	ctmod_build_default_env(ctx, &env, j->kver, j->arch, ksrc, sizeof(ksrc));
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", j->src);
	if (conf && ctmod_dkms_conf_eval(ctx, &env, conf, j->src, -1, &c) == 0) {
		if (c.post_remove)
			post_remove(j, c.post_remove);
		ctmod_dkms_conf_release(&c);
	}
	ctmod_ctx_clear_error(ctx);
	return 0;
}

/*
 * One jobserver for every make: jobs-1 tokens in a pipe, plus the
 * implicit one the first running build holds.  Each further build takes a
 * token for itself (read through a non-blocking open file description of
 * its own, nb, so the makes' blocking reads are not disturbed) and gives it
 * back when it ends.
 */
static int jobserver_open(struct ctmod_ctx *ctx, const struct build_opts *o, int parallel,
                          int jp[2], int *nb)
{
	if (parallel > 1) {
		if (pipe(jp) < 0)
			return ctmod_fail(ctx, -errno, NULL, "pipe: %m");
		for (int i = 0; i < o->jobs - 1; i++)
			if (write(jp[1], "+", 1) != 1)
				break;
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", jp[0]);
		*nb = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (*nb < 0) {
			close(jp[0]);
			close(jp[1]);
			return ctmod_fail(ctx, -errno, NULL, "jobserver: %s: %m", p);
		}
		char mf[128];
		snprintf(mf, sizeof(mf), " -j%d --jobserver-auth=%d,%d", o->jobs, jp[0], jp[1]);
		setenv("MAKEFLAGS", mf, 1);
	} else {
		unsetenv("MAKEFLAGS");
	}
	unsetenv("MAKELEVEL");
	unsetenv("MFLAGS");
	return 0;
}

/* the end of slot's build: its result read (to EOF: the child has exited then), reaped */
static int reap(struct sched *sc, struct running *slot)
{
	struct build_job *j = slot->job;
	int st, r = 0;
	collect(j, slot->resfd);
	while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
		;
	load_script_out(j);
	j->seconds = now_seconds() - slot->start;
	/* an install is recorded once its directory is in place */
	if ((j->state == BUILD_OK && !j->installed.n) || j->state == BUILD_FAILED)
		ctmod_build_write_state(j);
	if (j->token && write(sc->jp[1], "+", 1) != 1)
		r = -EIO;
	j->token = false;
	stream_log(sc, slot, true);
	slot->job = NULL;
	sc->nrun--;
	tell(sc, j, CTMOD_BUILD_ENDED, NULL);
	return r;
}

enum { STARTED, DECIDED, WAITS, NO_TOKEN };

/* j, if its BUILD_DEPENDS let it and a token is free (the first build holds the implicit one) */
static int try_start(struct sched *sc, struct build_job *j)
{
	int dr = ctmod_build_deps_ready(sc->ctx, sc->o, sc->plan, j);
	if (dr != 2)
		return dr == 0 ? WAITS : DECIDED;
	bool token = false;
	if (sc->nrun > 0) {
		char t;
		if (read(sc->nb, &t, 1) != 1) {
			sc->want_token = true; /* all in use: wait */
			return NO_TOKEN;
		}
		token = true;
	}
	size_t s = 0;
	while (sc->run[s].job)
		s++;
	int r = start_job(sc, j, &sc->run[s]);
	if (r != 0 && token && write(sc->jp[1], "+", 1) != 1)
		r = -EIO;
	if (r < 0)
		return r;
	j->token = token && r == 0;
	return r == 0 ? STARTED : DECIDED;
}

/* start what may start, until the slots are full, no token is free or nothing moves */
static int start_ready(struct sched *sc)
{
	sc->want_token = false;
	for (bool moved = true; moved && sc->nrun < sc->parallel;) {
		moved = false;
		for (size_t i = 0; i < sc->plan->n && sc->nrun < sc->parallel; i++) {
			struct build_job *j = &sc->plan->jobs[i];
			if (j->state != BUILD_PENDING || j->pid)
				continue;
			int r = try_start(sc, j);
			if (r < 0)
				return r;
			if (r == NO_TOKEN)
				return 0;
			moved |= r != WAITS;
		}
	}
	return 0;
}

/*
 * Wait for a build to end (and reap it) or, when one waits for it, a token
 * to come back.  Meanwhile the logs are streamed and the caller ticked.
 */
static int wait_some(struct sched *sc)
{
	double tick = sc->o->stream ? 0.1 : sc->o->tick;
	for (;;) {
		size_t n = 0;
		for (size_t s = 0; s < sc->parallel; s++)
			if (sc->run[s].job)
				sc->pfd[n++] =
				    (struct pollfd){.fd = sc->run[s].resfd, .events = POLLIN};
		if (sc->want_token)
			sc->pfd[n++] = (struct pollfd){.fd = sc->nb, .events = POLLIN};
		int k = poll(sc->pfd, n, tick > 0 ? (int)(tick * 1000) : -1);
		if (k < 0 && errno != EINTR)
			return ctmod_fail(sc->ctx, -errno, NULL, "poll: %m");
		for (size_t s = 0; s < sc->parallel; s++)
			if (sc->run[s].job)
				stream_log(sc, &sc->run[s], false);
		if (k == 0 && sc->o->tick > 0)
			tell(sc, NULL, CTMOD_BUILD_TICK, NULL);
		if (k <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (!sc->pfd[i].revents)
				continue;
			if (sc->pfd[i].fd == sc->nb)
				return 0;
			for (size_t s = 0; s < sc->parallel; s++)
				if (sc->run[s].job && sc->run[s].resfd == sc->pfd[i].fd)
					return reap(sc, &sc->run[s]);
		}
	}
}

static void sched_close(struct sched *sc)
{
	/* after a setup failure, the started builds end before the plan is returned */
	for (size_t s = 0; s < sc->parallel; s++)
		if (sc->run[s].job)
			reap(sc, &sc->run[s]);
	free(sc->run);
	free(sc->pfd);
	if (sc->nb >= 0) {
		close(sc->nb);
		close(sc->jp[0]);
		close(sc->jp[1]);
	}
	unsetenv("MAKEFLAGS");
}

static int uninstall_all(struct ctmod_ctx *ctx, struct build_plan *plan)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < plan->n; i++)
		if (plan->jobs[i].state == BUILD_PENDING)
			r = uninstall_job(ctx, plan->root, &plan->jobs[i]);
	return r;
}

int ctmod_build_run_plan(struct ctmod_ctx *ctx, struct build_opts *o, struct build_plan *plan)
{
	if (o->jobs <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		o->jobs = n > 0 ? (int)n : 1;
	}
	if (o->uninstall)
		return uninstall_all(ctx, plan);
	struct sched sc = {.ctx = ctx, .o = o, .plan = plan, .jp = {-1, -1}, .nb = -1};
	sc.parallel = o->no_sandbox ? 1 : (size_t)o->jobs;
	sc.start = now_seconds();
	int r = jobserver_open(ctx, o, (int)sc.parallel, sc.jp, &sc.nb);
	if (r < 0)
		return r;
	sc.run = xcalloc(sc.parallel, sizeof(*sc.run));
	sc.pfd = xcalloc(sc.parallel + 1, sizeof(*sc.pfd));
	while ((r = start_ready(&sc)) == 0 && sc.nrun > 0)
		if ((r = wait_some(&sc)) < 0)
			break;
	if (r == 0)
		ctmod_build_deps_stuck(plan); /* what still waits waits for itself */
	sched_close(&sc);
	if (r < 0)
		return r;
	for (size_t i = 0; i < plan->n; i++)
		if (plan->jobs[i].state == BUILD_FAILED || plan->jobs[i].state == BUILD_BROKEN)
			return 1;
	return 0;
}
