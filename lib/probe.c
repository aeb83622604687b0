// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fast resolver: libkmod's lookup (kmod_module_new_from_lookup) and
 * probe walk (kmod_module_probe_insert_module in a dry run, with a print
 * callback), as kmod's modprobe --show-depends does it.  See probe.h.
 */
#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <libkmod.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* Whether a kernel command line holds something libkmod takes for modules:
 * a token whose key has a dot (mod.param[=value], modprobe.blacklist=).
 * Coarse on purpose: a false "yes" only costs the slow resolver. */
static bool names_modules(const char *cmdline)
{
	for (const char *p = cmdline; *p;) {
		size_t n = strcspn(p, " \t\n");
		const char *eq = memchr(p, '=', n);
		if (memchr(p, '.', eq ? (size_t)(eq - p) : n))
			return true;
		p += n;
		p += strspn(p, " \t\n");
	}
	return false;
}

static bool same_cmdline(struct ctmod_ctx *ctx)
{
	if (!ctmod_ctx_has_root(ctx))
		return true;
	_cleanup_free_ char *path = ctmod_path(ctx, "/proc/cmdline");
	_cleanup_free_ char *ours = NULL, *host = NULL;
	size_t len;
	if (!path)
		return false;
	if (read_file(path, 1 << 20, &ours, &len) < 0)
		ours = NULL;
	if (read_file("/proc/cmdline", 1 << 20, &host, &len) < 0)
		host = NULL;
	if (ours && host && strcmp(ours, host) == 0)
		return true;
	return !names_modules(ours ? ours : "") && !names_modules(host ? host : "");
}

bool ctmod_probe_usable(struct ctmod_ctx *ctx)
{
	const char *kver;
	if (ctmod_ctx_kver(ctx, &kver) < 0) {
		ctmod_ctx_clear_error(ctx);
		return false;
	}
	_cleanup_free_ char *text = ctmod_path(ctx, "/lib/modules/%s/modules.dep", kver);
	_cleanup_free_ char *bin = ctmod_path(ctx, "/lib/modules/%s/modules.dep.bin", kver);
	struct stat st_text, st_bin;
	if (!text || !bin || stat(bin, &st_bin) < 0 || !S_ISREG(st_bin.st_mode))
		return false;
	/* a modules.dep written after depmod's index: the text is the truth */
	if (stat(text, &st_text) == 0 && (st_text.st_mtim.tv_sec > st_bin.st_mtim.tv_sec ||
	                                  (st_text.st_mtim.tv_sec == st_bin.st_mtim.tv_sec &&
	                                   st_text.st_mtim.tv_nsec > st_bin.st_mtim.tv_nsec)))
		return false;
	return same_cmdline(ctx);
}

/* libkmod's print callback has no data pointer: the walk in progress */
struct walk {
	ctmod_probe_cb cb;
	void *data;
	struct ctmod_ctx *ctx;
	unsigned errors; /* libkmod's complaints during the walk */
};
static _Thread_local struct walk *current;

/* libkmod's messages go to the context's log; during a walk an error (a
 * dependency whose file is gone, a bad index) is counted instead: the walk
 * then fails and the text resolver, which names the cause, answers. */
static void walk_log(void *data, int prio, const char *file, int line, const char *fn,
                     const char *fmt, va_list ap)
{
	struct ctmod_ctx *ctx = data;
	(void)file, (void)line, (void)fn;
	if (current && prio <= CTMOD_LOG_ERR) {
		current->errors++;
		return;
	}
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	msg[strcspn(msg, "\n")] = '\0';
	ctmod_log(ctx, prio, "%s", msg);
	free(msg);
}

static void on_action(struct kmod_module *m, bool install, const char *options)
{
	struct ctmod_moddb_step st = {
	    .name = (char *)kmod_module_get_name(m),
	    .options = (char *)(options ? options : ""),
	};
	if (install) {
		st.install_cmd = (char *)kmod_module_get_install_commands(m);
	} else {
		st.path = (char *)kmod_module_get_path(m);
		if (!st.path && kmod_module_get_initstate(m) != KMOD_MODULE_BUILTIN)
			return; /* an alias that is no module: modprobe prints nothing */
		st.builtin = !st.path;
	}
	current->cb(current->data, &st);
}

int ctmod_probe_walk(struct ctmod_ctx *ctx, const char *name, unsigned flags, const char *extra,
                     ctmod_probe_cb cb, void *data)
{
	if (flags & CTMOD_RESOLVE_NO_SOFTDEPS)
		return -ENOTSUP;
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	if (!k)
		return -ENOMEM;
	/* map the indexes once, as modprobe does: without it libkmod reopens
	 * and re-reads modules.dep.bin for every module of the walk */
	kmod_load_resources(k);
	struct walk w = {cb, data, ctx, 0};
	kmod_set_log_fn(k, walk_log, ctx);
	current = &w;
	struct kmod_list *list = NULL, *l;
	int r = kmod_module_new_from_lookup(k, name, &list);
	if (r < 0 || !list) {
		current = NULL;
		return r < 0 ? r : -ENOENT;
	}
	int pflags =
	    KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED | KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY;
	if (flags & CTMOD_RESOLVE_IGNORE_INSTALL)
		pflags |= KMOD_PROBE_IGNORE_COMMAND;
	kmod_list_foreach(l, list)
	{
		struct kmod_module *mod = kmod_module_get_module(l);
		r = kmod_module_probe_insert_module(mod, pflags, extra, NULL, NULL, on_action);
		kmod_module_unref(mod);
		if (r > 0)
			r = 0; /* a blacklisted alias is skipped, as modprobe skips it */
		if (r < 0)
			break;
	}
	current = NULL;
	kmod_module_unref_list(list);
	if (r == 0 && w.errors)
		r = -EIO;
	return r;
}

int ctmod_probe_isolated(int (*fn)(void *data), void *data, int *sig)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int st = fn(data);
		fflush(stdout);
		fflush(stderr);
		_exit(st & 0xff);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFSIGNALED(status)) {
		if (sig)
			*sig = WTERMSIG(status);
		return -EFAULT;
	}
	return WEXITSTATUS(status);
}
