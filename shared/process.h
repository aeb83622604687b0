/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one way to run a program (posix_spawnp): every tool ctmod runs (make,
 * bash, depmod, strip, sign-file, xz) goes through here.
 */
#pragma once

#include <sys/types.h>

struct spawn_opts {
	const char *cwd;      /* NULL: here */
	char *const *envp;    /* NULL: this process's environment */
	int in, out, err;     /* fds for stdin, stdout, stderr; -1: /dev/null */
	const char *out_path; /* non-NULL: stdout to this file, created 0644 and truncated */
	int fd3;              /* >= 0: the child gets it as fd 3 */
};
/* stdin, stdout and stderr on /dev/null, no fd 3 */
#define SPAWN_OPTS_INIT                                                                            \
	{                                                                                          \
		.in = -1, .out = -1, .err = -1, .fd3 = -1                                          \
	}

/* Start argv (argv[0] searched in PATH).  0 and *pid, or -errno
 * (-ENOENT: no such program). */
int spawn_start(char *const argv[], const struct spawn_opts *o, pid_t *pid);
/* Wait for pid: its exit status, 128+signal, or -errno. */
int spawn_wait(pid_t pid);
/* Both: the exit status (127: not found), 128+signal, or -errno when it
 * could not start. */
int spawn_run(char *const argv[], const struct spawn_opts *o);

/* spawn_run with in/out/err only (-1: /dev/null) */
int run_process(char *const argv[], const char *cwd, int in, int out, int err);
