/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A jail for code that parses hostile bytes: a forked helper process with
 * nothing but one descriptor (as fd 0) and a result pipe, no capabilities,
 * no privileges to gain, memory/CPU/file limits and a seccomp filter that
 * allows little more than read, write and memory management, killed after
 * a time limit.  The gate reads a caller's module in it.
 *
 * Not to be confused with sandbox.h, which is the build's mount namespace.
 */
#pragma once

#include <stddef.h>

#include "ctx.h"

/* The default time limit of a jailed call, in seconds. */
#define CTMOD_JAIL_TIMEOUT 10.0
/* The longest answer a jailed call can give, with its NUL. */
#define CTMOD_JAIL_OUT_MAX 4608

/*
 * The work done in the jail: fd is the descriptor handed in (fd 0 there;
 * -1: none),
 * out receives a NUL-terminated answer of at most outsz bytes.  Returns 0
 * or -errno with the error recorded in ctx (its message travels back).
 */
typedef int (*ctmod_jail_fn)(struct ctmod_ctx *ctx, int fd, char *out, size_t outsz, void *arg);

/*
 * Run fn(fd, out, outsz, arg) in the jail and wait for it, at most timeout
 * seconds (<= 0: CTMOD_JAIL_TIMEOUT).  Returns fn's result (its error
 * recorded again in ctx, with its class), or -ETIME (timed out) / -ECHILD
 * (the helper died: crash, forbidden system call, limit) with the error
 * recorded.  Safe to call from several threads at once.
 */
int ctmod_jail_call(struct ctmod_ctx *ctx, int fd, double timeout, ctmod_jail_fn fn, void *arg,
                    char *out, size_t outsz);

/*
 * The same with flags.  CTMOD_JAIL_COPIER: a helper that only copies
 * (another process's memory, with process_vm_readv): it keeps its
 * privileges and may write fd, and has no seccomp filter, but is still
 * alone with fd, limited, and killed at the time limit, which is the point:
 * a read that blocks (userfaultfd) blocks the helper, never the caller of
 * ctmod_jail_run().
 */
#define CTMOD_JAIL_COPIER 1u
/*
 * CTMOD_JAIL_SIZED: the helper needs about twice fd's size (not a
 * compressed file, which may inflate to anything): it reserves that from
 * the budget (at least 48 MiB) instead of half of what is left.
 */
#define CTMOD_JAIL_SIZED 2u
int ctmod_jail_run(struct ctmod_ctx *ctx, int fd, double timeout, unsigned flags, ctmod_jail_fn fn,
                   void *arg, char *out, size_t outsz);

/*
 * Memory all helpers have reserved now (their address-space limits): each
 * takes what it needs (CTMOD_JAIL_SIZED) or half of what is left of a 1 GiB
 * budget, between 48 and 768 MiB.
 */
unsigned long ctmod_jail_budget_used(void);
