// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel-log parser over arbitrary bytes: dmesg text, /dev/kmsg records,
 * pasted tool lines.  Bad input must give an error, never a crash. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctx.h"
#include "kmsg.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctmod_ctx *ctx;
	if (ctmod_ctx_new(&ctx, NULL, "6.1.0-0-amd64") < 0)
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
	}
	ctmod_kmsg_release(&log);
	ctmod_ctx_free(ctx);
	return 0;
}
