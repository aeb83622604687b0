// SPDX-License-Identifier: GPL-2.0-or-later
/* lib/kmsg.c over the logs captured from the real kernel (tests/data/kmsg). */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "kmsg.h"
#include "util.h"

#define FIX "tests/data/kmsg/"

static struct ctmod_ctx *ctx;

static int setup(void **state)
{
	(void)state;
	return ctmod_ctx_new(&ctx, NULL, "6.1.0-56-amd64");
}

static int teardown(void **state)
{
	(void)state;
	ctmod_ctx_free(ctx);
	return 0;
}

static void load(const char *name, struct ctmod_kmsg *log)
{
	ctmod_kmsg_init(log);
	assert_int_equal(ctmod_kmsg_read_file(ctx, name, log), 0);
}

static size_t count(const struct ctmod_kmsg *log, enum ctmod_kmsg_kind kind, const char *module)
{
	size_t n = 0;
	for (size_t i = 0; i < log->n; i++)
		if (log->ev[i].kind == kind &&
		    (!module || (log->ev[i].module && strcmp(log->ev[i].module, module) == 0)))
			n++;
	return n;
}

static const struct ctmod_kmsg_event *first(const struct ctmod_kmsg *log, enum ctmod_kmsg_kind kind)
{
	for (size_t i = 0; i < log->n; i++)
		if (log->ev[i].kind == kind)
			return &log->ev[i];
	fail_msg("no event of kind %s", ctmod_kmsg_kind_name(kind));
	return NULL;
}

static void test_unknown_symbol(void **state)
{
	(void)state;
	struct ctmod_kmsg log;
	load(FIX "unknown-symbol-v4l2loopback.dmesg.txt", &log);
	/* busybox insmod tries finit_module, then init_module: 18 symbols twice */
	assert_int_equal(count(&log, CTMOD_KMSG_UNKNOWN_SYMBOL, "v4l2loopback"), 36);
	assert_int_equal(count(&log, CTMOD_KMSG_TAINT_OOT, "v4l2loopback"), 1);
	assert_int_equal(count(&log, CTMOD_KMSG_SIG_MISSING, "v4l2loopback"), 1);
	assert_int_equal(log.n, 38);
	const struct ctmod_kmsg_event *e = first(&log, CTMOD_KMSG_UNKNOWN_SYMBOL);
	assert_string_equal(e->symbol, "v4l2_fh_exit");
	assert_int_equal(e->err, -ENOENT);
	assert_true(e->usec > 1000000); /* "[    4.763754] " */
	assert_int_equal(e->prio, -1);
	bool ioctl2 = false;
	for (size_t i = 0; i < log.n; i++)
		ioctl2 |= log.ev[i].symbol && strcmp(log.ev[i].symbol, "video_ioctl2") == 0;
	assert_true(ioctl2);
	ctmod_kmsg_release(&log);

	load(FIX "unknown-symbol-btrfs.dmesg.txt", &log);
	assert_int_equal(count(&log, CTMOD_KMSG_UNKNOWN_SYMBOL, "btrfs"), 22);
	ctmod_kmsg_release(&log);
}

static void test_version_lines(void **state)
{
	(void)state;
	struct ctmod_kmsg log;
	load(FIX "vermagic.dmesg.txt", &log);
	const struct ctmod_kmsg_event *e = first(&log, CTMOD_KMSG_VERMAGIC);
	assert_string_equal(e->module, "dummy");
	assert_non_null(strstr(e->arg, " SMP mod_unload modversions "));
	assert_non_null(strstr(e->arg2, " SMP preempt mod_unload modversions "));
	assert_string_not_equal(e->arg, e->arg2);
	ctmod_kmsg_release(&log);

	load(FIX "disagrees-version.dmesg.txt", &log);
	e = first(&log, CTMOD_KMSG_DISAGREES_VERSION);
	assert_string_equal(e->module, "dummy");
	assert_string_equal(e->symbol, "netif_carrier_on");
	e = first(&log, CTMOD_KMSG_UNKNOWN_SYMBOL);
	assert_int_equal(e->err, -EINVAL);
	ctmod_kmsg_release(&log);

	load(FIX "no-symbol-version.dmesg.txt", &log);
	e = first(&log, CTMOD_KMSG_NO_SYMBOL_VERSION);
	assert_string_equal(e->symbol, "netif_carrier_off");
	ctmod_kmsg_release(&log);

	load(FIX "namespace.dmesg.txt", &log);
	e = first(&log, CTMOD_KMSG_NAMESPACE);
	assert_string_equal(e->module, "snd_intel_dspcfg");
	assert_string_equal(e->symbol, "sdw_intel_acpi_scan");
	assert_string_equal(e->arg, "SND_INTEL_SOUNDWIRE_ACPI");
	assert_int_equal(count(&log, CTMOD_KMSG_UNKNOWN_SYMBOL, "snd_intel_dspcfg"), 2);
	ctmod_kmsg_release(&log);
}

static void test_other_kernel_lines(void **state)
{
	(void)state;
	struct ctmod_kmsg log;
	load(FIX "duplicate-symbol.dmesg.txt", &log);
	const struct ctmod_kmsg_event *e = first(&log, CTMOD_KMSG_DUPLICATE_SYMBOL);
	assert_string_equal(e->module, "libarc5");
	assert_string_equal(e->symbol, "arc4_crypt");
	assert_string_equal(e->arg, "libarc4");
	ctmod_kmsg_release(&log);

	load(FIX "unknown-parameter.dmesg.txt", &log);
	e = first(&log, CTMOD_KMSG_UNKNOWN_PARAM);
	assert_string_equal(e->module, "dummy");
	assert_string_equal(e->symbol, "foo");
	ctmod_kmsg_release(&log);

	load(FIX "license-taint.dmesg.txt", &log);
	e = first(&log, CTMOD_KMSG_TAINT_LICENSE);
	assert_string_equal(e->arg, "BSD");
	/* "Disabling lock debugging due to kernel taint" is not about a module */
	assert_int_equal(log.n, 17);
	ctmod_kmsg_release(&log);

	load(FIX "staging.dmesg.txt", &log);
	assert_int_equal(count(&log, CTMOD_KMSG_TAINT_STAGING, "qlge"), 1);
	ctmod_kmsg_release(&log);

	load(FIX "blacklisted.dmesg.txt", &log);
	assert_int_equal(count(&log, CTMOD_KMSG_BLACKLISTED, "qnx4"), 2);
	ctmod_kmsg_release(&log);

	load(FIX "lockdown.dmesg.txt", &log);
	/* "Kernel is locked down from securityfs" is no refusal: it says where lockdown came from
	 */
	assert_int_equal(log.n, 3);
	e = first(&log, CTMOD_KMSG_LOCKDOWN_SOURCE);
	assert_null(e->module);
	assert_string_equal(e->arg, "securityfs");
	e = first(&log, CTMOD_KMSG_LOCKDOWN);
	assert_null(e->module);
	assert_string_equal(e->arg, "insmod");
	assert_string_equal(e->arg2, "unsigned module loading");
	ctmod_kmsg_release(&log);

	load(FIX "sig-enforce.dmesg.txt", &log);
	e = first(&log, CTMOD_KMSG_SIG_REJECTED);
	assert_string_equal(e->arg, "unsigned module");
	assert_int_equal(log.n, 3);
	ctmod_kmsg_release(&log);

	load(FIX "busybox-modprobe-btrfs.dmesg.txt", &log);
	assert_int_equal(log.n, 0); /* raid6/xor benchmarks only */
	assert_true(log.lines > 0);
	ctmod_kmsg_release(&log);
}

static void tool(const char *file, const char *module, const char *toolname, int err,
                 enum ctmod_kmsg_kind kind)
{
	struct ctmod_kmsg log;
	load(file, &log);
	assert_true(log.n >= 1);
	assert_int_equal(log.ev[0].kind, kind);
	assert_string_equal(log.ev[0].module, module);
	assert_string_equal(log.ev[0].arg, toolname);
	assert_int_equal(log.ev[0].err, err);
	ctmod_kmsg_release(&log);
}

static void test_tool_lines(void **state)
{
	(void)state;
	const enum ctmod_kmsg_kind F = CTMOD_KMSG_TOOL_FAILED;
	tool(FIX "no-cap-kmod-modprobe.tool.txt", "dummy", "modprobe", -EPERM, F);
	tool(FIX "no-cap-busybox-insmod.tool.txt", "dummy", "insmod", -EPERM, F);
	tool(FIX "unknown-symbol-kmod-insmod.tool.txt", "v4l2loopback", "insmod", -ENOENT, F);
	tool(FIX "unknown-symbol-v4l2loopback.tool.txt", "v4l2loopback", "insmod", -ENOENT, F);
	tool(FIX "busybox-modprobe-btrfs.tool.txt", "libcrc32c", "modprobe", -ENOENT, F);
	tool(FIX "vermagic.tool.txt", "dummy_vermagic", "insmod", -ENOEXEC, F);
	tool(FIX "vermagic-kmod-insmod.tool.txt", "dummy_vermagic", "insmod", -ENOEXEC, F);
	tool(FIX "already-loaded.tool.txt", "libarc4", "insmod", -EEXIST, F);
	tool(FIX "disagrees-version.tool.txt", "dummy_crc", "insmod", -EINVAL, F);
	tool(FIX "sig-enforce.tool.txt", "v4l2loopback", "insmod", -EKEYREJECTED, F);
	tool(FIX "blacklisted-kmod-modprobe.tool.txt", "qnx4", "modprobe", -EPERM, F);
	tool(FIX "modules-disabled.tool.txt", "dummy", "insmod", -EPERM, F);
}

static void test_raw_kmsg(void **state)
{
	(void)state;
	struct ctmod_kmsg log;
	load(FIX "guest.kmsg.txt", &log);
	assert_true(log.lines > 500);
	const struct ctmod_kmsg_event *e = first(&log, CTMOD_KMSG_UNKNOWN_SYMBOL);
	assert_string_equal(e->module, "v4l2loopback");
	assert_int_equal(e->prio, 4); /* pr_warn */
	assert_true(e->seq > 0);
	assert_true(e->usec > 0);
	/* every case of the boot is in the raw log too */
	assert_true(count(&log, CTMOD_KMSG_VERMAGIC, "dummy") >= 2);
	assert_true(count(&log, CTMOD_KMSG_NAMESPACE, NULL) >= 2);
	assert_true(count(&log, CTMOD_KMSG_LOCKDOWN, NULL) >= 2);
	assert_true(count(&log, CTMOD_KMSG_SIG_REJECTED, NULL) >= 3);
	/* the markers the capture wrote are user records, not the kernel's */
	for (size_t i = 0; i < log.n; i++)
		assert_null(strstr(log.ev[i].text, "ctmod-fixture"));
	ctmod_kmsg_release(&log);
}

/* one real line behind each prefix the tools put in front of it */
static void test_prefixes(void **state)
{
	(void)state;
	static const char *const lines[] = {
	    "v4l2loopback: Unknown symbol video_ioctl2 (err -2)",
	    "[    3.863311] v4l2loopback: Unknown symbol video_ioctl2 (err -2)",
	    "<4>[    3.863311] v4l2loopback: Unknown symbol video_ioctl2 (err -2)",
	    "4,384,3863311,-;v4l2loopback: Unknown symbol video_ioctl2 (err -2)",
	    "Nov 23 03:21:00 host kernel: [    3.863311] v4l2loopback: Unknown symbol "
	    "video_ioctl2 (err -2)",
	    "2026-11-23T03:21:00+0000 host kernel: v4l2loopback: Unknown symbol video_ioctl2 "
	    "(err -2)\r",
	    "[Mon Nov 23 03:21:00 2026] v4l2loopback: Unknown symbol video_ioctl2 (err -2)",
	    "kern  :warn  : [    3.863311] v4l2loopback: Unknown symbol video_ioctl2 (err -2)",
	};
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		struct ctmod_kmsg_event ev;
		assert_int_equal(ctmod_kmsg_parse_line(lines[i], strlen(lines[i]), &ev), 1);
		assert_int_equal(ev.kind, CTMOD_KMSG_UNKNOWN_SYMBOL);
		assert_string_equal(ev.module, "v4l2loopback");
		assert_string_equal(ev.symbol, "video_ioctl2");
		assert_int_equal(ev.err, -2);
		if (i == 1 || i == 2)
			assert_int_equal(ev.usec, 3863311);
		ctmod_kmsg_event_release(&ev);
	}
	static const char *const not_ours[] = {
	    "",
	    "raid6: using algorithm avx2x4 gen() 1702 MB/s",
	    "12,380,4711100,-;v4l2loopback: Unknown symbol video_ioctl2 (err -2)",
	    ": Unknown symbol x (err -2)",
	    "insmod: can't insert '/m/': Operation not permitted",
	    "Module  is blacklisted",
	    "user  :warn  : [    3.863311] v4l2loopback: Unknown symbol video_ioctl2 (err -2)",
	};
	for (size_t i = 0; i < ARRAY_SIZE(not_ours); i++) {
		struct ctmod_kmsg_event ev;
		assert_int_equal(ctmod_kmsg_parse_line(not_ours[i], strlen(not_ours[i]), &ev), 0);
	}
}

/*
 * Spellings of older kernels, which the 6.1 guest cannot print: the formats
 * are those of kernel/params.c before 4.5 ("%s: Unknown parameter `%s'\n",
 * and the load failed) and kernel/module.c before 2.6.31 ("%s: Unknown
 * symbol %s\n").  Not captured from a guest.
 */
static void test_old_spellings(void **state)
{
	(void)state;
	struct ctmod_kmsg_event ev;
	const char *l1 = "[    3.100000] dummy: Unknown parameter `foo'";
	assert_int_equal(ctmod_kmsg_parse_line(l1, strlen(l1), &ev), 1);
	assert_int_equal(ev.kind, CTMOD_KMSG_UNKNOWN_PARAM);
	assert_string_equal(ev.symbol, "foo");
	assert_int_equal(ev.err, -ENOENT);
	ctmod_kmsg_event_release(&ev);
	const char *l2 = "btrfs: Unknown symbol crc32c";
	assert_int_equal(ctmod_kmsg_parse_line(l2, strlen(l2), &ev), 1);
	assert_int_equal(ev.kind, CTMOD_KMSG_UNKNOWN_SYMBOL);
	assert_string_equal(ev.symbol, "crc32c");
	assert_int_equal(ev.err, 0);
	ctmod_kmsg_event_release(&ev);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct ctmod_kmsg log;
	ctmod_kmsg_init(&log);
	static const char bin[] = "v4l2loopback: Unknown symbol a (err -2)\n\0\x7f"
	                          "ELF";
	assert_int_equal(ctmod_kmsg_parse(ctx, "x", bin, sizeof(bin) - 1, &log), -EINVAL);
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	assert_non_null(strstr(ctmod_ctx_error(ctx), "not a kernel log"));
	ctmod_ctx_clear_error(ctx);
	assert_int_equal(ctmod_kmsg_read_file(ctx, FIX "no-such-file", &log), -ENOENT);
	assert_int_equal(ctmod_ctx_err_class(ctx), CTMOD_ERR_BAD_INPUT);
	ctmod_ctx_clear_error(ctx);
	ctmod_kmsg_release(&log);
}

/* /dev/kmsg under a root: a regular file in the kmsg format reads the same */
static void test_read_kernel_under_root(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/ctmod-unit-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	struct ctmod_ctx *rctx;
	assert_int_equal(ctmod_ctx_new(&rctx, tmpl, "6.1.0-56-amd64"), 0);
	struct ctmod_kmsg log;
	ctmod_kmsg_init(&log);
	assert_int_equal(ctmod_kmsg_read_kernel(rctx, &log), -ENOENT);
	assert_non_null(strstr(ctmod_ctx_hint(rctx), "--dmesg"));

	char *dev, *kmsg, *buf;
	size_t len;
	assert_true(asprintf(&dev, "%s/dev", tmpl) > 0);
	assert_true(asprintf(&kmsg, "%s/dev/kmsg", tmpl) > 0);
	assert_int_equal(mkdir_p(dev, 0755), 0);
	assert_int_equal(read_file(FIX "guest.kmsg.txt", 1 << 24, &buf, &len), 0);
	assert_int_equal(write_file_atomic(kmsg, buf, len, 0644), 0);
	assert_int_equal(ctmod_kmsg_read_kernel(rctx, &log), 0);
	assert_true(count(&log, CTMOD_KMSG_UNKNOWN_SYMBOL, "v4l2loopback") >= 36);
	ctmod_kmsg_release(&log);
	free(buf);
	free(dev);
	free(kmsg);
	ctmod_ctx_free(rctx);
	assert_int_equal(rm_rf(tmpl), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unknown_symbol),
	    cmocka_unit_test(test_version_lines),
	    cmocka_unit_test(test_other_kernel_lines),
	    cmocka_unit_test(test_tool_lines),
	    cmocka_unit_test(test_raw_kmsg),
	    cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_old_spellings),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_read_kernel_under_root),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
