// SPDX-License-Identifier: GPL-2.0-or-later
/* .modinfo extraction from an untrusted module image, compressed or not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "modinfo.h"
#include "util.h"

static void walk(const struct ctmod_modinfo *mi)
{
	size_t total = 0;
	for (const char *p = ctmod_modinfo_next(mi, NULL); p; p = ctmod_modinfo_next(mi, p))
		total += strlen(p);
	const char *name = ctmod_modinfo_name(mi);
	if (name)
		total += strlen(name) + modname_valid(name);
	const char *vm = ctmod_modinfo_vermagic(mi);
	if (vm)
		total += strlen(vm);
	struct strv sv;
	strv_init(&sv);
	ctmod_modinfo_depends(mi, &sv);
	ctmod_modinfo_get_all(mi, "alias", &sv);
	strv_release(&sv);
	(void)total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctmod_ctx *ctx;
	if (!ctx && ctmod_ctx_new(&ctx, NULL, "6.1.0-1-amd64") < 0)
		abort();
	ctmod_ctx_set_log_level(ctx, 0);

	struct ctmod_modinfo *mi;
	if (ctmod_modinfo_parse(ctx, data, size, &mi) == 0) {
		walk(mi);
		ctmod_modinfo_free(mi);
	}
	/* the fuzzer's memory limit is lower than a real module's */
	void *img;
	size_t len;
	if (ctmod_modinfo_decompress(ctx, data, size, 16u << 20, &img, &len) == 0) {
		if (ctmod_modinfo_parse(ctx, img, len, &mi) == 0) {
			walk(mi);
			ctmod_modinfo_free(mi);
		}
		free(img);
	}
	ctmod_ctx_clear_error(ctx);
	return 0;
}
