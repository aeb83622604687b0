// SPDX-License-Identifier: LGPL-2.1-or-later
/* The gate's allowlist: names and aliases, closed over dependencies and softdeps. */
#include "gate.h"

#include <errno.h>
#include <string.h>

#include "moddb.h"

int ctmod_gate_allowed(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const struct strv *allow,
                       struct strv *out)
{
	for (size_t i = 0; i < allow->n; i++) {
		struct ctmod_moddb_plan plan = {0};
		int r = ctmod_moddb_resolve(db, allow->v[i], 0, &plan);
		if (r == -ENOENT) {
			/* a typo in an allowlist is the user's input, not a failure */
			char *msg =
			    strdup(ctmod_ctx_error(ctx) ? ctmod_ctx_error(ctx) : "not found");
			char *hint = ctmod_ctx_hint(ctx) ? strdup(ctmod_ctx_hint(ctx)) : NULL;
			r = ctmod_fail_input(ctx, r, hint, "allowlist: %s",
			                     msg ? msg : "module not found");
			free(msg);
			free(hint);
		}
		if (r < 0)
			return r;
		for (size_t j = 0; j < plan.n && r == 0; j++) {
			const char *m = plan.steps[j].name;
			struct strv deps;
			strv_init(&deps);
			if (!strv_contains(out, m))
				strv_push(out, m);
			/* modules.dep closure, in case a resolution stopped short */
			if (r == 0 && !plan.steps[j].builtin)
				r = ctmod_moddb_depends(db, m, &deps);
			for (size_t k = 0; k < deps.n && r == 0; k++)
				if (!strv_contains(out, deps.v[k]))
					strv_push(out, deps.v[k]);
			strv_release(&deps);
		}
		ctmod_moddb_plan_release(&plan);
		if (r < 0)
			return r == -ENOMEM ? ctmod_fail(ctx, r, NULL, "out of memory") : r;
	}
	strv_sort(out);
	return 0;
}
