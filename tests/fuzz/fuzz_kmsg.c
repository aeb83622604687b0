// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel-log parser over arbitrary bytes: dmesg text, /dev/kmsg records,
 * pasted tool lines; then diagnose's log rules over what it parsed (every
 * rule's explain function, the attribution of lines that name no module),
 * against an empty root.  Bad input must give an error, never a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "diagnose.h"
#include "kmsg.h"
#include "util.h"

static const char *empty_root(void)
{
	static char root[] = "/tmp/ctmod-fuzz-kmsg-XXXXXX";
	static bool made;
	if (!made && mkdtemp(root))
		made = true;
	return made ? root : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctmod_ctx *ctx;
	const char *root = empty_root();
	if (!root || ctmod_ctx_new(&ctx, root, "6.1.0-0-amd64") < 0)
		return 0;
	struct ctmod_kmsg log;
	ctmod_kmsg_init(&log);
	if (ctmod_kmsg_parse(ctx, "fuzz", (const char *)data, size, &log) == 0) {
		for (size_t i = 0; i < log.n; i++) {
			/* every event names a kind and carries its text */
			if (!log.ev[i].text || !ctmod_kmsg_kind_name(log.ev[i].kind))
				__builtin_trap();
			if (log.ev[i].module && !modname_valid(log.ev[i].module))
				__builtin_trap();
		}
		/* all modules, then the first one named: the filtered path attributes */
		const char *filter = NULL;
		for (size_t i = 0; i < log.n && !filter; i++)
			filter = log.ev[i].module;
		for (int pass = 0; pass < 2; pass++) {
			struct ctmod_diagnosis d;
			ctmod_diagnosis_init(&d);
			ctmod_diagnose_log(ctx, &log, pass ? filter : NULL, &d);
			for (size_t i = 0; i < d.n; i++)
				if (!d.f[i].id || !d.f[i].what || d.f[i].severity > CTMOD_SEV_ERROR)
					__builtin_trap();
			ctmod_diagnosis_release(&d);
			ctmod_ctx_clear_error(ctx);
		}
	}
	ctmod_kmsg_release(&log);
	ctmod_ctx_free(ctx);
	return 0;
}
