// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmsg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Logs are read whole; a bigger one is not a kernel log we should scan. */
#define KMSG_MAX_BYTES (64u << 20)
/* printk never emits longer lines (LOG_LINE_MAX is 1024 minus the prefix) */
#define KMSG_MAX_LINE 4096

/*
 * The kernel's own formats (kernel/module/main.c, version.c, signing.c,
 * kernel/params.c, security/lockdown/lockdown.c of 6.1, and the spellings
 * older kernels used), and the error lines of kmod's and busybox's tools.
 * Conversions: %M module name, %P a module file (its name is the module),
 * %S symbol, %A arg, %B arg2, %E the errno number, %X ignored text.
 * Text conversions are as short as the rest of the pattern allows.
 */
struct pattern {
	enum ctmod_kmsg_kind kind;
	const char *fmt;
	const char *tool; /* for the tools' lines: stored in arg */
};

static const struct pattern patterns[] = {
    {CTMOD_KMSG_UNKNOWN_SYMBOL, "%M: Unknown symbol %S (err %E)", NULL},
    {CTMOD_KMSG_UNKNOWN_SYMBOL, "%M: Unknown symbol %S", NULL}, /* before 2.6.31 */
    {CTMOD_KMSG_DISAGREES_VERSION, "%M: disagrees about version of symbol %S", NULL},
    {CTMOD_KMSG_NO_SYMBOL_VERSION, "%M: no symbol version for %S", NULL},
    {CTMOD_KMSG_VERMAGIC, "%M: version magic '%A' should be '%B'", NULL},
    {CTMOD_KMSG_SIG_MISSING,
     "%M: module verification failed: signature and/or required key missing - tainting kernel",
     NULL},
    {CTMOD_KMSG_SIG_REJECTED, "Loading of %A is rejected", NULL},
    {CTMOD_KMSG_LOCKDOWN, "Lockdown: %A: %B is restricted; see man kernel_lockdown.7", NULL},
    {CTMOD_KMSG_LOCKDOWN_SOURCE, "Kernel is locked down from %A; see man kernel_lockdown.7", NULL},
    {CTMOD_KMSG_NAMESPACE, "%M: module uses symbol (%S) from namespace %A, but does not import it.",
     NULL},
    {CTMOD_KMSG_BLACKLISTED, "Module %M is blacklisted", NULL},
    {CTMOD_KMSG_DUPLICATE_SYMBOL, "%M: exports duplicate symbol %S (owned by %A)", NULL},
    {CTMOD_KMSG_UNKNOWN_PARAM, "%M: unknown parameter '%S' ignored", NULL},
    {CTMOD_KMSG_UNKNOWN_PARAM, "%M: Unknown parameter `%S'", NULL}, /* before 4.5 */
    {CTMOD_KMSG_TAINT_OOT, "%M: loading out-of-tree module taints kernel.", NULL},
    {CTMOD_KMSG_TAINT_LICENSE, "%M: module license '%A' taints kernel.", NULL},
    {CTMOD_KMSG_TAINT_STAGING,
     "%M: module is from the staging directory, the quality is unknown, you have been warned.",
     NULL},
    {CTMOD_KMSG_BAD_PARAM_VALUE, "%M: `%A' invalid for parameter `%S'", NULL},
    {CTMOD_KMSG_BAD_PARAM_VALUE, "%M: `' invalid for parameter `%S'", NULL}, /* an empty value */
    /* drivers/base/firmware_loader: "DRIVER DEVICE: ..." */
    {CTMOD_KMSG_FIRMWARE, "%M %S: firmware: failed to load %A (%E)", NULL},
    {CTMOD_KMSG_FIRMWARE, "%M %S: Direct firmware load for %A failed with error %E", NULL},
    /* arch/x86/kvm: the CPU lacks VMX/SVM, or the firmware turned it off */
    {CTMOD_KMSG_NO_HARDWARE, "kvm: no hardware support for '%M'", NULL},
    {CTMOD_KMSG_NO_HARDWARE, "kvm: support for '%M' %A", NULL},
    /* kmod */
    {CTMOD_KMSG_TOOL_FAILED, "modprobe: ERROR: could not insert '%M': %B", "modprobe"},
    {CTMOD_KMSG_TOOL_FAILED, "insmod: ERROR: could not insert module %P: %B", "insmod"},
    {CTMOD_KMSG_TOOL_NOT_FOUND, "modprobe: FATAL: Module %M not found in directory %X", "modprobe"},
    {CTMOD_KMSG_TOOL_NOT_FOUND, "modprobe: FATAL: Module %M not found.", "modprobe"},
    {CTMOD_KMSG_TOOL_NOT_FOUND,
     "insmod: ERROR: could not load module %P: No such file or directory", "insmod"},
    /* busybox */
    {CTMOD_KMSG_TOOL_FAILED, "insmod: can't insert '%P': %B", "insmod"},
    {CTMOD_KMSG_TOOL_FAILED, "modprobe: can't load module %M (%X): %B", "modprobe"},
    {CTMOD_KMSG_TOOL_NOT_FOUND, "modprobe: module %M not found in modules.dep", "modprobe"},
};

static const char *const kind_names[] = {
    [CTMOD_KMSG_UNKNOWN_SYMBOL] = "unknown-symbol",
    [CTMOD_KMSG_DISAGREES_VERSION] = "disagrees-about-version",
    [CTMOD_KMSG_NO_SYMBOL_VERSION] = "no-symbol-version",
    [CTMOD_KMSG_VERMAGIC] = "version-magic",
    [CTMOD_KMSG_SIG_MISSING] = "signature-missing",
    [CTMOD_KMSG_SIG_REJECTED] = "signature-rejected",
    [CTMOD_KMSG_LOCKDOWN] = "lockdown",
    [CTMOD_KMSG_NAMESPACE] = "namespace-not-imported",
    [CTMOD_KMSG_BLACKLISTED] = "blacklisted",
    [CTMOD_KMSG_DUPLICATE_SYMBOL] = "duplicate-symbol",
    [CTMOD_KMSG_UNKNOWN_PARAM] = "unknown-parameter",
    [CTMOD_KMSG_TAINT_OOT] = "taint-out-of-tree",
    [CTMOD_KMSG_TAINT_LICENSE] = "taint-license",
    [CTMOD_KMSG_TAINT_STAGING] = "taint-staging",
    [CTMOD_KMSG_TOOL_FAILED] = "tool-failed",
    [CTMOD_KMSG_TOOL_NOT_FOUND] = "tool-not-found",
    [CTMOD_KMSG_BAD_PARAM_VALUE] = "bad-parameter-value",
    [CTMOD_KMSG_FIRMWARE] = "firmware-missing",
    [CTMOD_KMSG_NO_HARDWARE] = "no-hardware",
    [CTMOD_KMSG_LOCKDOWN_SOURCE] = "lockdown-source",
};

const char *ctmod_kmsg_kind_name(enum ctmod_kmsg_kind kind)
{
	if ((size_t)kind < ARRAY_SIZE(kind_names) && kind_names[kind])
		return kind_names[kind];
	return "unknown";
}

/* busybox's moderror() words for some errnos; the rest are strerror() */
static const struct {
	const char *text;
	int err;
} reasons[] = {
    {"unknown symbol in module, or unknown parameter", ENOENT},
    {"Unknown symbol in module", ENOENT},
    {"invalid module format", ENOEXEC},
    {"Invalid module format", ENOEXEC},
    {"module has wrong symbol version", ESRCH},
    {"kernel does not support requested operation", ENOSYS},
    {"no such module", ENOENT},
    {"Module already in kernel", EEXIST},
};

int ctmod_kmsg_reason_errno(const char *reason)
{
	if (!reason)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++)
		if (strcasecmp(reason, reasons[i].text) == 0)
			return -reasons[i].err;
	for (int e = 1; e < 134; e++) {
		const char *s = strerror(e);
		if (s && strcasecmp(reason, s) == 0)
			return -e;
	}
	return 0;
}

static bool modname_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

struct caps {
	const char *s[6]; /* M P S A B X */
	size_t n[6];
	long err;
	bool has_err;
};

static int conv_slot(char c)
{
	switch (c) {
	case 'M':
		return 0;
	case 'P':
		return 1;
	case 'S':
		return 2;
	case 'A':
		return 3;
	case 'B':
		return 4;
	case 'X':
		return 5;
	}
	return -1;
}

/* Does s[0..n) match fmt?  Recursion depth is the number of conversions. */
static bool match(const char *s, size_t n, const char *fmt, struct caps *c)
{
	while (*fmt && *fmt != '%') {
		if (n == 0 || *s != *fmt)
			return false;
		s++, n--, fmt++;
	}
	if (!*fmt)
		return n == 0;
	char conv = fmt[1];
	const char *rest = fmt + 2;
	if (conv == 'M') {
		size_t k = 0;
		/* MODULE_NAME_LEN is 64 - sizeof(unsigned long) */
		while (k < n && k < 56 && modname_char(s[k]))
			k++;
		if (k == 0 || k >= 56)
			return false;
		c->s[0] = s, c->n[0] = k;
		return match(s + k, n - k, rest, c);
	}
	if (conv == 'E') {
		size_t k = 0;
		if (k < n && (s[k] == '-' || s[k] == '+'))
			k++;
		size_t digits = 0;
		while (k < n && isdigit((unsigned char)s[k]) && digits < 9)
			k++, digits++;
		if (!digits)
			return false;
		char num[16];
		memcpy(num, s, k);
		num[k] = '\0';
		c->err = strtol(num, NULL, 10);
		c->has_err = true;
		return match(s + k, n - k, rest, c);
	}
	int slot = conv_slot(conv);
	if (slot < 0)
		return false;
	if (!*rest) { /* the rest of the line */
		if (n == 0)
			return false;
		c->s[slot] = s, c->n[slot] = n;
		return true;
	}
	/* shortest capture first, trying only where the next literal starts */
	for (size_t k = 1; k <= n; k++) {
		if (*rest != '%' && (k == n || s[k] != *rest))
			continue;
		c->s[slot] = s, c->n[slot] = k;
		if (match(s + k, n - k, rest, c))
			return true;
	}
	return false;
}

static char *dup_n(const char *s, size_t n)
{
	return s ? xstrndup(s, n) : NULL;
}

/* "/m/v4l2loopback.ko.xz" -> "v4l2loopback" */
static char *module_from_path(const char *p, size_t n)
{
	const char *base = p;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			base = p + i + 1;
	size_t len = n - (size_t)(base - p);
	for (size_t i = 0; i + 3 <= len; i++)
		if (memcmp(base + i, ".ko", 3) == 0 && (i + 3 == len || base[i + 3] == '.')) {
			len = i;
			break;
		}
	if (len == 0 || len >= 64)
		return NULL;
	char raw[64], norm[64];
	memcpy(raw, base, len);
	raw[len] = '\0';
	modname_normalize(raw, norm, sizeof(norm));
	if (!modname_valid(norm))
		return NULL;
	return xstrdup(norm);
}

/*
 * Strip what precedes the message: a /dev/kmsg header "prio,seq,usec,flags;",
 * a syslog "<4>", a "[  12.345678] " stamp (or dmesg -T's date), a
 * syslog/journal "Nov 23 03:21:00 host kernel: " prefix.  Returns false for
 * records that are not the kernel's (a facility other than kern).
 */
/*
 * A /dev/kmsg header: digits ',' digits ',' digits ',' flags ';'.  Returns
 * 1 when stripped, 0 when there is none, -1 for a record of another
 * facility than kern (written by a program).
 */
static int strip_kmsg_header(const char **ps, size_t *pn, struct ctmod_kmsg_event *ev)
{
	const char *s = *ps;
	size_t n = *pn;
	if (!n || !isdigit((unsigned char)s[0]))
		return 0;
	const char *semi = memchr(s, ';', n < 128 ? n : 128);
	if (!semi)
		return 0;
	unsigned long long f[3];
	int used = 0;
	char hdr[128];
	size_t hl = (size_t)(semi - s);
	memcpy(hdr, s, hl);
	hdr[hl] = '\0';
	if (sscanf(hdr, "%llu,%llu,%llu,%n", &f[0], &f[1], &f[2], &used) != 3 || used <= 0)
		return 0;
	if (f[0] >> 3) /* not LOG_KERN: written by a program */
		return -1;
	ev->prio = (int)(f[0] & 7);
	ev->seq = f[1];
	ev->usec = f[2] > LLONG_MAX ? -1 : (long long)f[2];
	*ps = semi + 1;
	*pn = n - (hl + 1);
	return 1;
}

/* dmesg -x: "kern  :warn  : " (another facility is not the kernel's: false) */
static bool strip_dmesg_facility(const char **ps, size_t *pn)
{
	const char *s = *ps;
	size_t n = *pn;
	size_t k = 0;
	while (k < n && k < 8 && islower((unsigned char)s[k]))
		k++;
	size_t c1 = k;
	while (c1 < n && c1 < 10 && s[c1] == ' ')
		c1++;
	if (k < 3 || c1 >= n || s[c1] != ':')
		return true;
	size_t c2 = c1 + 1;
	while (c2 < n && c2 < c1 + 10 && (islower((unsigned char)s[c2]) || s[c2] == ' '))
		c2++;
	if (c2 < n && s[c2] == ':' && c2 > c1 + 1 && c2 + 1 < n && s[c2 + 1] == ' ') {
		if (k != 4 || memcmp(s, "kern", 4) != 0)
			return false;
		*ps = s + c2 + 2;
		*pn = n - (c2 + 2);
	}
	return true;
}

/* syslog's "<4>" (another facility than kern: false) */
static bool strip_syslog_prio(const char **ps, size_t *pn, struct ctmod_kmsg_event *ev)
{
	const char *s = *ps;
	size_t n = *pn;
	if (n < 3 || s[0] != '<' || !isdigit((unsigned char)s[1]))
		return true;
	size_t k = 1;
	int p = 0;
	while (k < n && k < 5 && isdigit((unsigned char)s[k]))
		p = p * 10 + (s[k++] - '0');
	if (k < n && s[k] == '>') {
		if (p >> 3)
			return false;
		ev->prio = p & 7;
		*ps = s + k + 1;
		*pn = n - (k + 1);
	}
	return true;
}

/* "[  12.345678] " (or dmesg -T's date) */
static void strip_stamp(const char **ps, size_t *pn, struct ctmod_kmsg_event *ev)
{
	const char *s = *ps;
	size_t n = *pn;
	const char *close = n && s[0] == '[' ? memchr(s, ']', n < 48 ? n : 48) : NULL;
	if (!close)
		return;
	char ts[48];
	size_t tl = (size_t)(close - s - 1);
	memcpy(ts, s + 1, tl);
	ts[tl] = '\0';
	unsigned long sec, frac;
	int used = 0;
	const char *t = ts;
	while (*t == ' ')
		t++;
	if (sscanf(t, "%lu.%6lu%n", &sec, &frac, &used) == 2 && t[used] == '\0')
		ev->usec =
		    sec >= LLONG_MAX / 1000000 ? -1 : (long long)sec * 1000000LL + (long long)frac;
	s = close + 1;
	n -= tl + 2;
	if (n && *s == ' ')
		s++, n--;
	*ps = s;
	*pn = n;
}

static bool strip_prefix(const char **ps, size_t *pn, struct ctmod_kmsg_event *ev)
{
	int k = strip_kmsg_header(ps, pn, ev);
	if (k != 0)
		return k > 0;
	if (!strip_dmesg_facility(ps, pn))
		return false;
	/* syslog, journal: "... kernel: " near the start */
	const char *s = *ps;
	size_t n = *pn;
	const char *kw = memmem(s, n < 128 ? n : 128, " kernel: ", 9);
	if (kw) {
		*pn = n - (size_t)(kw + 9 - s);
		*ps = kw + 9;
	}
	if (!strip_syslog_prio(ps, pn, ev))
		return false;
	strip_stamp(ps, pn, ev);
	return true;
}

void ctmod_kmsg_event_release(struct ctmod_kmsg_event *ev)
{
	free(ev->module);
	free(ev->symbol);
	free(ev->arg);
	free(ev->arg2);
	free(ev->text);
	free(ev->path);
	memset(ev, 0, sizeof(*ev));
}

int ctmod_kmsg_parse_line(const char *line, size_t len, struct ctmod_kmsg_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->prio = -1;
	ev->usec = -1;
	if (len > KMSG_MAX_LINE)
		return 0;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (!strip_prefix(&line, &len, ev))
		return 0;

	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
		struct caps c = {0};
		if (!match(line, len, patterns[i].fmt, &c))
			continue;
		ev->kind = patterns[i].kind;
		if (c.s[0]) {
			char raw[64], norm[64];
			memcpy(raw, c.s[0], c.n[0]);
			raw[c.n[0]] = '\0';
			modname_normalize(raw, norm, sizeof(norm));
			ev->module = xstrdup(norm);
		} else if (c.s[1]) {
			ev->module = module_from_path(c.s[1], c.n[1]);
			ev->path = dup_n(c.s[1], c.n[1]);
		}
		ev->symbol = dup_n(c.s[2], c.n[2]);
		ev->arg = patterns[i].tool ? xstrdup(patterns[i].tool) : dup_n(c.s[3], c.n[3]);
		ev->arg2 = dup_n(c.s[4], c.n[4]);
		ev->text = dup_n(line, len);
		if (c.has_err)
			ev->err = c.err < -4095 || c.err > 4095 ? 0 : (int)c.err;
		else if (ev->kind == CTMOD_KMSG_TOOL_FAILED)
			ev->err = ctmod_kmsg_reason_errno(ev->arg2);
		else if (ev->kind == CTMOD_KMSG_TOOL_NOT_FOUND)
			ev->err = -ENOENT;
		else if (ev->kind == CTMOD_KMSG_UNKNOWN_PARAM && strchr(patterns[i].fmt, '`'))
			ev->err = -ENOENT; /* before 4.5 an unknown parameter failed the load */
		/* a tool line about a file whose name is no module name */
		if ((ev->kind == CTMOD_KMSG_TOOL_FAILED || ev->kind == CTMOD_KMSG_TOOL_NOT_FOUND) &&
		    !ev->module) {
			ctmod_kmsg_event_release(ev);
			return 0;
		}
		return 1;
	}
	return 0;
}

void ctmod_kmsg_init(struct ctmod_kmsg *log)
{
	memset(log, 0, sizeof(*log));
}

void ctmod_kmsg_release(struct ctmod_kmsg *log)
{
	for (size_t i = 0; i < log->n; i++)
		ctmod_kmsg_event_release(&log->ev[i]);
	free(log->ev);
	ctmod_kmsg_init(log);
}

static void push(struct ctmod_kmsg *log, const struct ctmod_kmsg_event *ev)
{
	ARRAY_RESERVE(log->ev, log->cap, log->n + 1);
	log->ev[log->n++] = *ev;
}

int ctmod_kmsg_parse(struct ctmod_ctx *ctx, const char *name, const char *buf, size_t len,
                     struct ctmod_kmsg *log)
{
	if (memchr(buf, '\0', len))
		return ctmod_fail_input(ctx, -EINVAL, "give a dmesg text or a kernel log file",
		                        "%s: not a kernel log (it holds NUL bytes)", name);
	const char *end = buf + len;
	for (const char *p = buf; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* /dev/kmsg continuation lines (" SUBSYSTEM=...") carry no message */
		if (n && p[0] != ' ') {
			struct ctmod_kmsg_event ev;
			if (ctmod_kmsg_parse_line(p, n, &ev) > 0)
				push(log, &ev);
		}
		log->lines++;
		p += n + 1;
	}
	return 0;
}

static int read_fd(int fd, struct strbuf *sb, bool records)
{
	/* /dev/kmsg hands out one record per read and wants room for it */
	char chunk[16384];
	for (;;) {
		ssize_t k = read(fd, chunk, sizeof(chunk));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (records && errno == EPIPE) /* overwritten records: go on */
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (k == 0)
			return 0;
		if (sb->len + (size_t)k > KMSG_MAX_BYTES)
			return -EFBIG;
		strbuf_putn(sb, chunk, (size_t)k);
	}
}

int ctmod_kmsg_read_file(struct ctmod_ctx *ctx, const char *path, struct ctmod_kmsg *log)
{
	bool in = strcmp(path, "-") == 0;
	const char *name = in ? "standard input" : path;
	int fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ctmod_fail_input(ctx, -errno,
		                        "give a dmesg text file, or - for standard input", "%s: %s",
		                        path, strerror(errno));
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	int r = read_fd(fd, &sb, false);
	if (!in)
		close(fd);
	if (r == -EFBIG)
		r = ctmod_fail_input(ctx, r, "pass the part of the log about the failed load",
		                     "%s: larger than %u MiB", name, KMSG_MAX_BYTES >> 20);
	else if (r < 0)
		r = ctmod_fail_input(ctx, r, NULL, "%s: %s", name, strerror(-r));
	else
		r = ctmod_kmsg_parse(ctx, name, strbuf_str(&sb), sb.len, log);
	return r;
}

int ctmod_kmsg_read_kernel(struct ctmod_ctx *ctx, struct ctmod_kmsg *log)
{
	_cleanup_free_ char *path = ctmod_path(ctx, "/dev/kmsg");
	if (!path)
		return -ENOMEM;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == EPERM || e == EACCES)
			return ctmod_fail(
			    ctx, -e,
			    "run as root, or pass the log: dmesg | ctmod diagnose --dmesg -",
			    "%s: the kernel log is not readable here (kernel.dmesg_restrict)",
			    path);
		return ctmod_fail(ctx, -e, "pass the log with --dmesg FILE", "%s: %s", path,
		                  strerror(e));
	}
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	int r = read_fd(fd, &sb, true);
	close(fd);
	if (r == -EPERM || r == -EACCES)
		r = ctmod_fail(
		    ctx, r, "run as root, or pass the log: dmesg | ctmod diagnose --dmesg -",
		    "%s: the kernel log is not readable here (kernel.dmesg_restrict)", path);
	else if (r < 0)
		r = ctmod_fail(ctx, r, "pass the log with --dmesg FILE", "%s: %s", path,
		               strerror(-r));
	else
		r = ctmod_kmsg_parse(ctx, path, strbuf_str(&sb), sb.len, log);
	return r;
}
