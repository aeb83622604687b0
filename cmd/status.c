// SPDX-License-Identifier: GPL-2.0-or-later
#include <getopt.h> /* optind */
#include <stdio.h>
#include <string.h>

#include "../lib/build.h"
#include "builtin.h"

static const char about[] =
    "DKMS modules and their state, in the lines `dkms status` prints:\n"
    "  NAME/VERSION, KVER, ARCH: built|installed    (builds under ROOT/var/lib/ctmod)\n"
    "  NAME/VERSION: added|broken                    (sources in ROOT/usr/src)\n";

static const char footer[] =
    "Exit status: 0 nothing broken, 1 a dkms.conf under ROOT/usr/src is broken\n"
    "(bash cannot evaluate it), 2 bad usage.\n";

static const struct cli_option options[] = {
    {'k', NULL, "KVER[/ARCH]",
     "only builds for this kernel (repeatable), as dkms status -k: a\n"
     "package built only for other kernels is shown as added"},
    {0},
};

/* -k KVER[/ARCH]: is this build line asked for? */
static bool kernel_wanted(const struct strv *ks, const struct build_status *s)
{
	if (!ks->n)
		return true;
	for (size_t i = 0; i < ks->n; i++) {
		const char *k = ks->v[i], *slash = strchr(k, '/');
		size_t n = slash ? (size_t)(slash - k) : strlen(k);
		if (strlen(s->kver) == n && strncmp(s->kver, k, n) == 0 &&
		    (!slash || strcmp(slash + 1, s->arch) == 0))
			return true;
	}
	return false;
}

static bool wanted(const struct build_status *s, const char *filter)
{
	if (!filter)
		return true;
	size_t n = strlen(s->name);
	if (strncmp(filter, s->name, n) != 0)
		return false;
	return filter[n] == '\0' || (filter[n] == '/' && strcmp(filter + n + 1, s->version) == 0);
}

/* built only for kernels not asked about: dkms status -k says added */
static void print_others(const struct build_status *st, size_t n, const struct strv *ks,
                         struct strv *others, struct json_object *arr)
{
	for (size_t i = 0; i < others->n; i++) {
		bool shown = false;
		for (size_t k = 0; k < n && !shown; k++) {
			_cleanup_free_ char *id = xasprintf("%s/%s", st[k].name, st[k].version);
			shown = st[k].kver && kernel_wanted(ks, &st[k]) &&
			        strcmp(id, others->v[i]) == 0;
		}
		if (shown)
			continue;
		if (arr) {
			struct json_object *e = json_object_new_object();
			char *slash = strchr(others->v[i], '/');
			*slash = '\0';
			json_object_object_add(e, "name", json_object_new_string(others->v[i]));
			json_object_object_add(e, "version", json_object_new_string(slash + 1));
			json_object_object_add(e, "state", json_object_new_string("added"));
			json_object_array_add(arr, e);
		} else {
			printf("%s: added\n", others->v[i]);
		}
	}
}

static int run(struct cli *cli, int argc, char **argv)
{
	int c;
	struct strv ks, others;
	strv_init(&ks);
	strv_init(&others);
	while ((c = cli_getopt(cli, argc, argv)) >= 0)
		if (c == 'k')
			strv_push(&ks, optarg);
	if (c == CLI_OPT_EXIT) {
		strv_release(&ks);
		return cli_status(cli);
	}
	if (argc - optind > 1) {
		strv_release(&ks);
		return cli_usage(cli, "at most one NAME[/VERSION]");
	}
	const char *filter = optind < argc ? argv[optind] : NULL;

	struct build_status *st;
	size_t n;
	int r = ctmod_build_status_list(cli->ctx, &st, &n);
	if (r < 0) {
		strv_release(&ks);
		return cli_error(cli, r);
	}
	bool broken = false;
	struct json_object *arr = cli->json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct build_status *s = &st[i];
		if (!wanted(s, filter))
			continue;
		if (s->kver && !kernel_wanted(&ks, s)) {
			_cleanup_free_ char *id = xasprintf("%s/%s", s->name, s->version);
			if (!strv_contains(&others, id))
				strv_push(&others, id);
			continue;
		}
		if (strcmp(s->state, "broken") == 0)
			broken = true;
		if (arr) {
			struct json_object *e = json_object_new_object();
			json_object_object_add(e, "name", json_object_new_string(s->name));
			json_object_object_add(e, "version", json_object_new_string(s->version));
			if (s->kver) {
				json_object_object_add(e, "kernel",
				                       json_object_new_string(s->kver));
				json_object_object_add(e, "arch", json_object_new_string(s->arch));
			}
			json_object_object_add(e, "state", json_object_new_string(s->state));
			if (s->detail) {
				json_object_object_add(e, "error",
				                       json_object_new_string(s->detail));
				cli_err(cli, EXIT_FAILED, NULL, "%s", s->detail);
			}
			json_object_array_add(arr, e);
		} else if (s->kver) {
			printf("%s/%s, %s, %s: %s\n", s->name, s->version, s->kver, s->arch,
			       s->state);
		} else {
			printf("%s/%s: %s\n", s->name, s->version, s->state);
			if (s->detail)
				cli_err(cli, EXIT_FAILED, NULL, "%s", s->detail);
		}
	}
	print_others(st, n, &ks, &others, arr);
	strv_release(&ks);
	strv_release(&others);
	if (arr) {
		struct json_object *doc = json_object_new_object();
		json_object_object_add(doc, "modules", arr);
		json_object_object_add(doc, "broken", json_object_new_boolean(broken));
		cli_json_print(doc);
	}
	ctmod_build_status_free(st, n);
	return broken ? EXIT_FAILED : EXIT_OK;
}

const struct ctmod_cmd cmd_status = {
    .name = "status",
    .run = run,
    .summary = "DKMS modules and their state per kernel (as dkms status)",
    .synopsis = "[-k KVER[/ARCH]]... [NAME[/VERSION]]",
    .about = about,
    .options = options,
    .footer = footer,
};
