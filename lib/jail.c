// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The jail (jail.h): fork, shed everything, parse, answer through a pipe.
 * What the helper may still do is what glibc's allocator and a parser of
 * an open file need; anything else kills it (SIGSYS), and the caller of
 * ctmod_jail_call() hears why.
 */
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/*
 * Address space a helper may add to what it inherits, and the budget all
 * helpers of the process share: each takes half of what is left (at most
 * HELPER_MEMORY, at least HELPER_FLOOR), so a burst of bombs shrinks the
 * share of the next instead of adding up to 768 MiB each.
 */
#define HELPER_MEMORY (768ul << 20)
#define HELPER_FLOOR  (48ul << 20)
#define JAIL_BUDGET   (1024ul << 20)
#define NOBODY        65534

struct jail_result {
	int32_t err;
	int32_t bad_input;
	char text[CTMOD_JAIL_OUT_MAX]; /* fn's output, or the error message */
};

static unsigned long vm_size(void)
{
	char *buf;
	size_t len;
	unsigned long pages = 0;
	if (read_file("/proc/self/statm", 256, &buf, &len) == 0) {
		pages = strtoul(buf, NULL, 10);
		free(buf);
	}
	return pages * (unsigned long)sysconf(_SC_PAGESIZE);
}

static void drop_privileges(void)
{
	/* failures are fine: inside a user namespace without "nobody" the ids
	 * stay, but capabilities, no_new_privs and seccomp still apply */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0) {
		/* keep going: see above */
	}
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	syscall(SYS_capset, &h, d);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int helper_filter(void)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!f)
		return -ENOMEM;
	static const char *const plain[] = {
	    "read",   "write",        "pread64",   "lseek",         "fstat",  "close",
	    "munmap", "mremap",       "brk",       "madvise",       "exit",   "exit_group",
	    "futex",  "rt_sigreturn", "getrandom", "clock_gettime", "gettid", "getpid",
	};
	int r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(plain) && r == 0; i++)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(plain[i]), 0);
	/* glibc's fstat() is newfstatat(fd, "", st, AT_EMPTY_PATH): no paths */
	if (r == 0)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
		                     SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH, 0));
	/* glibc's malloc reads /proc/sys/vm/overcommit_memory when it trims an
	 * arena of a thread (the helper is forked from one): let opening fail */
	if (r == 0)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	if (r == 0)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
	/* memory, but never executable memory */
	if (r == 0)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
		                     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r == 0)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
		                     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r == 0)
		r = seccomp_load(f);
	seccomp_release(f);
	return r;
}

static pthread_mutex_t budget_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long budget_used;

/* need: what the helper is known to need, 0: unknown (half of what is left) */
static unsigned long budget_take(unsigned long need)
{
	pthread_mutex_lock(&budget_lock);
	unsigned long left = budget_used < JAIL_BUDGET ? JAIL_BUDGET - budget_used : 0;
	unsigned long take = need ? need : left / 2;
	if (take > HELPER_MEMORY)
		take = HELPER_MEMORY;
	if (take < HELPER_FLOOR)
		take = HELPER_FLOOR;
	budget_used += take;
	pthread_mutex_unlock(&budget_lock);
	return take;
}

static void budget_put(unsigned long n)
{
	pthread_mutex_lock(&budget_lock);
	budget_used -= n;
	pthread_mutex_unlock(&budget_lock);
}

unsigned long ctmod_jail_budget_used(void)
{
	pthread_mutex_lock(&budget_lock);
	unsigned long n = budget_used;
	pthread_mutex_unlock(&budget_lock);
	return n;
}

static void set_limits(double timeout, unsigned flags, unsigned long base, unsigned long mem)
{
	struct rlimit cpu = {(rlim_t)timeout + 1, (rlim_t)timeout + 2};
	struct rlimit none = {0, 0}, files = {2, 2};
	setrlimit(RLIMIT_CPU, &cpu);
	if (!(flags & CTMOD_JAIL_COPIER))
		setrlimit(RLIMIT_FSIZE, &none); /* a copier writes its memfd */
	setrlimit(RLIMIT_CORE, &none);
	setrlimit(RLIMIT_NPROC, &none);
	setrlimit(RLIMIT_NOFILE, &files);
	if (base && !RUNNING_ON_VALGRIND) {
		/* on top of the supervisor's address space that fork() copied */
		struct rlimit as = {base + mem, base + mem};
		setrlimit(RLIMIT_AS, &as);
	}
}

static _Noreturn void jail_child(struct ctmod_ctx *ctx, int fd, int wfd, double timeout,
                                 unsigned flags, unsigned long mem, ctmod_jail_fn fn, void *arg)
{
	struct jail_result res;
	memset(&res, 0, sizeof(res));
	ctmod_ctx_set_log_level(ctx, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	unsigned long base = vm_size();

	/* nothing open but the module (0) and the answer (1) */
	int a = fd >= 0 ? fcntl(fd, F_DUPFD, 3) : -1, b = fcntl(wfd, F_DUPFD, 3);
	if ((fd >= 0 && (a < 0 || dup2(a, 0) < 0)) || b < 0 || dup2(b, 1) < 0)
		_exit(125);
	if (fd < 0)
		close(0);
	if (RUNNING_ON_VALGRIND) {
		/* valgrind keeps its own descriptors; close_range would be refused */
		for (int i = 2; i < 1024; i++)
			close(i);
	} else if (close_range(2, ~0u, 0) < 0) {
		for (int i = 2; i < 65536; i++)
			close(i);
	}

	set_limits(timeout, flags, base, mem);
	if (!(flags & CTMOD_JAIL_COPIER)) {
		drop_privileges();
		/* valgrind itself makes system calls the filter would kill it for */
		if (!RUNNING_ON_VALGRIND && helper_filter() < 0)
			_exit(124);
	}

	res.err = fn(ctx, 0, res.text, sizeof(res.text), arg);
	if (res.err < 0) {
		const char *msg = ctmod_ctx_error(ctx);
		snprintf(res.text, sizeof(res.text), "%s", msg ? msg : strerror(-res.err));
		res.bad_input = ctmod_ctx_err_class(ctx) == CTMOD_ERR_BAD_INPUT;
	}
	res.text[sizeof(res.text) - 1] = '\0';
	if (write(1, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(123);
	_exit(0);
}

static const char *signal_meaning(int sig)
{
	switch (sig) {
	case SIGSYS:
		return "a forbidden system call";
	case SIGXCPU:
		return "its CPU time limit";
	case SIGKILL:
		return "SIGKILL";
	case SIGSEGV:
		return "a crash (SIGSEGV)";
	default:
		return strsignal(sig);
	}
}

/* Read len bytes of the answer until the deadline: the count read, or -ETIME. */
static ssize_t read_answer(int fd, double timeout, void *buf, size_t len)
{
	size_t got = 0;
	double deadline = now_seconds() + timeout;
	while (got < len) {
		double left = deadline - now_seconds();
		if (left <= 0)
			return -ETIME;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0)
			continue;
		ssize_t k = read(fd, (char *)buf + got, len - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* What the helper's answer (or its death, status st) means for the caller. */
static int answer_of(struct ctmod_ctx *ctx, struct jail_result *res, bool complete, int st,
                     char *out, size_t outsz)
{
	if (!complete) {
		if (WIFSIGNALED(st))
			return ctmod_fail(ctx, -ECHILD, NULL, "module reader killed by %s",
			                  signal_meaning(WTERMSIG(st)));
		return ctmod_fail(ctx, -ECHILD, NULL, "module reader exited %d without an answer",
		                  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	res->text[sizeof(res->text) - 1] = '\0';
	if (res->err > 0 || res->err < -4095)
		return ctmod_fail(ctx, -EPROTO, NULL, "module reader: bad answer");
	if (res->err < 0) {
		if (res->bad_input)
			return ctmod_fail_input(ctx, res->err, NULL, "%s", res->text);
		return ctmod_fail(ctx, res->err, NULL, "%s", res->text);
	}
	snprintf(out, outsz, "%s", res->text);
	return 0;
}

int ctmod_jail_call(struct ctmod_ctx *ctx, int fd, double timeout, ctmod_jail_fn fn, void *arg,
                    char *out, size_t outsz)
{
	return ctmod_jail_run(ctx, fd, timeout, 0, fn, arg, out, outsz);
}

int ctmod_jail_run(struct ctmod_ctx *ctx, int fd, double timeout, unsigned flags, ctmod_jail_fn fn,
                   void *arg, char *out, size_t outsz)
{
	if (timeout <= 0)
		timeout = CTMOD_JAIL_TIMEOUT;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		return ctmod_fail(ctx, -e, NULL, "module reader: pipe: %s", strerror(e));
	}
	unsigned long need = 0;
	struct stat fst;
	if ((flags & CTMOD_JAIL_SIZED) && (fd < 0 || fstat(fd, &fst) < 0))
		need = HELPER_FLOOR;
	else if (flags & CTMOD_JAIL_SIZED)
		need = 2 * (unsigned long)fst.st_size + HELPER_FLOOR; /* the file, and a copy */
	unsigned long mem = budget_take(need);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		budget_put(mem);
		close(p[0]);
		close(p[1]);
		return ctmod_fail(ctx, -e, NULL, "module reader: fork: %s", strerror(e));
	}
	if (pid == 0)
		jail_child(ctx, fd, p[1], timeout, flags, mem, fn, arg);
	close(p[1]);

	struct jail_result res;
	ssize_t got = read_answer(p[0], timeout, &res, sizeof(res));
	if (got == -ETIME)
		kill(pid, SIGKILL);
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	budget_put(mem);
	if (got == -ETIME)
		return ctmod_fail(ctx, -ETIME, NULL, "module reader timed out after %.1f s",
		                  timeout);
	return answer_of(ctx, &res, got == (ssize_t)sizeof(res), st, out, outsz);
}
