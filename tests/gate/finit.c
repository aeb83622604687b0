// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A caller for the gate tests: load each FILE with finit_module() (or
 * init_module() with -i) and print "FILE: OK" or "FILE: ENAME".
 *   -f FLAGS   finit_module flags (e.g. 4 = MODULE_INIT_COMPRESSED_FILE)
 *   -p PARAMS  the parameter string (default "")
 *   -n         pass a NULL parameter pointer
 *   -k MS      make the call in a child and SIGKILL it after MS ms (the
 *              caller dies mid-request); prints "FILE: killed"
 *   -T         also print how long each call took: "FILE: ENAME MS ms"
 *   -r N       make the calls N times over (a flood), printing only a count
 *              of each result at the end: "ENAME: COUNT"
 *   -L         open the file read-write and take a write lease on it first
 *              (F_SETLEASE): an open of it by anyone else blocks until the
 *              lease is broken, up to /proc/sys/fs/lease-break-time
 *   -U         the parameter string (with -i: the image) lies in memory
 *              registered with userfaultfd and never served: whoever reads
 *              it waits for as long as this process lives
 *   -P N       make the calls from N threads at once, each every FILE
 *              (a process with many requests in flight); prints the counts
 *              as -r does
 *   -t         make the call from a second thread (not the thread-group
 *              leader: pidfd_open() refuses its TID, the gate falls back
 *              to /proc/TID/fd/N)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int flags, use_init, null_params, in_thread, timed, repeat, lease, uffd_mem, nthreads,
    kill_ms = -1;
static const char *params = "";

/* len bytes of memory that faults forever (userfaultfd, never served) */
static void *stalling_memory(size_t len)
{
	static int uffd = -1;
	if (uffd < 0)
		uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	struct uffdio_api api = {.api = UFFD_API};
	if (uffd < 0 || (ioctl(uffd, UFFDIO_API, &api) < 0 && errno != EINVAL)) {
		perror("finit: userfaultfd");
		exit(125);
	}
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uffdio_register reg = {.range = {(unsigned long)p, len},
	                              .mode = UFFDIO_REGISTER_MODE_MISSING};
	if (p == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) {
		perror("finit: UFFDIO_REGISTER");
		exit(125);
	}
	return p;
}

static long load(const char *path)
{
	int fd = open(path, (lease ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (lease)
		signal(SIGIO, SIG_IGN); /* the lease break must not end us */
	if (lease && fcntl(fd, F_SETLEASE, F_WRLCK) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	const char *p = null_params ? NULL : uffd_mem && !use_init ? stalling_memory(4096) : params;
	long r;
	if (use_init) {
		struct stat st;
		fstat(fd, &st);
		void *buf = malloc((size_t)st.st_size + 1);
		ssize_t n = read(fd, buf, (size_t)st.st_size);
		if (uffd_mem) {
			free(buf);
			buf = NULL;
			size_t len = ((size_t)st.st_size + 4095) & ~(size_t)4095;
			r = syscall(SYS_init_module, stalling_memory(len), (unsigned long)n, p);
			int e = errno;
			close(fd);
			return r < 0 ? -e : 0;
		}
		r = syscall(SYS_init_module, buf, (unsigned long)(n > 0 ? n : 0), p);
		free(buf);
	} else {
		r = syscall(SYS_finit_module, fd, p, flags);
	}
	int e = errno;
	close(fd);
	return r < 0 ? -e : 0;
}

struct call {
	const char *path;
	long r;
};

static void *thread_load(void *p)
{
	struct call *c = p;
	c->r = load(c->path);
	return NULL;
}

static long load_maybe_in_thread(const char *path)
{
	if (!in_thread)
		return load(path);
	struct call c = {path, 0};
	pthread_t t;
	if (pthread_create(&t, NULL, thread_load, &c) != 0)
		return -EAGAIN;
	pthread_join(t, NULL);
	return c.r;
}

/* -r N: every file N times, the results counted */
static int flood(int n, char **files)
{
	long counts[256] = {0};
	for (int k = 0; k < repeat; k++)
		for (int i = 0; i < n; i++) {
			long r = load_maybe_in_thread(files[i]);
			counts[-r < 256 ? -r : 255]++;
		}
	for (int e = 0; e < 256; e++)
		if (counts[e])
			printf("%s: %ld\n", e ? strerrorname_np(e) : "OK", counts[e]);
	return 0;
}

static int nfiles;
static char **tfiles;
static long tcounts[256];
static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;

static void *thread_all(void *arg)
{
	(void)arg;
	for (int k = 0; k < (repeat > 0 ? repeat : 1); k++)
		for (int i = 0; i < nfiles; i++) {
			long r = load(tfiles[i]);
			pthread_mutex_lock(&tlock);
			tcounts[-r < 256 ? -r : 255]++;
			pthread_mutex_unlock(&tlock);
		}
	return NULL;
}

/* -P N: N threads at once */
static int threads(int n, char **files)
{
	nfiles = n;
	tfiles = files;
	pthread_t *t = calloc((size_t)nthreads, sizeof(*t));
	for (int i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, thread_all, NULL);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	for (int e = 0; e < 256; e++)
		if (tcounts[e])
			printf("%s: %ld\n", e ? strerrorname_np(e) : "OK", tcounts[e]);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "f:p:nitTLUr:P:k:")) != -1) {
		switch (c) {
		case 'f':
			flags = (int)strtol(optarg, NULL, 0);
			break;
		case 'p':
			params = optarg;
			break;
		case 'n':
			null_params = 1;
			break;
		case 'i':
			use_init = 1;
			break;
		case 't':
			in_thread = 1;
			break;
		case 'k':
			kill_ms = atoi(optarg);
			break;
		case 'T':
			timed = 1;
			break;
		case 'L':
			lease = 1;
			break;
		case 'U':
			uffd_mem = 1;
			break;
		case 'r':
			repeat = atoi(optarg);
			break;
		case 'P':
			nthreads = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (nthreads > 0)
		return threads(argc - optind, argv + optind);
	if (repeat > 0)
		return flood(argc - optind, argv + optind);
	for (int i = optind; i < argc; i++) {
		if (kill_ms >= 0) {
			pid_t pid = fork();
			if (pid == 0)
				_exit((int)-load(argv[i]));
			struct timespec ts = {kill_ms / 1000, (kill_ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
			kill(pid, SIGKILL);
			int st;
			waitpid(pid, &st, 0);
			printf("%s: %s\n", argv[i], WIFSIGNALED(st) ? "killed" : "finished");
		} else {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			long r = load_maybe_in_thread(argv[i]);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			long ms =
			    (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (timed)
				printf("%s: %s %ld ms\n", argv[i],
				       r == 0 ? "OK" : strerrorname_np((int)-r), ms);
			else
				printf("%s: %s\n", argv[i],
				       r == 0 ? "OK" : strerrorname_np((int)-r));
		}
		fflush(stdout);
	}
	return 0;
}
