// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a container runtime sends the gate's agent: the container process
 * state JSON and the listenerMetadata in it, over arbitrary bytes.  Bad
 * input must give an error, never a crash, and a metadata allowlist only
 * ever holds valid module names.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctx.h"
#include "gate.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctmod_ctx *ctx;
	if (ctmod_ctx_new(&ctx, NULL, "6.1.0-0-amd64") < 0)
		return 0;
	struct ctmod_gate_state st;
	if (ctmod_gate_state_parse(ctx, (const char *)data, size, &st) == 0) {
		if (st.seccomp_fd_index < 0 || st.pid < 0)
			__builtin_trap();
		struct strv allow;
		strv_init(&allow);
		char *policy = NULL;
		if (ctmod_gate_metadata_parse(ctx, st.metadata, &allow, &policy) == 0) {
			for (size_t i = 0; i < allow.n; i++)
				if (!modname_valid(allow.v[i]))
					__builtin_trap();
			if (policy && !modname_valid(policy))
				__builtin_trap();
		}
		free(policy);
		strv_release(&allow);
		ctmod_gate_state_release(&st);
	}
	/* the metadata parser over the raw bytes too */
	char *md = strndup((const char *)data, size);
	struct strv allow;
	strv_init(&allow);
	char *policy = NULL;
	if (md && ctmod_gate_metadata_parse(ctx, md, &allow, &policy) == 0)
		for (size_t i = 0; i < allow.n; i++)
			if (!modname_valid(allow.v[i]))
				__builtin_trap();
	free(policy);
	free(md);
	strv_release(&allow);
	ctmod_ctx_free(ctx);
	return 0;
}
