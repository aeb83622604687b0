// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The system's part of a diagnosis, where the kernel says nothing:
 * capabilities and containers, the kernel's switches (modules_disabled,
 * lockdown, sig_enforce), the module tree (modules.dep present and fresh,
 * headers), a module file built for another kernel or needing what is not
 * installed, and modprobe.d lines that disable a module.
 */
#include <limits.h>
#include <errno.h>
#include <ftw.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "diagnose-internal.h"

#define CAP_SYS_MODULE_BIT 16

/* hex capability mask of "Name:\t0000..." in /proc/self/status */
static bool cap_field(const char *status, const char *name, unsigned long long *mask)
{
	const char *p = status;
	size_t n = strlen(name);
	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return sscanf(p + n + 1, "%llx", mask) == 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static const char *container_kind(struct ctmod_ctx *ctx)
{
	if (ctmod_diagnose_exists(ctx, "/.dockerenv%s", ""))
		return "docker";
	if (ctmod_diagnose_exists(ctx, "/run/.containerenv%s", ""))
		return "podman";
	_cleanup_free_ char *cg = ctmod_diagnose_read_small(ctx, "/proc/1/cgroup%s", "");
	if (cg) {
		static const char *const kinds[][2] = {{"kubepods", "kubernetes"},
		                                       {"docker", "docker"},
		                                       {"libpod", "podman"},
		                                       {"containerd", "containerd"},
		                                       {"lxc", "lxc"}};
		for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
			if (strstr(cg, kinds[i][0]))
				return kinds[i][1];
	}
	return NULL;
}

static void check_caps(struct ctmod_ctx *ctx, const char *container, const char *module,
                       struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *status = ctmod_diagnose_read_small(ctx, "/proc/self/status%s", "");
	unsigned long long eff, bnd;
	if (!status || !cap_field(status, "CapEff", &eff) || !cap_field(status, "CapBnd", &bnd))
		return;
	bool in_eff = eff & (1ULL << CAP_SYS_MODULE_BIT);
	bool in_bnd = bnd & (1ULL << CAP_SYS_MODULE_BIT);
	if (in_eff)
		return;
	struct ctmod_finding *f =
	    ctmod_finding_add(d, CTMOD_SEV_ERROR, "no-cap-sys-module", NULL,
	                      "this process may not load modules: CAP_SYS_MODULE is missing");
	if (!f)
		return;
	if (!in_bnd)
		ctmod_finding_why(
		    f,
		    "CAP_SYS_MODULE is not in the bounding set (CapBnd %016llx) of this %s, so no process in it can load a module, not even root",
		    bnd, container ? "container" : "process");
	else
		ctmod_finding_why(
		    f,
		    "CAP_SYS_MODULE is not in the effective set (CapEff %016llx): the process does not run as root",
		    eff);
	if (container || !in_bnd) {
		ctmod_finding_note(
		    f,
		    "run the container privileged, with the host's modules and headers: docker run --privileged -v /lib/modules:/lib/modules -v /usr/src:/usr/src with its image");
		ctmod_finding_note(
		    f,
		    "or grant only this capability: docker run --cap-add SYS_MODULE -v /lib/modules:/lib/modules with its image");
	} else if (module && !strchr(module, '/')) {
		ctmod_finding_fix(f, "sudo ctmod load %s", module);
	} else {
		ctmod_finding_note(f,
		                   "load modules as root: sudo ctmod load with the module's name");
	}
	ctmod_finding_evidence(f, "/proc/self/status");
}

static void check_kernel_switches(struct ctmod_ctx *ctx, struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *dis =
	    ctmod_diagnose_read_small(ctx, "/proc/sys/kernel/modules_disabled%s", "");
	if (dis && dis[0] == '1') {
		struct ctmod_finding *f =
		    ctmod_finding_add(d, CTMOD_SEV_ERROR, "modules-disabled", NULL,
		                      "module loading is disabled until the next boot");
		if (f) {
			ctmod_finding_why(
			    f,
			    "kernel.modules_disabled is 1: once set it cannot be cleared, every load fails with \"Operation not permitted\"");
			ctmod_finding_note(
			    f,
			    "nothing undoes it before the next boot; find what sets it (grep -rn modules_disabled /etc/sysctl.conf /etc/sysctl.d /usr/lib/sysctl.d), and load the modules you need before it is set (ctmod autoload), or reboot without it");
			ctmod_finding_evidence(f, "/proc/sys/kernel/modules_disabled");
		}
	}
	_cleanup_free_ char *ld =
	    ctmod_diagnose_read_small(ctx, "/sys/kernel/security/lockdown%s", "");
	if (ld) {
		const char *open = strchr(ld, '['), *close = open ? strchr(open, ']') : NULL;
		if (open && close && strncmp(open + 1, "none", 4) != 0) {
			char mode[32] = "";
			size_t n = (size_t)(close - open - 1);
			snprintf(mode, sizeof(mode), "%.*s", (int)(n < 31 ? n : 31), open + 1);
			struct ctmod_finding *f = ctmod_finding_add(
			    d, CTMOD_SEV_WARNING, "lockdown-active", NULL,
			    "the kernel is locked down (%s): only signed modules load", mode);
			if (f) {
				ctmod_finding_why(
				    f,
				    "/sys/kernel/security/lockdown is '%s' (Secure Boot or lockdown=): modules built here (DKMS) must be signed with an enrolled key",
				    mode);
				ctmod_finding_note(
				    f,
				    "modules built here must be signed with a key the kernel trusts: ctmod diagnose with the module's name gives the commands");
				ctmod_finding_evidence(f, "/sys/kernel/security/lockdown");
			}
		}
	}
	_cleanup_free_ char *se =
	    ctmod_diagnose_read_small(ctx, "/sys/module/module/parameters/sig_enforce%s", "");
	if (se && se[0] == 'Y') {
		struct ctmod_finding *f = ctmod_finding_add(d, CTMOD_SEV_INFO, "sig-enforce", NULL,
		                                            "module signatures are enforced");
		if (f) {
			ctmod_finding_why(
			    f,
			    "module.sig_enforce is on: unsigned modules (DKMS builds) are rejected with \"Key was rejected by service\"");
			ctmod_finding_evidence(f, "/sys/module/module/parameters/sig_enforce");
		}
	}
}

struct stale_walk {
	time_t dep_mtime;
	size_t newer;
	char newest[512];
	time_t newest_mtime;
};
static struct stale_walk *walk_state;

static int stale_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || !strstr(path, ".ko"))
		return 0;
	if (st->st_mtime > walk_state->dep_mtime) {
		walk_state->newer++;
		if (st->st_mtime >= walk_state->newest_mtime) {
			walk_state->newest_mtime = st->st_mtime;
			snprintf(walk_state->newest, sizeof(walk_state->newest), "%s", path);
		}
	}
	return 0;
}

static void depmod_cmd(struct ctmod_ctx *ctx, const char *kver, struct ctmod_finding *f)
{
	if (ctmod_ctx_has_root(ctx))
		ctmod_finding_fix(f, "depmod -b %s %s", ctmod_ctx_root(ctx), kver);
	else
		ctmod_finding_fix(f, "depmod %s", kver);
}

static void check_tree(struct ctmod_ctx *ctx, const char *kver, struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *dir = ctmod_path(ctx, "/lib/modules/%s", kver);
	struct stat st;
	if (!dir)
		return;
	if (stat(dir, &st) < 0) {
		struct ctmod_finding *f = ctmod_finding_add(
		    d, CTMOD_SEV_ERROR, "no-modules", NULL,
		    "there are no modules for kernel %s: %s does not exist", kver, dir);
		if (f) {
			ctmod_finding_why(
			    f,
			    "modules are looked up in /lib/modules/%s; in a container that is the host's directory only when it is mounted",
			    kver);
			ctmod_finding_note(
			    f,
			    "in a container, mount the host's modules: docker run -v /lib/modules:/lib/modules");
			ctmod_finding_note(
			    f,
			    "else install the kernel image package of %s (linux-image-%s on Debian) with ctmod install or apt-get",
			    kver, kver);
		}
		return;
	}
	_cleanup_free_ char *dep = ctmod_path(ctx, "/lib/modules/%s/modules.dep", kver);
	struct stat dst;
	if (!dep || stat(dep, &dst) < 0) {
		struct ctmod_finding *f = ctmod_finding_add(d, CTMOD_SEV_ERROR, "no-modules-dep",
		                                            NULL, "%s has no modules.dep", dir);
		if (f) {
			ctmod_finding_why(
			    f, "depmod has not been run for %s: no module can be found by name",
			    kver);
			depmod_cmd(ctx, kver, f);
		}
	} else {
		struct stale_walk w = {.dep_mtime = dst.st_mtime};
		walk_state = &w;
		nftw(dir, stale_cb, 16, FTW_PHYS);
		walk_state = NULL;
		if (w.newer) {
			struct ctmod_finding *f =
			    ctmod_finding_add(d, CTMOD_SEV_WARNING, "depmod-stale", NULL,
			                      "modules.dep is older than %zu module file%s",
			                      w.newer, w.newer == 1 ? "" : "s");
			if (f) {
				ctmod_finding_why(
				    f,
				    "%s changed after depmod last ran: modprobe and ctmod load do not know its dependencies (or that it exists)",
				    w.newest);
				depmod_cmd(ctx, kver, f);
				ctmod_finding_evidence(f, w.newest);
			}
		}
	}
	_cleanup_free_ char *sv = ctmod_diagnose_symvers_path(ctx, kver);
	if (!sv && !ctmod_diagnose_exists(ctx, "/usr/src/linux-headers-%s/Makefile", kver)) {
		struct ctmod_finding *f =
		    ctmod_finding_add(d, CTMOD_SEV_INFO, "no-headers", NULL,
		                      "the headers of %s are not installed", kver);
		if (f) {
			ctmod_finding_why(
			    f,
			    "building modules (DKMS) needs /usr/src/linux-headers-%s and /lib/modules/%s/build; loading does not",
			    kver, kver);
			ctmod_finding_note(
			    f,
			    "install them with ctmod install and the linux-headers-%s package or tarball (apt-get install linux-headers-%s on Debian)",
			    kver, kver);
		}
	}
}

/* The kernel's own vermagic: that of a module shipped with it. */
static char *kernel_vermagic(struct ctmod_ctx *ctx, const char *kver)
{
	static const char *const probes[] = {"kernel/lib/libcrc32c", "kernel/fs/fat/fat",
	                                     "kernel/drivers/net/dummy", "kernel/lib/crc16"};
	size_t nz;
	const struct compression *z = compression_table(&nz);
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		for (size_t j = 0; j <= nz; j++) {
			char rel[128];
			snprintf(rel, sizeof(rel), "%s.ko%s", probes[i], j ? z[j - 1].suffix : "");
			_cleanup_free_ char *p = ctmod_path(ctx, "/lib/modules/%s/%s", kver, rel);
			if (p && access(p, R_OK) == 0) {
				char *vm = ctmod_diagnose_modinfo(ctx, p, "vermagic");
				if (vm)
					return vm;
			}
		}
	return NULL;
}

static void vermagic_check(struct ctmod_ctx *ctx, const char *kver, const char *kvm,
                           const char *name, const char *path, struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *vm = ctmod_diagnose_modinfo(ctx, path, "vermagic");
	if (!vm)
		return;
	char rel[128] = "";
	sscanf(vm, "%127s", rel);
	const char *rest = vm + strcspn(vm, " ");
	const char *krest = kvm ? kvm + strcspn(kvm, " ") : NULL;
	bool rel_ok = strcmp(rel, kver) == 0;
	bool rest_ok = !krest || strcmp(rest, krest) == 0;
	if (rel_ok && rest_ok)
		return;
	if (ctmod_diagnosis_find(d, "version-magic", name))
		return;
	struct ctmod_finding *f =
	    ctmod_finding_add(d, CTMOD_SEV_ERROR, "version-magic", name,
	                      "%s was built for kernel %s, not %s", name, rel, kver);
	if (!f)
		return;
	if (!rel_ok)
		ctmod_finding_why(
		    f,
		    "%s has version magic '%s'; modules for this kernel have '%s': it was compiled against another kernel's headers",
		    path, vm, kvm ? kvm : kver);
	else
		ctmod_finding_why(
		    f, "%s has version magic '%s' but the kernel's is '%s' (other build options)",
		    path, vm, kvm);
	ctmod_diagnose_fix_rebuild(ctx, kver, name, f);
	ctmod_finding_evidence(f, path);
}

/*
 * A module's "depends" (written by modpost): each must be installed for
 * KVER, else its load can only fail with unknown symbols.
 */
static void depends_check(struct ctmod_ctx *ctx, const char *kver, const char *name,
                          const char *path, struct ctmod_diagnosis *d)
{
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	if (!k || kmod_module_new_from_path(k, path, &mod) < 0)
		return;
	struct strv missing;
	strv_init(&missing);
	struct ctmod_moddb *db = NULL;
	if (ctmod_moddb_open(ctx, &db) < 0)
		db = NULL;
	ctmod_ctx_clear_error(ctx);
	if (kmod_module_get_info(mod, &info) >= 0) {
		kmod_list_foreach(l, info)
		{
			if (strcmp(kmod_module_info_get_key(l), "depends") != 0)
				continue;
			_cleanup_free_ char *deps = strdup(kmod_module_info_get_value(l));
			char *save = NULL;
			for (char *t = deps ? strtok_r(deps, ",", &save) : NULL; t;
			     t = strtok_r(NULL, ",", &save)) {
				/* installed, built in, or live (under the root) */
				struct kmod_module *dm = NULL;
				bool have = kmod_module_new_from_name(k, t, &dm) >= 0 &&
				            kmod_module_get_path(dm);
				if (dm)
					kmod_module_unref(dm);
				if (!have && db)
					have = ctmod_moddb_is_builtin(db, t);
				if (!have) {
					_cleanup_free_ char *st = ctmod_diagnose_read_small(
					    ctx, "/sys/module/%s/initstate", t);
					have = st && strncmp(st, "live", 4) == 0;
				}
				if (!have)
					strv_push(&missing, t);
			}
		}
		kmod_module_info_free_list(info);
	}
	kmod_module_unref(mod);
	if (db)
		ctmod_moddb_free(db);
	if (missing.n) {
		_cleanup_free_ char *ml = ctmod_diagnose_list_words(&missing, 8);
		struct ctmod_finding *f =
		    ctmod_finding_add(d, CTMOD_SEV_ERROR, "dependency-not-installed", name,
		                      "%s needs %s, which %s not installed for %s", name,
		                      ml ? ml : "", missing.n == 1 ? "is" : "are", kver);
		if (f) {
			ctmod_finding_why(
			    f,
			    "%s lists %s in its depends= (modinfo): without %s its symbols cannot be resolved",
			    path, ml ? ml : "", missing.n == 1 ? "it" : "them");
			ctmod_finding_note(
			    f,
			    "install the package of %s that holds %s (ctmod install with its .deb or tarball)",
			    kver, ml ? ml : "them");
			ctmod_finding_evidence(f, path);
		}
	}
	strv_release(&missing);
	ctmod_ctx_clear_error(ctx);
}

struct oot_walk {
	struct strv paths;
};
static struct oot_walk *oot_state;
static int oot_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F && strstr(path, ".ko") && oot_state->paths.n < 256)
		strv_push(&oot_state->paths, path);
	return 0;
}

static void check_modules(struct ctmod_ctx *ctx, const char *kver, const char *module,
                          struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *kvm = kernel_vermagic(ctx, kver);
	struct strv paths;
	strv_init(&paths);
	if (module) {
		struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
		struct kmod_module *mod = NULL;
		if (strchr(module, '/') || strstr(module, ".ko")) {
			strv_push(&paths, module);
		} else if (k && kmod_module_new_from_name(k, module, &mod) >= 0) {
			const char *p = kmod_module_get_path(mod);
			if (p)
				strv_push(&paths, p);
			kmod_module_unref(mod);
		}
	} else {
		/* out-of-tree modules are the ones built apart from the kernel */
		static const char *const dirs[] = {"updates", "extra"};
		struct oot_walk w;
		strv_init(&w.paths);
		oot_state = &w;
		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
			_cleanup_free_ char *dir =
			    ctmod_path(ctx, "/lib/modules/%s/%s", kver, dirs[i]);
			if (dir)
				nftw(dir, oot_cb, 16, FTW_PHYS);
		}
		oot_state = NULL;
		paths = w.paths;
	}
	for (size_t i = 0; i < paths.n; i++) {
		char name[64];
		ctmod_diagnose_module_name_of(paths.v[i], name, sizeof(name));
		vermagic_check(ctx, kver, kvm, name, paths.v[i], d);
		depends_check(ctx, kver, name, paths.v[i], d);
	}
	strv_release(&paths);
}

/* "FILE:LINE" of a modprobe.d line (ctmod_moddb_*_by) into file and line; false for anything else
 */
static bool conf_line(const char *where, char *file, size_t n, unsigned *line)
{
	const char *colon = where && where[0] == '/' ? strrchr(where, ':') : NULL;
	char *end;
	if (!colon)
		return false;
	unsigned long l = strtoul(colon + 1, &end, 10);
	if (*end || l == 0 || l > UINT_MAX)
		return false;
	snprintf(file, n, "%.*s", (int)(colon - where), where);
	*line = (unsigned)l;
	return true;
}

/*
 * modprobe.d lines that keep MODULE from loading without any kernel
 * message: "blacklist NAME" (skipped when loaded by alias, as udev does) and
 * "install NAME /bin/true" (the usual way to disable a module).  The lines
 * are those modprobe reads (the moddb's reading of modprobe.d: a file in
 * /etc hides the one of the same name in /lib, the files in order).
 */
static void check_modprobe_d(struct ctmod_ctx *ctx, const char *module, struct ctmod_diagnosis *d)
{
	struct ctmod_moddb *db = NULL;
	if (ctmod_moddb_open(ctx, &db) < 0) {
		ctmod_ctx_clear_error(ctx); /* no modules.dep: check_tree says so */
		return;
	}
	char file[4096];
	unsigned line;
	const char *cmd = NULL;
	if (conf_line(ctmod_moddb_install_by(db, module, &cmd), file, sizeof(file), &line) &&
	    (strstr(cmd, "/bin/true") || strstr(cmd, "/bin/false"))) {
		struct ctmod_finding *fd = ctmod_finding_add(
		    d, CTMOD_SEV_ERROR, "modprobe-install-disabled", module,
		    "modprobe never loads %s: %s:%u runs '%s' instead", module, file, line, cmd);
		if (fd) {
			ctmod_finding_why(
			    fd,
			    "an install command replaces loading the module; '/bin/true' or '/bin/false' is how a module is disabled (often by hardening baselines)");
			ctmod_finding_fix(fd, "sed -i '%us/^/# /' %s", line, file);
			ctmod_finding_fix(fd, "ctmod load %s", module);
			ctmod_finding_evidence(fd, file);
		}
	}
	/* modprobe.blacklist= on the command line: check_cmdline_blacklists */
	if (conf_line(ctmod_moddb_blacklisted_by(db, module), file, sizeof(file), &line)) {
		struct ctmod_finding *fd =
		    ctmod_finding_add(d, CTMOD_SEV_WARNING, "modprobe-blacklist", module,
		                      "%s is blacklisted in %s:%u", module, file, line);
		if (fd) {
			ctmod_finding_why(
			    fd,
			    "modprobe skips blacklisted modules when they are asked for by alias (udev, request_module) or with -b; by name they still load");
			ctmod_finding_fix(fd, "sed -i '%us/^/# /' %s", line, file);
			ctmod_finding_evidence(fd, file);
		}
	}
	ctmod_moddb_free(db);
}

/* A blacklist on the kernel command line (ROOT/proc/cmdline) that names MODULE. */
static void check_cmdline_blacklists(struct ctmod_ctx *ctx, const char *module,
                                     struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *kb = ctmod_diagnose_cmdline(ctx, "module_blacklist");
	_cleanup_free_ char *mb = ctmod_diagnose_cmdline(ctx, "modprobe.blacklist");
	if (ctmod_diagnose_in_list(kb, module) && !ctmod_diagnosis_find(d, "blacklisted", module)) {
		struct ctmod_finding *f =
		    ctmod_finding_add(d, CTMOD_SEV_ERROR, "blacklisted", module,
		                      "%s is blacklisted on the kernel command line", module);
		if (f) {
			ctmod_finding_why(
			    f,
			    "module_blacklist=%s is on the kernel command line (/proc/cmdline): the kernel refuses to load %s until the next boot without it",
			    kb, module);
			ctmod_finding_note(
			    f,
			    "remove %s from module_blacklist= in the boot loader's configuration (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot",
			    module);
			ctmod_finding_evidence(f, "/proc/cmdline");
		}
	}
	if (ctmod_diagnose_in_list(mb, module)) {
		struct ctmod_finding *f = ctmod_finding_add(
		    d, CTMOD_SEV_WARNING, "modprobe-blacklist", module,
		    "%s is blacklisted by modprobe.blacklist= on the kernel command line", module);
		if (f) {
			ctmod_finding_why(
			    f,
			    "modprobe.blacklist=%s is on the kernel command line (/proc/cmdline): modprobe skips %s when it is asked for by alias (udev, request_module) or with -b; by name it still loads",
			    mb, module);
			ctmod_finding_fix(f, "ctmod load %s", module);
			ctmod_finding_note(
			    f,
			    "to load it at every boot, remove %s from modprobe.blacklist= in the boot loader's configuration and reboot",
			    module);
			ctmod_finding_evidence(f, "/proc/cmdline");
		}
	}
}

/* Has the log already said something about MODULE (loaded from a file, say)? */
static bool about_module(const struct ctmod_diagnosis *d, const char *module)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->f[i].module && modname_equal(d->f[i].module, module))
			return true;
	return false;
}

/* MODULE by name: built in (not an error), or not installed (a typo?) */
static void check_named(struct ctmod_ctx *ctx, const char *kver, const char *module,
                        struct ctmod_diagnosis *d)
{
	struct ctmod_moddb *db = NULL;
	if (ctmod_moddb_open(ctx, &db) < 0)
		db = NULL;
	ctmod_ctx_clear_error(ctx);
	_cleanup_free_ char *path = ctmod_diagnose_module_path(ctx, module);
	_cleanup_free_ char *live =
	    ctmod_diagnose_read_small(ctx, "/sys/module/%s/initstate", module);
	if (db && ctmod_moddb_is_builtin(db, module)) {
		if (!ctmod_diagnosis_find(d, "not-found", module)) {
			struct ctmod_finding *f = ctmod_finding_add(
			    d, CTMOD_SEV_INFO, "built-in", module,
			    "%s is built into the kernel: there is nothing to load, and this is not an error",
			    module);
			if (f)
				ctmod_finding_why(
				    f,
				    "modules.builtin of %s lists it: it is part of the kernel image; modprobe and ctmod load succeed for it, insmod says \"No such file or directory\"",
				    kver);
		}
	} else if (live && strncmp(live, "live", 4) == 0 && !about_module(d, module)) {
		struct ctmod_finding *f = ctmod_finding_add(
		    d, CTMOD_SEV_INFO, "already-loaded", module,
		    "%s is loaded: nothing to do, and this is not an error", module);
		if (f)
			ctmod_finding_why(
			    f,
			    "/sys/module/%s/initstate is live; loading it again makes insmod say \"File exists\" (EEXIST), which modprobe and ctmod load count as success",
			    module);
	} else if (db && !path && !live && !about_module(d, module)) {
		struct strv near;
		strv_init(&near);
		ctmod_diagnose_nearest(db, module, &near);
		_cleanup_free_ char *nl = ctmod_diagnose_list_words(&near, 3);
		struct ctmod_finding *f =
		    near.n ? ctmod_finding_add(d, CTMOD_SEV_ERROR, "not-found", module,
		                               "no module named %s; did you mean %s?", module, nl)
		           : ctmod_finding_add(d, CTMOD_SEV_ERROR, "not-found", module,
		                               "%s is not installed for %s", module, kver);
		if (f) {
			ctmod_finding_why(
			    f, "/lib/modules/%s has no %s (modules.dep, modules.builtin)", kver,
			    module);
			/* a DKMS package that builds it comes before a similar name */
			bool dkms = ctmod_diagnose_fix_not_installed(ctx, kver, module, f);
			if (!dkms && near.n)
				ctmod_finding_fix(f, "ctmod load %s", near.v[0]);
			else if (!dkms)
				ctmod_finding_note(
				    f,
				    "if %s comes from a DKMS package, build it for %s: ctmod build --install NAME/VERSION (ctmod status lists the sources)",
				    module, kver);
		}
		strv_release(&near);
	}
	if (db)
		ctmod_moddb_free(db);
	check_cmdline_blacklists(ctx, module, d);
}

int ctmod_diagnose_system(struct ctmod_ctx *ctx, const char *module, struct ctmod_diagnosis *d)
{
	const char *kver;
	int r = ctmod_ctx_kver(ctx, &kver);
	if (r < 0)
		return r;
	ctmod_diagnosis_words(ctx, d);
	const char *container = container_kind(ctx);
	check_caps(ctx, container, module, d);
	if (container) {
		struct ctmod_finding *f = ctmod_finding_add(
		    d, CTMOD_SEV_INFO, "container", NULL, "running in a container (%s)", container);
		if (f) {
			ctmod_finding_why(
			    f,
			    "modules are the host kernel's: a container loads them only when privileged and with the host's /lib/modules (and /usr/src to build) mounted");
			ctmod_finding_note(
			    f,
			    "docker run --privileged -v /lib/modules:/lib/modules -v /usr/src:/usr/src, with its image");
		}
	}
	/* /proc is there but /proc/modules is not: CONFIG_MODULES=n */
	if (ctmod_diagnose_exists(ctx, "/proc/self/status%s", "") &&
	    !ctmod_diagnose_exists(ctx, "/proc/modules%s", "")) {
		struct ctmod_finding *f =
		    ctmod_finding_add(d, CTMOD_SEV_ERROR, "no-module-support", NULL,
		                      "the running kernel cannot load modules at all");
		if (f) {
			ctmod_finding_why(
			    f,
			    "/proc/modules does not exist: the kernel was built without module support (CONFIG_MODULES=n); everything must be built in");
			ctmod_finding_note(
			    f,
			    "boot a kernel with module support, or one with the needed drivers built in");
			ctmod_finding_evidence(f, "/proc/modules");
		}
	}
	check_kernel_switches(ctx, d);
	check_tree(ctx, kver, d);
	check_modules(ctx, kver, module, d);
	if (module && !strchr(module, '/')) {
		check_named(ctx, kver, module, d);
		check_modprobe_d(ctx, module, d);
	}
	return 0;
}
