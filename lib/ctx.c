// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ctx.h"

#include <dirent.h>
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "util.h"

struct ctmod_ctx {
	char *root; /* "" for the running system */
	char *kver;
	ctmod_log_fn log_fn;
	void *log_data;
	int log_level;
	char *err;
	char *hint;
	enum ctmod_err_class err_class;
	struct kmod_ctx *kmod;
};

int ctmod_ctx_new(struct ctmod_ctx **out, const char *root, const char *kver)
{
	struct ctmod_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	const char *r = root ? root : "";
	size_t n = strlen(r);
	while (n > 0 && r[n - 1] == '/')
		n--;
	ctx->root = strndup(r, n);
	ctx->kver = kver && *kver ? strdup(kver) : NULL;
	ctx->log_level = CTMOD_LOG_WARNING;
	if (!ctx->root || (kver && *kver && !ctx->kver)) {
		ctmod_ctx_free(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

void ctmod_ctx_free(struct ctmod_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->kmod)
		kmod_unref(ctx->kmod);
	free(ctx->root);
	free(ctx->kver);
	free(ctx->err);
	free(ctx->hint);
	free(ctx);
}

void ctmod_ctx_set_log(struct ctmod_ctx *ctx, ctmod_log_fn fn, void *data)
{
	ctx->log_fn = fn;
	ctx->log_data = data;
}

void ctmod_ctx_set_log_level(struct ctmod_ctx *ctx, int level)
{
	ctx->log_level = level;
}
int ctmod_ctx_log_level(const struct ctmod_ctx *ctx)
{
	return ctx->log_level;
}

void ctmod_log(struct ctmod_ctx *ctx, int prio, const char *fmt, ...)
{
	if (!ctx->log_fn || prio > ctx->log_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	ctx->log_fn(ctx->log_data, prio, fmt, ap);
	va_end(ap);
}

const char *ctmod_ctx_root(const struct ctmod_ctx *ctx)
{
	return ctx->root;
}
bool ctmod_ctx_has_root(const struct ctmod_ctx *ctx)
{
	return ctx->root[0] != '\0';
}

const char *ctmod_running_kver(void)
{
	static struct utsname u;
	if (!u.release[0] && uname(&u) < 0)
		return "unknown";
	return u.release;
}

const char *ctmod_arch(void)
{
	static struct utsname u;
	if (!u.machine[0] && uname(&u) < 0)
		return "unknown";
	return u.machine;
}

const char *const ctmod_modprobe_dirs[] = {"/etc/modprobe.d",           "/run/modprobe.d",
                                           "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
                                           "/lib/modprobe.d",           NULL};

char *ctmod_path(const struct ctmod_ctx *ctx, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	strbuf_puts(&sb, ctx->root);
	size_t at = sb.len;
	strbuf_putc(&sb, '/');
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	/* the path had its own '/': drop the one put before it */
	if (sb.buf[at + 1] == '/') {
		memmove(sb.buf + at, sb.buf + at + 1, sb.len - at);
		sb.len--;
	}
	return strbuf_steal(&sb);
}

static int detect_kver(struct ctmod_ctx *ctx)
{
	if (!ctmod_ctx_has_root(ctx)) {
		ctx->kver = strdup(ctmod_running_kver());
		return ctx->kver ? 0 : -ENOMEM;
	}

	_cleanup_free_ char *dir = ctmod_path(ctx, "/lib/modules");
	if (!dir)
		return -ENOMEM;
	DIR *d = opendir(dir);
	if (!d) {
		/* nothing installed under the root: the running kernel is the
		 * only sensible guess (install may be about to create it) */
		ctx->kver = xstrdup(ctmod_running_kver());
		return 0;
	}
	_cleanup_strv_ struct strv found = STRV_INIT;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			strv_push(&found, de->d_name);
	}
	closedir(d);
	strv_sort(&found);

	if (found.n <= 1) {
		ctx->kver = xstrdup(found.n ? found.v[0] : ctmod_running_kver());
		return 0;
	}
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < found.n; i++)
		strbuf_printf(&sb, "%s%s", i ? ", " : "", found.v[i]);
	return ctmod_fail_input(ctx, -EINVAL, "name one with --kernel KVER",
	                        "%s/lib/modules holds several kernels (%s)", ctx->root,
	                        strbuf_str(&sb));
}

int ctmod_ctx_kver(struct ctmod_ctx *ctx, const char **kver)
{
	if (!ctx->kver) {
		int r = detect_kver(ctx);
		if (r < 0)
			return r;
	}
	*kver = ctx->kver;
	return 0;
}

static void kmod_log_cb(void *data, int priority, const char *file, int line, const char *fn,
                        const char *format, va_list args)
{
	struct ctmod_ctx *ctx = data;
	(void)file;
	(void)line;
	(void)fn;
	if (!ctx->log_fn || priority > ctx->log_level)
		return;
	ctx->log_fn(ctx->log_data, priority, format, args);
}

struct kmod_ctx *ctmod_ctx_kmod(struct ctmod_ctx *ctx)
{
	if (ctx->kmod)
		return ctx->kmod;

	const char *kver;
	if (ctmod_ctx_kver(ctx, &kver) < 0)
		return NULL;
	_cleanup_free_ char *dir = ctmod_path(ctx, "/lib/modules/%s", kver);
	if (!dir)
		return NULL;

	/* kmod's own config search path, moved under the root */
	_cleanup_strv_ struct strv paths = STRV_INIT;
	for (size_t i = 0; ctmod_modprobe_dirs[i]; i++)
		strv_push_take(&paths, ctmod_path(ctx, "%s", ctmod_modprobe_dirs[i]));
	ctx->kmod = kmod_new(dir, (const char *const *)paths.v);
	if (!ctx->kmod)
		ctmod_fail(ctx, -ENOMEM, NULL, "cannot create a libkmod context for %s", dir);
	else
		kmod_set_log_fn(ctx->kmod, kmod_log_cb, ctx);
	return ctx->kmod;
}

static int vfail(struct ctmod_ctx *ctx, enum ctmod_err_class cls, int err, const char *hint,
                 const char *fmt, va_list ap)
{
	/* both made before the old ones go: a caller may pass them back in */
	struct strbuf msg = STRBUF_INIT;
	strbuf_vprintf(&msg, fmt, ap);
	char *h = hint ? xstrdup(hint) : NULL;
	free(ctx->err);
	free(ctx->hint);
	ctx->err = strbuf_steal(&msg);
	ctx->hint = h;
	ctx->err_class = cls;
	DBG(ctx, "error: %s", ctx->err);
	return err < 0 ? err : -err;
}

int ctmod_fail(struct ctmod_ctx *ctx, int err, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfail(ctx, CTMOD_ERR_FAILED, err, hint, fmt, ap);
	va_end(ap);
	return r;
}

int ctmod_fail_input(struct ctmod_ctx *ctx, int err, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfail(ctx, CTMOD_ERR_BAD_INPUT, err, hint, fmt, ap);
	va_end(ap);
	return r;
}

const char *ctmod_ctx_error(const struct ctmod_ctx *ctx)
{
	return ctx->err;
}
const char *ctmod_ctx_hint(const struct ctmod_ctx *ctx)
{
	return ctx->hint;
}
enum ctmod_err_class ctmod_ctx_err_class(const struct ctmod_ctx *ctx)
{
	return ctx->err_class;
}

void ctmod_ctx_clear_error(struct ctmod_ctx *ctx)
{
	free(ctx->err);
	free(ctx->hint);
	ctx->err = ctx->hint = NULL;
	ctx->err_class = CTMOD_ERR_NONE;
}
