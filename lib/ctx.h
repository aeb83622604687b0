/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * struct ctmod_ctx: what every part of libctmod needs to know about the
 * system it works on (the root, the kernel release), where its log goes,
 * and the last error with a hint for the user.
 *
 * Rules of the house: lib/ returns 0 or -errno and records a message with
 * ctmod_fail(); only cmd/ prints and picks exit codes.  Every file access
 * goes through ctmod_path() so that every command works under --root.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct kmod_ctx;
struct ctmod_ctx;

enum ctmod_log_prio {
	CTMOD_LOG_ERR = 3,
	CTMOD_LOG_WARNING = 4,
	CTMOD_LOG_NOTICE = 5,
	CTMOD_LOG_INFO = 6,
	CTMOD_LOG_DEBUG = 7,
};

/* What kind of failure the last error was: cmd/ maps it to the exit code. */
enum ctmod_err_class {
	CTMOD_ERR_NONE = 0,
	CTMOD_ERR_FAILED = 1,    /* the operation failed: exit 1 */
	CTMOD_ERR_BAD_INPUT = 2, /* bad usage or malformed input: exit 2 */
};

typedef void (*ctmod_log_fn)(void *data, int prio, const char *fmt, va_list ap);

/* root: NULL or "/" for the running system.  kver: NULL to detect lazily. */
int ctmod_ctx_new(struct ctmod_ctx **out, const char *root, const char *kver);
void ctmod_ctx_free(struct ctmod_ctx *ctx);

void ctmod_ctx_set_log(struct ctmod_ctx *ctx, ctmod_log_fn fn, void *data);
/* messages with prio <= level are passed to the log function */
void ctmod_ctx_set_log_level(struct ctmod_ctx *ctx, int level);
int ctmod_ctx_log_level(const struct ctmod_ctx *ctx);
void ctmod_log(struct ctmod_ctx *ctx, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ERR(ctx, ...)  ctmod_log(ctx, CTMOD_LOG_ERR, __VA_ARGS__)
#define WARN(ctx, ...) ctmod_log(ctx, CTMOD_LOG_WARNING, __VA_ARGS__)
#define INFO(ctx, ...) ctmod_log(ctx, CTMOD_LOG_INFO, __VA_ARGS__)
#define DBG(ctx, ...)  ctmod_log(ctx, CTMOD_LOG_DEBUG, __VA_ARGS__)

/* The root as given, without trailing slash; "" for the running system. */
const char *ctmod_ctx_root(const struct ctmod_ctx *ctx);
bool ctmod_ctx_has_root(const struct ctmod_ctx *ctx);

/*
 * The kernel release: --kernel, else under --root the only kernel in
 * ROOT/lib/modules, else uname -r.  Fails (bad input) when a root holds
 * several kernels and none was named, listing them.
 */
int ctmod_ctx_kver(struct ctmod_ctx *ctx, const char **kver);
/* uname -r / machine of the running kernel, whatever the root */
const char *ctmod_running_kver(void);
const char *ctmod_arch(void);

/*
 * Path of FMT under the root, malloc'd (never NULL: out of memory aborts).
 * FMT must be an absolute path: ctmod_path(ctx, "/lib/modules/%s", kver).
 */
char *ctmod_path(const struct ctmod_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* kmod's modprobe.d search path, in its order (the first file of a name
 * wins), absolute, to be put under the root with ctmod_path(); NULL-ended */
extern const char *const ctmod_modprobe_dirs[];

/*
 * The libkmod context for ROOT/lib/modules/KVER, created on first use with
 * the config directories under the root, and logging into ctx.  NULL on
 * failure (the error is recorded).  Not thread-safe: one per thread.
 */
struct kmod_ctx *ctmod_ctx_kmod(struct ctmod_ctx *ctx);

/*
 * Record an error: "what: why" and the next step.  Returns -|err| so a
 * caller can write `return ctmod_fail(ctx, -ENOENT, hint, "...")`.
 * hint may be NULL.
 */
int ctmod_fail(struct ctmod_ctx *ctx, int err, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, marked as bad input (malformed file, bad name): exit status 2. */
int ctmod_fail_input(struct ctmod_ctx *ctx, int err, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *ctmod_ctx_error(const struct ctmod_ctx *ctx);
const char *ctmod_ctx_hint(const struct ctmod_ctx *ctx);
enum ctmod_err_class ctmod_ctx_err_class(const struct ctmod_ctx *ctx);
void ctmod_ctx_clear_error(struct ctmod_ctx *ctx);
