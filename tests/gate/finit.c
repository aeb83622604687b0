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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int flags, use_init, null_params, in_thread, timed, repeat, kill_ms = -1;
static const char *params = "";

static long load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	const char *p = null_params ? NULL : params;
	long r;
	if (use_init) {
		struct stat st;
		fstat(fd, &st);
		void *buf = malloc((size_t)st.st_size + 1);
		ssize_t n = read(fd, buf, (size_t)st.st_size);
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

int main(int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "f:p:nitTr:k:")) != -1) {
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
		case 'r':
			repeat = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
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
			long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (timed)
				printf("%s: %s %ld ms\n", argv[i], r == 0 ? "OK" : strerrorname_np((int)-r),
				       ms);
			else
				printf("%s: %s\n", argv[i], r == 0 ? "OK" : strerrorname_np((int)-r));
		}
		fflush(stdout);
	}
	return 0;
}
