// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading what a gate's caller hands in: everything here is hostile (see
 * gate.c).  /proc paths are the live system's, not the --root image's:
 * they describe running processes, not files to load, so they do not go
 * through ctmod_path().
 */
#include "gate-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dl.h"
#include "jail.h"
#include "modinfo.h"

int ctmod_gate_caller_status(pid_t pid, struct ctmod_gate_caller *c)
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
int ctmod_gate_caller_userns(pid_t pid, const struct stat *ns)
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

/* the thread group of task tid (a notification names the calling thread) */
pid_t ctmod_gate_caller_tgid(pid_t tid)
{
	char path[64], *buf;
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (read_file(path, 1 << 16, &buf, &len) < 0)
		return tid;
	char *t = strstr(buf, "\nTgid:\t");
	pid_t tgid = t ? (pid_t)strtol(t + 7, NULL, 10) : 0;
	free(buf);
	return tgid > 0 ? tgid : tid;
}

/* 0 with *out, -EBADF (no such fd, or unreadable), -ENOSYS (no pidfd here) */
static int getfd_by_pidfd(pid_t pid, int fdnum, int *out)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/* a thread that is not the leader: EINVAL, or ENOENT since Linux 6.9 */
	if (pidfd < 0 && (errno == EINVAL || errno == ENOENT)) {
		pid_t tgid = ctmod_gate_caller_tgid(pid);
		if (tgid != pid)
			pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	}
	if (pidfd < 0)
		return -ENOSYS;
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, fdnum, 0);
	int e = errno;
	close(pidfd);
	if (fd < 0)
		return e == EBADF ? -EBADF : -ENOSYS;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY || (fl & O_PATH)) {
		close(fd);
		return -EBADF;
	}
	*out = fd;
	return 0;
}

/*
 * Reopen /proc/PID/fd/N read-only, as LXD does: through O_PATH first, so no
 * device or FIFO is ever opened for real, and with O_NONBLOCK, so a lease
 * the caller holds on the file (F_SETLEASE) fails the open (EWOULDBLOCK)
 * instead of holding us for the kernel's lease-break time.
 */
static int reopen_by_proc(pid_t pid, int fdnum, int *out)
{
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
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int e = errno;
	close(opath);
	if (fd < 0)
		return -e;
	*out = fd;
	return 0;
}

/*
 * The caller's descriptor fdnum, as our own: pidfd_getfd() shares the open
 * file (through the thread group leader for another thread: threads share
 * their descriptors); where that is not possible (old kernel, ptrace
 * restrictions) the file is reopened through /proc.
 */
int ctmod_gate_caller_fd(pid_t pid, int fdnum, int *out)
{
	*out = -1;
	if (fdnum < 0)
		return -EBADF;
	int r = getfd_by_pidfd(pid, fdnum, out);
	if (r != -ENOSYS)
		return r;
	return reopen_by_proc(pid, fdnum, out);
}

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

struct remote {
	pid_t pid;
	uint64_t addr, len;
};

/* In the copier: the NUL-terminated string at addr into out, as strndup_user() would. */
static int copy_string(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
{
	const struct remote *rm = arg;
	size_t max = rm->len < outsz - 1 ? (size_t)rm->len : outsz - 1, n = 0;
	while (n < max) {
		/* page by page: the string may end just before an unmapped page */
		uint64_t a = rm->addr + n;
		size_t chunk = (size_t)page_size() - (size_t)(a % (uint64_t)page_size());
		if (chunk > max - n)
			chunk = max - n;
		struct iovec l = {out + n, chunk}, rem = {(void *)(uintptr_t)a, chunk};
		ssize_t got = process_vm_readv(rm->pid, &l, 1, &rem, 1, 0);
		if (got <= 0)
			return got < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
		if (memchr(out + n, '\0', (size_t)got))
			return 0;
		n += (size_t)got;
	}
	return -E2BIG;
}

int ctmod_gate_caller_string(struct ctmod_ctx *ctx, pid_t pid, uint64_t addr, size_t max,
                             double timeout, char **out)
{
	*out = NULL;
	if (addr == 0)
		return -EFAULT;
	struct remote rm = {pid, addr, max};
	char buf[CTMOD_JAIL_OUT_MAX];
	int r = ctmod_jail_run(ctx, -1, timeout, CTMOD_JAIL_COPIER | CTMOD_JAIL_SIZED, copy_string,
	                       &rm, buf, sizeof(buf));
	if (r < 0)
		return r;
	*out = xstrdup(buf);
	return 0;
}

/* In the copier: init_module()'s image from the caller into the memfd fd. */
static int copy_image(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
{
	const struct remote *rm = arg;
	size_t bufsz = 1u << 20;
	char *buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	int r = 0;
	for (uint64_t off = 0; off < rm->len && r == 0;) {
		size_t chunk = rm->len - off < bufsz ? (size_t)(rm->len - off) : bufsz;
		struct iovec l = {buf, chunk}, rem = {(void *)(uintptr_t)(rm->addr + off), chunk};
		ssize_t got = process_vm_readv(rm->pid, &l, 1, &rem, 1, 0);
		if (got <= 0) {
			r = got < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
			break;
		}
		for (ssize_t w = 0; w < got && r == 0;) {
			ssize_t k = write(fd, buf + w, (size_t)(got - w));
			if (k < 0 && errno != EINTR)
				r = -errno;
			else if (k > 0)
				w += k;
		}
		off += (uint64_t)got;
	}
	free(buf);
	out[0] = '\0';
	return r;
}

int ctmod_gate_caller_image(struct ctmod_ctx *ctx, pid_t pid, uint64_t addr, uint64_t len,
                            double timeout, int *out)
{
	*out = -1;
	if (len > CTMOD_MODINFO_MAX_IMAGE)
		return -EFBIG;
	int fd = memfd_create("ctmod-gate-module", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct remote rm = {pid, addr, len};
	char ignored[8];
	int r = ctmod_jail_run(ctx, fd, timeout, CTMOD_JAIL_COPIER | CTMOD_JAIL_SIZED, copy_image,
	                       &rm, ignored, sizeof(ignored));
	if (r < 0) {
		close(fd);
		return r;
	}
	*out = fd;
	return 0;
}

static int name_in_jail(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg)
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
	 * The reader can neither open files nor map code: load libelf, and
	 * libarchive (for a compressed module), here.  If one cannot be, the
	 * reader says so.
	 */
	ctmod_dl_open(&ctmod_dl_elf);
	ctmod_dl_open(&ctmod_dl_archive);
	/* a compressed module may inflate to anything: half of what is left */
	int r = ctmod_jail_run(ctx, fd, timeout,
	                       (flags & CTMOD_MODINFO_COMPRESSED) ? 0 : CTMOD_JAIL_SIZED,
	                       name_in_jail, &flags, raw, sizeof(raw));
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
