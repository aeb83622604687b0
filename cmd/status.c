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
    {'k', "kernel", "KVER[/ARCH]",
     "only the builds for that kernel (repeatable), as dkms status -k"},
    {0},
};

static bool wanted(const struct build_status *s, const char *filter, const struct strv *kernels)
{
	if (kernels->n && s->kver) {
		bool any = false;
		for (size_t i = 0; i < kernels->n; i++) {
			const char *k = kernels->v[i], *sl = strchr(k, '/');
			size_t kl = sl ? (size_t)(sl - k) : strlen(k);
			any |= strlen(s->kver) == kl && !strncmp(s->kver, k, kl) &&
			       (!sl || !strcmp(sl + 1, s->arch));
		}
		if (!any)
			return false;
	}
	if (!filter)
		return true;
	size_t n = strlen(s->name);
	if (strncmp(filter, s->name, n) != 0)
		return false;
	return filter[n] == '\0' || (filter[n] == '/' && strcmp(filter + n + 1, s->version) == 0);
}

static int run(struct cli *cli, int argc, char **argv)
{
	int c;
	_cleanup_strv_ struct strv kernels = STRV_INIT;
	while ((c = cli_getopt(cli, argc, argv)) >= 0)
		if (c == 'k')
			strv_push(&kernels, optarg);
	if (c == CLI_OPT_EXIT)
		return cli_status(cli);
	if (argc - optind > 1)
		return cli_usage(cli, "at most one NAME[/VERSION]");
	const char *filter = optind < argc ? argv[optind] : NULL;

	struct build_status *st;
	size_t n;
	int r = ctmod_build_status_list(cli->ctx, &st, &n);
	if (r < 0)
		return cli_error(cli, r);
	bool broken = false;
	struct json_object *arr = cli->json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct build_status *s = &st[i];
		if (!wanted(s, filter, &kernels))
			continue;
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
    .synopsis = "[NAME[/VERSION]]",
    .about = about,
    .options = options,
    .footer = footer,
};
