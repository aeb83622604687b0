// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * diagnose's core: the findings (made, looked up, counted) and the run that
 * reads the log and looks at the system.  The log rules are in
 * diagnose-log.c, who exports a symbol in diagnose-symbols.c, the checks of
 * the system in diagnose-system.c.
 */
#include <errno.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diagnose-internal.h"
#include "xalloc.h"

/* ---------- findings ---------- */

void ctmod_diagnosis_init(struct ctmod_diagnosis *d)
{
	memset(d, 0, sizeof(*d));
}

static void finding_release(struct ctmod_finding *f)
{
	free(f->id);
	free(f->module);
	free(f->what);
	free(f->why);
	strv_release(&f->fix);
	strv_release(&f->notes);
	strv_release(&f->load_first);
	strv_release(&f->evidence);
}

void ctmod_diagnosis_release(struct ctmod_diagnosis *d)
{
	for (size_t i = 0; i < d->n; i++)
		finding_release(&d->f[i]);
	free(d->f);
	free(d->kver);
	free(d->log_source);
	free(d->log_error);
	free(d->ctmod);
	ctmod_diagnosis_init(d);
}

const char *ctmod_diagnosis_severity_name(enum ctmod_severity s)
{
	switch (s) {
	case CTMOD_SEV_ERROR:
		return "error";
	case CTMOD_SEV_WARNING:
		return "warn";
	default:
		return "note";
	}
}

const struct ctmod_finding *ctmod_diagnosis_find(const struct ctmod_diagnosis *d, const char *id,
                                                 const char *module)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->f[i].id, id) == 0 &&
		    (!module || (d->f[i].module && modname_equal(d->f[i].module, module))))
			return &d->f[i];
	return NULL;
}

enum ctmod_severity ctmod_diagnosis_worst(const struct ctmod_diagnosis *d, size_t count[3])
{
	enum ctmod_severity worst = CTMOD_SEV_INFO;
	if (count)
		count[0] = count[1] = count[2] = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (count)
			count[d->f[i].severity]++;
		if (d->f[i].severity > worst)
			worst = d->f[i].severity;
	}
	return worst;
}

struct ctmod_finding *ctmod_finding_add(struct ctmod_diagnosis *d, enum ctmod_severity sev,
                                        const char *id, const char *module, const char *what_fmt,
                                        ...)
{
	struct ctmod_finding *f = ARRAY_PUSH(d->f, d->n, d->cap);
	f->severity = sev;
	f->ctmod = d->ctmod;
	f->id = strdup(id);
	f->module = module ? strdup(module) : NULL;
	va_list ap;
	va_start(ap, what_fmt);
	if (vasprintf(&f->what, what_fmt, ap) < 0)
		f->what = NULL;
	va_end(ap);
	strv_init(&f->fix);
	strv_init(&f->notes);
	strv_init(&f->load_first);
	strv_init(&f->evidence);
	if (!f->id || (module && !f->module) || !f->what) {
		finding_release(f);
		d->n--;
		return NULL;
	}
	return f;
}

int ctmod_finding_what(struct ctmod_finding *f, const char *fmt, ...)
{
	char *w;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&w, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM; /* the old text stays */
	free(f->what);
	f->what = w;
	return 0;
}

int ctmod_finding_why(struct ctmod_finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(f->why);
	int r = vasprintf(&f->why, fmt, ap);
	va_end(ap);
	if (r < 0) {
		f->why = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * "ctmod" where a command starts (the line's start, after sudo, a pipe, &&
 * or ;) becomes f->ctmod: the rules word their commands plainly, and every
 * one of them acts on the root and kernel that were diagnosed.
 */
static char *word_ctmod(const struct ctmod_finding *f, char *s)
{
	if (!f->ctmod || strcmp(f->ctmod, "ctmod") == 0)
		return s;
	static const char *const before[] = {"sudo ", "| ", "&& ", "; "};
	struct strbuf sb = STRBUF_INIT;
	const char *p = s;
	for (const char *q = s; (q = strstr(q, "ctmod ")); q += 6) {
		bool cmd = q == s;
		for (size_t i = 0; i < ARRAY_SIZE(before) && !cmd; i++) {
			size_t bl = strlen(before[i]);
			cmd = (size_t)(q - s) >= bl && strncmp(q - bl, before[i], bl) == 0;
		}
		if (!cmd || strncmp(q + 6, "--root ", 7) == 0 ||
		    strncmp(q + 6, "--kernel ", 9) == 0)
			continue;
		strbuf_printf(&sb, "%.*s%s", (int)(q - p), p, f->ctmod);
		p = q + 5;
	}
	strbuf_printf(&sb, "%s", p);
	free(s);
	return strbuf_steal(&sb);
}

int ctmod_finding_fix(struct ctmod_finding *f, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	s = word_ctmod(f, s);
	if (strv_contains(&f->fix, s)) {
		free(s);
		return 0;
	}
	strv_push_take(&f->fix, s);
	return 0;
}

int ctmod_finding_note(struct ctmod_finding *f, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	if (strv_contains(&f->notes, s)) {
		free(s);
		return 0;
	}
	strv_push_take(&f->notes, s);
	return 0;
}

void ctmod_finding_evidence(struct ctmod_finding *f, const char *line)
{
	if (line && !strv_contains(&f->evidence, line) && f->evidence.n < 64)
		strv_push(&f->evidence, line);
}

/* "a, b, c and 15 more" */
char *ctmod_diagnose_list_words(const struct strv *sv, size_t max)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < sv->n && i < max; i++)
		strbuf_printf(&sb, "%s%s",
		              i == 0                           ? ""
		              : i + 1 == sv->n && sv->n <= max ? " and "
		                                               : ", ",
		              sv->v[i]);
	if (sv->n > max)
		strbuf_printf(&sb, " and %zu more", sv->n - max);
	return strbuf_steal(&sb);
}

bool ctmod_diagnose_wanted(const char *filter, const char *module)
{
	return !filter || (module && modname_equal(filter, module));
}

struct ctmod_finding *ctmod_finding_once(struct ctmod_diagnosis *d, enum ctmod_severity sev,
                                         const char *id, const char *module, const char *what)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->f[i].id, id) == 0 &&
		    ((!module && !d->f[i].module) ||
		     (module && d->f[i].module && strcmp(module, d->f[i].module) == 0)))
			return &d->f[i];
	return ctmod_finding_add(d, sev, id, module, "%s", what);
}
/* ---------- small reads under the root ---------- */

char *ctmod_diagnose_read_small(struct ctmod_ctx *ctx, const char *fmt, const char *arg)
{
	_cleanup_free_ char *p = ctmod_path(ctx, fmt, arg);
	char *buf = NULL;
	size_t len;
	if (!p || read_file(p, 1 << 20, &buf, &len) < 0)
		return NULL;
	return buf;
}

bool ctmod_diagnose_exists(struct ctmod_ctx *ctx, const char *fmt, const char *arg)
{
	_cleanup_free_ char *p = ctmod_path(ctx, fmt, arg);
	struct stat st;
	return p && stat(p, &st) == 0;
}

void ctmod_diagnose_module_name_of(const char *path, char *out, size_t outsz)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	char raw[128];
	snprintf(raw, sizeof(raw), "%s", b);
	char *dot = strstr(raw, ".ko");
	if (dot)
		*dot = '\0';
	modname_normalize(raw, out, outsz);
}
/* The first value of KEY in a module file's .modinfo (libkmod), malloc'd, or NULL. */
char *ctmod_diagnose_modinfo(struct ctmod_ctx *ctx, const char *path, const char *key)
{
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	char *v = NULL;
	if (!k || kmod_module_new_from_path(k, path, &mod) < 0)
		return NULL;
	if (kmod_module_get_info(mod, &info) >= 0) {
		kmod_list_foreach(l, info)
		{
			if (strcmp(kmod_module_info_get_key(l), key) == 0) {
				v = strdup(kmod_module_info_get_value(l));
				break;
			}
		}
		kmod_module_info_free_list(info);
	}
	kmod_module_unref(mod);
	return v;
}

char *ctmod_diagnose_module_path(struct ctmod_ctx *ctx, const char *name)
{
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	struct kmod_module *mod = NULL;
	char *p = NULL;
	if (k && kmod_module_new_from_name(k, name, &mod) >= 0) {
		const char *kp = kmod_module_get_path(mod);
		p = kp ? strdup(kp) : NULL;
		kmod_module_unref(mod);
	}
	ctmod_ctx_clear_error(ctx);
	return p;
}

/*
 * The kernel's log holds every failure since boot.  A module that failed
 * and was loaded afterwards (the fix was run) is history, not a problem.
 */
static void settle_history(struct ctmod_ctx *ctx, struct ctmod_diagnosis *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct ctmod_finding *f = &d->f[i];
		if (!f->module || f->severity != CTMOD_SEV_ERROR)
			continue;
		_cleanup_free_ char *st =
		    ctmod_diagnose_read_small(ctx, "/sys/module/%s/initstate", f->module);
		if (!st || strncmp(st, "live", 4) != 0)
			continue;
		char *w = NULL;
		if (asprintf(&w, "%s (earlier; it is loaded now)", f->what) < 0)
			continue;
		free(f->what);
		f->what = w;
		f->severity = CTMOD_SEV_INFO;
		strv_release(&f->fix);
		strv_init(&f->fix);
	}
}

int ctmod_diagnose(struct ctmod_ctx *ctx, const struct ctmod_diagnose_opts *opts,
                   struct ctmod_diagnosis *d)
{
	const char *kver;
	int r = ctmod_ctx_kver(ctx, &kver);
	if (r < 0)
		return r;
	d->kver = strdup(kver);
	ctmod_diagnosis_words(ctx, d);
	const char *module = opts->module;
	char name[64];
	if (module && (strchr(module, '/') || strstr(module, ".ko"))) {
		struct stat st;
		if (stat(module, &st) < 0 || !S_ISREG(st.st_mode))
			return ctmod_fail_input(ctx, -ENOENT, "give a module name or a .ko file",
			                        "%s: no such module file", module);
		/* the module's own name (.modinfo name=), which the kernel's lines use */
		_cleanup_free_ char *own = ctmod_diagnose_modinfo(ctx, module, "name");
		if (own && modname_valid(own))
			modname_normalize(own, name, sizeof(name));
		else
			ctmod_diagnose_module_name_of(module, name, sizeof(name));
	} else if (module) {
		if (!modname_valid(module))
			return ctmod_fail_input(ctx, -EINVAL, "give a module name such as btrfs",
			                        "'%s' is not a module name", module);
		modname_normalize(module, name, sizeof(name));
	}

	struct ctmod_kmsg log;
	ctmod_kmsg_init(&log);
	if (opts->dmesg) {
		r = ctmod_kmsg_read_file(ctx, opts->dmesg, &log);
		if (r < 0) {
			ctmod_kmsg_release(&log);
			return r;
		}
		d->log_source = strdup(strcmp(opts->dmesg, "-") ? opts->dmesg : "standard input");
	} else {
		r = ctmod_kmsg_read_kernel(ctx, &log);
		if (r < 0) {
			const char *h = ctmod_ctx_hint(ctx);
			if (asprintf(&d->log_error, "%s%s%s", ctmod_ctx_error(ctx), h ? ": " : "",
			             h ? h : "") < 0)
				d->log_error = NULL;
			ctmod_ctx_clear_error(ctx);
		} else {
			d->log_source = ctmod_path(ctx, "/dev/kmsg");
		}
	}
	d->log_lines = log.lines;
	d->log_events = log.n;
	bool is_file = module && (strchr(module, '/') || strstr(module, ".ko"));
	r = ctmod_diagnose_log_file(ctx, &log, module ? name : NULL, is_file ? module : NULL, d);
	ctmod_kmsg_release(&log);
	if (r < 0)
		return r;
	if (!opts->dmesg)
		settle_history(ctx, d);
	if (!opts->no_system)
		r = ctmod_diagnose_system(
		    ctx,
		    module ? (opts->module[0] && strstr(opts->module, ".ko") ? opts->module : name)
		           : NULL,
		    d);
	return r;
}
