// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel log's part of a diagnosis: the events of lib/kmsg.c, gathered
 * per module (unresolved symbols, the license), then one finding per module
 * and class through two tables: the kernel's own lines (log_rules) and the
 * lines of the loading tools that nothing the kernel said explains
 * (tool_rules, by the errno the tool reported).
 */
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose-internal.h"

/* What a rule's explain function may look at. */
struct rule_env {
	struct ctmod_ctx *ctx;
	const char *kver;
};

typedef void explain_fn(const struct rule_env *env, struct ctmod_finding *f,
                        const struct ctmod_kmsg_event *e);

/* One line the kernel prints: the class of finding it makes and how to explain it. */
struct log_rule {
	enum ctmod_kmsg_kind kind;
	const char *id; /* the finding's class */
	enum ctmod_severity severity;
	bool fatal_with_err; /* ERROR when the line carries an errno (it failed the load) */
	bool about_system;   /* the line names no module */
	bool (*applies)(const struct ctmod_kmsg_event *e); /* NULL: always */
	explain_fn *explain; /* fills what, why and fix, on the finding's first line */
};

/* A tool's error line, by the errno it reported. */
struct tool_rule {
	int err;                   /* -errno; 0: any other */
	enum ctmod_kmsg_kind kind; /* 0: any kind */
	const char *id;
	enum ctmod_severity severity;
	explain_fn *explain;
};

static int find_or_add_mod(struct ctmod_modlog **mods, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*mods)[i].name, name) == 0)
			return (int)i;
	struct ctmod_modlog *v = realloc(*mods, (*n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*mods = v;
	memset(&v[*n], 0, sizeof(v[*n]));
	v[*n].name = strdup(name);
	strv_init(&v[*n].missing);
	strv_init(&v[*n].missing_lines);
	if (!v[*n].name)
		return -ENOMEM;
	return (int)(*n)++;
}

/* The parameters a module of KVER declares (modinfo "parm"), if installed. */
static void module_params(struct ctmod_ctx *ctx, const char *name, struct strv *out)
{
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	if (!k || kmod_module_new_from_name(k, name, &mod) < 0) {
		ctmod_ctx_clear_error(ctx);
		return;
	}
	if (kmod_module_get_path(mod) && kmod_module_get_info(mod, &info) >= 0) {
		kmod_list_foreach(l, info)
		{
			if (strcmp(kmod_module_info_get_key(l), "parm") != 0)
				continue;
			const char *v = kmod_module_info_get_value(l);
			size_t n = strcspn(v, ":");
			char *pn = strndup(v, n);
			if (pn && !strv_contains(out, pn))
				strv_push_take(out, pn);
			else
				free(pn);
		}
		kmod_module_info_free_list(info);
	}
	kmod_module_unref(mod);
}

/* ---------- the kernel's lines ---------- */

static void explain_disagrees(const struct rule_env *env, struct ctmod_finding *f,
                              const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "%s was built against other kernel headers", mn);
	ctmod_finding_why(
	    f,
	    "the CRC of %s recorded in %s (__versions) differs from the running kernel's: it was compiled for another build of the kernel (CONFIG_MODVERSIONS)",
	    e->symbol, mn);
	ctmod_finding_fix(f, "ctmod build --install %s", mn);
}

static void explain_no_version(const struct rule_env *env, struct ctmod_finding *f,
                               const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "%s has no version for symbol %s", mn, e->symbol);
	ctmod_finding_why(
	    f,
	    "%s was built without the kernel's Module.symvers (or its __versions table is damaged): the kernel cannot check the symbol and refuses it (err -22)",
	    mn);
	ctmod_finding_fix(f, "ctmod build --install %s", mn);
}

static void explain_vermagic(const struct rule_env *env, struct ctmod_finding *f,
                             const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	char rel[128] = "";
	sscanf(e->arg, "%127s", rel);
	ctmod_finding_what(f, "%s was built for kernel %s, not this one", mn, rel);
	ctmod_finding_why(f, "its version magic is '%s'; the running kernel's is '%s'", e->arg,
	                  e->arg2 ? e->arg2 : "");
	ctmod_finding_fix(f, "ctmod build --install %s", mn);
}

static void explain_namespace(const struct rule_env *env, struct ctmod_finding *f,
                              const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "%s uses symbols of namespace %s without importing it", mn, e->arg);
	ctmod_finding_why(
	    f,
	    "%s is exported in namespace %s and the module lacks MODULE_IMPORT_NS(%s): the kernel refuses the symbol (err -22)",
	    e->symbol, e->arg, e->arg);
	ctmod_finding_fix(f, "add MODULE_IMPORT_NS(%s); to the module's source", e->arg);
	ctmod_finding_fix(f, "ctmod build --install %s", mn);
}

static void explain_blacklisted(const struct rule_env *env, struct ctmod_finding *f,
                                const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "%s is blacklisted on the kernel command line", mn);
	ctmod_finding_why(
	    f,
	    "module_blacklist=%s (or a list naming it) was passed at boot; the kernel refuses to load it until the next boot without it",
	    mn);
	ctmod_finding_fix(
	    f, "remove %s from module_blacklist= in the boot loader configuration, then reboot",
	    mn);
}

static void explain_duplicate(const struct rule_env *env, struct ctmod_finding *f,
                              const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "%s exports %s, which %s already exports", mn, e->symbol, e->arg);
	ctmod_finding_why(
	    f,
	    "two modules may not export the same symbol: %s is probably another copy or version of %s",
	    mn, e->arg);
	ctmod_finding_fix(f, "ctmod load -r %s", e->arg);
	ctmod_finding_fix(f, "ctmod load %s", mn);
}

static void explain_unknown_param(const struct rule_env *env, struct ctmod_finding *f,
                                  const struct ctmod_kmsg_event *e)
{
	const char *mn = e->module;
	ctmod_finding_what(f, "%s has no parameter '%s'", mn, e->symbol);
	struct strv params;
	strv_init(&params);
	module_params(env->ctx, mn, &params);
	const char *near = NULL;
	size_t best = 3;
	for (size_t k = 0; k < params.n; k++) {
		size_t dist = edit_distance(e->symbol, params.v[k]);
		if (dist < best)
			best = dist, near = params.v[k];
	}
	_cleanup_free_ char *pl = ctmod_diagnose_list_words(&params, 8);
	if (near)
		ctmod_finding_why(f, "the kernel ignored %s=...; did you mean %s? (%s has: %s)",
		                  e->symbol, near, mn, pl);
	else if (params.n)
		ctmod_finding_why(f, "the kernel ignored %s=...; %s has: %s", e->symbol, mn, pl);
	else
		ctmod_finding_why(f, "the kernel ignored %s=...; the setting has no effect",
		                  e->symbol);
	strv_release(&params);
	ctmod_finding_fix(f, "modinfo -p %s", mn);
	ctmod_finding_fix(f, "grep -rn '%s' /etc/modprobe.d /etc/modules-load.d", e->symbol);
}

static void explain_oot(const struct rule_env *env, struct ctmod_finding *f,
                        const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s is an out-of-tree module", e->module);
	ctmod_finding_why(
	    f,
	    "it was not built with the kernel; the kernel is marked tainted (O), which is expected for DKMS modules");
}

static void explain_unsigned(const struct rule_env *env, struct ctmod_finding *f,
                             const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s is not signed with a trusted key", e->module);
	ctmod_finding_why(
	    f,
	    "signatures are checked but not enforced: it loads, and the kernel is marked tainted (E)");
}

static void explain_license(const struct rule_env *env, struct ctmod_finding *f,
                            const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s has license '%s', which taints the kernel", e->module, e->arg);
	ctmod_finding_why(
	    f,
	    "a license that is not GPL-compatible marks the kernel tainted (P) and hides GPL-only symbols from the module");
}

static void explain_staging(const struct rule_env *env, struct ctmod_finding *f,
                            const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s is a staging driver", e->module);
	ctmod_finding_why(
	    f, "drivers/staging modules are of unknown quality; the kernel is marked tainted (C)");
}

static void explain_sig_rejected(const struct rule_env *env, struct ctmod_finding *f,
                                 const struct ctmod_kmsg_event *e)
{
	ctmod_finding_what(f, "the kernel rejects modules without a valid signature");
	ctmod_finding_why(
	    f,
	    "module signatures are enforced (module.sig_enforce=1 or CONFIG_MODULE_SIG_FORCE): loading of %s is rejected (\"Key was rejected by service\")",
	    e->arg);
	ctmod_finding_fix(
	    f,
	    "sign the module with a key the kernel trusts: /usr/src/linux-headers-%s/scripts/sign-file sha256 KEY.priv KEY.der MODULE.ko",
	    env->kver);
	ctmod_finding_fix(f, "or boot without module.sig_enforce=1");
}

static bool lockdown_of_modules(const struct ctmod_kmsg_event *e)
{
	return e->arg2 && strstr(e->arg2, "module");
}

static void explain_lockdown(const struct rule_env *env, struct ctmod_finding *f,
                             const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "kernel lockdown refuses unsigned modules");
	ctmod_finding_why(f, "the kernel is locked down (Secure Boot or lockdown=): %s tried %s",
	                  e->arg, e->arg2);
	ctmod_finding_fix(
	    f,
	    "sign the module with a key enrolled in the machine owner keyring: mokutil --import KEY.der, then reboot");
	ctmod_finding_fix(f, "or disable Secure Boot validation: mokutil --disable-validation");
}

static const struct log_rule log_rules[] = {
    {CTMOD_KMSG_DISAGREES_VERSION, "symbol-version-mismatch", CTMOD_SEV_ERROR, false, false, NULL,
     explain_disagrees},
    {CTMOD_KMSG_NO_SYMBOL_VERSION, "no-symbol-version", CTMOD_SEV_ERROR, false, false, NULL,
     explain_no_version},
    {CTMOD_KMSG_VERMAGIC, "version-magic", CTMOD_SEV_ERROR, false, false, NULL, explain_vermagic},
    {CTMOD_KMSG_NAMESPACE, "namespace-not-imported", CTMOD_SEV_ERROR, false, false, NULL,
     explain_namespace},
    {CTMOD_KMSG_BLACKLISTED, "blacklisted", CTMOD_SEV_ERROR, false, false, NULL,
     explain_blacklisted},
    {CTMOD_KMSG_DUPLICATE_SYMBOL, "duplicate-symbol", CTMOD_SEV_ERROR, false, false, NULL,
     explain_duplicate},
    {CTMOD_KMSG_UNKNOWN_PARAM, "unknown-parameter", CTMOD_SEV_WARNING, true, false, NULL,
     explain_unknown_param},
    {CTMOD_KMSG_TAINT_OOT, "out-of-tree", CTMOD_SEV_INFO, false, false, NULL, explain_oot},
    {CTMOD_KMSG_SIG_MISSING, "unsigned", CTMOD_SEV_INFO, false, false, NULL, explain_unsigned},
    {CTMOD_KMSG_TAINT_LICENSE, "license-taint", CTMOD_SEV_INFO, false, false, NULL,
     explain_license},
    {CTMOD_KMSG_TAINT_STAGING, "staging", CTMOD_SEV_INFO, false, false, NULL, explain_staging},
    {CTMOD_KMSG_SIG_REJECTED, "signature-rejected", CTMOD_SEV_ERROR, false, true, NULL,
     explain_sig_rejected},
    {CTMOD_KMSG_LOCKDOWN, "lockdown", CTMOD_SEV_ERROR, false, true, lockdown_of_modules,
     explain_lockdown},
};

static const struct log_rule *log_rule_of(enum ctmod_kmsg_kind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(log_rules); i++)
		if (log_rules[i].kind == kind)
			return &log_rules[i];
	return NULL;
}

/* ---------- the tools' lines ---------- */

static void explain_not_installed(const struct rule_env *env, struct ctmod_finding *f,
                                  const struct ctmod_kmsg_event *e)
{
	const char *mn = e->module;
	ctmod_finding_what(f, "%s is not installed for %s", mn, env->kver);
	ctmod_finding_why(f, "%s found no %s in /lib/modules/%s (modules.dep)", e->arg, mn,
	                  env->kver);
	ctmod_finding_fix(f, "ctmod deps %s", mn);
	ctmod_finding_fix(f, "ctmod build --install %s", mn);
}

static void explain_enoent(const struct rule_env *env, struct ctmod_finding *f,
                           const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "%s could not be loaded: unknown symbols", mn);
	ctmod_finding_why(
	    f,
	    "%s said \"%s\": a module it needs is not loaded (or a parameter is wrong); the kernel log names the symbols",
	    e->arg, e->arg2);
	ctmod_finding_fix(f, "ctmod load %s", mn);
	ctmod_finding_fix(f, "dmesg | ctmod diagnose %s --dmesg -", mn);
}

static void explain_eperm(const struct rule_env *env, struct ctmod_finding *f,
                          const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "loading %s was not permitted", mn);
	ctmod_finding_why(
	    f,
	    "%s got \"%s\": the process lacks CAP_SYS_MODULE (a container without --privileged, not root), module loading is disabled (kernel.modules_disabled), lockdown refused it, or the module is blacklisted",
	    e->arg, e->arg2);
	ctmod_finding_fix(f, "ctmod diagnose %s   (on the host, or as root, to tell which)", mn);
}

static void explain_eexist(const struct rule_env *env, struct ctmod_finding *f,
                           const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s is already loaded", e->module);
	ctmod_finding_why(f, "%s said \"%s\"; nothing to do (ctmod load counts this as success)",
	                  e->arg, e->arg2);
}

static void explain_enoexec(const struct rule_env *env, struct ctmod_finding *f,
                            const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "the kernel refused %s as invalid", mn);
	ctmod_finding_why(
	    f,
	    "\"%s\": built for another kernel (version magic), another architecture, or a damaged or duplicate module",
	    e->arg2);
	ctmod_finding_fix(f, "ctmod diagnose %s", mn);
	ctmod_finding_fix(f, "ctmod build --install %s", mn);
}

static void explain_ekeyrejected(const struct rule_env *env, struct ctmod_finding *f,
                                 const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "the kernel rejected %s's signature", e->module);
	ctmod_finding_why(
	    f,
	    "\"%s\": it is unsigned while signatures are enforced, or its signature is damaged or made with an untrusted key",
	    e->arg2);
	ctmod_finding_fix(
	    f,
	    "sign it with a key the kernel trusts (scripts/sign-file), or boot without module.sig_enforce=1");
}

static void explain_other(const struct rule_env *env, struct ctmod_finding *f,
                          const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s could not be loaded", e->module);
	ctmod_finding_why(f, "%s said \"%s\"", e->arg, e->arg2 ? e->arg2 : "");
	ctmod_finding_fix(f, "dmesg | ctmod diagnose %s --dmesg -", e->module);
}

/* First match wins. */
static const struct tool_rule tool_rules[] = {
    {0, CTMOD_KMSG_TOOL_NOT_FOUND, "not-found", CTMOD_SEV_ERROR, explain_not_installed},
    {-ENOENT, 0, "load-failed", CTMOD_SEV_ERROR, explain_enoent},
    {-EPERM, 0, "not-permitted", CTMOD_SEV_ERROR, explain_eperm},
    {-EACCES, 0, "not-permitted", CTMOD_SEV_ERROR, explain_eperm},
    {-EEXIST, 0, "already-loaded", CTMOD_SEV_INFO, explain_eexist},
    {-ENOEXEC, 0, "invalid-format", CTMOD_SEV_ERROR, explain_enoexec},
    {-EKEYREJECTED, 0, "signature-rejected", CTMOD_SEV_ERROR, explain_ekeyrejected},
    {0, 0, "load-failed", CTMOD_SEV_ERROR, explain_other},
};

static const struct tool_rule *tool_rule_of(const struct ctmod_kmsg_event *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(tool_rules); i++) {
		const struct tool_rule *t = &tool_rules[i];
		if (t->kind && t->kind == e->kind)
			return t;
		if (!t->kind && (!t->err || t->err == e->err))
			return t;
	}
	return NULL;
}

/* ---------- the passes ---------- */

/* First pass: what each module's lines add up to. */
static int gather(const struct ctmod_kmsg *log, const char *module, struct ctmod_modlog **mods,
                  size_t *nmods)
{
	for (size_t i = 0; i < log->n; i++) {
		const struct ctmod_kmsg_event *e = &log->ev[i];
		if (!e->module || !ctmod_diagnose_wanted(module, e->module))
			continue;
		int k = find_or_add_mod(mods, nmods, e->module);
		if (k < 0)
			return k;
		struct ctmod_modlog *m = &(*mods)[k];
		if (e->kind == CTMOD_KMSG_UNKNOWN_SYMBOL) {
			if (e->err == -EINVAL)
				m->any_einval = true;
			else if (!strv_contains(&m->missing, e->symbol)) {
				strv_push(&m->missing, e->symbol);
				strv_push(&m->missing_lines, e->text);
			}
		} else if (e->kind == CTMOD_KMSG_TAINT_LICENSE) {
			m->license = e->arg;
		}
	}
	return 0;
}

/* Second pass: one finding per module and class, in the log's order. */
static void apply_log_rules(const struct rule_env *env, const struct ctmod_kmsg *log,
                            const char *module, struct ctmod_diagnosis *d)
{
	for (size_t i = 0; i < log->n; i++) {
		const struct ctmod_kmsg_event *e = &log->ev[i];
		const struct log_rule *rule = log_rule_of(e->kind);
		if (!rule || (e->module && !ctmod_diagnose_wanted(module, e->module)))
			continue;
		if (rule->about_system && module)
			continue; /* the line names no module */
		if (rule->applies && !rule->applies(e))
			continue;
		enum ctmod_severity sev =
		    rule->fatal_with_err && e->err ? CTMOD_SEV_ERROR : rule->severity;
		struct ctmod_finding *f =
		    ctmod_finding_once(d, sev, rule->id, rule->about_system ? NULL : e->module, "");
		if (f && !f->why)
			rule->explain(env, f, e);
		if (f)
			ctmod_finding_evidence(f, e->text);
	}
}

/* -22 without an explanation on its own line */
static void unexplained_einval(const struct ctmod_modlog *mods, size_t nmods,
                               struct ctmod_diagnosis *d)
{
	for (size_t k = 0; k < nmods; k++) {
		const struct ctmod_modlog *m = &mods[k];
		if (!m->any_einval || ctmod_diagnosis_find(d, "symbol-version-mismatch", m->name) ||
		    ctmod_diagnosis_find(d, "no-symbol-version", m->name) ||
		    ctmod_diagnosis_find(d, "namespace-not-imported", m->name))
			continue;
		struct ctmod_finding *f =
		    ctmod_finding_add(d, CTMOD_SEV_ERROR, "symbol-rejected", m->name,
		                      "the kernel refused symbols %s needs (err -22)", m->name);
		if (f) {
			ctmod_finding_why(
			    f,
			    "err -22 means the symbol exists but its version or namespace does not match: %s was built for another kernel build",
			    m->name);
			ctmod_finding_fix(f, "ctmod build --install %s", m->name);
		}
	}
}

/* Tool lines that nothing in the kernel's lines explains. */
static void apply_tool_rules(const struct rule_env *env, const struct ctmod_kmsg *log,
                             const char *module, struct ctmod_diagnosis *d)
{
	for (size_t i = 0; i < log->n; i++) {
		const struct ctmod_kmsg_event *e = &log->ev[i];
		if ((e->kind != CTMOD_KMSG_TOOL_FAILED && e->kind != CTMOD_KMSG_TOOL_NOT_FOUND) ||
		    !ctmod_diagnose_wanted(module, e->module))
			continue;
		bool explained = false;
		for (size_t j = 0; j < d->n && !explained; j++)
			explained = d->f[j].severity >= CTMOD_SEV_WARNING &&
			            (!d->f[j].module || strcmp(d->f[j].module, e->module) == 0);
		if (explained)
			continue;
		const struct tool_rule *t = tool_rule_of(e);
		struct ctmod_finding *f = ctmod_finding_once(d, t->severity, t->id, e->module, "");
		if (f && !f->why)
			t->explain(env, f, e);
		if (f)
			ctmod_finding_evidence(f, e->text);
	}
}

int ctmod_diagnose_log(struct ctmod_ctx *ctx, const struct ctmod_kmsg *log, const char *module,
                       struct ctmod_diagnosis *d)
{
	const char *kver = NULL;
	if (ctmod_ctx_kver(ctx, &kver) < 0)
		return -EINVAL;
	struct rule_env env = {.ctx = ctx, .kver = kver};
	struct ctmod_modlog *mods = NULL;
	size_t nmods = 0;
	int r = gather(log, module, &mods, &nmods);
	if (r == 0) {
		struct ctmod_moddb *db = NULL;
		for (size_t k = 0; k < nmods; k++)
			if (mods[k].missing.n && !db && ctmod_moddb_open(ctx, &db) < 0) {
				db = NULL;
				ctmod_ctx_clear_error(ctx);
				break;
			}
		for (size_t k = 0; k < nmods; k++)
			if (mods[k].missing.n)
				ctmod_diagnose_missing_symbols(ctx, db, kver, &mods[k], d);
		apply_log_rules(&env, log, module, d);
		unexplained_einval(mods, nmods, d);
		apply_tool_rules(&env, log, module, d);
		if (db)
			ctmod_moddb_free(db);
	}
	for (size_t k = 0; k < nmods; k++) {
		free(mods[k].name);
		strv_release(&mods[k].missing);
		strv_release(&mods[k].missing_lines);
	}
	free(mods);
	for (size_t i = 0; i < d->n; i++)
		if (!d->f[i].what)
			return -ENOMEM;
	return r;
}
