// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The commands that fix what diagnose finds, worked out from what is on
 * this system (under the root): a fix line is a command that runs as
 * printed, with real paths; what cannot be a command here (a boot loader
 * edit, a reboot, a package from another archive component) is a note.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "diagnose-internal.h"
#include "xalloc.h"

/* WORD as one shell word: as it is when it holds nothing the shell reads, else in '' */
static void shell_word(struct strbuf *sb, const char *w)
{
	if (w[0] && w[strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	                        "/._+-=,:@%")] == '\0') {
		strbuf_printf(sb, "%s", w);
		return;
	}
	strbuf_printf(sb, "'");
	for (const char *p = w; *p; p++)
		strbuf_printf(sb, *p == '\'' ? "'\\''" : "%c", *p);
	strbuf_printf(sb, "'");
}

/*
 * "ctmod", with the --root of the diagnosis and its --kernel (under a root,
 * where another kernel may be installed later, or when it is not the
 * running one): the commands act on what was diagnosed.
 */
const char *ctmod_diagnose_ctmod_cmd(struct ctmod_ctx *ctx, char *buf, size_t n)
{
	const char *kver = NULL;
	bool root = ctmod_ctx_has_root(ctx);
	bool kernel =
	    ctmod_ctx_kver(ctx, &kver) == 0 && (root || strcmp(ctmod_running_kver(), kver) != 0);
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "ctmod");
	if (root) {
		strbuf_printf(&sb, " --root ");
		shell_word(&sb, ctmod_ctx_root(ctx));
	}
	if (kernel) {
		strbuf_printf(&sb, " --kernel ");
		shell_word(&sb, kver);
	}
	_cleanup_free_ char *s = strbuf_steal(&sb);
	snprintf(buf, n, "%s", s);
	return buf;
}

void ctmod_diagnosis_words(struct ctmod_ctx *ctx, struct ctmod_diagnosis *d)
{
	if (d->ctmod)
		return;
	char buf[4200];
	d->ctmod = xstrdup(ctmod_diagnose_ctmod_cmd(ctx, buf, sizeof(buf)));
}

/* A DKMS source of NAME: ROOT/usr/src/NAME-VERSION/dkms.conf ('_' or '-'); VERSION into ver. */
static bool dkms_source(struct ctmod_ctx *ctx, const char *name, char *ver, size_t n)
{
	char dashed[64];
	snprintf(dashed, sizeof(dashed), "%s", name);
	for (char *p = dashed; *p; p++)
		if (*p == '_')
			*p = '-';
	const char *const names[] = {name, dashed};
	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		_cleanup_free_ char *pat = ctmod_path(ctx, "/usr/src/%s-*/dkms.conf", names[k]);
		glob_t g;
		if (!pat || glob(pat, 0, NULL, &g) != 0)
			continue;
		/* .../NAME-VERSION/dkms.conf: the last (highest) version */
		const char *p = g.gl_pathv[g.gl_pathc - 1];
		const char *end = strrchr(p, '/');
		const char *start = end ? end - 1 : p;
		while (start > p && *start != '/')
			start--;
		start += 1 + strlen(names[k]) + 1;
		if (end && start < end)
			snprintf(ver, n, "%.*s", (int)(end - start), start);
		globfree(&g);
		if (end && start < end)
			return true;
	}
	return false;
}

/*
 * NAME built for KVER by ctmod build (ROOT/var/lib/ctmod) or dkms build
 * (ROOT/var/lib/dkms) and not installed: PACKAGE/VERSION into nv, the
 * built file into where.  Only a package whose source is still in
 * ROOT/usr/src counts: ctmod build --install reads its dkms.conf there.
 */
static bool dkms_built(struct ctmod_ctx *ctx, const char *kver, const char *name, char *nv,
                       size_t n, char *where, size_t wn)
{
	static const char *const trees[] = {"/var/lib/ctmod", "/var/lib/dkms"};
	bool found = false;
	for (size_t t = 0; t < ARRAY_SIZE(trees) && !found; t++) {
		_cleanup_free_ char *base = ctmod_path(ctx, "%s", trees[t]);
		_cleanup_free_ char *pat = xasprintf("%s/*/*/%s/*/module/*.ko*", base, kver);
		glob_t g;
		if (glob(pat, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc && !found; i++) {
			char mn[64], pkg[128], ver[128];
			ctmod_diagnose_module_name_of(g.gl_pathv[i], mn, sizeof(mn));
			/* BASE/PACKAGE/VERSION/KVER/... */
			if (!modname_equal(mn, name) ||
			    sscanf(g.gl_pathv[i] + strlen(base), "/%127[^/]/%127[^/]/", pkg, ver) !=
			        2)
				continue;
			_cleanup_free_ char *conf =
			    ctmod_path(ctx, "/usr/src/%s-%s/dkms.conf", pkg, ver);
			if (access(conf, R_OK) != 0)
				continue;
			snprintf(nv, n, "%s/%s", pkg, ver);
			snprintf(where, wn, "%s", g.gl_pathv[i]);
			found = true;
		}
		globfree(&g);
	}
	return found;
}

bool ctmod_diagnose_fix_not_installed(struct ctmod_ctx *ctx, const char *kver, const char *name,
                                      struct ctmod_finding *f)
{
	char nv[260], where[4096], ver[128];
	if (dkms_built(ctx, kver, name, nv, sizeof(nv), where, sizeof(where))) {
		ctmod_finding_what(f, "%s is built for %s but not installed", name, kver);
		ctmod_finding_why(
		    f,
		    "the DKMS package %s built %s for %s, but it is not under /lib/modules/%s (modules.dep): modprobe and ctmod load do not find it",
		    nv, where, kver, kver);
		ctmod_finding_fix(f, "ctmod build --install %s", nv);
		return true;
	}
	if (dkms_source(ctx, name, ver, sizeof(ver))) {
		ctmod_finding_what(f, "%s is not built for %s", name, kver);
		ctmod_finding_why(
		    f,
		    "the DKMS package %s/%s is on this system (/usr/src/%s-%s) but not built for %s",
		    name, ver, name, ver, kver);
		ctmod_finding_fix(f, "ctmod build --install %s/%s", name, ver);
		return true;
	}
	return false;
}

/* This kernel's own tree ships NAME (modules.order lists kernel/.../NAME.ko). */
static bool in_kernel_tree(struct ctmod_ctx *ctx, const char *kver, const char *name)
{
	_cleanup_free_ char *p = ctmod_diagnose_module_path(ctx, name);
	if (p && strstr(p, "/kernel/"))
		return true;
	_cleanup_free_ char *order =
	    ctmod_diagnose_read_small(ctx, "/lib/modules/%s/modules.order", kver);
	if (!order)
		return false;
	for (char *save = NULL, *l = strtok_r(order, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char mn[64];
		ctmod_diagnose_module_name_of(l, mn, sizeof(mn));
		if (modname_equal(mn, name))
			return true;
	}
	return false;
}

static bool headers_installed(struct ctmod_ctx *ctx, const char *kver)
{
	return ctmod_diagnose_exists(ctx, "/usr/src/linux-headers-%s/Makefile", kver);
}

void ctmod_diagnose_fix_rebuild(struct ctmod_ctx *ctx, const char *kver, const char *name,
                                struct ctmod_finding *f)
{
	char ver[128];
	if (dkms_source(ctx, name, ver, sizeof(ver))) {
		ctmod_finding_fix(f, "ctmod build --install %s/%s", name, ver);
		if (!headers_installed(ctx, kver))
			ctmod_finding_note(
			    f,
			    "the build needs the headers of %s: install linux-headers-%s first (apt-get install linux-headers-%s on Debian, or ctmod install with the package file)",
			    kver, kver, kver);
		return;
	}
	if (in_kernel_tree(ctx, kver, name)) {
		ctmod_finding_fix(f, "ctmod load %s", name);
		ctmod_finding_note(
		    f, "kernel %s ships its own %s, built for it: ctmod load loads that one", kver,
		    name);
		return;
	}
	ctmod_finding_note(
	    f,
	    "no DKMS source of %s is on this system and %s does not ship it: rebuild it from its source against the headers of %s (/usr/src/linux-headers-%s)",
	    name, kver, kver, kver);
	if (headers_installed(ctx, kver))
		return;
	if (ctmod_diagnose_exists(ctx, "/usr/bin/apt-get%s", "") && !ctmod_ctx_has_root(ctx))
		ctmod_finding_fix(f, "apt-get install linux-headers-%s", kver);
	else
		ctmod_finding_note(
		    f,
		    "the headers of %s are not installed: apt-get install linux-headers-%s (Debian), or ctmod install with the headers package or tarball",
		    kver, kver);
}

/* CONFIG_MODULE_SIG_HASH of KVER, from the headers' or /boot's .config; sha256 otherwise */
static void sig_hash(struct ctmod_ctx *ctx, const char *kver, char *out, size_t n)
{
	_cleanup_free_ char *cfg =
	    ctmod_diagnose_read_small(ctx, "/usr/src/linux-headers-%s/.config", kver);
	if (!cfg)
		cfg = ctmod_diagnose_read_small(ctx, "/boot/config-%s", kver);
	const char *h = cfg ? strstr(cfg, "\nCONFIG_MODULE_SIG_HASH=\"") : NULL;
	if (h) {
		h += 25;
		snprintf(out, n, "%.*s", (int)strcspn(h, "\""), h);
	} else {
		snprintf(out, n, "sha256");
	}
}

void ctmod_diagnose_fix_sign(struct ctmod_ctx *ctx, const char *kver, const char *path,
                             struct ctmod_finding *f)
{
	/* DKMS's key pair (dkms 3 makes it on first use; ctmod build signs with it too) */
	_cleanup_free_ char *key = ctmod_path(ctx, "/var/lib/dkms/mok.key");
	_cleanup_free_ char *cert = ctmod_path(ctx, "/var/lib/dkms/mok.pub");
	_cleanup_free_ char *tool =
	    ctmod_path(ctx, "/usr/src/linux-headers-%s/scripts/sign-file", kver);
	if (!key || !cert || !tool)
		return;
	if (access(tool, X_OK) != 0) {
		ctmod_finding_note(
		    f,
		    "signing needs %s from the headers of %s: install linux-headers-%s (apt-get install linux-headers-%s on Debian)",
		    tool, kver, kver, kver);
		return;
	}
	if (access(key, R_OK) != 0 || access(cert, R_OK) != 0) {
		_cleanup_free_ char *dir = ctmod_path(ctx, "/var/lib/dkms");
		ctmod_finding_fix(
		    f,
		    "mkdir -p %s && openssl req -new -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=ctmod-module-signing/ -outform DER -keyout %s -out %s",
		    dir, key, cert);
	}
	char hash[32];
	sig_hash(ctx, kver, hash, sizeof(hash));
	if (path)
		ctmod_finding_fix(f, "%s %s %s %s %s", tool, hash, key, cert, path);
	else
		ctmod_finding_note(f, "sign the module file with %s %s %s %s FILE.ko", tool, hash,
		                   key, cert);
	if (ctmod_diagnose_exists(ctx, "/sys/firmware/efi%s", "")) {
		ctmod_finding_fix(f, "mokutil --import %s", cert);
		ctmod_finding_note(
		    f,
		    "mokutil asks for a one-time password; reboot and enrol the key in MokManager, then the kernel trusts modules signed with it");
	} else {
		ctmod_finding_note(
		    f,
		    "this machine has no UEFI (no /sys/firmware/efi): the kernel trusts only the keys built into it, so a module signed here still needs signatures not to be enforced");
	}
}

char *ctmod_diagnose_cmdline(struct ctmod_ctx *ctx, const char *param)
{
	_cleanup_free_ char *cl = ctmod_diagnose_read_small(ctx, "/proc/cmdline%s", "");
	if (!cl)
		return NULL;
	size_t pl = strlen(param);
	char *found = NULL;
	for (char *save = NULL, *w = strtok_r(cl, " \t\n", &save); w;
	     w = strtok_r(NULL, " \t\n", &save))
		if (strncmp(w, param, pl) == 0 && w[pl] == '=') {
			free(found); /* the last one counts, as for the kernel */
			found = strdup(w + pl + 1);
		}
	return found;
}

bool ctmod_diagnose_in_list(const char *list, const char *name)
{
	if (!list)
		return false;
	_cleanup_free_ char *l = strdup(list);
	for (char *save = NULL, *w = l ? strtok_r(l, ",", &save) : NULL; w;
	     w = strtok_r(NULL, ",", &save))
		if (modname_equal(w, name))
			return true;
	return false;
}

bool ctmod_diagnose_secure_boot(struct ctmod_ctx *ctx)
{
	_cleanup_free_ char *p = ctmod_path(
	    ctx, "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d0-aa0d-00e098032b8c");
	char *buf = NULL;
	size_t len = 0;
	bool on = p && read_file(p, 64, &buf, &len) == 0 && len >= 5 && buf[4] == 1;
	free(buf);
	return on;
}

/*
 * Where the firmware files of Debian bookworm come from, by the directory
 * or name prefix in /lib/firmware: the package that ships most of the
 * files under it, read off the archive's Contents-all indexes
 * (non-free-firmware and main); scripts/check-firmware-table compares this
 * table with them again.  Not every file under a prefix is in that package
 * (a few rtl_bt/ and brcm/ files come from others): the finding says
 * "usually".
 */
static const struct {
	const char *prefix;
	const char *package;
} firmware_packages[] = {
    {"rtl_nic/", "firmware-realtek"},       {"rtl_bt/", "firmware-realtek"},
    {"rtlwifi/", "firmware-realtek"},       {"rtw88/", "firmware-realtek"},
    {"rtw89/", "firmware-realtek"},         {"RTL8192E/", "firmware-realtek"},
    {"iwlwifi-", "firmware-iwlwifi"},       {"intel/ibt-", "firmware-iwlwifi"},
    {"intel/sof", "firmware-sof-signed"},   {"amdgpu/", "firmware-amd-graphics"},
    {"radeon/", "firmware-amd-graphics"},   {"r128/", "firmware-amd-graphics"},
    {"i915/", "firmware-misc-nonfree"},     {"nvidia/", "firmware-misc-nonfree"},
    {"mediatek/", "firmware-misc-nonfree"}, {"cxgb3/", "firmware-misc-nonfree"},
    {"cxgb4/", "firmware-misc-nonfree"},    {"e100/", "firmware-misc-nonfree"},
    {"tigon/", "firmware-misc-nonfree"},    {"brcm/", "firmware-brcm80211"},
    {"cypress/", "firmware-brcm80211"},     {"ath9k_htc/", "firmware-ath9k-htc"},
    {"ar3k/", "firmware-atheros"},          {"ath6k/", "firmware-atheros"},
    {"ath10k/", "firmware-atheros"},        {"ath11k/", "firmware-atheros"},
    {"qca/", "firmware-atheros"},           {"bnx2/", "firmware-bnx2"},
    {"bnx2x/", "firmware-bnx2x"},           {"qed/", "firmware-qlogic"},
    {"qlogic/", "firmware-qlogic"},         {"ql2", "firmware-qlogic"},
    {"liquidio/", "firmware-cavium"},       {"cavium/", "firmware-cavium"},
    {"libertas/", "firmware-libertas"},     {"mrvl/", "firmware-libertas"},
    {"mwl8k/", "firmware-libertas"},        {"ti-connectivity/", "firmware-ti-connectivity"},
    {"netronome/", "firmware-netronome"},   {"qcom/", "firmware-qcom-soc"},
    {"zd1211/", "firmware-zd1211"},         {"amd-ucode/", "amd64-microcode"},
    {"intel-ucode/", "intel-microcode"},
};

const char *ctmod_diagnose_firmware_package(const char *file)
{
	for (size_t i = 0; i < ARRAY_SIZE(firmware_packages); i++)
		if (strncmp(file, firmware_packages[i].prefix,
		            strlen(firmware_packages[i].prefix)) == 0)
			return firmware_packages[i].package;
	return NULL;
}

void ctmod_diagnose_nearest(struct ctmod_moddb *db, const char *name, struct strv *out)
{
	struct strv all;
	strv_init(&all);
	if (!db || ctmod_moddb_all(db, &all) < 0) {
		strv_release(&all);
		return;
	}
	char norm[64];
	modname_normalize(name, norm, sizeof(norm));
	size_t limit = strlen(norm) / 3 + 1;
	for (size_t d = 1; d <= limit && out->n < 3; d++)
		for (size_t i = 0; i < all.n && out->n < 3; i++) {
			char cn[64];
			ctmod_diagnose_module_name_of(all.v[i], cn, sizeof(cn));
			if (edit_distance(norm, cn) == d && !strv_contains(out, cn))
				strv_push(out, cn);
		}
	strv_release(&all);
}
