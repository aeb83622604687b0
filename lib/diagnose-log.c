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
#include <unistd.h>

#include "diagnose-internal.h"
#include "xalloc.h"

/*
 * A tool's line names the file ("insmod /vm/dummy-unsigned.ko"), whose
 * name is not always the module's: when the file is here, its .modinfo
 * name is (the kernel's lines use that one).
 */
static void event_names(struct ctmod_rule_env *env)
{
	for (size_t i = 0; i < env->log->n; i++) {
		const struct ctmod_kmsg_event *e = &env->log->ev[i];
		_cleanup_free_ char *own =
		    e->path && strchr(e->path, '/') && access(e->path, R_OK) == 0
		        ? ctmod_diagnose_modinfo(env->ctx, e->path, "name")
		        : NULL;
		char norm[64] = "";
		if (own && modname_valid(own))
			modname_normalize(own, norm, sizeof(norm));
		strv_push(&env->names, norm[0] ? norm : e->module ? e->module : "");
	}
}

/* Event i with the module's own name (a shallow copy: valid while env->names is). */
struct ctmod_kmsg_event ctmod_diagnose_named_event(const struct ctmod_rule_env *env, size_t i)
{
	struct ctmod_kmsg_event e = env->log->ev[i];
	if (env->names.n > i && env->names.v[i][0])
		e.module = env->names.v[i];
	return e;
}

static struct ctmod_moddb *db_open(struct ctmod_rule_env *env)
{
	if (!env->db && !env->db_tried) {
		env->db_tried = true;
		if (ctmod_moddb_open(env->ctx, &env->db) < 0)
			env->db = NULL;
		ctmod_ctx_clear_error(env->ctx);
	}
	return env->db;
}

typedef void explain_fn(struct ctmod_rule_env *env, struct ctmod_finding *f,
                        const struct ctmod_kmsg_event *e);

/* One line the kernel prints: the class of finding it makes and how to explain it. */
struct log_rule {
	enum ctmod_kmsg_kind kind;
	const char *id; /* the finding's class */
	enum ctmod_severity severity;
	bool fatal_with_err; /* ERROR when the line carries an errno (it failed the load) */
	bool
	    about_system; /* the line names no module: attributed by who(), else about the system */
	const char *(*who)(struct ctmod_rule_env *env, const struct ctmod_kmsg_event *e);
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

/* What the log says, per module, in the order the log names them. */
struct modlogs {
	struct ctmod_modlog *v;
	size_t n, cap;
};

static struct ctmod_modlog *find_or_add_mod(struct modlogs *mods, const char *name)
{
	for (size_t i = 0; i < mods->n; i++)
		if (strcmp(mods->v[i].name, name) == 0)
			return &mods->v[i];
	struct ctmod_modlog *m = ARRAY_PUSH(mods->v, mods->n, mods->cap);
	m->name = xstrdup(name);
	strv_init(&m->missing);
	strv_init(&m->missing_lines);
	return m;
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

/* modinfo -p NAME (for the root and kernel diagnosed), when NAME is installed */
static void modinfo_fix(struct ctmod_rule_env *env, struct ctmod_finding *f, const char *mn)
{
	_cleanup_free_ char *p = ctmod_diagnose_module_path(env->ctx, mn);
	if (!p)
		return;
	if (ctmod_ctx_has_root(env->ctx))
		ctmod_finding_fix(f, "modinfo -b %s -k %s -p %s", ctmod_ctx_root(env->ctx),
		                  env->kver, mn);
	else
		ctmod_finding_fix(f, "modinfo -p %s", mn);
}

static void explain_disagrees(struct ctmod_rule_env *env, struct ctmod_finding *f,
                              const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	if (strcmp(e->symbol, "module_layout") == 0)
		ctmod_finding_what(f, "%s was built for another kernel: its module_layout differs",
		                   mn);
	else
		ctmod_finding_what(f, "%s was built against other kernel headers", mn);
	ctmod_finding_why(
	    f,
	    "the CRC of %s recorded in %s (__versions) differs from the running kernel's: it was compiled for another build of the kernel (CONFIG_MODVERSIONS)",
	    e->symbol, mn);
	ctmod_diagnose_fix_rebuild(env->ctx, env->kver, mn, f);
}

static void explain_no_version(struct ctmod_rule_env *env, struct ctmod_finding *f,
                               const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "%s has no version for symbol %s", mn, e->symbol);
	ctmod_finding_why(
	    f,
	    "%s was built without the kernel's Module.symvers (or its __versions table is damaged): the kernel cannot check the symbol and refuses it (err -22)",
	    mn);
	ctmod_diagnose_fix_rebuild(env->ctx, env->kver, mn, f);
}

static void explain_vermagic(struct ctmod_rule_env *env, struct ctmod_finding *f,
                             const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	char rel[128] = "";
	sscanf(e->arg, "%127s", rel);
	ctmod_finding_what(f, "%s was built for kernel %s, not this one", mn, rel);
	ctmod_finding_why(f, "its version magic is '%s'; the running kernel's is '%s'", e->arg,
	                  e->arg2 ? e->arg2 : "");
	ctmod_diagnose_fix_rebuild(env->ctx, env->kver, mn, f);
}

static void explain_namespace(struct ctmod_rule_env *env, struct ctmod_finding *f,
                              const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "%s uses symbols of namespace %s without importing it", mn, e->arg);
	ctmod_finding_why(
	    f,
	    "%s is exported in namespace %s and the module lacks MODULE_IMPORT_NS(%s): the kernel refuses the symbol (err -22)",
	    e->symbol, e->arg, e->arg);
	ctmod_finding_note(f, "add MODULE_IMPORT_NS(%s); to the module's source, then rebuild it",
	                   e->arg);
	ctmod_diagnose_fix_rebuild(env->ctx, env->kver, mn, f);
}

static void explain_blacklisted(struct ctmod_rule_env *env, struct ctmod_finding *f,
                                const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "%s is blacklisted on the kernel command line", mn);
	ctmod_finding_why(
	    f,
	    "module_blacklist=%s (or a list naming it) was passed at boot; the kernel refuses to load it until the next boot without it",
	    mn);
	ctmod_finding_note(
	    f,
	    "remove %s from module_blacklist= in the boot loader's configuration (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot",
	    mn);
}

static void explain_duplicate(struct ctmod_rule_env *env, struct ctmod_finding *f,
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

static void explain_unknown_param(struct ctmod_rule_env *env, struct ctmod_finding *f,
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
	modinfo_fix(env, f, mn);
	ctmod_finding_note(
	    f,
	    "remove %s= where it is set: /etc/modprobe.d, /etc/modules-load.d, the kernel command line or the load command",
	    e->symbol);
}

static void explain_oot(struct ctmod_rule_env *env, struct ctmod_finding *f,
                        const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s is an out-of-tree module", e->module);
	ctmod_finding_why(
	    f,
	    "it was not built with the kernel; the kernel is marked tainted (O), which is expected for DKMS modules");
}

static void explain_unsigned(struct ctmod_rule_env *env, struct ctmod_finding *f,
                             const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s is not signed with a trusted key", e->module);
	ctmod_finding_why(
	    f,
	    "signatures are checked but not enforced: it loads, and the kernel is marked tainted (E)");
}

static void explain_license(struct ctmod_rule_env *env, struct ctmod_finding *f,
                            const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s has license '%s', which taints the kernel", e->module, e->arg);
	ctmod_finding_why(
	    f,
	    "a license that is not GPL-compatible marks the kernel tainted (P) and hides GPL-only symbols from the module");
}

static void explain_staging(struct ctmod_rule_env *env, struct ctmod_finding *f,
                            const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s is a staging driver", e->module);
	ctmod_finding_why(
	    f, "drivers/staging modules are of unknown quality; the kernel is marked tainted (C)");
}

static void explain_bad_value(struct ctmod_rule_env *env, struct ctmod_finding *f,
                              const struct ctmod_kmsg_event *e)
{
	const char *mn = e->module;
	ctmod_finding_what(f, "%s refused the value '%s' of its parameter %s", mn,
	                   e->arg ? e->arg : "", e->symbol);
	ctmod_finding_why(
	    f,
	    "the kernel could not parse %s=%s for %s (kernel/params.c), so the load failed with \"Invalid argument\" (EINVAL)",
	    e->symbol, e->arg ? e->arg : "", mn);
	modinfo_fix(env, f, mn);
	ctmod_finding_note(
	    f,
	    "give %s a value of the type modinfo -p shows, where it is set: the load command, /etc/modprobe.d, or the kernel command line (%s.%s=)",
	    e->symbol, mn, e->symbol);
}

/*
 * "DRIVER DEVICE: firmware: ...": the driver is the module, except for a
 * device of a class without one ("misc test_firmware"): then the device's
 * name is, when a module of that name is here.
 */
static const char *firmware_module(struct ctmod_rule_env *env, const struct ctmod_kmsg_event *e)
{
	_cleanup_free_ char *mp = ctmod_diagnose_module_path(env->ctx, e->module);
	if (mp || !e->symbol || !modname_valid(e->symbol))
		return e->module;
	char norm[64];
	modname_normalize(e->symbol, norm, sizeof(norm));
	_cleanup_free_ char *dp = ctmod_diagnose_module_path(env->ctx, norm);
	_cleanup_free_ char *live =
	    ctmod_diagnose_read_small(env->ctx, "/sys/module/%s/initstate", norm);
	if (!dp && !live)
		return e->module;
	for (size_t i = 0; i < env->names.n; i++) /* a name that lives as long as env */
		if (strcmp(env->names.v[i], norm) == 0)
			return env->names.v[i];
	strv_push(&env->names, norm);
	return env->names.v[env->names.n - 1];
}

static void explain_firmware(struct ctmod_rule_env *env, struct ctmod_finding *f,
                             const struct ctmod_kmsg_event *e)
{
	const char *mn = f->module ? f->module : e->module;
	const char *pkg = ctmod_diagnose_firmware_package(e->arg);
	_cleanup_free_ char *dest = ctmod_path(env->ctx, "/lib/firmware/%s", e->arg);
	ctmod_finding_what(f, "%s needs the firmware file %s, which is not installed", mn, e->arg);
	ctmod_finding_why(
	    f,
	    "the kernel looked for /lib/firmware/%s and did not find it (error %d); the driver loaded, but the device it drives does not work without it",
	    e->arg, e->err);
	if (pkg) {
		ctmod_finding_fix(f, "apt-get install %s", pkg);
		ctmod_finding_note(
		    f,
		    "Debian ships %s in %s (usually; it is in the non-free-firmware component: add it to the apt sources first), then reload %s",
		    e->arg, pkg, mn);
	} else {
		ctmod_finding_note(
		    f,
		    "no Debian package is known here for %s: copy the file from linux-firmware (git.kernel.org) to %s, then reload %s",
		    e->arg, dest ? dest : "/lib/firmware", mn);
	}
}

/* A module that needs a CPU feature, and the sibling for the other vendor's */
static const struct {
	const char *module, *flag, *sibling, *sibling_flag, *feature;
} hw_siblings[] = {
    {"kvm_intel", "vmx", "kvm_amd", "svm", "Intel VT-x (vmx)"},
    {"kvm_amd", "svm", "kvm_intel", "vmx", "AMD-V (svm)"},
};

static bool cpu_flag(struct ctmod_rule_env *env, const char *flag)
{
	_cleanup_free_ char *ci = ctmod_diagnose_read_small(env->ctx, "/proc/cpuinfo%s", "");
	const char *fl = ci ? strstr(ci, "\nflags") : NULL;
	if (!fl)
		return false;
	size_t n = strcspn(fl + 1, "\n"), k = strlen(flag);
	for (const char *p = fl + 1; (p = strstr(p, flag)) && p < fl + 1 + n; p += k)
		if (p[-1] == ' ' && (p[k] == ' ' || p[k] == '\n' || p[k] == '\0'))
			return true;
	return false;
}

static void explain_no_hardware(struct ctmod_rule_env *env, struct ctmod_finding *f,
                                const struct ctmod_kmsg_event *e)
{
	const char *mn = e->module;
	size_t i;
	for (i = 0; i < ARRAY_SIZE(hw_siblings); i++)
		if (modname_equal(hw_siblings[i].module, mn))
			break;
	const char *feature = i < ARRAY_SIZE(hw_siblings) ? hw_siblings[i].feature : "its hardware";
	if (e->arg) {
		ctmod_finding_what(f, "%s cannot work here: %s is turned off in the firmware", mn,
		                   feature);
		ctmod_finding_why(f, "the kernel logged \"kvm: support for '%s' %s\"", mn, e->arg);
		ctmod_finding_note(
		    f, "turn virtualization (%s) on in the BIOS/UEFI setup, then ctmod load %s",
		    feature, mn);
		return;
	}
	ctmod_finding_what(f, "%s needs %s, which this machine's CPU does not offer", mn, feature);
	ctmod_finding_why(
	    f,
	    "the kernel logged \"kvm: no hardware support for '%s'\" and the load failed with \"Operation not supported\"",
	    mn);
	_cleanup_free_ char *sib =
	    i < ARRAY_SIZE(hw_siblings) && cpu_flag(env, hw_siblings[i].sibling_flag)
	        ? ctmod_diagnose_module_path(env->ctx, hw_siblings[i].sibling)
	        : NULL;
	if (sib) {
		ctmod_finding_fix(f, "ctmod load %s", hw_siblings[i].sibling);
		ctmod_finding_note(f, "this CPU offers %s (/proc/cpuinfo): %s is the module for it",
		                   hw_siblings[i].sibling_flag, hw_siblings[i].sibling);
	} else {
		ctmod_finding_note(
		    f,
		    "nothing to load instead: without %s (or nested virtualization from the hypervisor) %s cannot work here",
		    feature, mn);
	}
}

static const struct log_rule log_rules[] = {
    {CTMOD_KMSG_DISAGREES_VERSION, "symbol-version-mismatch", CTMOD_SEV_ERROR, false, false, NULL,
     NULL, explain_disagrees},
    {CTMOD_KMSG_NO_SYMBOL_VERSION, "no-symbol-version", CTMOD_SEV_ERROR, false, false, NULL, NULL,
     explain_no_version},
    {CTMOD_KMSG_VERMAGIC, "version-magic", CTMOD_SEV_ERROR, false, false, NULL, NULL,
     explain_vermagic},
    {CTMOD_KMSG_NAMESPACE, "namespace-not-imported", CTMOD_SEV_ERROR, false, false, NULL, NULL,
     explain_namespace},
    {CTMOD_KMSG_BLACKLISTED, "blacklisted", CTMOD_SEV_ERROR, false, false, NULL, NULL,
     explain_blacklisted},
    {CTMOD_KMSG_DUPLICATE_SYMBOL, "duplicate-symbol", CTMOD_SEV_ERROR, false, false, NULL, NULL,
     explain_duplicate},
    {CTMOD_KMSG_UNKNOWN_PARAM, "unknown-parameter", CTMOD_SEV_WARNING, true, false, NULL, NULL,
     explain_unknown_param},
    {CTMOD_KMSG_TAINT_OOT, "out-of-tree", CTMOD_SEV_INFO, false, false, NULL, NULL, explain_oot},
    {CTMOD_KMSG_SIG_MISSING, "unsigned", CTMOD_SEV_INFO, false, false, NULL, NULL,
     explain_unsigned},
    {CTMOD_KMSG_TAINT_LICENSE, "license-taint", CTMOD_SEV_INFO, false, false, NULL, NULL,
     explain_license},
    {CTMOD_KMSG_TAINT_STAGING, "staging", CTMOD_SEV_INFO, false, false, NULL, NULL,
     explain_staging},
    {CTMOD_KMSG_SIG_REJECTED, "signature-rejected", CTMOD_SEV_ERROR, false, true,
     ctmod_diagnose_sig_refused, NULL, ctmod_diagnose_explain_sig},
    {CTMOD_KMSG_LOCKDOWN, "lockdown", CTMOD_SEV_ERROR, false, true, ctmod_diagnose_lockdown_refused,
     ctmod_diagnose_lockdown_of_modules, ctmod_diagnose_explain_lockdown},
    {CTMOD_KMSG_BAD_PARAM_VALUE, "bad-parameter-value", CTMOD_SEV_ERROR, false, false, NULL, NULL,
     explain_bad_value},
    {CTMOD_KMSG_FIRMWARE, "firmware-missing", CTMOD_SEV_WARNING, false, false, firmware_module,
     NULL, explain_firmware},
    {CTMOD_KMSG_NO_HARDWARE, "no-hardware", CTMOD_SEV_ERROR, false, false, NULL, NULL,
     explain_no_hardware},
};

static const struct log_rule *log_rule_of(enum ctmod_kmsg_kind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(log_rules); i++)
		if (log_rules[i].kind == kind)
			return &log_rules[i];
	return NULL;
}

/* ---------- the tools' lines ---------- */

static void explain_not_installed(struct ctmod_rule_env *env, struct ctmod_finding *f,
                                  const struct ctmod_kmsg_event *e)
{
	const char *mn = e->module;
	struct ctmod_moddb *db = db_open(env);
	if (db && ctmod_moddb_is_builtin(db, mn)) {
		f->severity = CTMOD_SEV_INFO;
		ctmod_finding_what(
		    f,
		    "%s is built into the kernel: there is nothing to load, and this is not an error",
		    mn);
		ctmod_finding_why(
		    f,
		    "%s said \"%s\", but modules.builtin of %s lists %s: it is part of the kernel image and already active (modprobe and ctmod load succeed for it)",
		    e->arg, e->arg2 ? e->arg2 : "not found", env->kver, mn);
		return;
	}
	if (ctmod_diagnose_fix_not_installed(env->ctx, env->kver, mn, f))
		return;
	struct strv near;
	strv_init(&near);
	ctmod_diagnose_nearest(db, mn, &near);
	char cmd[4200];
	ctmod_diagnose_ctmod_cmd(env->ctx, cmd, sizeof(cmd));
	if (near.n) {
		_cleanup_free_ char *nl = ctmod_diagnose_list_words(&near, 3);
		ctmod_finding_what(f, "no module named %s; did you mean %s?", mn,
		                   nl ? nl : near.v[0]);
		ctmod_finding_why(
		    f,
		    "%s found no %s in /lib/modules/%s (modules.dep, modules.builtin); %s %s installed",
		    e->arg, mn, env->kver, nl ? nl : near.v[0], near.n == 1 ? "is" : "are");
		ctmod_finding_fix(f, "ctmod load %s", near.v[0]);
	} else {
		ctmod_finding_what(f, "%s is not installed for %s", mn, env->kver);
		ctmod_finding_why(f, "%s found no %s in /lib/modules/%s (modules.dep)", e->arg, mn,
		                  env->kver);
		ctmod_finding_note(f, "%s deps --all lists the modules that are installed", cmd);
		ctmod_finding_note(
		    f,
		    "if %s comes from a DKMS package, build it for %s: ctmod build --install NAME/VERSION (ctmod status lists the sources)",
		    mn, env->kver);
	}
	strv_release(&near);
}

static void explain_enoent(struct ctmod_rule_env *env, struct ctmod_finding *f,
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

static void explain_eperm(struct ctmod_rule_env *env, struct ctmod_finding *f,
                          const struct ctmod_kmsg_event *e)
{
	(void)env;
	const char *mn = e->module;
	ctmod_finding_what(f, "loading %s was not permitted", mn);
	ctmod_finding_why(
	    f,
	    "%s got \"%s\": the process lacks CAP_SYS_MODULE (a container without --privileged, not root), module loading is disabled (kernel.modules_disabled), lockdown refused it, or the module is blacklisted",
	    e->arg, e->arg2);
	ctmod_finding_fix(f, "ctmod diagnose %s", mn);
	ctmod_finding_note(f, "run that on the host, or as root: it tells which of these it is");
}

static void explain_eexist(struct ctmod_rule_env *env, struct ctmod_finding *f,
                           const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s is already loaded", e->module);
	ctmod_finding_why(f, "%s said \"%s\"; nothing to do (ctmod load counts this as success)",
	                  e->arg, e->arg2);
}

static void explain_enoexec(struct ctmod_rule_env *env, struct ctmod_finding *f,
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
	ctmod_diagnose_fix_rebuild(env->ctx, env->kver, mn, f);
}

static void explain_ekeyrejected(struct ctmod_rule_env *env, struct ctmod_finding *f,
                                 const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "the kernel rejected %s's signature", e->module);
	ctmod_finding_why(
	    f,
	    "\"%s\": it is unsigned while signatures are enforced, or its signature is damaged or made with an untrusted key",
	    e->arg2);
	_cleanup_free_ char *path = ctmod_diagnose_module_file(env, e->module);
	ctmod_diagnose_fix_sign(env->ctx, env->kver, path, f);
}

static void explain_no_device(struct ctmod_rule_env *env, struct ctmod_finding *f,
                              const struct ctmod_kmsg_event *e)
{
	(void)env;
	ctmod_finding_what(f, "%s found no hardware it supports", e->module);
	ctmod_finding_why(
	    f,
	    "%s said \"%s\": the module's init found no device or CPU feature it drives; the kernel log may name it",
	    e->arg, e->arg2 ? e->arg2 : "");
	ctmod_finding_note(
	    f,
	    "nothing is wrong with the module: load it on a machine with the hardware (lspci, lsusb, /proc/cpuinfo show what is present)");
}

static void explain_other(struct ctmod_rule_env *env, struct ctmod_finding *f,
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
    {-ENODEV, 0, "no-hardware", CTMOD_SEV_ERROR, explain_no_device},
    {-EOPNOTSUPP, 0, "no-hardware", CTMOD_SEV_ERROR, explain_no_device},
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
static void gather(const struct ctmod_kmsg *log, const char *module, struct modlogs *mods)
{
	for (size_t i = 0; i < log->n; i++) {
		const struct ctmod_kmsg_event *e = &log->ev[i];
		if (!e->module || !ctmod_diagnose_wanted(module, e->module))
			continue;
		struct ctmod_modlog *m = find_or_add_mod(mods, e->module);
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
}

/* Second pass: one finding per module and class, in the log's order. */
static void apply_log_rules(struct ctmod_rule_env *env, const struct ctmod_kmsg *log,
                            const char *module, struct ctmod_diagnosis *d)
{
	for (size_t i = 0; i < log->n; i++) {
		const struct ctmod_kmsg_event *e = &log->ev[i];
		const struct log_rule *rule = log_rule_of(e->kind);
		if (!rule)
			continue;
		const char *about = rule->who ? rule->who(env, e) : e->module;
		if (rule->about_system && module && !about)
			continue; /* not about the module asked about */
		if (!rule->about_system && !ctmod_diagnose_wanted(module, about))
			continue;
		if (rule->applies && !rule->applies(e))
			continue;
		enum ctmod_severity sev =
		    rule->fatal_with_err && e->err ? CTMOD_SEV_ERROR : rule->severity;
		struct ctmod_finding *f = ctmod_finding_once(d, sev, rule->id, about, "");
		if (f && !f->why)
			rule->explain(env, f, e);
		if (f)
			ctmod_finding_evidence(f, e->text);
	}
}

/* -22 without an explanation on its own line */
static void unexplained_einval(struct ctmod_rule_env *env, const struct modlogs *mods,
                               struct ctmod_diagnosis *d)
{
	for (size_t k = 0; k < mods->n; k++) {
		const struct ctmod_modlog *m = &mods->v[k];
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
			ctmod_diagnose_fix_rebuild(env->ctx, env->kver, m->name, f);
		}
	}
}

/* Tool lines that nothing in the kernel's lines explains. */
static void apply_tool_rules(struct ctmod_rule_env *env, const struct ctmod_kmsg *log,
                             const char *module, struct ctmod_diagnosis *d)
{
	for (size_t i = 0; i < log->n; i++) {
		struct ctmod_kmsg_event ev = ctmod_diagnose_named_event(env, i);
		const struct ctmod_kmsg_event *e = &ev;
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
	return ctmod_diagnose_log_file(ctx, log, module, NULL, d);
}

int ctmod_diagnose_log_file(struct ctmod_ctx *ctx, const struct ctmod_kmsg *log, const char *module,
                            const char *path, struct ctmod_diagnosis *d)
{
	const char *kver = NULL;
	if (ctmod_ctx_kver(ctx, &kver) < 0)
		return -EINVAL;
	ctmod_diagnosis_words(ctx, d);
	struct ctmod_rule_env env = {
	    .ctx = ctx, .kver = kver, .log = log, .filter = module, .filter_path = path};
	struct modlogs mods = {0};
	strv_init(&env.names);
	event_names(&env);
	gather(log, module, &mods);
	for (size_t k = 0; k < mods.n; k++)
		if (mods.v[k].missing.n)
			ctmod_diagnose_missing_symbols(ctx, db_open(&env), kver, &mods.v[k], d);
	apply_log_rules(&env, log, module, d);
	unexplained_einval(&env, &mods, d);
	apply_tool_rules(&env, log, module, d);
	if (env.db)
		ctmod_moddb_free(env.db);
	strv_release(&env.names);
	for (size_t k = 0; k < mods.n; k++) {
		free(mods.v[k].name);
		strv_release(&mods.v[k].missing);
		strv_release(&mods.v[k].missing_lines);
	}
	free(mods.v);
	for (size_t i = 0; i < d->n; i++)
		if (!d->f[i].what)
			return -ENOMEM;
	return 0;
}
