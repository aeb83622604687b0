// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The records bash prints after sourcing a dkms.conf (name, index, value,
 * NUL-separated): whatever a hostile dkms.conf makes bash print must give
 * a clean error or a sane struct, never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ctx.h"
#include "dkms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctmod_ctx *ctx;
	struct dkms_conf c;
	if (!ctx && ctmod_ctx_new(&ctx, "/nonexistent", "6.1.0-1-amd64") < 0)
		return 0;
	ctmod_ctx_clear_error(ctx);
	if (ctmod_dkms_conf_parse(ctx, "fuzz.conf", (const char *)data, size, "6.1.0-1-amd64",
	                          &c) == 0) {
		char *why = NULL;
		if (ctmod_dkms_excluded(&c, "6.1.0-1-amd64", "x86_64", "CONFIG_X=y\n", &why) >= 0)
			free(why);
		ctmod_dkms_conf_release(&c);
	}
	return 0;
}
