/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The root's lock: one ctmod install, build --install or build --uninstall
 * at a time per root.  It is flock(2) on the root directory itself, so it
 * leaves no file behind and dies with its holder.
 */
#pragma once

struct ctmod_ctx;

/*
 * Open DIR (a root; "" is "/") and take its lock, waiting when another ctmod
 * holds it (after logging "waiting for another ctmod install or build on DIR
 * to finish").  Returns the directory's fd, which holds the lock until it is
 * closed, or -errno with the error recorded.
 */
int ctmod_rootlock_take(struct ctmod_ctx *ctx, const char *dir);
