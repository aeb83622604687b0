// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a container runtime tells the agent: the container process state
 * (runc's and crun's listenerPath message, OCI runtime spec "Container
 * process state") and the profile's listenerMetadata in it.  Both come from
 * whoever wrote the container's configuration: hostile input, with a fuzz
 * target (tests/fuzz/fuzz_gate_state.c).
 */
#include "gate.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <string.h>

/* The longest state message taken (runc's are ~1 KiB; annotations vary). */
#define MAX_STATE (256u << 10)

static char *string_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return xstrdup(json_object_get_string(v));
}

static int int_of(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -ENOENT;
	*out = json_object_get_int64(v);
	return 0;
}

/* the place of "seccompFd" in fds[], or -1 */
static int seccomp_index(struct json_object *o)
{
	struct json_object *fds;
	if (!json_object_object_get_ex(o, "fds", &fds) ||
	    !json_object_is_type(fds, json_type_array))
		return -1;
	size_t n = json_object_array_length(fds);
	for (size_t i = 0; i < n && i < 64; i++) {
		struct json_object *e = json_object_array_get_idx(fds, i);
		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), "seccompFd") == 0)
			return (int)i;
	}
	return -1;
}

int ctmod_gate_state_parse(struct ctmod_ctx *ctx, const char *buf, size_t len,
                           struct ctmod_gate_state *st)
{
	memset(st, 0, sizeof(*st));
	st->seccomp_fd_index = -1;
	if (len > MAX_STATE)
		return ctmod_fail_input(ctx, -E2BIG, NULL, "container state: more than %u bytes",
		                        MAX_STATE);
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		abort();
	struct json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!o)
		return ctmod_fail_input(ctx, -EINVAL, NULL, "container state: %s",
		                        jerr == json_tokener_continue
		                            ? "the JSON object does not end"
		                            : json_tokener_error_desc(jerr));
	int r = ctmod_gate_state_from_json(ctx, o, st);
	json_object_put(o);
	return r;
}

int ctmod_gate_state_from_json(struct ctmod_ctx *ctx, struct json_object *o,
                               struct ctmod_gate_state *st)
{
	memset(st, 0, sizeof(*st));
	st->seccomp_fd_index = -1;
	if (!json_object_is_type(o, json_type_object))
		return ctmod_fail_input(ctx, -EINVAL, NULL, "container state: not a JSON object");
	st->seccomp_fd_index = seccomp_index(o);
	st->metadata = string_of(o, "metadata");
	struct json_object *state = NULL;
	if (json_object_object_get_ex(o, "state", &state) &&
	    json_object_is_type(state, json_type_object)) {
		st->id = string_of(state, "id");
		st->bundle = string_of(state, "bundle");
	}
	int64_t pid = 0;
	if (int_of(o, "pid", &pid) < 0 && json_object_is_type(state, json_type_object))
		int_of(state, "pid", &pid);
	st->pid = pid > 0 && pid <= INT_MAX ? (pid_t)pid : 0;
	if (st->seccomp_fd_index < 0) {
		ctmod_gate_state_release(st);
		return ctmod_fail_input(ctx, -EINVAL, NULL,
		                        "container state: no \"seccompFd\" in \"fds\"");
	}
	return 0;
}

void ctmod_gate_state_release(struct ctmod_gate_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->metadata);
	st->id = st->bundle = st->metadata = NULL;
}

/* "a,b" -> a, b; every name checked */
static int add_names(struct ctmod_ctx *ctx, const char *list, size_t n, struct strv *allow)
{
	for (size_t i = 0; i < n;) {
		size_t k = i;
		while (k < n && list[k] != ',')
			k++;
		if (k > i) {
			char name[64];
			if (k - i >= sizeof(name))
				return ctmod_fail_input(
				    ctx, -EINVAL, NULL,
				    "listenerMetadata: a module name is too long");
			memcpy(name, list + i, k - i);
			name[k - i] = '\0';
			if (!modname_valid(name))
				return ctmod_fail_input(ctx, -EINVAL, NULL,
				                        "listenerMetadata: invalid module name");
			char norm[64];
			modname_normalize(name, norm, sizeof(norm));
			strv_push(allow, norm);
		}
		i = k + 1;
	}
	return 0;
}

int ctmod_gate_metadata_parse(struct ctmod_ctx *ctx, const char *md, struct strv *allow,
                              char **policy)
{
	*policy = NULL;
	const char *sep = " \t\r\n;";
	for (const char *p = md ? md : ""; *p;) {
		p += strspn(p, sep);
		size_t n = strcspn(p, sep);
		if (n == 0)
			break;
		int r = 0;
		if (n > 6 && strncmp(p, "allow=", 6) == 0) {
			r = add_names(ctx, p + 6, n - 6, allow);
		} else if (n > 7 && strncmp(p, "policy=", 7) == 0 && !*policy) {
			*policy = xstrndup(p + 7, n - 7);
			if (!modname_valid(*policy)) /* the same alphabet: no '/', no controls */
				r = ctmod_fail_input(ctx, -EINVAL, NULL,
				                     "listenerMetadata: invalid policy name");
		} else {
			char shown[41];
			size_t i = 0;
			for (; i < n && i < sizeof(shown) - 1; i++)
				shown[i] = p[i] > 0x20 && p[i] < 0x7f ? p[i] : '?';
			shown[i] = '\0';
			r = ctmod_fail_input(ctx, -EINVAL, "use allow=a,b or policy=NAME",
			                     "listenerMetadata: unknown item '%s'", shown);
		}
		if (r < 0) {
			free(*policy);
			*policy = NULL;
			return r;
		}
		p += n;
	}
	return 0;
}
