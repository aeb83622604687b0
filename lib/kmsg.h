/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel log, read for what it says about module loading: /dev/kmsg
 * records ("prio,seq,usec,flags;text"), dmesg output with or without
 * "[   12.345678] " stamps, syslog/journal lines ("... kernel: text"), and
 * the error lines modprobe, insmod and busybox print, which users paste.
 * Each line that matches one of the kernel's own message formats becomes
 * an event naming the module it is about.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"

enum ctmod_kmsg_kind {
	CTMOD_KMSG_UNKNOWN_SYMBOL = 1, /* module, symbol, err (0 when not printed) */
	CTMOD_KMSG_DISAGREES_VERSION,  /* module, symbol */
	CTMOD_KMSG_NO_SYMBOL_VERSION,  /* module, symbol */
	CTMOD_KMSG_VERMAGIC,           /* module, arg = module's magic, arg2 = kernel's */
	CTMOD_KMSG_SIG_MISSING,        /* module: unsigned, kernel tainted */
	CTMOD_KMSG_SIG_REJECTED,       /* arg = what ("unsigned module"); no module */
	CTMOD_KMSG_LOCKDOWN,           /* arg = program, arg2 = what is restricted */
	CTMOD_KMSG_NAMESPACE,          /* module, symbol, arg = namespace */
	CTMOD_KMSG_BLACKLISTED,        /* module (module_blacklist= on the command line) */
	CTMOD_KMSG_DUPLICATE_SYMBOL,   /* module, symbol, arg = owner */
	CTMOD_KMSG_UNKNOWN_PARAM,      /* module, symbol = parameter; err when it failed the load */
	CTMOD_KMSG_TAINT_OOT,          /* module */
	CTMOD_KMSG_TAINT_LICENSE,      /* module, arg = license */
	CTMOD_KMSG_TAINT_STAGING,      /* module */
	CTMOD_KMSG_TOOL_FAILED,        /* module, arg = tool, arg2 = reason, err */
	CTMOD_KMSG_TOOL_NOT_FOUND,     /* module, arg = tool */
	CTMOD_KMSG_BAD_PARAM_VALUE,    /* module, symbol = parameter, arg = value */
	CTMOD_KMSG_FIRMWARE,    /* module = the driver, symbol = the device, arg = the file, err */
	CTMOD_KMSG_NO_HARDWARE, /* module, arg = "disabled by bios" or NULL */
	CTMOD_KMSG_LOCKDOWN_SOURCE, /* arg = "command line", "securityfs", "EFI Secure Boot mode" */
};

struct ctmod_kmsg_event {
	enum ctmod_kmsg_kind kind;
	char *module; /* normalized ('_'); NULL when the line names none */
	char *symbol;
	char *arg;
	char *arg2;
	int err;                /* -errno: "(err -2)", or the tool's reason */
	int prio;               /* syslog priority, -1 when the input has none */
	unsigned long long seq; /* /dev/kmsg sequence number, 0 when none */
	long long usec;         /* time since boot, -1 when the input has none */
	char *text;             /* the message, without prefixes */
	char *path;             /* the module file a tool's line names, or NULL */
};

struct ctmod_kmsg {
	struct ctmod_kmsg_event *ev;
	size_t n, cap;
	size_t lines; /* lines read, matched or not */
};

void ctmod_kmsg_init(struct ctmod_kmsg *log);
void ctmod_kmsg_release(struct ctmod_kmsg *log);

/*
 * Parse one line (without its newline).  Returns 1 and fills ev (release it
 * with ctmod_kmsg_event_release) when the line is about module loading, 0
 * when it is not.
 */
int ctmod_kmsg_parse_line(const char *line, size_t len, struct ctmod_kmsg_event *ev);
void ctmod_kmsg_event_release(struct ctmod_kmsg_event *ev);

/*
 * Parse a whole log held in memory, adding events to log.  Text with NUL
 * bytes is not a log: bad input.  name is used in messages.
 */
int ctmod_kmsg_parse(struct ctmod_ctx *ctx, const char *name, const char *buf, size_t len,
                     struct ctmod_kmsg *log);
/* A dmesg text file, or standard input for "-". */
int ctmod_kmsg_read_file(struct ctmod_ctx *ctx, const char *path, struct ctmod_kmsg *log);
/*
 * The kernel's own log: ROOT/dev/kmsg read without blocking, record by
 * record until EAGAIN.  -ENOENT when there is none (under a root), -EPERM
 * when dmesg_restrict keeps it from this process; both recorded with the
 * next step (--dmesg).
 */
int ctmod_kmsg_read_kernel(struct ctmod_ctx *ctx, struct ctmod_kmsg *log);

/* "Unknown symbol" and friends, for messages and --json */
const char *ctmod_kmsg_kind_name(enum ctmod_kmsg_kind kind);
/* The errno a tool's message stands for ("Operation not permitted" -> -EPERM,
 * busybox's "unknown symbol in module, or unknown parameter" -> -ENOENT) or 0 */
int ctmod_kmsg_reason_errno(const char *reason);
