// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rootlock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "ctx.h"

int ctmod_rootlock_take(struct ctmod_ctx *ctx, const char *dir)
{
	if (!*dir)
		dir = "/";
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ctmod_fail(ctx, -errno, NULL, "%s: %m", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		WARN(ctx, "waiting for another ctmod install or build on %s to finish", dir);
		if (flock(fd, LOCK_EX) < 0) {
			int r = ctmod_fail(ctx, -errno, NULL, "cannot lock %s: %m", dir);
			close(fd);
			return r;
		}
	}
	return fd;
}
