/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fast resolver: libkmod's own lookup and probe walk over the .bin
 * indexes depmod writes (an mmap and a trie walk, as modprobe does), for
 * single lookups.  lib/moddb is the other resolver, over the text files;
 * which one serves which path is said in moddb.h.
 *
 * libkmod reads the kernel command line from the running system's
 * /proc/cmdline, and its indexes, not the text files: this walk is used only
 * where that gives the answer lib/moddb would give (ctmod_probe_usable).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "moddb.h"

/*
 * Whether libkmod's walk gives the same answer as lib/moddb for the
 * context's root and kernel: modules.dep.bin exists and is not older than
 * modules.dep, and ROOT/proc/cmdline is the running system's /proc/cmdline
 * (or neither names a module option or blacklist).
 */
bool ctmod_probe_usable(struct ctmod_ctx *ctx);

/* One step of the walk, in load order; the step's strings live until the
 * callback returns.  builtin steps have no path; target is not known. */
typedef void (*ctmod_probe_cb)(void *data, const struct ctmod_moddb_step *step);

/*
 * Walk NAME (a module, an alias, symbol:NAME) as `modprobe --show-depends`
 * does (a dry run that ignores what is loaded), calling cb for each step.
 * flags: CTMOD_RESOLVE_IGNORE_INSTALL; CTMOD_RESOLVE_NO_SOFTDEPS is not
 * supported (-ENOTSUP).  extra: options for NAME itself, or NULL.
 * Returns 0; -ENOENT when NAME resolves to nothing, -EIO when libkmod
 * complained on the way (a stale modules.dep naming a file that is gone, a
 * damaged index), both with no message recorded (the caller asks lib/moddb,
 * which names the cause); another -errno from libkmod.  libkmod's other
 * messages go to the context's log.  One walk at a time per thread
 * (libkmod's print callback takes no data pointer).
 */
int ctmod_probe_walk(struct ctmod_ctx *ctx, const char *name, unsigned flags, const char *extra,
                     ctmod_probe_cb cb, void *data);

/*
 * Whether the .bin indexes of DIR (a /lib/modules/KVER; "" for the running
 * kernel's, as libkmod takes it; NULL: no) can be handed to libkmod 30 without risk: each of the
 * five files kmod_load_resources() maps is absent, or a whole trie as
 * depmod writes it (header, every node and string inside the file, every
 * child below its parent, no node reached twice, keys and words far below
 * libkmod's fixed buffers).  One pass over each file, no allocation beyond
 * a bitmap of an eighth of its size.
 */
bool ctmod_probe_indexes_sound(const char *dir);

/* The check of one index file's bytes, as ctmod_probe_indexes_sound() makes
 * it of each (without its remembered verdicts): for tests/fuzz. */
bool ctmod_probe_index_sound(const void *data, size_t size);

/*
 * Run fn(data), which hands NAMES (N of them: what will be looked up, and
 * their options) to libkmod, and return its exit status (0-255).  When the
 * indexes of DIR (see ctmod_probe_indexes_sound) are sound and every name
 * is short of libkmod's buffers (2047 bytes at most) it runs in this process;
 * otherwise in a child, and -EFAULT is returned when the child died of a
 * signal (*sig set).  libkmod 30 trusts the .bin indexes it maps: a
 * truncated or corrupt modules.dep.bin makes it read past the mapping
 * (SIGSEGV/SIGBUS; kmod's own modprobe crashes the same way) or, fed
 * garbage lengths, write past its own stack buffers (seen under ASan:
 * "stack smashing detected"), so a fault cannot be caught and survived
 * in-process.  Its walks on a tree that fails the check run in the child so
 * that such a tree gets an error message (or the text resolver) instead of
 * a crash.  stdout and stderr are flushed before the fork; the child's
 * output goes where ours goes.  A file replaced between the check and
 * libkmod's mmap is one depmod wrote whole (it renames into place).
 */
int ctmod_probe_isolated(const char *dir, char *const *names, int n, int (*fn)(void *data),
                         void *data, int *sig);
