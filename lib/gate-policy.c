// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The agent's policies: what one container may load.  The agent's own
 * allowlist (--allow, closed over dependencies) is the ceiling; a policy
 * of the --policy file, or the container's listenerMetadata, selects or
 * narrows inside it and can never widen it: every set computed here is
 * intersected with the ceiling last.
 */
#include "gate-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "moddb.h"

void ctmod_gate_policies_free(struct ctmod_gate_policy *p)
{
	while (p) {
		struct ctmod_gate_policy *next = p->next;
		free(p->name);
		strv_release(&p->allowed);
		free(p);
		p = next;
	}
}

const struct ctmod_gate_policy *ctmod_gate_policy_find(const struct ctmod_gate_policy *p,
                                                       const char *name)
{
	for (; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

void ctmod_gate_names_add(struct strv *out, const char *list)
{
	const char *sep = ", \t\r\n";
	for (const char *p = list; *p;) {
		p += strspn(p, sep);
		size_t n = strcspn(p, sep);
		if (n == 0)
			break;
		strv_push_take(out, xstrndup(p, n));
		p += n;
	}
}

/* One line "NAME mod,mod ...": added to *list, its modules resolved. */
static int policy_line(struct ctmod_ctx *ctx, struct ctmod_moddb *db, char *line, unsigned lineno,
                       struct ctmod_gate_policy **list)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	line += strspn(line, " \t");
	size_t n = strcspn(line, " \t:=");
	if (n == 0 && !line[0])
		return 0;
	char *rest = line + n;
	rest += strspn(rest, " \t:=");
	line[n] = '\0';
	if (!modname_valid(line) || ctmod_gate_policy_find(*list, line))
		return ctmod_fail_input(ctx, -EINVAL, "a line is: NAME module,module ...",
		                        "--policy line %u: %s policy name '%s'", lineno,
		                        modname_valid(line) ? "a second" : "invalid", line);
	struct strv names;
	strv_init(&names);
	ctmod_gate_names_add(&names, rest);
	struct ctmod_gate_policy *p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(line);
	strv_init(&p->allowed);
	int r = ctmod_gate_allowed(ctx, db, &names, &p->allowed);
	strv_release(&names);
	p->next = *list;
	*list = p;
	if (r < 0) {
		char *msg = strdup(ctmod_ctx_error(ctx) ? ctmod_ctx_error(ctx) : "bad names");
		r = ctmod_fail_input(ctx, r, NULL, "--policy line %u: %s", lineno,
		                     msg ? msg : "bad names");
		free(msg);
	}
	return r;
}

static void narrow(struct strv *out, const struct strv *ceiling);

int ctmod_gate_policy_load(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *path,
                           const struct strv *ceiling, struct ctmod_gate_policy **out)
{
	*out = NULL;
	char *buf;
	size_t len;
	int r = read_file(path, 1 << 20, &buf, &len);
	if (r < 0)
		return ctmod_fail_input(ctx, r, "give a readable file", "--policy %s: %s", path,
		                        strerror(-r));
	unsigned lineno = 0;
	for (char *line = buf, *nl; line && r == 0; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		r = policy_line(ctx, db, line, ++lineno, out);
	}
	free(buf);
	if (r < 0) {
		ctmod_gate_policies_free(*out);
		*out = NULL;
	}
	for (struct ctmod_gate_policy *p = *out; p && ceiling; p = p->next)
		narrow(&p->allowed, ceiling);
	return r;
}

/* out = out ∩ ceiling */
static void narrow(struct strv *out, const struct strv *ceiling)
{
	size_t k = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (strv_contains(ceiling, out->v[i]))
			out->v[k++] = out->v[i];
		else
			free(out->v[i]);
	}
	out->n = k;
	if (out->v)
		out->v[k] = NULL;
}

/* the modules names stand for (unknown names dropped: a container's typo) */
static void resolve_each(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const struct strv *names,
                         struct strv *out)
{
	for (size_t i = 0; i < names->n; i++) {
		struct strv one, got;
		strv_init(&one);
		strv_init(&got);
		strv_push(&one, names->v[i]);
		if (ctmod_gate_allowed(ctx, db, &one, &got) == 0)
			for (size_t j = 0; j < got.n; j++)
				if (!strv_contains(out, got.v[j]))
					strv_push(out, got.v[j]);
		ctmod_ctx_clear_error(ctx);
		strv_release(&one);
		strv_release(&got);
	}
	strv_sort(out);
}

int ctmod_gate_container_allowed(struct ctmod_ctx *ctx, struct ctmod_moddb *db,
                                 const struct strv *ceiling,
                                 const struct ctmod_gate_policy *policies, const char *metadata,
                                 struct strv *out, char **how)
{
	struct strv names;
	strv_init(&names);
	char *pname = NULL;
	*how = NULL;
	int r = ctmod_gate_metadata_parse(ctx, metadata, &names, &pname);
	if (r == 0 && pname) {
		const struct ctmod_gate_policy *p = ctmod_gate_policy_find(policies, pname);
		if (!p)
			r = ctmod_fail_input(ctx, -ENOENT, "define it in the agent's --policy file",
			                     "listenerMetadata: no policy '%s'", pname);
		else
			for (size_t i = 0; i < p->allowed.n; i++)
				strv_push(out, p->allowed.v[i]);
	}
	if (r == 0 && names.n) {
		struct strv got;
		strv_init(&got);
		resolve_each(ctx, db, &names, &got);
		if (pname)
			narrow(&got, out); /* both given: what both allow */
		strv_release(out);
		*out = got;
	}
	if (r == 0) {
		narrow(out, ceiling);
		struct strbuf sb;
		strbuf_init(&sb);
		strbuf_printf(&sb, "%s%s%s", pname ? "policy=" : "", pname ? pname : "",
		              pname && names.n ? " " : "");
		for (size_t i = 0; i < names.n; i++)
			strbuf_printf(&sb, "%s%s", i ? "," : "allow=", names.v[i]);
		*how = strbuf_steal(&sb);
	} else {
		strv_release(out);
	}
	free(pname);
	strv_release(&names);
	return r;
}
