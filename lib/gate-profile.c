// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Seccomp profiles that send a container's finit_module() to the agent:
 * OCI config.json's linux.seccomp (runc, crun) or the docker/podman
 * profile format (--security-opt seccomp=FILE, Kubernetes Localhost
 * profiles), from a base profile or allow-by-default.
 */
#include "gate.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

/* the calls the profile decides itself, whatever the base said */
static const char *const ours[] = {"finit_module", "init_module", "delete_module"};

static bool is_ours(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++)
		if (strcmp(name, ours[i]) == 0)
			return true;
	return false;
}

/* a copy of rule without our calls in its names; NULL if none is left */
static struct json_object *strip_rule(struct json_object *rule)
{
	struct json_object *names, *keep = json_object_new_array();
	if (!json_object_object_get_ex(rule, "names", &names) ||
	    !json_object_is_type(names, json_type_array)) {
		struct json_object *name;
		json_object_put(keep);
		/* the old single-name form */
		if (json_object_object_get_ex(rule, "name", &name) &&
		    json_object_is_type(name, json_type_string) &&
		    is_ours(json_object_get_string(name)))
			return NULL;
		return json_object_get(rule);
	}
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		struct json_object *n = json_object_array_get_idx(names, i);
		if (!json_object_is_type(n, json_type_string) ||
		    !is_ours(json_object_get_string(n)))
			json_object_array_add(keep, json_object_get(n));
	}
	if (json_object_array_length(keep) == 0) {
		json_object_put(keep);
		return NULL;
	}
	struct json_object *copy = NULL;
	json_object_deep_copy(rule, &copy, NULL);
	json_object_object_add(copy, "names", keep);
	return copy;
}

static struct json_object *rule(const char *name, const char *action, int err)
{
	struct json_object *r = json_object_new_object(), *names = json_object_new_array();
	json_object_array_add(names, json_object_new_string(name));
	json_object_object_add(r, "names", names);
	json_object_object_add(r, "action", json_object_new_string(action));
	if (err)
		json_object_object_add(r, "errnoRet", json_object_new_int(err));
	return r;
}

/* the base: a profile, or a whole config.json (its linux.seccomp) */
static int load_base(struct ctmod_ctx *ctx, const char *path, struct json_object **out)
{
	char *buf;
	size_t len;
	int r = read_file(path, 16 << 20, &buf, &len);
	if (r < 0)
		return ctmod_fail_input(ctx, r, "give a readable JSON file", "--base %s: %s", path,
		                        strerror(-r));
	struct json_object *o = json_tokener_parse(buf), *linux, *sec;
	free(buf);
	if (o && json_object_object_get_ex(o, "linux", &linux) &&
	    json_object_object_get_ex(linux, "seccomp", &sec)) {
		struct json_object *inner = json_object_get(sec);
		json_object_put(o);
		o = inner;
	}
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return ctmod_fail_input(ctx, -EINVAL, NULL, "--base %s: not a JSON seccomp profile",
		                        path);
	}
	*out = o;
	return 0;
}

static struct json_object *allow_all(void)
{
	struct json_object *o = json_object_new_object(), *arches = json_object_new_array();
	json_object_object_add(o, "defaultAction", json_object_new_string("SCMP_ACT_ALLOW"));
#if defined(__x86_64__)
	/* a 32-bit or x32 caller would otherwise reach finit_module() unseen */
	json_object_array_add(arches, json_object_new_string("SCMP_ARCH_X86_64"));
	json_object_array_add(arches, json_object_new_string("SCMP_ARCH_X86"));
	json_object_array_add(arches, json_object_new_string("SCMP_ARCH_X32"));
#elif defined(__aarch64__)
	json_object_array_add(arches, json_object_new_string("SCMP_ARCH_AARCH64"));
	json_object_array_add(arches, json_object_new_string("SCMP_ARCH_ARM"));
#endif
	json_object_object_add(o, "architectures", arches);
	return o;
}

/* docker's archMap as OCI's architectures list (runc and crun know only that) */
static void arch_map_to_architectures(struct json_object *prof)
{
	struct json_object *map, *have;
	if (!json_object_object_get_ex(prof, "archMap", &map))
		return;
	if (!json_object_object_get_ex(prof, "architectures", &have) &&
	    json_object_is_type(map, json_type_array)) {
		struct json_object *arches = json_object_new_array(), *a, *subs;
		for (size_t i = 0; i < json_object_array_length(map); i++) {
			struct json_object *e = json_object_array_get_idx(map, i);
			if (json_object_object_get_ex(e, "architecture", &a))
				json_object_array_add(arches, json_object_get(a));
			if (json_object_object_get_ex(e, "subArchitectures", &subs) &&
			    json_object_is_type(subs, json_type_array))
				for (size_t j = 0; j < json_object_array_length(subs); j++)
					json_object_array_add(
					    arches,
					    json_object_get(json_object_array_get_idx(subs, j)));
		}
		json_object_object_add(prof, "architectures", arches);
	}
	json_object_object_del(prof, "archMap");
}

int ctmod_gate_profile(struct ctmod_ctx *ctx, const struct ctmod_gate_profile_opts *po, char **out)
{
	struct json_object *prof = NULL, *old = NULL;
	if (po->base) {
		int r = load_base(ctx, po->base, &prof);
		if (r < 0)
			return r;
	} else {
		prof = allow_all();
	}
	struct json_object *rules = json_object_new_array();
	if (json_object_object_get_ex(prof, "syscalls", &old) &&
	    json_object_is_type(old, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(old); i++) {
			struct json_object *kept = strip_rule(json_object_array_get_idx(old, i));
			if (kept)
				json_object_array_add(rules, kept);
		}
	}
	json_object_array_add(rules, rule("finit_module", "SCMP_ACT_NOTIFY", 0));
	json_object_array_add(rules, po->allow_init_module
	                                 ? rule("init_module", "SCMP_ACT_NOTIFY", 0)
	                                 : rule("init_module", "SCMP_ACT_ERRNO", EPERM));
	json_object_array_add(rules, rule("delete_module", "SCMP_ACT_ERRNO", EPERM));
	json_object_object_add(prof, "syscalls", rules);
	json_object_object_add(
	    prof, "listenerPath",
	    json_object_new_string(po->listen ? po->listen : CTMOD_GATE_DEFAULT_SOCKET));
	if (po->metadata && *po->metadata)
		json_object_object_add(prof, "listenerMetadata",
		                       json_object_new_string(po->metadata));
	else
		json_object_object_del(prof, "listenerMetadata");
	if (!po->docker)
		arch_map_to_architectures(prof);
	const char *s =
	    json_object_to_json_string_ext(prof, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = xstrdup(s);
	json_object_put(prof);
	return 0;
}
