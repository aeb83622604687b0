// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/diagnose.c: the findings for each log captured from the real kernel
 * (tests/data/kmsg), and the system checks over fake roots.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "ctx.h"
#include "diagnose-internal.h"
#include "diagnose.h"
#include "kmsg.h"
#include "util.h"

#define FIX  "tests/data/kmsg/"
#define KVER "6.1.0-56-amd64"

/* ROOT/rel with content, directories made on the way */
static void put(const char *root, const char *rel, const char *content)
{
	char *p, *dir;
	assert_true(asprintf(&p, "%s/%s", root, rel) > 0);
	dir = strdup(p);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(write_file_atomic(p, content, strlen(content), 0644), 0);
	free(p);
	free(dir);
}

static char *mkroot(void)
{
	char *root = strdup("/tmp/ctmod-unit-XXXXXX");
	assert_non_null(mkdtemp(root));
	return root;
}

static void rmroot(char *root)
{
	assert_int_equal(rm_rf(root), 0);
	free(root);
}

/* the findings of one captured log over an empty root (no module index) */
static void diagnose_file(const char *file, struct ctmod_diagnosis *d)
{
	char *root = mkroot();
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, root, KVER), 0);
	struct ctmod_kmsg log;
	ctmod_kmsg_init(&log);
	assert_int_equal(ctmod_kmsg_read_file(ctx, file, &log), 0);
	ctmod_diagnosis_init(d);
	assert_int_equal(ctmod_diagnose_log(ctx, &log, NULL, d), 0);
	ctmod_kmsg_release(&log);
	ctmod_ctx_free(ctx);
	rmroot(root);
}

static const struct ctmod_finding *want(const struct ctmod_diagnosis *d, const char *id,
                                        const char *module, enum ctmod_severity sev)
{
	const struct ctmod_finding *f = ctmod_diagnosis_find(d, id, module);
	if (!f)
		fail_msg("no finding %s for %s", id, module ? module : "the system");
	assert_int_equal(f->severity, sev);
	assert_non_null(f->what);
	assert_non_null(f->why);
	return f;
}

static bool fix_has(const struct ctmod_finding *f, const char *s)
{
	for (size_t i = 0; i < f->fix.n; i++)
		if (strstr(f->fix.v[i], s))
			return true;
	return false;
}

/* steps that are no command (a boot loader edit, a package to find) are notes */
static bool note_has(const struct ctmod_finding *f, const char *s)
{
	for (size_t i = 0; i < f->notes.n; i++)
		if (strstr(f->notes.v[i], s))
			return true;
	return false;
}

static void test_version_findings(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;
	const struct ctmod_finding *f;

	diagnose_file(FIX "vermagic.dmesg.txt", &d);
	f = want(&d, "version-magic", "dummy", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->what, "was built for kernel 6.1.0-99-amd64"));
	assert_true(note_has(f, "no DKMS source of dummy"));
	assert_int_equal(f->fix.n, 0);      /* no command that cannot work */
	assert_int_equal(f->evidence.n, 1); /* the same line twice is one piece of evidence */
	assert_int_equal(d.n, 1);
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "disagrees-version.dmesg.txt", &d);
	f = want(&d, "symbol-version-mismatch", "dummy", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->why, "netif_carrier_on"));
	/* the err -22 line is explained by the line before it, not a missing module */
	assert_null(ctmod_diagnosis_find(&d, "symbol-rejected", NULL));
	assert_null(ctmod_diagnosis_find(&d, "missing-dependencies", NULL));
	assert_null(ctmod_diagnosis_find(&d, "symbols-not-exported", NULL));
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "no-symbol-version.dmesg.txt", &d);
	want(&d, "no-symbol-version", "dummy", CTMOD_SEV_ERROR);
	assert_null(ctmod_diagnosis_find(&d, "symbol-rejected", NULL));
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "namespace.dmesg.txt", &d);
	f = want(&d, "namespace-not-imported", "snd_intel_dspcfg", CTMOD_SEV_ERROR);
	assert_true(note_has(f, "MODULE_IMPORT_NS(SND_INTEL_SOUNDWIRE_ACPI)"));
	assert_null(ctmod_diagnosis_find(&d, "symbol-rejected", NULL));
	ctmod_diagnosis_release(&d);
}

static void test_other_findings(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;
	const struct ctmod_finding *f;
	size_t count[3];

	diagnose_file(FIX "duplicate-symbol.dmesg.txt", &d);
	f = want(&d, "duplicate-symbol", "libarc5", CTMOD_SEV_ERROR);
	/* a ctmod command carries the root and kernel diagnosed */
	assert_int_equal(strncmp(f->fix.v[0], "ctmod --root /tmp/ctmod-unit-", 29), 0);
	assert_non_null(strstr(f->fix.v[0], " --kernel " KVER " load -r libarc4"));
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "unknown-parameter.dmesg.txt", &d);
	f = want(&d, "unknown-parameter", "dummy", CTMOD_SEV_WARNING);
	assert_non_null(strstr(f->what, "'foo'"));
	assert_int_equal(ctmod_diagnosis_worst(&d, count), CTMOD_SEV_WARNING);
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "staging.dmesg.txt", &d);
	want(&d, "staging", "qlge", CTMOD_SEV_INFO);
	assert_int_equal(ctmod_diagnosis_worst(&d, count), CTMOD_SEV_INFO);
	assert_int_equal(count[0], 1);
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "blacklisted.dmesg.txt", &d);
	f = want(&d, "blacklisted", "qnx4", CTMOD_SEV_ERROR);
	assert_true(note_has(f, "module_blacklist="));
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "lockdown.dmesg.txt", &d);
	f = want(&d, "lockdown", NULL, CTMOD_SEV_ERROR);
	assert_null(f->module);
	/* an empty root: no headers to sign with, no lockdown= on the command line */
	assert_true(note_has(f, "linux-headers-" KVER));
	assert_non_null(strstr(f->why, "set at run time"));
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "sig-enforce.dmesg.txt", &d);
	want(&d, "signature-rejected", NULL, CTMOD_SEV_ERROR);
	ctmod_diagnosis_release(&d);

	/* no module of the kernel exports them, and the license is BSD */
	diagnose_file(FIX "license-taint.dmesg.txt", &d);
	f = want(&d, "gpl-only-symbols", "dummy", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->why, "'BSD'"));
	want(&d, "license-taint", "dummy", CTMOD_SEV_INFO);
	assert_null(ctmod_diagnosis_find(&d, "symbols-not-exported", NULL));
	ctmod_diagnosis_release(&d);

	/* an empty root exports nothing: built for another kernel, or extras */
	diagnose_file(FIX "unknown-symbol-btrfs.dmesg.txt", &d);
	f = want(&d, "symbols-not-exported", "btrfs", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->why, "zstd_cstream_workspace_bound"));
	assert_non_null(strstr(f->why, "and 7 more")); /* 11 symbols, 4 named */
	assert_int_equal(f->evidence.n, 11);
	ctmod_diagnosis_release(&d);
}

static void test_tool_findings(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;

	diagnose_file(FIX "no-cap-kmod-modprobe.tool.txt", &d);
	want(&d, "not-permitted", "dummy", CTMOD_SEV_ERROR);
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "already-loaded.tool.txt", &d);
	want(&d, "already-loaded", "libarc4", CTMOD_SEV_INFO);
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "vermagic-kmod-insmod.tool.txt", &d);
	want(&d, "invalid-format", "dummy_vermagic", CTMOD_SEV_ERROR);
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "sig-enforce.tool.txt", &d);
	want(&d, "signature-rejected", "v4l2loopback", CTMOD_SEV_ERROR);
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "unknown-symbol-kmod-insmod.tool.txt", &d);
	const struct ctmod_finding *f = want(&d, "load-failed", "v4l2loopback", CTMOD_SEV_ERROR);
	assert_true(fix_has(f, " --kernel " KVER " load v4l2loopback"));
	ctmod_diagnosis_release(&d);
}

/* a root for the system checks: modules, depmod, no headers */
static char *system_root(void)
{
	char *root = mkroot();
	put(root, "lib/modules/" KVER "/kernel/drivers/net/dummy.ko", "not really ELF");
	put(root, "lib/modules/" KVER "/modules.dep", "kernel/drivers/net/dummy.ko:\n");
	/* depmod ran after the module was installed */
	char *p;
	assert_true(asprintf(&p, "%s/lib/modules/" KVER "/kernel/drivers/net/dummy.ko", root) > 0);
	struct timeval old[2] = {{1000000000, 0}, {1000000000, 0}};
	assert_int_equal(utimes(p, old), 0);
	free(p);
	return root;
}

static void system_findings(const char *root, struct ctmod_diagnosis *d)
{
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, root, KVER), 0);
	ctmod_diagnosis_init(d);
	assert_int_equal(ctmod_diagnose_system(ctx, NULL, d), 0);
	ctmod_ctx_free(ctx);
}

static const char status_nocap[] = "Name:\tctmod\nCapInh:\t0000000000000000\n"
                                   "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                                   "CapBnd:\t000001ffffeeffff\nCapAmb:\t0000000000000000\n";
static const char status_root[] = "Name:\tctmod\nCapEff:\t000001ffffffffff\n"
                                  "CapBnd:\t000001ffffffffff\n";

static void test_system_clean(void **state)
{
	(void)state;
	char *root = system_root();
	put(root, "proc/self/status", status_root);
	put(root, "proc/modules", "");
	put(root, "proc/sys/kernel/modules_disabled", "0\n");
	put(root, "sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
	put(root, "usr/src/linux-headers-" KVER "/Makefile", "# headers\n");
	struct ctmod_diagnosis d;
	system_findings(root, &d);
	if (d.n)
		fail_msg("unexpected finding %s: %s", d.f[0].id, d.f[0].what);
	ctmod_diagnosis_release(&d);
	rmroot(root);
}

static void test_system_container_without_cap(void **state)
{
	(void)state;
	char *root = system_root();
	put(root, "proc/self/status", status_nocap);
	put(root, ".dockerenv", "");
	struct ctmod_diagnosis d;
	system_findings(root, &d);
	const struct ctmod_finding *f = want(&d, "no-cap-sys-module", NULL, CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->why, "bounding set"));
	assert_true(note_has(f, "--privileged"));
	assert_true(note_has(f, "-v /lib/modules:/lib/modules"));
	assert_true(note_has(f, "-v /usr/src:/usr/src"));
	f = want(&d, "container", NULL, CTMOD_SEV_INFO);
	assert_non_null(strstr(f->what, "docker"));
	want(&d, "no-headers", NULL, CTMOD_SEV_INFO);
	/* /proc without /proc/modules: a kernel without module support */
	want(&d, "no-module-support", NULL, CTMOD_SEV_ERROR);
	ctmod_diagnosis_release(&d);
	rmroot(root);

	/* not root, but nothing dropped from the bounding set; podman */
	root = system_root();
	put(root, "proc/self/status", "CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n");
	put(root, "run/.containerenv", "engine=\"podman\"\n");
	system_findings(root, &d);
	f = want(&d, "no-cap-sys-module", NULL, CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->why, "effective set"));
	assert_non_null(strstr(want(&d, "container", NULL, CTMOD_SEV_INFO)->what, "podman"));
	ctmod_diagnosis_release(&d);
	rmroot(root);

	/* kubernetes, known from PID 1's cgroup */
	root = system_root();
	put(root, "proc/1/cgroup", "0::/kubepods/besteffort/pod1234/abcd\n");
	system_findings(root, &d);
	assert_non_null(strstr(want(&d, "container", NULL, CTMOD_SEV_INFO)->what, "kubernetes"));
	ctmod_diagnosis_release(&d);
	rmroot(root);
}

static void test_system_switches(void **state)
{
	(void)state;
	char *root = system_root();
	put(root, "proc/sys/kernel/modules_disabled", "1\n");
	put(root, "sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	put(root, "sys/module/module/parameters/sig_enforce", "Y\n");
	struct ctmod_diagnosis d;
	system_findings(root, &d);
	want(&d, "modules-disabled", NULL, CTMOD_SEV_ERROR);
	const struct ctmod_finding *f = want(&d, "lockdown-active", NULL, CTMOD_SEV_WARNING);
	assert_non_null(strstr(f->what, "(integrity)"));
	want(&d, "sig-enforce", NULL, CTMOD_SEV_INFO);
	ctmod_diagnosis_release(&d);
	rmroot(root);
}

static void test_system_tree(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;
	char *root = mkroot();
	system_findings(root, &d);
	const struct ctmod_finding *f = want(&d, "no-modules", NULL, CTMOD_SEV_ERROR);
	assert_true(note_has(f, "-v /lib/modules:/lib/modules"));
	ctmod_diagnosis_release(&d);

	put(root, "lib/modules/" KVER "/kernel/fs/x.ko", "x");
	system_findings(root, &d);
	f = want(&d, "no-modules-dep", NULL, CTMOD_SEV_ERROR);
	char *cmd;
	assert_true(asprintf(&cmd, "depmod -b %s " KVER, root) > 0);
	assert_string_equal(f->fix.v[0], cmd);
	free(cmd);
	ctmod_diagnosis_release(&d);
	rmroot(root);

	/* a module newer than modules.dep */
	root = system_root();
	put(root, "lib/modules/" KVER "/updates/dkms/v4l2loopback.ko", "x");
	char *dep;
	assert_true(asprintf(&dep, "%s/lib/modules/" KVER "/modules.dep", root) > 0);
	struct timeval old[2] = {{1000000000, 0}, {1000000000, 0}};
	assert_int_equal(utimes(dep, old), 0);
	free(dep);
	system_findings(root, &d);
	f = want(&d, "depmod-stale", NULL, CTMOD_SEV_WARNING);
	assert_non_null(strstr(f->why, "updates/dkms/v4l2loopback.ko"));
	ctmod_diagnosis_release(&d);
	rmroot(root);
}

/* the kernel's log under a root; a module loaded since is history */
static void test_history_and_filter(void **state)
{
	(void)state;
	char *root = system_root();
	char *buf;
	size_t len;
	assert_int_equal(read_file(FIX "guest.kmsg.txt", 1 << 24, &buf, &len), 0);
	char *p;
	assert_true(asprintf(&p, "%s/dev/kmsg", root) > 0);
	put(root, "dev/.keep", "");
	assert_int_equal(write_file_atomic(p, buf, len, 0644), 0);
	free(p);
	free(buf);

	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, root, KVER), 0);
	struct ctmod_diagnose_opts o = {.module = "libarc5", .no_system = true};
	struct ctmod_diagnosis d;
	ctmod_diagnosis_init(&d);
	assert_int_equal(ctmod_diagnose(ctx, &o, &d), 0);
	assert_non_null(d.log_source);
	assert_true(d.log_lines > 500);
	want(&d, "duplicate-symbol", "libarc5", CTMOD_SEV_ERROR);
	for (size_t i = 0; i < d.n; i++)
		if (d.f[i].module)
			assert_string_equal(d.f[i].module, "libarc5");
	ctmod_diagnosis_release(&d);

	put(root, "sys/module/libarc5/initstate", "live\n");
	ctmod_diagnosis_init(&d);
	assert_int_equal(ctmod_diagnose(ctx, &o, &d), 0);
	const struct ctmod_finding *f = want(&d, "duplicate-symbol", "libarc5", CTMOD_SEV_INFO);
	assert_non_null(strstr(f->what, "loaded now"));
	assert_int_equal(f->fix.n, 0);
	ctmod_diagnosis_release(&d);

	/* bad input: a name that is no module name, a missing --dmesg file */
	o.module = "bad name\n";
	ctmod_diagnosis_init(&d);
	assert_int_equal(ctmod_diagnose(ctx, &o, &d), -EINVAL);
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	ctmod_diagnosis_release(&d);
	ctmod_ctx_clear_error(ctx);
	o.module = NULL;
	o.dmesg = FIX "no-such-file";
	ctmod_diagnosis_init(&d);
	assert_int_equal(ctmod_diagnose(ctx, &o, &d), -ENOENT);
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	ctmod_diagnosis_release(&d);

	ctmod_ctx_free(ctx);
	rmroot(root);
}

/*
 * The failure classes captured in the guest (tests/vm/test-diagnose*.sh with
 * CTMOD_CAPTURE): the kernel's real lines and the tools' real output, in a
 * root that holds what the case needs (a command line, a module index).
 */
static void diagnose_in(const char *root, const char *const *files, const char *module,
                        struct ctmod_diagnosis *d)
{
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, root, KVER), 0);
	struct ctmod_kmsg log;
	ctmod_kmsg_init(&log);
	for (size_t i = 0; files[i]; i++)
		assert_int_equal(ctmod_kmsg_read_file(ctx, files[i], &log), 0);
	ctmod_diagnosis_init(d);
	assert_int_equal(ctmod_diagnose_log(ctx, &log, module, d), 0);
	ctmod_kmsg_release(&log);
	ctmod_ctx_free(ctx);
}

static void test_parameter_classes(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;
	const struct ctmod_finding *f;
	size_t count[3];

	diagnose_file(FIX "bad-parameter-value.dmesg.txt", &d);
	f = want(&d, "bad-parameter-value", "loop", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->what, "'abc'"));
	assert_non_null(strstr(f->what, "max_loop"));
	assert_non_null(strstr(f->why, "EINVAL"));
	ctmod_diagnosis_release(&d);

	/* modprobe's own line alone: a failed load, "Invalid argument" */
	diagnose_file(FIX "bad-parameter-value.tool.txt", &d);
	f = want(&d, "load-failed", "loop", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->why, "Invalid argument"));
	ctmod_diagnosis_release(&d);

	diagnose_file(FIX "unknown-parameter-loop.dmesg.txt", &d);
	want(&d, "unknown-parameter", "loop", CTMOD_SEV_WARNING);
	ctmod_diagnosis_release(&d);

	/* insmod of a loaded module: "File exists", no error */
	diagnose_file(FIX "already-loaded-loop.tool.txt", &d);
	want(&d, "already-loaded", "loop", CTMOD_SEV_INFO);
	assert_int_equal(ctmod_diagnosis_worst(&d, count), CTMOD_SEV_INFO);
	ctmod_diagnosis_release(&d);
}

static void test_hardware_and_firmware(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;
	const struct ctmod_finding *f;

	diagnose_file(FIX "no-hardware-kvm-intel.dmesg.txt", &d);
	f = want(&d, "no-hardware", "kvm_intel", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->what, "Intel VT-x"));
	ctmod_diagnosis_release(&d);
	/* modprobe's "Operation not supported" alone says the same */
	diagnose_file(FIX "no-hardware-kvm-intel.tool.txt", &d);
	want(&d, "no-hardware", "kvm_intel", CTMOD_SEV_ERROR);
	ctmod_diagnosis_release(&d);

	/* two "failed to load" and one "Direct firmware load": one finding */
	diagnose_file(FIX "firmware-missing.dmesg.txt", &d);
	f = want(&d, "firmware-missing", "misc", CTMOD_SEV_WARNING);
	assert_non_null(strstr(f->what, "rtl_nic/rtl8168h-2.fw"));
	assert_non_null(strstr(f->why, "/lib/firmware/rtl_nic/rtl8168h-2.fw"));
	assert_true(fix_has(f, "apt-get install firmware-realtek"));
	assert_int_equal(f->evidence.n, 2); /* the two distinct lines */
	assert_int_equal(d.n, 1);
	ctmod_diagnosis_release(&d);
}

/* files and their packages as bookworm's Contents indexes list them */
static void test_firmware_package(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"ath9k_htc/htc_9271-1.4.0.fw", "firmware-ath9k-htc"},
	    {"ath10k/QCA6174/hw3.0/board-2.bin", "firmware-atheros"},
	    {"iwlwifi-8265-36.ucode", "firmware-iwlwifi"},
	    {"intel/ibt-17-16-1.sfi", "firmware-iwlwifi"},
	    {"intel/sof/sof-cnl.ri", "firmware-sof-signed"},
	    {"mrvl/sd8897_uapsta.bin", "firmware-libertas"},
	    {"qcom/a630_sqe.fw", "firmware-qcom-soc"},
	    {"cxgb4/t6fw.bin", "firmware-misc-nonfree"},
	    {"intel-ucode/06-0f-02", "intel-microcode"},
	    {"regulatory.db", NULL},
	    {"unknown-vendor/x.bin", NULL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = ctmod_diagnose_firmware_package(cases[i][0]);
		if (cases[i][1])
			assert_string_equal(got, cases[i][1]);
		else
			assert_null(got);
	}
}

static void test_other_kernel_classes(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;
	const struct ctmod_finding *f;
	char *root = mkroot();

	diagnose_file(FIX "disagrees-module-layout.dmesg.txt", &d);
	f = want(&d, "symbol-version-mismatch", "dummy", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->what, "module_layout differs"));
	ctmod_diagnosis_release(&d);

	/* a CRC off on one symbol: its err -22 line is explained by the line before */
	const char *const crc[] = {FIX "disagrees-crc.dmesg.txt", FIX "disagrees-crc.tool.txt",
	                           NULL};
	diagnose_in(root, crc, NULL, &d);
	f = want(&d, "symbol-version-mismatch", "dummy", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->why, "netif_carrier_on"));
	assert_null(ctmod_diagnosis_find(&d, "symbol-rejected", NULL));
	assert_null(ctmod_diagnosis_find(&d, "invalid-format", NULL));
	ctmod_diagnosis_release(&d);

	/* this kernel ships dummy: ctmod load dummy; a DKMS source: ctmod build NAME/VERSION */
	put(root, "lib/modules/" KVER "/modules.order", "kernel/drivers/net/dummy.ko\n");
	diagnose_in(root, crc, NULL, &d);
	f = want(&d, "symbol-version-mismatch", "dummy", CTMOD_SEV_ERROR);
	assert_true(fix_has(f, "load dummy"));
	ctmod_diagnosis_release(&d);
	put(root, "usr/src/dummy-2.5/dkms.conf", "PACKAGE_NAME=dummy\nPACKAGE_VERSION=2.5\n");
	diagnose_in(root, crc, NULL, &d);
	f = want(&d, "symbol-version-mismatch", "dummy", CTMOD_SEV_ERROR);
	assert_true(fix_has(f, "build --install dummy/2.5"));
	assert_false(fix_has(f, "load dummy"));
	ctmod_diagnosis_release(&d);
	rmroot(root);
}

static void test_refusals_without_a_name(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;
	const struct ctmod_finding *f;
	char *root = mkroot();
	put(root, "proc/cmdline", "console=ttyS0 module.sig_enforce=1\n");

	/* "Loading of unsigned module is rejected" names none: the insmod line does */
	const char *const sig[] = {FIX "sig-unsigned-kmod-insmod.dmesg.txt",
	                           FIX "sig-unsigned-kmod-insmod.tool.txt", NULL};
	diagnose_in(root, sig, NULL, &d);
	f = want(&d, "signature-rejected", "dummy_unsigned", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->what, "is not signed"));
	assert_non_null(strstr(f->why, "module.sig_enforce=1 is on the kernel command line"));
	assert_true(note_has(f, "remove module.sig_enforce=1"));
	assert_int_equal(d.n, 1); /* the insmod line is explained by the kernel's */
	ctmod_diagnosis_release(&d);
	/* asked about that module: still there (it was dropped: "Nothing wrong found") */
	diagnose_in(root, sig, "dummy_unsigned", &d);
	want(&d, "signature-rejected", "dummy_unsigned", CTMOD_SEV_ERROR);
	ctmod_diagnosis_release(&d);
	/* another module asked about, whose file is not here to check: not dropped, hedged */
	diagnose_in(root, sig, "loop", &d);
	f = want(&d, "signature-rejected", "loop", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->what, "which may be loop"));
	ctmod_diagnosis_release(&d);

	const char *const key[] = {FIX "sig-untrusted-kmod-insmod.dmesg.txt",
	                           FIX "sig-untrusted-kmod-insmod.tool.txt", NULL};
	diagnose_in(root, key, NULL, &d);
	f = want(&d, "signature-rejected", "dummy_signed", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->what, "signed with a key this kernel does not trust"));
	ctmod_diagnosis_release(&d);

	/* lockdown= on the command line: the fix is the command line, not mokutil */
	put(root, "proc/cmdline", "console=ttyS0 lockdown=integrity\n");
	const char *const ld[] = {FIX "lockdown-cmdline-kmod-insmod.dmesg.txt",
	                          FIX "lockdown-cmdline-kmod-insmod.tool.txt", NULL};
	diagnose_in(root, ld, NULL, &d);
	f = want(&d, "lockdown", "dummy_unsigned", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->why, "lockdown=integrity is on the kernel command line"));
	assert_true(note_has(f, "remove lockdown=integrity"));
	assert_false(fix_has(f, "mokutil"));
	ctmod_diagnosis_release(&d);
	rmroot(root);
}

/* Secure Boot (the efivar) instead of lockdown=: the key is enrolled with mokutil */
static void test_lockdown_secure_boot(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;
	const struct ctmod_finding *f;
	char *root = mkroot();
	put(root, "proc/cmdline", "console=ttyS0\n");
	put(root, "usr/src/linux-headers-" KVER "/scripts/sign-file", "#!/bin/sh\n");
	char *p;
	assert_true(asprintf(&p, "%s/usr/src/linux-headers-" KVER "/scripts/sign-file", root) > 0);
	assert_int_equal(chmod(p, 0755), 0);
	free(p);
	/* efivarfs: 4 bytes of attributes, then the value */
	put(root, "sys/firmware/efi/efivars/.keep", "");
	assert_true(
	    asprintf(&p,
	             "%s/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d0-aa0d-00e098032b8c",
	             root) > 0);
	FILE *ef = fopen(p, "w");
	assert_non_null(ef);
	assert_int_equal(fwrite("\x06\0\0\0\x01", 1, 5, ef), 5);
	fclose(ef);
	free(p);
	const char *const ld[] = {FIX "lockdown-cmdline-kmod-insmod.dmesg.txt",
	                          FIX "lockdown-cmdline-kmod-insmod.tool.txt", NULL};
	diagnose_in(root, ld, NULL, &d);
	f = want(&d, "lockdown", "dummy_unsigned", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->why, "UEFI Secure Boot is on"));
	assert_true(fix_has(f, "openssl req")); /* no key pair yet: make DKMS's */
	assert_true(fix_has(f, "scripts/sign-file sha256 "));
	assert_true(fix_has(f, "/vm/dummy-unsigned.ko"));
	assert_true(fix_has(f, "mokutil --import "));
	assert_true(note_has(f, "mokutil --disable-validation"));
	ctmod_diagnosis_release(&d);
	rmroot(root);
}

static void test_names(void **state)
{
	(void)state;
	struct ctmod_diagnosis d;
	const struct ctmod_finding *f;
	size_t count[3];
	char *root = mkroot();
	put(root, "lib/modules/" KVER "/modules.dep", "kernel/drivers/block/loop.ko:\n");
	put(root, "lib/modules/" KVER "/modules.builtin", "kernel/net/unix/unix.ko\n");
	put(root, "lib/modules/" KVER "/kernel/drivers/block/loop.ko", "x");

	const char *const typo[] = {FIX "mistyped-name.tool.txt", NULL};
	diagnose_in(root, typo, NULL, &d);
	f = want(&d, "not-found", "loopp", CTMOD_SEV_ERROR);
	assert_non_null(strstr(f->what, "did you mean loop?"));
	assert_true(fix_has(f, "load loop"));
	ctmod_diagnosis_release(&d);

	const char *const bi[] = {FIX "builtin-unix.tool.txt", NULL};
	diagnose_in(root, bi, NULL, &d);
	f = want(&d, "not-found", "unix", CTMOD_SEV_INFO);
	assert_non_null(strstr(f->what, "built into the kernel"));
	assert_int_equal(ctmod_diagnosis_worst(&d, count), CTMOD_SEV_INFO);
	ctmod_diagnosis_release(&d);

	const char *const bl[] = {FIX "blacklisted-cmdline.dmesg.txt", NULL};
	diagnose_in(root, bl, NULL, &d);
	f = want(&d, "blacklisted", "qnx4", CTMOD_SEV_ERROR);
	assert_int_equal(f->fix.n, 0); /* a boot loader edit is a note */
	ctmod_diagnosis_release(&d);
	rmroot(root);
}

/* fix lines word ctmod once for the diagnosis: where a command starts, quoted for the shell */
static void test_fix_words(void **state)
{
	(void)state;
	char *root = mkroot(), *spaced;
	assert_true(asprintf(&spaced, "%s/it's here", root) > 0);
	assert_int_equal(mkdir_p(spaced, 0755), 0);
	struct ctmod_ctx *ctx;
	assert_int_equal(ctmod_ctx_new(&ctx, spaced, KVER), 0);
	struct ctmod_kmsg log;
	ctmod_kmsg_init(&log);
	struct ctmod_diagnosis d;
	ctmod_diagnosis_init(&d);
	assert_int_equal(ctmod_diagnose_log(ctx, &log, NULL, &d), 0);
	struct ctmod_finding *f = ctmod_finding_add(&d, CTMOD_SEV_ERROR, "x", "m", "what");
	assert_non_null(f);
	ctmod_finding_fix(f, "sudo ctmod load m");
	ctmod_finding_fix(f, "dmesg | ctmod diagnose m --dmesg -");
	ctmod_finding_fix(f, "modinfo -p ctmod_x");
	char *want1, *want2;
	assert_true(asprintf(&want1, "sudo ctmod --root '%s/it'\\''s here' --kernel %s load m",
	                     root, KVER) > 0);
	assert_true(
	    asprintf(&want2,
	             "dmesg | ctmod --root '%s/it'\\''s here' --kernel %s diagnose m --dmesg -",
	             root, KVER) > 0);
	assert_string_equal(f->fix.v[0], want1);
	assert_string_equal(f->fix.v[1], want2);
	assert_string_equal(f->fix.v[2], "modinfo -p ctmod_x");
	free(want1);
	free(want2);
	ctmod_diagnosis_release(&d);
	ctmod_kmsg_release(&log);
	ctmod_ctx_free(ctx);
	free(spaced);
	rmroot(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version_findings),
	    cmocka_unit_test(test_other_findings),
	    cmocka_unit_test(test_tool_findings),
	    cmocka_unit_test(test_system_clean),
	    cmocka_unit_test(test_system_container_without_cap),
	    cmocka_unit_test(test_system_switches),
	    cmocka_unit_test(test_system_tree),
	    cmocka_unit_test(test_history_and_filter),
	    cmocka_unit_test(test_parameter_classes),
	    cmocka_unit_test(test_hardware_and_firmware),
	    cmocka_unit_test(test_firmware_package),
	    cmocka_unit_test(test_other_kernel_classes),
	    cmocka_unit_test(test_refusals_without_a_name),
	    cmocka_unit_test(test_lockdown_secure_boot),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_fix_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
