// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Refusals whose kernel line names no module: "Loading of unsigned module
 * is rejected" (signatures enforced) and "Lockdown: ...: unsigned module
 * loading is restricted".  Who they are about (the tool's failed call, the
 * state of the module's file) and where the enforcement comes from (the
 * kernel command line, Secure Boot, run time), with the signing commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose-internal.h"

/* The file of the module a line is about: the tool's line names it, else the one installed. */
char *ctmod_diagnose_module_file(struct ctmod_rule_env *env, const char *name)
{
	if (env->filter_path && env->filter && modname_equal(env->filter, name))
		return strdup(env->filter_path);
	for (size_t i = 0; i < env->log->n; i++) {
		struct ctmod_kmsg_event t = ctmod_diagnose_named_event(env, i);
		if (t.path && t.module && modname_equal(t.module, name) && strchr(t.path, '/'))
			return strdup(t.path);
	}
	return ctmod_diagnose_module_path(env->ctx, name);
}

/* The signer of the kernel's own modules (Debian's key), to tell a foreign key from it */
static char *kernel_signer(struct ctmod_rule_env *env)
{
	static const char *const probes[] = {"libcrc32c", "dummy", "loop", "fat"};
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		_cleanup_free_ char *p = ctmod_diagnose_module_path(env->ctx, probes[i]);
		char *s = p && strstr(p, "/kernel/") ? ctmod_diagnose_modinfo(env->ctx, p, "signer")
		                                     : NULL;
		if (s)
			return s;
	}
	return NULL;
}

/*
 * The module a signature or lockdown refusal is about: the kernel's line
 * names none.  A tool's line that failed with ERR names it; else the module
 * asked about, when its file is what the kernel refused (unsigned, or
 * signed by another key than the kernel's own modules).
 */
static const char *refused_module(struct ctmod_rule_env *env, int err, bool want_unsigned,
                                  bool want_foreign)
{
	for (size_t i = 0; i < env->log->n; i++) {
		struct ctmod_kmsg_event t = ctmod_diagnose_named_event(env, i);
		if (t.kind == CTMOD_KMSG_TOOL_FAILED && t.err == err && t.module &&
		    ctmod_diagnose_wanted(env->filter, t.module))
			return env->names.n > i && env->names.v[i][0] ? env->names.v[i]
			                                              : env->log->ev[i].module;
	}
	if (!env->filter)
		return NULL;
	_cleanup_free_ char *path = ctmod_diagnose_module_file(env, env->filter);
	if (!path)
		return env->filter; /* its file is not here to rule it out: never "nothing wrong" */
	_cleanup_free_ char *signer = ctmod_diagnose_modinfo(env->ctx, path, "signer");
	if (!signer)
		return want_unsigned ? env->filter : NULL;
	_cleanup_free_ char *ks = want_foreign ? kernel_signer(env) : NULL;
	return want_foreign && (!ks || strcmp(ks, signer) != 0) ? env->filter : NULL;
}

const char *ctmod_diagnose_sig_refused(struct ctmod_rule_env *env, const struct ctmod_kmsg_event *e)
{
	bool unsigned_line = e->arg && strstr(e->arg, "unsigned");
	return refused_module(env, -EKEYREJECTED, unsigned_line, !unsigned_line);
}

void ctmod_diagnose_explain_sig(struct ctmod_rule_env *env, struct ctmod_finding *f,
                                const struct ctmod_kmsg_event *e)
{
	bool unsigned_line = e->arg && strstr(e->arg, "unsigned");
	_cleanup_free_ char *on_cmdline = ctmod_diagnose_cmdline(env->ctx, "module.sig_enforce");
	bool cmdline =
	    on_cmdline && (on_cmdline[0] == '1' || on_cmdline[0] == 'Y' || on_cmdline[0] == 'y');
	const char *source =
	    cmdline
	        ? "module.sig_enforce=1 is on the kernel command line (/proc/cmdline)"
	        : "the kernel enforces module signatures (CONFIG_MODULE_SIG_FORCE, or module.sig_enforce set at boot)";
	_cleanup_free_ char *path = f->module ? ctmod_diagnose_module_file(env, f->module) : NULL;
	if (!f->module)
		ctmod_finding_what(f, "the kernel rejects modules without a valid signature");
	else if (!path)
		ctmod_finding_what(
		    f,
		    "the kernel refused a module for its signature, which may be %s: the line names none, and no file of %s is here to check (diagnose the .ko file itself)",
		    f->module, f->module);
	else if (unsigned_line)
		ctmod_finding_what(f, "%s is not signed, and this kernel loads only signed modules",
		                   f->module);
	else
		ctmod_finding_what(f, "%s is signed with a key this kernel does not trust",
		                   f->module);
	ctmod_finding_why(
	    f,
	    "the kernel logged \"Loading of %s is rejected\" (the load fails with \"Key was rejected by service\"): %s",
	    e->arg, source);
	ctmod_diagnose_fix_sign(env->ctx, env->kver, path, f);
	if (cmdline)
		ctmod_finding_note(
		    f,
		    "or remove module.sig_enforce=1 from the kernel command line (the boot loader's configuration) and reboot: unsigned modules then load and taint the kernel");
}

bool ctmod_diagnose_lockdown_of_modules(const struct ctmod_kmsg_event *e)
{
	return e->arg2 && strstr(e->arg2, "module");
}

const char *ctmod_diagnose_lockdown_refused(struct ctmod_rule_env *env,
                                            const struct ctmod_kmsg_event *e)
{
	(void)e;
	return refused_module(env, -EPERM, true, true);
}

void ctmod_diagnose_explain_lockdown(struct ctmod_rule_env *env, struct ctmod_finding *f,
                                     const struct ctmod_kmsg_event *e)
{
	_cleanup_free_ char *mode = ctmod_diagnose_cmdline(env->ctx, "lockdown");
	const char *said = NULL; /* "Kernel is locked down from X", logged at boot or when set */
	for (size_t i = 0; i < env->log->n; i++)
		if (env->log->ev[i].kind == CTMOD_KMSG_LOCKDOWN_SOURCE)
			said = env->log->ev[i].arg;
	bool sb = !mode &&
	          ((said && strstr(said, "Secure Boot")) || ctmod_diagnose_secure_boot(env->ctx));
	_cleanup_free_ char *path = f->module ? ctmod_diagnose_module_file(env, f->module) : NULL;
	if (f->module && path)
		ctmod_finding_what(
		    f,
		    "%s is refused by kernel lockdown: it is not signed with a key the kernel trusts",
		    f->module);
	else if (f->module)
		ctmod_finding_what(
		    f,
		    "kernel lockdown refused an unsigned module, which may be %s: the line names none, and no file of %s is here to check (diagnose the .ko file itself)",
		    f->module, f->module);
	else
		ctmod_finding_what(f, "kernel lockdown refuses unsigned modules");
	if (mode)
		ctmod_finding_why(
		    f,
		    "the kernel logged \"Lockdown: %s: %s is restricted\": lockdown=%s is on the kernel command line (/proc/cmdline)",
		    e->arg, e->arg2, mode);
	else if (sb)
		ctmod_finding_why(
		    f,
		    "the kernel logged \"Lockdown: %s: %s is restricted\": UEFI Secure Boot is on, and the kernel locks itself down under it",
		    e->arg, e->arg2);
	else if (said && strstr(said, "command line"))
		ctmod_finding_why(
		    f,
		    "the kernel logged \"Lockdown: %s: %s is restricted\" and \"Kernel is locked down from command line\": lockdown= is on the kernel command line",
		    e->arg, e->arg2);
	else
		ctmod_finding_why(
		    f, "the kernel logged \"Lockdown: %s: %s is restricted\": lockdown is on, %s",
		    e->arg, e->arg2,
		    said && strstr(said, "securityfs")
		        ? "set at run time (\"Kernel is locked down from securityfs\": something wrote /sys/kernel/security/lockdown)"
		        : "neither from lockdown= on the command line nor from Secure Boot: it was set at run time in /sys/kernel/security/lockdown");
	ctmod_diagnose_fix_sign(env->ctx, env->kver, path, f);
	if (mode)
		ctmod_finding_note(
		    f,
		    "or remove lockdown=%s from the kernel command line (the boot loader's configuration) and reboot; mokutil does not lift a command-line lockdown",
		    mode);
	else if (sb)
		ctmod_finding_note(
		    f,
		    "or turn off Secure Boot validation: mokutil --disable-validation, then reboot and confirm in MokManager");
}
