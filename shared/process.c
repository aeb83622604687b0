// SPDX-License-Identifier: LGPL-2.1-or-later
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/wait.h>

extern char **environ;

static int add_fd(posix_spawn_file_actions_t *fa, int fd, int target)
{
	if (fd < 0)
		return posix_spawn_file_actions_addopen(fa, target, "/dev/null", O_RDWR, 0);
	/* dup2 onto itself: glibc clears its FD_CLOEXEC, as POSIX asks */
	return posix_spawn_file_actions_adddup2(fa, fd, target);
}

static int file_actions(posix_spawn_file_actions_t *fa, const struct spawn_opts *o)
{
	int r = add_fd(fa, o->in, 0);
	if (!r && o->out_path)
		r = posix_spawn_file_actions_addopen(fa, 1, o->out_path,
		                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
	else if (!r)
		r = add_fd(fa, o->out, 1);
	if (!r)
		r = add_fd(fa, o->err, 2);
	if (!r && o->fd3 >= 0)
		r = posix_spawn_file_actions_adddup2(fa, o->fd3, 3);
	if (!r && o->cwd)
		r = posix_spawn_file_actions_addchdir_np(fa, o->cwd);
	return r;
}

int spawn_start(char *const argv[], const struct spawn_opts *o, pid_t *pid)
{
	static const struct spawn_opts none = SPAWN_OPTS_INIT;
	posix_spawn_file_actions_t fa;
	if (!o)
		o = &none;
	int r = posix_spawn_file_actions_init(&fa);
	if (r)
		return -r;
	r = file_actions(&fa, o);
	if (!r)
		r = posix_spawnp(pid, argv[0], &fa, NULL, argv, o->envp ? o->envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

int spawn_wait(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int spawn_run(char *const argv[], const struct spawn_opts *o)
{
	pid_t pid;
	int r = spawn_start(argv, o, &pid);
	if (r == -ENOENT)
		return 127; /* as a shell says it */
	return r < 0 ? r : spawn_wait(pid);
}

int run_process(char *const argv[], const char *cwd, int in, int out, int err)
{
	struct spawn_opts o = SPAWN_OPTS_INIT;
	o.cwd = cwd;
	o.in = in;
	o.out = out;
	o.err = err;
	return spawn_run(argv, &o);
}
