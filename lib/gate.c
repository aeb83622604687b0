// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The gate: a seccomp user-notification supervisor for finit_module().
 *
 * Threat model: everything that comes from the caller is hostile — its
 * memory, its file descriptor, the bytes of its module, the timing (it may
 * die or exec at any point).  So: the notification is re-validated after
 * every read from the caller (a PID can be reused), the module file is only
 * parsed in a sandboxed helper, the caller's bytes are never loaded, and
 * each request runs in its own thread with its own libctmod context, so one
 * slow or hostile request cannot hold up another.
 *
 * /proc paths here are the live system's, not the --root image's: they
 * describe running processes, not files to load, so they do not go through
 * ctmod_path().
 */
#include "gate.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/module.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dl.h"
#include "loader.h"
#include "moddb.h"
#include "modinfo.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define DEFAULT_TIMEOUT 10.0
/* Requests served at once; more wait in the kernel until a slot frees. */
#define MAX_ACTIVE 64
/* The longest parameter string we take from a caller. */
#define MAX_PARAMS 4096
/* Address space the helper may add to what it inherits. */
#define HELPER_MEMORY (768ul << 20)
#define NOBODY        65534

static const char *const verdict_names[] = {
    [CTMOD_GATE_LOADED] = "loaded", [CTMOD_GATE_EXISTS] = "exists",
    [CTMOD_GATE_DENIED] = "denied", [CTMOD_GATE_INVALID] = "invalid",
    [CTMOD_GATE_FAILED] = "failed", [CTMOD_GATE_GONE] = "gone",
};

const char *ctmod_gate_verdict_name(enum ctmod_gate_verdict v)
{
	return (unsigned)v < ARRAY_SIZE(verdict_names) ? verdict_names[v] : "?";
}

/* ---- the sandboxed helper ---------------------------------------------- */

struct sandbox_result {
	int32_t err;
	int32_t bad_input;
	char text[512]; /* fn's output, or the error message */
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

static _Noreturn void sandbox_child(struct ctmod_ctx *ctx, int fd, int wfd, double timeout,
                                    ctmod_sandbox_fn fn, void *arg)
{
	struct sandbox_result res;
	memset(&res, 0, sizeof(res));
	ctmod_ctx_set_log_level(ctx, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	unsigned long base = vm_size();

	/* nothing open but the module (0) and the answer (1) */
	int a = fcntl(fd, F_DUPFD, 3), b = fcntl(wfd, F_DUPFD, 3);
	if (a < 0 || b < 0 || dup2(a, 0) < 0 || dup2(b, 1) < 0)
		_exit(125);
	if (RUNNING_ON_VALGRIND) {
		/* valgrind keeps its own descriptors; close_range would be refused */
		for (int i = 2; i < 1024; i++)
			close(i);
	} else if (close_range(2, ~0u, 0) < 0) {
		for (int i = 2; i < 65536; i++)
			close(i);
	}

	struct rlimit cpu = {(rlim_t)timeout + 1, (rlim_t)timeout + 2};
	struct rlimit none = {0, 0}, files = {2, 2};
	setrlimit(RLIMIT_CPU, &cpu);
	setrlimit(RLIMIT_FSIZE, &none);
	setrlimit(RLIMIT_CORE, &none);
	setrlimit(RLIMIT_NPROC, &none);
	setrlimit(RLIMIT_NOFILE, &files);
	if (base && !RUNNING_ON_VALGRIND) {
		/* on top of the supervisor's address space that fork() copied */
		struct rlimit as = {base + HELPER_MEMORY, base + HELPER_MEMORY};
		setrlimit(RLIMIT_AS, &as);
	}
	drop_privileges();
	/* valgrind itself makes system calls the filter would kill it for */
	if (!RUNNING_ON_VALGRIND && helper_filter() < 0)
		_exit(124);

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

int ctmod_sandbox_call(struct ctmod_ctx *ctx, int fd, double timeout, ctmod_sandbox_fn fn,
                       void *arg, char *out, size_t outsz)
{
	if (timeout <= 0)
		timeout = DEFAULT_TIMEOUT;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		return ctmod_fail(ctx, -e, NULL, "module reader: pipe: %s", strerror(e));
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return ctmod_fail(ctx, -e, NULL, "module reader: fork: %s", strerror(e));
	}
	if (pid == 0)
		sandbox_child(ctx, fd, p[1], timeout, fn, arg);
	close(p[1]);

	struct sandbox_result res;
	size_t got = 0;
	bool timed_out = false;
	double deadline = now_seconds() + timeout;
	while (got < sizeof(res)) {
		double left = deadline - now_seconds();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		int n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0)
			continue;
		ssize_t k = read(p[0], (char *)&res + got, sizeof(res) - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	if (timed_out)
		kill(pid, SIGKILL);
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		return ctmod_fail(ctx, -ETIME, NULL, "module reader timed out after %.1f s",
		                  timeout);
	if (got != sizeof(res)) {
		if (WIFSIGNALED(st))
			return ctmod_fail(ctx, -ECHILD, NULL, "module reader killed by %s",
			                  signal_meaning(WTERMSIG(st)));
		return ctmod_fail(ctx, -ECHILD, NULL, "module reader exited %d without an answer",
		                  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	res.text[sizeof(res.text) - 1] = '\0';
	if (res.err > 0 || res.err < -4095)
		return ctmod_fail(ctx, -EPROTO, NULL, "module reader: bad answer");
	if (res.err < 0) {
		if (res.bad_input)
			return ctmod_fail_input(ctx, res.err, NULL, "%s", res.text);
		return ctmod_fail(ctx, res.err, NULL, "%s", res.text);
	}
	snprintf(out, outsz, "%s", res.text);
	return 0;
}

static int name_in_sandbox(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
{
	unsigned flags = *(unsigned *)arg;
	struct ctmod_modinfo *mi;
	int r = ctmod_modinfo_read_fd(ctx, fd, flags, &mi);
	if (r < 0)
		return r;
	const char *name = ctmod_modinfo_name(mi);
	if (!name)
		r = ctmod_fail_input(ctx, -ENOEXEC, NULL, "module has no name= in .modinfo");
	else if (strlen(name) >= outsz)
		r = ctmod_fail_input(ctx, -ENOEXEC, NULL, "module name in .modinfo is too long");
	else
		memcpy(out, name, strlen(name) + 1);
	ctmod_modinfo_free(mi);
	return r;
}

int ctmod_gate_module_name(struct ctmod_ctx *ctx, int fd, unsigned flags, double timeout,
                           char *name, size_t namesz)
{
	char raw[256];
	/*
	 * The reader can neither open files nor map code: load libarchive
	 * (for a compressed module) here.  If it cannot be, the reader says so.
	 */
	ctmod_dl_open(&ctmod_dl_archive);
	int r = ctmod_sandbox_call(ctx, fd, timeout, name_in_sandbox, &flags, raw, sizeof(raw));
	if (r < 0)
		return r;
	/* the helper may have been subverted: its answer is input too */
	if (!modname_valid(raw)) {
		char shown[64];
		size_t i = 0;
		for (; raw[i] && i < sizeof(shown) - 1; i++)
			shown[i] = (raw[i] > 0x20 && raw[i] < 0x7f) ? raw[i] : '?';
		shown[i] = '\0';
		return ctmod_fail_input(ctx, -ENOEXEC, NULL, "invalid module name '%s' in .modinfo",
		                        shown);
	}
	modname_normalize(raw, name, namesz);
	return 0;
}

/* ---- the allowlist ------------------------------------------------------- */

int ctmod_gate_allowed(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const struct strv *allow,
                       struct strv *out)
{
	for (size_t i = 0; i < allow->n; i++) {
		struct ctmod_moddb_plan plan = {0};
		int r = ctmod_moddb_resolve(db, allow->v[i], 0, &plan);
		if (r == -ENOENT) {
			/* a typo in an allowlist is the user's input, not a failure */
			char *msg =
			    strdup(ctmod_ctx_error(ctx) ? ctmod_ctx_error(ctx) : "not found");
			char *hint = ctmod_ctx_hint(ctx) ? strdup(ctmod_ctx_hint(ctx)) : NULL;
			r = ctmod_fail_input(ctx, r, hint, "allowlist: %s",
			                     msg ? msg : "module not found");
			free(msg);
			free(hint);
		}
		if (r < 0)
			return r;
		for (size_t j = 0; j < plan.n && r == 0; j++) {
			const char *m = plan.steps[j].name;
			struct strv deps;
			strv_init(&deps);
			if (!strv_contains(out, m))
				strv_push(out, m);
			/* modules.dep closure, in case a resolution stopped short */
			if (r == 0 && !plan.steps[j].builtin)
				r = ctmod_moddb_depends(db, m, &deps);
			for (size_t k = 0; k < deps.n && r == 0; k++)
				if (!strv_contains(out, deps.v[k]))
					strv_push(out, deps.v[k]);
			strv_release(&deps);
		}
		ctmod_moddb_plan_release(&plan);
		if (r < 0)
			return r == -ENOMEM ? ctmod_fail(ctx, r, NULL, "out of memory") : r;
	}
	strv_sort(out);
	return 0;
}

/* ---- reading from the caller ----------------------------------------------- */

struct caller {
	char comm[64];
	uint64_t capeff;
	bool have_capeff;
};

static int read_caller_status(pid_t pid, struct caller *c)
{
	char path[64], *buf;
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int r = read_file(path, 1 << 16, &buf, &len);
	if (r < 0)
		return r;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, "Name:\t", 6) == 0) {
			size_t i = 0;
			for (const char *s = line + 6; *s && i < sizeof(c->comm) - 1; s++)
				c->comm[i++] = (*s >= 0x20 && *s < 0x7f && *s != '"') ? *s : '?';
			c->comm[i] = '\0';
		} else if (strncmp(line, "CapEff:\t", 8) == 0) {
			c->capeff = strtoull(line + 8, NULL, 16);
			c->have_capeff = true;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(buf);
	return c->have_capeff ? 0 : -EPROTO;
}

/* 1 when pid is in the user namespace described by ns, 0 if not */
static int same_userns(pid_t pid, const struct stat *ns)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (stat(path, &st) < 0)
		return -errno;
	return st.st_dev == ns->st_dev && st.st_ino == ns->st_ino;
}

static int fdinfo_flags(pid_t pid, int fdnum, unsigned *flags)
{
	char path[64], *buf;
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fdnum);
	int r = read_file(path, 1 << 16, &buf, &len);
	if (r < 0)
		return -EBADF;
	char *f = strstr(buf, "flags:\t");
	r = f ? 0 : -EPROTO;
	if (f)
		*flags = (unsigned)strtoul(f + 7, NULL, 8);
	free(buf);
	return r;
}

/*
 * The caller's descriptor fdnum, as our own: pidfd_getfd() shares the open
 * file; where that is not possible (old kernel, ptrace restrictions, a
 * thread that is not a group leader) reopen /proc/PID/fd/N read-only as LXD
 * does — through O_PATH first, so no device or FIFO is ever opened for real.
 */
static int caller_fd(pid_t pid, int fdnum, int *out)
{
	*out = -1;
	if (fdnum < 0)
		return -EBADF;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0) {
		int fd = (int)syscall(SYS_pidfd_getfd, pidfd, fdnum, 0);
		int e = errno;
		close(pidfd);
		if (fd >= 0) {
			int fl = fcntl(fd, F_GETFL);
			if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY || (fl & O_PATH)) {
				close(fd);
				return -EBADF;
			}
			*out = fd;
			return 0;
		}
		if (e == EBADF)
			return -EBADF;
	}
	unsigned flags;
	int r = fdinfo_flags(pid, fdnum, &flags);
	if (r < 0)
		return r;
	if ((flags & O_ACCMODE) == O_WRONLY || (flags & O_PATH))
		return -EBADF;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fdnum);
	int opath = open(path, O_PATH | O_CLOEXEC);
	if (opath < 0)
		return -EBADF;
	struct stat st;
	if (fstat(opath, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(opath);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", opath);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int e = errno;
	close(opath);
	if (fd < 0)
		return -e;
	*out = fd;
	return 0;
}

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* A NUL-terminated string at addr in the caller, as strndup_user() would. */
static int caller_string(pid_t pid, uint64_t addr, size_t max, char **out)
{
	*out = NULL;
	if (addr == 0)
		return -EFAULT;
	char *buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	while (n < max) {
		/* page by page: the string may end just before an unmapped page */
		uint64_t a = addr + n;
		size_t chunk = (size_t)page_size() - (size_t)(a % (uint64_t)page_size());
		if (chunk > max - n)
			chunk = max - n;
		struct iovec l = {buf + n, chunk}, rem = {(void *)(uintptr_t)a, chunk};
		ssize_t got = process_vm_readv(pid, &l, 1, &rem, 1, 0);
		if (got <= 0) {
			int e = got < 0 && errno == ESRCH ? ESRCH : EFAULT;
			free(buf);
			return -e;
		}
		char *nul = memchr(buf + n, '\0', (size_t)got);
		if (nul) {
			*out = buf;
			return 0;
		}
		n += (size_t)got;
	}
	free(buf);
	return -E2BIG;
}

/* init_module()'s image, copied from the caller into a memfd for the helper. */
static int caller_image(pid_t pid, uint64_t addr, uint64_t len, int *out)
{
	*out = -1;
	if (len > CTMOD_MODINFO_MAX_IMAGE)
		return -EFBIG;
	int fd = memfd_create("ctmod-gate-module", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t bufsz = 1u << 20;
	char *buf = malloc(bufsz);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	int r = 0;
	for (uint64_t off = 0; off < len && r == 0;) {
		size_t chunk = len - off < bufsz ? (size_t)(len - off) : bufsz;
		struct iovec l = {buf, chunk}, rem = {(void *)(uintptr_t)(addr + off), chunk};
		ssize_t got = process_vm_readv(pid, &l, 1, &rem, 1, 0);
		if (got <= 0) {
			r = got < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
			break;
		}
		for (ssize_t w = 0; w < got;) {
			ssize_t k = write(fd, buf + w, (size_t)(got - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				r = -errno;
				break;
			}
			w += k;
		}
		off += (uint64_t)got;
	}
	free(buf);
	if (r < 0) {
		close(fd);
		return r;
	}
	*out = fd;
	return 0;
}

/* ---- serving one request ------------------------------------------------ */

/*
 * A context with its module database, reused by one request at a time:
 * opening the database of ~4,000 modules costs more than the rest of a
 * request.  Requests in parallel take different slots, so none waits for
 * another; a slot whose modules.dep changed (depmod ran) is reopened.
 */
struct slot {
	struct ctmod_ctx *ctx;
	struct ctmod_moddb *db;
	struct timespec dep_mtime;
	struct slot *next;
};

struct gate {
	struct ctmod_ctx *ctx;
	char *root, *kver;
	const struct ctmod_gate_opts *opts; /* the caller's: valid until closed */
	bool allow_params;
	double timeout;
	struct strv allowed;
	struct stat userns;
	int nfd;
	pthread_mutex_t lock; /* active, and the event callback */
	pthread_cond_t idle;
	unsigned active;
	bool closed; /* ctmod_gate_run returned: no more events */
	struct slot *free_slots;
};

struct request {
	struct gate *g;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	struct slot *slot;
	struct ctmod_ctx *ctx; /* this request's own (the slot's) */
	const char *syscall;
	struct caller caller;
	char module[64];
	char reason[768];
	enum ctmod_gate_verdict verdict;
	int err;
	double t0;
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
	if (seccomp_notify_id_valid(rq->g->nfd, rq->req->id) == 0)
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

static struct timespec dep_mtime(struct gate *g, struct ctmod_ctx *ctx)
{
	struct timespec t = {0, 0};
	char *p = ctmod_path(ctx, "/lib/modules/%s/modules.dep", g->kver);
	struct stat st;
	if (p && stat(p, &st) == 0)
		t = st.st_mtim;
	free(p);
	return t;
}

static int slot_db(struct gate *g, struct slot *sl, struct ctmod_moddb **db)
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

static struct slot *slot_get(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	struct slot *sl = g->free_slots;
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

static void slot_put(struct gate *g, struct slot *sl)
{
	ctmod_ctx_clear_error(sl->ctx);
	pthread_mutex_lock(&g->lock);
	sl->next = g->free_slots;
	g->free_slots = sl;
	pthread_mutex_unlock(&g->lock);
}

static void slots_free(struct gate *g)
{
	while (g->free_slots) {
		struct slot *sl = g->free_slots;
		g->free_slots = sl->next;
		ctmod_moddb_free(sl->db);
		ctmod_ctx_free(sl->ctx);
		free(sl);
	}
}

static void load_host_module(struct request *rq, const char *params)
{
	struct gate *g = rq->g;
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

static void serve(struct request *rq)
{
	struct gate *g = rq->g;
	const struct seccomp_data *d = &rq->req->data;
	pid_t pid = (pid_t)rq->req->pid;

	char *sc = seccomp_syscall_resolve_num_arch(d->arch, d->nr);
	bool finit = sc && strcmp(sc, "finit_module") == 0;
	bool init = sc && strcmp(sc, "init_module") == 0;
	free(sc);
	rq->syscall = finit ? "finit_module" : init ? "init_module" : "?";
	if (!finit && !init) {
		decide(rq, CTMOD_GATE_DENIED, ENOSYS, "unexpected system call %d", d->nr);
		return;
	}

	int r = read_caller_status(pid, &rq->caller);
	if (!still_there(rq))
		return;
	if (r < 0) {
		decide(rq, CTMOD_GATE_DENIED, EPERM, "cannot read the caller's status: %s",
		       strerror(-r));
		return;
	}
	r = same_userns(pid, &g->userns);
	if (!still_there(rq))
		return;
	if (r <= 0) {
		decide(rq, CTMOD_GATE_DENIED, EPERM,
		       r < 0 ? "cannot tell the caller's user namespace"
		             : "the caller is in another user namespace");
		return;
	}
	if (!(rq->caller.capeff & (UINT64_C(1) << CAP_SYS_MODULE))) {
		decide(rq, CTMOD_GATE_DENIED, EPERM, "the caller lacks CAP_SYS_MODULE");
		return;
	}

	unsigned mflags = 0;
	uint64_t uargs;
	int modfd = -1;
	if (finit) {
		/* the kernel takes int arguments: the upper halves do not count */
		unsigned flags = (unsigned)d->args[2];
		const unsigned known = MODULE_INIT_IGNORE_MODVERSIONS |
		                       MODULE_INIT_IGNORE_VERMAGIC | MODULE_INIT_COMPRESSED_FILE;
		if (flags & ~known) {
			decide(rq, CTMOD_GATE_DENIED, EINVAL, "unknown flags 0x%x", flags);
			return;
		}
		if (flags & (MODULE_INIT_IGNORE_MODVERSIONS | MODULE_INIT_IGNORE_VERMAGIC)) {
			decide(rq, CTMOD_GATE_DENIED, EPERM,
			       "refusing MODULE_INIT_IGNORE_MODVERSIONS/VERMAGIC (flags 0x%x)",
			       flags);
			return;
		}
		if (flags & MODULE_INIT_COMPRESSED_FILE)
			mflags |= CTMOD_MODINFO_COMPRESSED;
		r = caller_fd(pid, (int)d->args[0], &modfd);
		uargs = d->args[1];
	} else {
		r = caller_image(pid, d->args[0], d->args[1], &modfd);
		uargs = d->args[2];
	}
	if (!still_there(rq))
		goto out;
	if (r == -EINVAL && finit) {
		decide(rq, CTMOD_GATE_DENIED, EINVAL, "fd %d is not a regular file",
		       (int)d->args[0]);
		goto out;
	}
	if (r < 0) {
		decide(rq, CTMOD_GATE_DENIED,
		       r == -EBADF || r == -EINVAL || r == -EFAULT ? -r : EPERM,
		       "cannot take the caller's module: %s", strerror(-r));
		goto out;
	}
	if (finit) {
		struct stat st;
		if (fstat(modfd, &st) < 0 || !S_ISREG(st.st_mode)) {
			decide(rq, CTMOD_GATE_DENIED, EINVAL, "fd %d is not a regular file",
			       (int)d->args[0]);
			goto out;
		}
	}
	char *params = NULL;
	r = caller_string(pid, uargs, MAX_PARAMS, &params);
	if (!still_there(rq))
		goto out;
	if (r < 0) {
		decide(rq, CTMOD_GATE_DENIED, r == -E2BIG ? E2BIG : EFAULT,
		       "cannot read the caller's parameters: %s", strerror(-r));
		goto out;
	}

	r = ctmod_gate_module_name(rq->ctx, modfd, mflags, g->timeout, rq->module,
	                           sizeof(rq->module));
	close(modfd);
	modfd = -1;
	if (!still_there(rq))
		goto out_params;
	if (r < 0) {
		const char *msg =
		    ctmod_ctx_error(rq->ctx) ? ctmod_ctx_error(rq->ctx) : strerror(-r);
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
		goto out_params;
	}
	if (!strv_contains(&g->allowed, rq->module))
		decide(rq, CTMOD_GATE_DENIED, EPERM, "not allowlisted");
	else if (ctmod_module_live(rq->ctx, rq->module))
		decide(rq, CTMOD_GATE_EXISTS, EEXIST, "allowlisted; already loaded");
	else
		load_host_module(rq, params);
out_params:
	free(params);
out:
	if (modfd >= 0)
		close(modfd);
}

static void respond_and_log(struct request *rq)
{
	struct gate *g = rq->g;
	if (rq->verdict != CTMOD_GATE_GONE) {
		rq->resp->id = rq->req->id;
		rq->resp->flags = 0;
		rq->resp->val = 0;
		rq->resp->error = rq->err ? -rq->err : 0;
		if (seccomp_notify_respond(g->nfd, rq->resp) < 0 &&
		    seccomp_notify_id_valid(g->nfd, rq->req->id) != 0) {
			size_t n = strlen(rq->reason);
			snprintf(rq->reason + n, sizeof(rq->reason) - n,
			         "; the caller went away before the answer");
			rq->verdict = CTMOD_GATE_GONE;
		}
	}
	struct ctmod_gate_event ev = {
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

static void *worker(void *arg)
{
	struct request *rq = arg;
	struct gate *g = rq->g;
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
	pthread_cond_broadcast(&g->idle);
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

static void dispatch(struct gate *g)
{
	struct request *rq = calloc(1, sizeof(*rq));
	if (!rq)
		return;
	rq->g = g;
	if (seccomp_notify_alloc(&rq->req, &rq->resp) < 0) {
		free(rq);
		return;
	}
	/* fails when the caller died after the wakeup: nothing to answer */
	if (seccomp_notify_receive(g->nfd, rq->req) < 0) {
		seccomp_notify_free(rq->req, rq->resp);
		free(rq);
		return;
	}
	rq->t0 = now_seconds();
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&g->lock);
	g->active++;
	pthread_mutex_unlock(&g->lock);
	pthread_t t;
	if (pthread_create(&t, &attr, worker, rq) != 0) {
		/* serve it here rather than leave the caller hanging */
		worker(rq);
	}
	pthread_attr_destroy(&attr);
}

/* ---- the command and its filter ------------------------------------------ */

static bool have_cap(int cap)
{
	struct caller self = {0};
	return read_caller_status(getpid(), &self) == 0 && (self.capeff & (UINT64_C(1) << cap));
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
static int start_command(struct ctmod_ctx *ctx, struct gate *g, char *const argv[],
                         const sigset_t *oldmask, pid_t *pidp, struct ctmod_gate_result *res)
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
		g->nfd = fd;
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

static void wait_idle(struct gate *g, double limit)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)limit;
	pthread_mutex_lock(&g->lock);
	while (g->active > 0)
		if (pthread_cond_timedwait(&g->idle, &g->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&g->lock);
}

static void gate_free(struct gate *g)
{
	slots_free(g);
	strv_release(&g->allowed);
	free(g->root);
	free(g->kver);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->idle);
	free(g);
}

int ctmod_gate_run(struct ctmod_ctx *ctx, const struct ctmod_gate_opts *opts, char *const argv[],
                   struct ctmod_gate_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!argv || !argv[0])
		return ctmod_fail_input(ctx, -EINVAL, "ctmod gate --allow LIST -- COMMAND",
		                        "no command to run");
	const char *kver;
	int r = ctmod_ctx_kver(ctx, &kver);
	if (r < 0)
		return r;

	struct gate *g = calloc(1, sizeof(*g));
	if (!g)
		return ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
	g->ctx = ctx;
	g->opts = opts;
	g->allow_params = opts->allow_params;
	g->nfd = -1;
	g->timeout = opts->timeout > 0 ? opts->timeout : DEFAULT_TIMEOUT;
	strv_init(&g->allowed);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->idle, NULL);
	g->root = strdup(ctmod_ctx_root(ctx));
	g->kver = strdup(kver);
	if (!g->root || !g->kver) {
		gate_free(g);
		return ctmod_fail(ctx, -ENOMEM, NULL, "out of memory");
	}
	if (stat("/proc/self/ns/user", &g->userns) < 0) {
		r = -errno;
		gate_free(g);
		return ctmod_fail(ctx, r, "mount /proc", "/proc/self/ns/user: %s", strerror(-r));
	}

	struct ctmod_moddb *db;
	r = ctmod_moddb_open(ctx, &db);
	if (r < 0) {
		gate_free(g);
		return r;
	}
	r = opts->allow ? ctmod_gate_allowed(ctx, db, opts->allow, &g->allowed) : 0;
	ctmod_moddb_free(db);
	if (r < 0) {
		gate_free(g);
		return r;
	}
	for (size_t i = 0; i < g->allowed.n; i++)
		DBG(ctx, "gate: allowing %s", g->allowed.v[i]);

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
	r = start_command(ctx, g, argv, &old, &pid, res);
	if (r < 0) {
		if (g->nfd >= 0)
			close(g->nfd);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		gate_free(g);
		return res->exec_err ? 0 : r;
	}
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		r = -errno;
		kill(pid, SIGKILL);
	}

	bool done = sfd < 0, reaped = false, listening = true;
	int st = 0;
	while (!done) {
		pthread_mutex_lock(&g->lock);
		bool full = g->active >= MAX_ACTIVE;
		pthread_mutex_unlock(&g->lock);
		struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN},
		                        {.fd = g->nfd, .events = POLLIN}};
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
			pid_t w = waitpid(pid, &st, WNOHANG);
			if (w == pid)
				done = reaped = true;
		}
		if (n == 2 && (pfd[1].revents & POLLIN))
			dispatch(g);
		else if (n == 2 && (pfd[1].revents & (POLLHUP | POLLERR)))
			listening = false; /* no task uses the filter any more */
	}
	if (!reaped) {
		/* the loop failed: the command was killed, collect it */
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	res->wstatus = st;

	/* requests in flight finish (their callers may outlive the command) */
	wait_idle(g, g->timeout + 60);
	pthread_mutex_lock(&g->lock);
	bool idle = g->active == 0;
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
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (idle) {
		close(g->nfd);
		gate_free(g);
	}
	/* else a load is stuck in the kernel: its thread still uses g, which
	 * stays allocated until the process exits */
	if (r < 0)
		return ctmod_fail(ctx, r, NULL, "gate: %s", strerror(-r));
	return 0;
}
