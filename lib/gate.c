// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The gate: a seccomp user-notification supervisor for finit_module().
 * This file is the process-tree gate: the filter, the command it is
 * installed in, and the loop that reads the command's notifications and
 * its signals.  Serving a notification is gate-serve.c.
 *
 * Threat model: everything that comes from the caller is hostile — its
 * memory, its file descriptor, the bytes of its module, the timing (it may
 * die or exec at any point).  So: the notification is re-validated after
 * every read from the caller (a PID can be reused), the module file is only
 * parsed in the jail (jail.h), the caller's bytes are never loaded, and
 * each request runs in its own thread with its own libctmod context, so one
 * slow or hostile request cannot hold up another.
 */
#include "gate-internal.h"

#include <errno.h>
#include <linux/capability.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail.h"
#include "moddb.h"

static const char *const verdict_names[] = {
    [CTMOD_GATE_LOADED] = "loaded", [CTMOD_GATE_EXISTS] = "exists",
    [CTMOD_GATE_DENIED] = "denied", [CTMOD_GATE_INVALID] = "invalid",
    [CTMOD_GATE_FAILED] = "failed", [CTMOD_GATE_GONE] = "gone",
};

const char *ctmod_gate_verdict_name(enum ctmod_gate_verdict v)
{
	return (unsigned)v < ARRAY_SIZE(verdict_names) ? verdict_names[v] : "?";
}

static bool have_cap(int cap)
{
	struct ctmod_gate_caller self = {0};
	return ctmod_gate_caller_status(getpid(), &self) == 0 &&
	       (self.capeff & (UINT64_C(1) << cap));
}

static int build_filter(struct ctmod_ctx *ctx, const struct ctmod_gate_opts *opts,
                        scmp_filter_ctx *out)
{
	/* level 5: SCMP_ACT_NOTIFY and its ioctls, which need Linux 5.5+ */
	if (seccomp_api_get() < 5)
		return ctmod_fail(ctx, -ENOTSUP,
		                  "run on Linux 5.5 or later, natively (valgrind has no seccomp)",
		                  "seccomp user notification is not available here");
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f)
		return ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
	int r = 0;
#if defined(__x86_64__)
	/* a 32-bit or x32 caller would otherwise reach finit_module() unseen */
	static const uint32_t arches[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
	for (size_t i = 0; i < ARRAY_SIZE(arches) && r == 0; i++) {
		r = seccomp_arch_add(f, arches[i]);
		if (r == -EEXIST)
			r = 0;
	}
#endif
	if (r == 0)
		r = seccomp_rule_add(f, SCMP_ACT_NOTIFY, SCMP_SYS(finit_module), 0);
	if (r == 0)
		r = seccomp_rule_add(
		    f, opts->allow_init_module ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(init_module), 0);
	/* no_new_privs would break setuid programs in the command: not needed
	 * when we may install a filter without it */
	if (r == 0 && have_cap(CAP_SYS_ADMIN))
		r = seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0) {
		seccomp_release(f);
		return ctmod_fail(ctx, r, NULL, "cannot build the seccomp filter: %s",
		                  strerror(-r));
	}
	*out = f;
	return 0;
}

static int send_msg(int sock, int32_t err, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {&err, sizeof(err)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* 1 with a message (err, maybe fd), 0 at EOF, -errno */
static int recv_msg(int sock, int32_t *err, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {err, sizeof(*err)};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = u.buf,
	                     .msg_controllen = sizeof(u.buf)};
	*fd = -1;
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n == sizeof(*err) ? 1 : -EPROTO;
}

static _Noreturn void command_child(int sock, scmp_filter_ctx f, const sigset_t *mask,
                                    char *const argv[])
{
	sigprocmask(SIG_SETMASK, mask, NULL);
	int r = seccomp_load(f);
	if (r < 0) {
		/* libseccomp's code can hide the kernel's; errno still holds it */
		send_msg(sock, errno > 0 ? -errno : r, -1);
		_exit(127);
	}
	int nfd = seccomp_notify_fd(f);
	if (nfd < 0 || send_msg(sock, 0, nfd) < 0)
		_exit(127);
	close(nfd);
	execvp(argv[0], argv);
	send_msg(sock, -errno, -1);
	_exit(127);
}

static const int forwarded[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM, SIGUSR1,
                                SIGUSR2, SIGALRM, SIGWINCH, SIGCONT};

/* Start argv with the filter; its listener fd comes back over a socket. */
static int start_command(struct ctmod_ctx *ctx, struct ctmod_gate *g, char *const argv[],
                         const sigset_t *oldmask, pid_t *pidp, int *nfdp,
                         struct ctmod_gate_result *res)
{
	scmp_filter_ctx f = NULL;
	int r = build_filter(ctx, g->opts, &f);
	if (r < 0)
		return r;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		seccomp_release(f);
		return ctmod_fail(ctx, r, NULL, "socketpair: %s", strerror(-r));
	}
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		seccomp_release(f);
		return ctmod_fail(ctx, r, NULL, "fork: %s", strerror(-r));
	}
	if (pid == 0) {
		close(sv[0]);
		command_child(sv[1], f, oldmask, argv);
	}
	close(sv[1]);
	seccomp_release(f);
	*pidp = pid;

	int32_t err = 0;
	int fd = -1;
	r = recv_msg(sv[0], &err, &fd);
	if (r == 1 && err == 0 && fd >= 0) {
		*nfdp = fd;
		/* the second message, if any, says exec failed; EOF says it worked */
		r = recv_msg(sv[0], &err, &fd);
		if (r == 1 && err < 0) {
			res->exec_err = -err;
			r = ctmod_fail(ctx, err, "check the command name and PATH",
			               "cannot run %s: %s", argv[0], strerror(-err));
		} else {
			r = 0;
		}
	} else {
		if (fd >= 0)
			close(fd);
		if (r == 1 && err == -EBUSY)
			r = ctmod_fail(
			    ctx, err, "gates do not nest: run the command under one gate",
			    "cannot install the seccomp filter: another seccomp listener "
			    "is in place");
		else if (r == 1 && err < 0)
			r = ctmod_fail(ctx, err,
			               "the kernel needs seccomp user notification (5.5+)",
			               "cannot install the seccomp filter: %s", strerror(-err));
		else
			r = ctmod_fail(ctx, -EPROTO, NULL, "the command's setup failed");
	}
	close(sv[0]);
	if (r < 0) {
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		res->wstatus = st;
	}
	return r;
}

/*
 * Serve the command's notifications and forward its signals until it
 * exits; its wait status in *st.  0, or -errno when the loop failed (the
 * command is then killed and collected).
 */
static int serve_command(struct ctmod_gate *g, struct ctmod_gate_source *src, int sfd, pid_t pid,
                         int *st)
{
	bool listening = true;
	int r = 0;
	for (;;) {
		pthread_mutex_lock(&g->lock);
		/* beyond the queues' bound, requests wait in the kernel */
		bool full = g->queued >= CTMOD_GATE_MAX_QUEUED;
		pthread_mutex_unlock(&g->lock);
		struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN},
		                        {.fd = src->nfd, .events = POLLIN}};
		nfds_t n = listening && !full ? 2 : 1;
		int k = poll(pfd, n, full ? 50 : -1);
		if (k < 0 && errno != EINTR) {
			r = -errno;
			kill(pid, SIGKILL);
			break;
		}
		if (k <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo != SIGCHLD)
					kill(pid, (int)si.ssi_signo);
			}
			/* SIGCHLD also comes for helpers; only the command ends the gate */
			if (waitpid(pid, st, WNOHANG) == pid)
				return 0;
		}
		if (n == 2 && (pfd[1].revents & POLLIN))
			ctmod_gate_dispatch(g, src);
		else if (n == 2 && (pfd[1].revents & (POLLHUP | POLLERR)))
			listening = false; /* no task uses the filter any more */
	}
	/* the loop failed: the command was killed, collect it */
	while (waitpid(pid, st, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* After the command: in-flight requests finish, then the gate goes. */
static void gate_close(struct ctmod_gate *g, struct ctmod_gate_source *src, int sfd,
                       const sigset_t *old)
{
	/* requests in flight finish (their callers may outlive the command) */
	ctmod_gate_wait_idle(g, g->timeout + 60);
	pthread_mutex_lock(&g->lock);
	bool idle = g->active == 0 && g->queued == 0;
	g->closed = true;
	pthread_mutex_unlock(&g->lock);
	if (sfd >= 0)
		close(sfd);
	/* a SIGPIPE held back here must not fire once unblocked */
	sigset_t pipe_only;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	while (sigtimedwait(&pipe_only, NULL, &(struct timespec){0, 0}) > 0)
		;
	pthread_sigmask(SIG_SETMASK, old, NULL);
	if (idle) {
		ctmod_gate_source_free(src);
		ctmod_gate_free(g);
	}
	/* else a load is stuck in the kernel: its thread still uses g, which
	 * stays allocated until the process exits */
}

int ctmod_gate_run(struct ctmod_ctx *ctx, const struct ctmod_gate_opts *opts, char *const argv[],
                   struct ctmod_gate_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!argv || !argv[0])
		return ctmod_fail_input(ctx, -EINVAL, "ctmod gate --allow LIST -- COMMAND",
		                        "no command to run");
	struct ctmod_gate *g = NULL;
	int r = ctmod_gate_new(ctx, opts, &g);
	if (r < 0)
		return r;

	/* signals are read from a signalfd, in this thread only: block them
	 * before any worker thread exists so all of them inherit the mask */
	sigset_t mask, old;
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	sigaddset(&mask, SIGCHLD);
	/* a log reader that goes away must not kill the supervisor: writes
	 * get EPIPE instead (not in the signalfd set, so never forwarded) */
	sigset_t blocked = mask;
	sigaddset(&blocked, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &blocked, &old);

	pid_t pid = -1;
	int nfd = -1;
	r = start_command(ctx, g, argv, &old, &pid, &nfd, res);
	if (r < 0) {
		if (nfd >= 0)
			close(nfd);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		ctmod_gate_free(g);
		return res->exec_err ? 0 : r;
	}
	struct ctmod_gate_source *src = ctmod_gate_source_new(nfd, &g->allowed);
	int st = 0, sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		r = -errno;
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	} else {
		r = serve_command(g, src, sfd, pid, &st);
	}
	res->wstatus = st;
	gate_close(g, src, sfd, &old);
	if (r < 0)
		return ctmod_fail(ctx, r, NULL, "gate: %s", strerror(-r));
	return 0;
}
