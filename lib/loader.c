// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Loading the steps of a resolution, one way after another: libkmod
 * (finit_module, or init_module for what libkmod cannot decompress), the
 * SIOCGIFINDEX ioctl that makes the kernel run its own modprobe helper, and
 * the system's modprobe.  A way counts only when /sys/module says the module
 * is live afterwards.
 */
#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compress.h"
#include "kmsg.h"
#include "modinfo.h"
#include "util.h"

/* A module bigger than this is not a module: refuse rather than OOM. */
#define MAX_MODULE_SIZE (256u << 20)

static const char *method_name(enum ctmod_load_method m)
{
	switch (m) {
	case CTMOD_LOAD_KMOD:
		return "kmod";
	case CTMOD_LOAD_IOCTL:
		return "ioctl";
	case CTMOD_LOAD_MODPROBE:
		return "modprobe";
	default:
		return "none";
	}
}

const char *ctmod_load_method_name(enum ctmod_load_method m)
{
	return method_name(m);
}

int ctmod_load_methods_parse(const char *list, unsigned *out)
{
	unsigned m = 0;
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "kmod") == 0)
			m |= CTMOD_LOAD_KMOD;
		else if (strcmp(t, "ioctl") == 0)
			m |= CTMOD_LOAD_IOCTL;
		else if (strcmp(t, "modprobe") == 0)
			m |= CTMOD_LOAD_MODPROBE;
		else {
			free(copy);
			return -EINVAL;
		}
	}
	free(copy);
	if (!m)
		return -EINVAL;
	*out = m;
	return 0;
}

/* /sys/module is the running kernel's: never taken under --root. */
static int module_initstate(const char *name, char *buf, size_t sz)
{
	char norm[64], path[128];
	modname_normalize(name, norm, sizeof(norm));
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", norm);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* built-in modules with parameters have a directory but no initstate */
		return -errno;
	}
	ssize_t n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	rstrip(buf);
	return 0;
}

bool ctmod_module_live(struct ctmod_ctx *ctx, const char *name)
{
	(void)ctx;
	char st[32];
	return module_initstate(name, st, sizeof(st)) == 0 && strcmp(st, "live") == 0;
}

/* Present in any state (coming/going count: loading it again gives EEXIST). */
static bool module_present(const char *name)
{
	char st[32];
	return module_initstate(name, st, sizeof(st)) == 0;
}

/* The kernel log from the moment before a load: what it said about it. */
struct kmsg_mark {
	int fd;
	struct strv lines; /* message texts logged since the mark */
};

static void kmsg_mark(struct kmsg_mark *m)
{
	strv_init(&m->lines);
	m->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (m->fd >= 0)
		lseek(m->fd, 0, SEEK_END);
}

static void kmsg_collect(struct kmsg_mark *m)
{
	char rec[8192];
	while (m->fd >= 0) {
		ssize_t n = read(m->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* overwritten records: go on with the next */
		if (n <= 0)
			break;
		rec[n] = '\0';
		char *text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		char *nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		strv_push(&m->lines, text);
	}
}

/* The symbol (or parameter) of the first event of KIND about MODULE. */
static char *kmsg_find(struct kmsg_mark *m, const char *module, enum ctmod_kmsg_kind kind)
{
	char *found = NULL;
	for (size_t i = 0; i < m->lines.n && !found; i++) {
		struct ctmod_kmsg_event ev = {0};
		if (ctmod_kmsg_parse_line(m->lines.v[i], strlen(m->lines.v[i]), &ev) != 1)
			continue;
		if (ev.kind == kind && ev.module && modname_equal(ev.module, module) && ev.symbol)
			found = xstrdup(ev.symbol);
		ctmod_kmsg_event_release(&ev);
	}
	return found;
}

/* Did the kernel log an event of KIND (about MODULE, unless NULL) since the mark? */
static bool kmsg_has(struct kmsg_mark *m, const char *module, enum ctmod_kmsg_kind kind)
{
	bool found = false;
	for (size_t i = 0; i < m->lines.n && !found; i++) {
		struct ctmod_kmsg_event ev = {0};
		if (ctmod_kmsg_parse_line(m->lines.v[i], strlen(m->lines.v[i]), &ev) != 1)
			continue;
		found =
		    ev.kind == kind && (!module || (ev.module && modname_equal(ev.module, module)));
		ctmod_kmsg_event_release(&ev);
	}
	return found;
}

/* CAP_SYS_MODULE (16) in this process's effective set: then "run as root" is no advice. */
static bool has_cap_sys_module(void)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (read_file("/proc/self/status", 1 << 16, &buf, &len) < 0)
		return false;
	const char *p = strstr(buf, "\nCapEff:");
	unsigned long long eff;
	return p && sscanf(p + 8, "%llx", &eff) == 1 && (eff & (1ULL << 16));
}

/* kernel/params.c: "MODULE: `VALUE' invalid for parameter `PARAM'" */
static char *kmsg_find_bad_value(struct kmsg_mark *m, const char *module)
{
	static const char key[] = "' invalid for parameter `";
	size_t ml = strlen(module);
	for (size_t i = 0; i < m->lines.n; i++) {
		const char *t = m->lines.v[i];
		const char *k = strstr(t, key);
		if (!k || strncmp(t, module, ml) != 0 || t[ml] != ':')
			continue;
		const char *p = k + strlen(key);
		const char *e = strchr(p, '\'');
		if (e)
			return xstrndup(p, (size_t)(e - p));
	}
	return NULL;
}

static void kmsg_unmark(struct kmsg_mark *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	strv_release(&m->lines);
}

/* Debian 12's libkmod has no zlib: a .ko.gz is decompressed here, by the
 * one decompression path (libarchive's, lib/modinfo.c), and handed to
 * init_module(2) as a buffer. */
static int insert_gz(struct ctmod_ctx *ctx, const char *path, const char *options)
{
	_cleanup_free_ char *raw = NULL;
	_cleanup_free_ void *image = NULL;
	size_t len, n;
	int r = read_file(path, MAX_MODULE_SIZE, &raw, &len);
	if (r == 0)
		r = ctmod_modinfo_decompress(ctx, raw, len, MAX_MODULE_SIZE, &image, &n);
	if (r == 0 && syscall(SYS_init_module, image, n, options ? options : "") < 0)
		r = -errno;
	return r;
}

static int load_kmod(struct ctmod_ctx *ctx, const struct ctmod_moddb_step *st, const char *options)
{
	if (!st->path)
		return -ENOENT;
	const struct compression *z = compression_by_suffix(st->path);
	if (z && strcmp(z->name, "gzip") == 0)
		return insert_gz(ctx, st->path, options);

	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	if (!k)
		return -ENOMEM;
	struct kmod_module *mod = NULL;
	int r = kmod_module_new_from_path(k, st->path, &mod);
	if (r < 0)
		return r;
	r = kmod_module_insert_module(mod, 0, options ? options : "");
	kmod_module_unref(mod);
	return r;
}

/* dev_load(): with CAP_SYS_MODULE the kernel asks its helper for NAME
 * itself; with CAP_NET_ADMIN only, for "netdev-NAME". */
static int load_ioctl(const char *name)
{
	struct ifreq ifr;
	if (strlen(name) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	/* fails with ENODEV either way: the module's state is the answer */
	int r = ioctl(s, SIOCGIFINDEX, &ifr) < 0 ? -errno : 0;
	close(s);
	return r == -ENODEV ? 0 : r;
}

/* argv with stdout to /dev/null, its errors on ours, as 0 or -errno */
static int run_argv(char *const argv[])
{
	int st = run_process(argv, NULL, -1, -1, STDERR_FILENO);
	if (st < 0)
		return st;
	return st == 127 ? -ENOENT : st == 0 ? 0 : -EIO;
}

static int load_modprobe(const char *name)
{
	char *const argv[] = {"modprobe", "-q", "--", (char *)name, NULL};
	return run_argv(argv);
}

/* modprobe.d `install`/`remove` commands run under /bin/sh, with the
 * options in $CMDLINE_OPTS as modprobe does. */
static int run_command(const char *cmd, const char *options)
{
	setenv("CMDLINE_OPTS", options ? options : "", 1);
	char *const argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	int r = run_argv(argv);
	unsetenv("CMDLINE_OPTS");
	return r;
}

static int explain_eperm(struct ctmod_ctx *ctx, const char *name, int err, struct kmsg_mark *mark)
{
	if (kmsg_has(mark, NULL, CTMOD_KMSG_LOCKDOWN))
		return ctmod_fail(
		    ctx, err,
		    "the kernel is locked down: it loads only modules signed with a key it trusts; run ctmod diagnose for where the lockdown comes from and the commands that sign it",
		    "load %s: refused by kernel lockdown (unsigned module)", name);
	if (kmsg_has(mark, name, CTMOD_KMSG_BLACKLISTED))
		return ctmod_fail(
		    ctx, err,
		    "module_blacklist= on the kernel command line names it; run ctmod diagnose",
		    "load %s: blacklisted on the kernel command line", name);
	if (has_cap_sys_module())
		return ctmod_fail(
		    ctx, err,
		    "this process has CAP_SYS_MODULE, so the kernel itself refused it: check /proc/sys/kernel/modules_disabled and lockdown, or run ctmod diagnose",
		    "load %s: operation not permitted", name);
	return ctmod_fail(
	    ctx, err,
	    "run it as root with CAP_SYS_MODULE (a container needs --privileged or --cap-add SYS_MODULE); also check /proc/sys/kernel/modules_disabled and lockdown, or run ctmod diagnose",
	    "load %s: operation not permitted", name);
}

static int explain_enoent(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *name, int err,
                          struct kmsg_mark *mark)
{
	char hint[512];
	_cleanup_free_ char *sym = kmsg_find(mark, name, CTMOD_KMSG_UNKNOWN_SYMBOL);
	if (!sym) {
		snprintf(hint, sizeof(hint),
		         "a symbol it needs is missing (its dependencies?); run ctmod diagnose %s",
		         name);
		return ctmod_fail(ctx, err, hint, "load %s: unknown symbol in module", name);
	}
	_cleanup_strv_ struct strv owners = STRV_INIT;
	if (!db || ctmod_moddb_symbol_owners(db, sym, &owners) != 0 || owners.n == 0)
		return ctmod_fail(
		    ctx, err,
		    "no installed module exports it: the module was built for another kernel; run ctmod diagnose",
		    "load %s: unknown symbol %s", name, sym);
	snprintf(hint, sizeof(hint), "load %s first (ctmod load %s), or run ctmod diagnose",
	         owners.v[0], owners.v[0]);
	return ctmod_fail(ctx, err, hint, "load %s: unknown symbol %s", name, sym);
}

static int explain_einval(struct ctmod_ctx *ctx, const char *name, int err, struct kmsg_mark *mark)
{
	char hint[512];
	_cleanup_free_ char *value = kmsg_find_bad_value(mark, name);
	if (value) {
		snprintf(
		    hint, sizeof(hint),
		    "check its values with modinfo -p %s and fix the option in modprobe.d or on the command line",
		    name);
		return ctmod_fail(ctx, err, hint, "load %s: invalid value for parameter '%s'", name,
		                  value);
	}
	_cleanup_free_ char *param = kmsg_find(mark, name, CTMOD_KMSG_UNKNOWN_PARAM);
	if (param) {
		snprintf(
		    hint, sizeof(hint),
		    "check its parameters with modinfo -p %s and fix options in modprobe.d or on the command line",
		    name);
		return ctmod_fail(ctx, err, hint, "load %s: unknown parameter '%s'", name, param);
	}
	return ctmod_fail(ctx, err, "check its parameters (modinfo -p), or run ctmod diagnose",
	                  "load %s: invalid argument (a parameter value?)", name);
}

/* the errors the kernel log has nothing to add to: "load NAME: WHAT" */
static const struct {
	int err[3]; /* the errnos it answers, 0 ends */
	const char *what;
	bool with_strerror; /* WHAT is followed by (strerror) */
	const char *hint;
} load_errors[] = {
    {{ENOEXEC},
     "invalid module format",
     false,
     "it was built for another kernel (vermagic) or is not a module; rebuild it for this kernel (ctmod build) or run ctmod diagnose"},
    {{EKEYREJECTED, ENOKEY, EBADMSG},
     "signature rejected",
     true,
     "the kernel requires signed modules: sign it with a key the kernel trusts (DKMS's MOK), or run ctmod diagnose"},
    {{EEXIST},
     "module already loaded",
     false,
     "it is already loaded; unload it first (ctmod load -r)"},
    {{ENOSYS},
     "the kernel does not load modules",
     false,
     "this kernel was built without module support (CONFIG_MODULES)"},
};

static bool answers(const int *errs, size_t n, int err)
{
	for (size_t i = 0; i < n && errs[i]; i++)
		if (errs[i] == err)
			return true;
	return false;
}

static int explain(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *name, int err,
                   struct kmsg_mark *mark)
{
	if (err == -EPERM)
		return explain_eperm(ctx, name, err, mark);
	if (err == -ENOENT)
		return explain_enoent(ctx, db, name, err, mark);
	if (err == -EINVAL)
		return explain_einval(ctx, name, err, mark);
	for (size_t i = 0; i < ARRAY_SIZE(load_errors); i++) {
		if (!answers(load_errors[i].err, ARRAY_SIZE(load_errors[i].err), -err))
			continue;
		if (load_errors[i].with_strerror)
			return ctmod_fail(ctx, err, load_errors[i].hint, "load %s: %s (%s)", name,
			                  load_errors[i].what, strerror(-err));
		return ctmod_fail(ctx, err, load_errors[i].hint, "load %s: %s", name,
		                  load_errors[i].what);
	}
	return ctmod_fail(ctx, err, "run ctmod diagnose", "load %s: %s", name, strerror(-err));
}

static void emit_params(ctmod_load_cb cb, void *data, const char *name, enum ctmod_load_state state,
                        enum ctmod_load_method m, int err, const char *params)
{
	if (!cb)
		return;
	struct ctmod_load_event ev = {.name = name,
	                              .state = state,
	                              .method = m,
	                              .err = err,
	                              .params = params && *params ? params : NULL};
	cb(data, &ev);
}

static void emit(ctmod_load_cb cb, void *data, const char *name, enum ctmod_load_state state,
                 enum ctmod_load_method m, int err)
{
	emit_params(cb, data, name, state, m, err, NULL);
}

/* Waits briefly for a module a helper process was asked to load: the
 * kernel's usermode helper and modprobe finish asynchronously to us only in
 * the ioctl case, but a short grace costs nothing when it is already live. */
static bool wait_live(struct ctmod_ctx *ctx, const char *name)
{
	for (int i = 0; i < 50; i++) {
		if (ctmod_module_live(ctx, name))
			return true;
		usleep(20000);
	}
	return false;
}

static const char *way_error(enum ctmod_load_method m, int r)
{
	if (r == -ENOENT && m == CTMOD_LOAD_KMOD)
		return "no module file";
	if (r == -ENOENT)
		return "module not live afterwards";
	if (r == -EIO && m == CTMOD_LOAD_MODPROBE)
		return "modprobe failed";
	return strerror(-r);
}

static int load_step(struct ctmod_ctx *ctx, struct ctmod_moddb *db,
                     const struct ctmod_moddb_step *st, const char *options,
                     const struct ctmod_load_opts *o, enum ctmod_load_method *used)
{
	unsigned methods = o->methods ? o->methods : CTMOD_LOAD_ALL;
	int kernel_err = 0; /* what the kernel said when given the module */
	struct strbuf why;
	struct kmsg_mark mark;
	strbuf_init(&why);
	kmsg_mark(&mark);

	static const enum ctmod_load_method order[] = {CTMOD_LOAD_KMOD, CTMOD_LOAD_IOCTL,
	                                               CTMOD_LOAD_MODPROBE};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		enum ctmod_load_method m = order[i];
		if (!(methods & m) || (m == CTMOD_LOAD_KMOD && !st->path))
			continue;
		int r;
		if (m == CTMOD_LOAD_KMOD)
			r = load_kmod(ctx, st, options);
		else if (m == CTMOD_LOAD_IOCTL)
			r = load_ioctl(st->name);
		else
			r = load_modprobe(st->name);

		if (r == -EEXIST ||
		    (r == 0 && (m == CTMOD_LOAD_KMOD ? ctmod_module_live(ctx, st->name)
		                                     : wait_live(ctx, st->name)))) {
			*used = m;
			kmsg_collect(&mark);
			char *param = kmsg_find(&mark, st->name, CTMOD_KMSG_UNKNOWN_PARAM);
			if (param)
				WARN(ctx,
				     "load %s: the kernel ignored unknown parameter '%s' (modinfo "
				     "-p %s lists the known ones)",
				     st->name, param, st->name);
			free(param);
			kmsg_unmark(&mark);
			strbuf_release(&why);
			return r;
		}
		if (r == 0)
			r = -ENOENT;
		INFO(ctx, "load %s: %s way failed: %s", st->name, method_name(m), way_error(m, r));
		strbuf_printf(&why, "%s%s: %s", why.len ? "; " : "", method_name(m),
		              way_error(m, r));
		if (m == CTMOD_LOAD_KMOD && r != -ENOENT && r != -ENOSYS) {
			kernel_err = r;
			/* the kernel looked at the module and refused it: the other
			 * ways would only hear the same answer and hide the reason */
			if (r != -EPERM && r != -EACCES && r != -EROFS)
				break;
		}
	}
	kmsg_collect(&mark);
	int r;
	if (kernel_err)
		r = explain(ctx, db, st->name, kernel_err, &mark);
	else if (!why.len)
		r = ctmod_fail(ctx, -ENOENT, "allow more ways with --method kmod,ioctl,modprobe",
		               "load %s: no way to load it", st->name);
	else if (strstr(why.buf, "kmod: Function not implemented"))
		r = explain(ctx, db, st->name, -ENOSYS, &mark);
	else
		r = ctmod_fail(ctx, -ENOENT, "run ctmod diagnose", "load %s: not loaded (%s)",
		               st->name, why.buf);
	kmsg_unmark(&mark);
	strbuf_release(&why);
	return r;
}

static int load_bare(struct ctmod_ctx *ctx, const struct ctmod_moddb_step *st,
                     const struct ctmod_load_opts *o, ctmod_load_cb cb, void *data)
{
	enum ctmod_load_method used = 0;
	if (module_present(st->name)) {
		if (o->first_time)
			return ctmod_fail(ctx, -EEXIST, NULL, "load %s: already loaded", st->name);
		emit(cb, data, st->name, CTMOD_ALREADY_LOADED, 0, 0);
		return 0;
	}
	if (o->dry_run) {
		emit_params(cb, data, st->name, CTMOD_WOULD_LOAD, 0, 0, st->options);
		return 0;
	}
	int r = load_step(ctx, NULL, st, st->options, o, &used);
	emit_params(cb, data, st->name, r < 0 ? CTMOD_LOAD_FAILED : CTMOD_LOADED, used,
	            r < 0 ? r : 0, st->options);
	return r < 0 ? r : 0;
}

/* One step of a load plan: skipped (blacklisted), built in, already
 * there, a dry run's line, an install command, or loaded.  0 goes on to
 * the next step, -errno ends the plan. */
static int plan_step(struct ctmod_ctx *ctx, struct ctmod_moddb *db,
                     const struct ctmod_moddb_step *st, const struct ctmod_load_opts *o,
                     const char *name, ctmod_load_cb cb, void *data)
{
	int r;
	enum ctmod_load_method used = 0;

	if (st->blacklisted && o->use_blacklist && !modname_equal(st->name, name)) {
		DBG(ctx, "load %s: blacklisted, skipped", st->name);
		return 0;
	}
	if (st->builtin) {
		if (st->target && o->first_time) {
			r = ctmod_fail(ctx, -EEXIST, NULL, "load %s: built into the kernel",
			               st->name);
			emit(cb, data, st->name, CTMOD_LOAD_FAILED, 0, r);
			return r;
		}
		emit(cb, data, st->name, CTMOD_BUILTIN, 0, 0);
		return 0;
	}
	if (!o->dry_run && module_present(st->name)) {
		if (st->target && o->first_time) {
			r = ctmod_fail(ctx, -EEXIST, "unload it first (ctmod load -r)",
			               "load %s: already loaded", st->name);
			emit(cb, data, st->name, CTMOD_LOAD_FAILED, 0, r);
			return r;
		}
		emit(cb, data, st->name, CTMOD_ALREADY_LOADED, 0, 0);
		return 0;
	}
	if (o->dry_run) {
		emit_params(cb, data, st->name, CTMOD_WOULD_LOAD, 0, 0, st->options);
		return 0;
	}
	if (st->install_cmd && !o->ignore_install) {
		r = run_command(st->install_cmd, st->options);
		if (r < 0) {
			r = ctmod_fail(
			    ctx, r, "check the install line in modprobe.d, or load with -i",
			    "load %s: install command failed: %s", st->name, st->install_cmd);
			emit(cb, data, st->name, CTMOD_LOAD_FAILED, 0, r);
			return r;
		}
		emit(cb, data, st->name, CTMOD_LOADED, 0, 0);
		return 0;
	}
	r = load_step(ctx, db, st, st->options, o, &used);
	if (r == -EEXIST && !o->first_time)
		r = 0; /* raced with another loader: live is live */
	if (r < 0) {
		emit(cb, data, st->name, CTMOD_LOAD_FAILED, used, r);
		return r;
	}
	emit_params(cb, data, st->name, CTMOD_LOADED, used, 0, st->options);
	return 0;
}

int ctmod_load(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *name,
               const struct ctmod_load_opts *opts, ctmod_load_cb cb, void *data)
{
	struct ctmod_load_opts defaults = {0};
	const struct ctmod_load_opts *o = opts ? opts : &defaults;
	struct ctmod_moddb_plan plan = {0};
	unsigned flags = o->ignore_install ? CTMOD_RESOLVE_IGNORE_INSTALL : 0;

	if (!modname_valid(name) && strncmp(name, "symbol:", 7) != 0)
		return ctmod_fail_input(ctx, -EINVAL,
		                        "a module name has no '/', spaces or control characters",
		                        "invalid module name '%s'", name);

	int r;
	if (db) {
		r = ctmod_moddb_resolve_opts(db, name, flags, o->params, &plan);
		if (r < 0)
			return r;
	} else {
		/* no module database (a container without /lib/modules): only
		 * the ways that ask the kernel or modprobe by name can work */
		static struct ctmod_moddb_step bare;
		char norm[64];
		modname_normalize(name, norm, sizeof(norm));
		bare = (struct ctmod_moddb_step){
		    .name = norm, .target = true, .options = (char *)(o->params ? o->params : "")};
		return load_bare(ctx, &bare, o, cb, data);
	}

	for (size_t i = 0; r == 0 && i < plan.n; i++)
		r = plan_step(ctx, db, &plan.steps[i], o, name, cb, data);
	ctmod_moddb_plan_release(&plan);
	return r;
}

static int refcnt(struct kmod_ctx *k, const char *name)
{
	struct kmod_module *mod = NULL;
	if (kmod_module_new_from_name(k, name, &mod) < 0)
		return -ENOENT;
	int n = kmod_module_get_refcnt(mod);
	struct kmod_list *holders = kmod_module_get_holders(mod);
	if (holders) {
		n = n > 0 ? n : 1;
		kmod_module_unref_list(holders);
	}
	kmod_module_unref(mod);
	return n;
}

static int remove_one(struct ctmod_ctx *ctx, const char *name)
{
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	if (!k)
		return -ENOMEM;
	struct kmod_module *mod = NULL;
	int r = kmod_module_new_from_name(k, name, &mod);
	if (r < 0)
		return r;
	r = kmod_module_remove_module(mod, 0);
	kmod_module_unref(mod);
	return r;
}

int ctmod_unload(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *name,
                 const struct ctmod_load_opts *opts, ctmod_load_cb cb, void *data)
{
	struct ctmod_load_opts defaults = {0};
	const struct ctmod_load_opts *o = opts ? opts : &defaults;
	struct ctmod_moddb_plan plan = {0};

	if (!modname_valid(name))
		return ctmod_fail_input(ctx, -EINVAL, NULL, "invalid module name '%s'", name);
	int r = ctmod_moddb_resolve(db, name,
	                            CTMOD_RESOLVE_NO_SOFTDEPS |
	                                (o->ignore_install ? CTMOD_RESOLVE_IGNORE_INSTALL : 0),
	                            &plan);
	if (r < 0)
		return r;
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	if (!k) {
		ctmod_moddb_plan_release(&plan);
		return -ENOMEM;
	}

	/* the targets first, then their dependencies in reverse load order,
	 * each only while nothing else holds it (modprobe -r) */
	for (size_t j = plan.n; j-- > 0;) {
		const struct ctmod_moddb_step *st = &plan.steps[j];
		if (st->builtin) {
			if (st->target) {
				r = ctmod_fail(ctx, -EPERM, NULL,
				               "unload %s: built into the kernel", st->name);
				emit(cb, data, st->name, CTMOD_LOAD_FAILED, 0, r);
				break;
			}
			continue;
		}
		if (!module_present(st->name)) {
			if (st->target) {
				r = ctmod_fail(ctx, -ENOENT, NULL, "unload %s: not loaded",
				               st->name);
				emit(cb, data, st->name, CTMOD_LOAD_FAILED, 0, r);
				break;
			}
			continue;
		}
		if (!st->target && refcnt(k, st->name) > 0)
			continue; /* still used by another module: keep */
		if (o->dry_run) {
			emit(cb, data, st->name, CTMOD_WOULD_UNLOAD, 0, 0);
			continue;
		}
		if (st->remove_cmd && !o->ignore_install)
			r = run_command(st->remove_cmd, "");
		else
			r = remove_one(ctx, st->name);
		if (r < 0) {
			if (st->target) {
				r = ctmod_fail(ctx, r,
				               r == -EAGAIN || r == -EBUSY
				                   ? "something still uses it (lsmod shows who)"
				                   : "run ctmod diagnose",
				               "unload %s: %s", st->name,
				               r == -EAGAIN || r == -EBUSY ? "module is in use"
				                                           : strerror(-r));
				emit(cb, data, st->name, CTMOD_LOAD_FAILED, 0, r);
				break;
			}
			r = 0; /* a dependency that stays is not an error */
			continue;
		}
		emit(cb, data, st->name, CTMOD_UNLOADED, CTMOD_LOAD_KMOD, 0);
	}
	ctmod_moddb_plan_release(&plan);
	return r;
}

const char *ctmod_load_state_name(enum ctmod_load_state state)
{
	switch (state) {
	case CTMOD_LOADED:
		return "loaded";
	case CTMOD_ALREADY_LOADED:
		return "already loaded";
	case CTMOD_BUILTIN:
		return "built-in";
	case CTMOD_WOULD_LOAD:
		return "would load";
	case CTMOD_LOAD_FAILED:
		return "failed";
	case CTMOD_UNLOADED:
		return "unloaded";
	case CTMOD_WOULD_UNLOAD:
		return "would unload";
	case CTMOD_BLACKLISTED:
		return "blacklisted";
	}
	return "?";
}
