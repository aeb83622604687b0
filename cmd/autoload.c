// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctmod autoload: load the modules that cloud-config, the kernel command
 * line, modules-load.d and /etc/modules ask for, in parallel.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/autoload.h"
#include "../lib/modlist.h"
#include "util.h"
#include "builtin.h"

enum { OPT_LIST = 256, OPT_SOURCE, OPT_CLOUD, OPT_CMDLINE };

static const struct cli_option options[] = {
    {OPT_LIST, "list", NULL, "print each module and where it was asked for; load nothing"},
    {'n', "dry-run", NULL, "resolve and say what would be loaded"},
    {OPT_SOURCE, "source", "LIST", "only these sources (cloud-config,cmdline,modules-load.d)"},
    {OPT_CLOUD, "cloud-config", "FILE", "read this cloud-config too (repeatable)"},
    {OPT_CMDLINE, "cmdline", "FILE", "read this kernel command line instead of /proc/cmdline"},
    {'j', "jobs", "N", "load with N threads (default: twice the CPUs, at most 16)"},
    {0},
};

static const char about[] =
    "Load the modules that the system's boot-time lists ask for, independent\n"
    "ones in parallel, each dependency once and before the modules that need it.\n"
    "The lists, in the order they are read (a module keeps its first place):\n"
    "  cmdline         ROOT/proc/cmdline or --cmdline FILE: rancher.modules=[a,b],\n"
    "                  modules_load=, rd.modules_load=, modules-load=, ctmod.modules=\n"
    "  cloud-config    ROOT/var/lib/rancher/conf/cloud-config.yml,\n"
    "                  ROOT/var/lib/rancher/conf/cloud-config.d/*.yml,\n"
    "                  ROOT/etc/ctmod/cloud-config.d/*.yml and --cloud-config FILE:\n"
    "                  rancher: {modules: [\"nbd nbds_max=1024\"]} and\n"
    "                  ctmod: {modules: [{name: M, parameters: [P=V]}]}\n"
    "  modules-load.d  ROOT/{etc,run,usr/local/lib,usr/lib,lib}/modules-load.d/*.conf\n"
    "                  (systemd's rules) and ROOT/etc/modules\n";

static const char footer[] =
    "Exit status: 0 all loaded (or already loaded, or built in), 1 a module failed\n"
    "to load, 2 bad usage or a malformed list (the other lists are still loaded).\n";

static struct json_object *origins_json(const struct ctmod_modlist_entry *e)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < e->n_origins; i++) {
		const struct ctmod_modlist_origin *o = &e->origins[i];
		struct json_object *j = json_object_new_object();
		json_object_object_add(
		    j, "source", json_object_new_string(ctmod_modlist_source_name(o->source)));
		json_object_object_add(j, "file", json_object_new_string(o->file));
		if (o->line)
			json_object_object_add(j, "line", json_object_new_int((int)o->line));
		if (o->key)
			json_object_object_add(j, "key", json_object_new_string(o->key));
		json_object_array_add(a, j);
	}
	return a;
}

static void print_origin(const struct ctmod_modlist_origin *o)
{
	printf("%-15s %s", ctmod_modlist_source_name(o->source), o->file);
	if (o->line)
		printf(":%u", o->line);
	if (o->key)
		printf(" (%s)", o->key);
	putchar('\n');
}

static void print_list(struct cli *cli, const struct ctmod_modlist *list, const struct strv *bl)
{
	if (cli->quiet)
		return;
	for (size_t i = 0; i < list->n; i++) {
		const struct ctmod_modlist_entry *e = &list->v[i];
		char *label = NULL;
		if (asprintf(&label, "%s%s%s", e->name, *e->params ? " " : "", e->params) < 0)
			continue;

		for (size_t o = 0; o < e->n_origins; o++) {
			if (!o && strlen(label) > 28)
				printf("%s\n%-28s ", label, "");
			else
				printf("%-28s ", o ? "" : label);
			print_origin(&e->origins[o]);
		}
		if (*bl->v[i])
			printf("%-28s %-15s %s: not loaded\n", "", "blacklisted", bl->v[i]);
		free(label);
	}
	if (!list->n)
		printf("no modules listed\n");
}

static struct json_object *problems_json(const struct ctmod_modlist *list)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < list->problems.n; i++)
		json_object_array_add(a, json_object_new_string(list->problems.v[i]));
	return a;
}

static struct json_object *result_json(const struct ctmod_autoload_result *res)
{
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(res->name));
	json_object_object_add(j, "parameters", json_object_new_string(res->params));
	json_object_object_add(j, "state",
	                       json_object_new_string(ctmod_load_state_name(res->state)));
	if (res->state == CTMOD_LOAD_FAILED) {
		json_object_object_add(
		    j, "error", json_object_new_string(res->reason ? res->reason : "failed"));
		json_object_object_add(j, "errno", json_object_new_int(-res->err));
	}
	if (res->blacklisted)
		json_object_object_add(j, "blacklisted", json_object_new_string(res->blacklisted));
	json_object_object_add(j, "seconds", json_object_new_double(res->seconds));
	return j;
}

static void print_result(const struct ctmod_autoload_result *res, bool dep)
{
	printf("%s%s%s%s: %s", dep ? "  " : "", res->name, *res->params ? " " : "", res->params,
	       ctmod_load_state_name(res->state));
	if (dep)
		printf(" (a dependency)");
	if (res->state == CTMOD_LOADED)
		printf(" in %.3f s", res->seconds);
	if (res->state == CTMOD_LOAD_FAILED)
		printf(": %s", res->reason ? res->reason : "failed");
	if (res->blacklisted)
		printf(" (%s)%s", res->blacklisted,
		       res->state == CTMOD_BLACKLISTED ? ": not loaded" : "");
	putchar('\n');
}

static int report(struct cli *cli, const struct ctmod_modlist *list,
                  const struct ctmod_autoload_report *rep, bool dry_run)
{
	size_t count[CTMOD_BLACKLISTED + 1] = {0};
	for (size_t i = 0; i < rep->n_entries; i++)
		count[rep->entries[i].state]++;

	if (cli->json) {
		struct json_object *doc = json_object_new_object();
		struct json_object *mods = json_object_new_array();
		for (size_t i = 0; i < rep->n_entries; i++) {
			struct json_object *j = result_json(&rep->entries[i]);
			struct json_object *res = json_object_new_array();
			for (size_t m = 0; m < rep->entries[i].modules.n; m++)
				json_object_array_add(
				    res, json_object_new_string(rep->entries[i].modules.v[m]));
			json_object_object_add(j, "modules", res);
			json_object_object_add(j, "sources", origins_json(&list->v[i]));
			json_object_array_add(mods, j);
		}
		struct json_object *deps = json_object_new_array();
		for (size_t i = 0; i < rep->n_deps; i++)
			json_object_array_add(deps, result_json(&rep->deps[i]));
		json_object_object_add(doc, "dry_run", json_object_new_boolean(dry_run));
		json_object_object_add(doc, "modules", mods);
		json_object_object_add(doc, "dependencies", deps);
		json_object_object_add(doc, "problems", problems_json(list));
		json_object_object_add(doc, "failed", json_object_new_int((int)rep->failed));
		json_object_object_add(doc, "jobs", json_object_new_int((int)rep->jobs));
		json_object_object_add(doc, "seconds", json_object_new_double(rep->seconds));
		cli_json_print(doc);
	} else if (!cli->quiet) {
		for (size_t i = 0; i < rep->n_entries; i++)
			print_result(&rep->entries[i], false);
		for (size_t i = 0; i < rep->n_deps; i++)
			if (cli->verbose || rep->deps[i].state == CTMOD_LOAD_FAILED)
				print_result(&rep->deps[i], true);
		char bl[48] = "";
		if (count[CTMOD_BLACKLISTED])
			snprintf(bl, sizeof(bl), ", %zu blacklisted", count[CTMOD_BLACKLISTED]);
		printf("%zu module%s: %zu %s, %zu already loaded, %zu built-in, %zu failed%s "
		       "(%zu dependencies, %.3f s, %u job%s)\n",
		       rep->n_entries, rep->n_entries == 1 ? "" : "s",
		       dry_run ? count[CTMOD_WOULD_LOAD] : count[CTMOD_LOADED],
		       dry_run ? "would load" : "loaded", count[CTMOD_ALREADY_LOADED],
		       count[CTMOD_BUILTIN], count[CTMOD_LOAD_FAILED], bl, rep->n_deps,
		       rep->seconds, rep->jobs, rep->jobs == 1 ? "" : "s");
	}
	/* the diagnostics: one line per module that did not load */
	for (size_t i = 0; i < rep->n_entries; i++)
		if (rep->entries[i].state == CTMOD_LOAD_FAILED)
			cli_err(cli, EXIT_FAILED, NULL, "%s: %s", rep->entries[i].name,
			        rep->entries[i].reason ? rep->entries[i].reason : "failed");
	return rep->failed ? EXIT_FAILED : EXIT_OK;
}

static void print_problems(struct cli *cli, const struct ctmod_modlist *list)
{
	for (size_t i = 0; i < list->problems.n; i++)
		cli_err(cli, EXIT_USAGE, "fix it (the other lists still count)", "%s",
		        list->problems.v[i]);
}

struct args {
	struct ctmod_modlist_opts mo;
	struct ctmod_autoload_opts ao;
	struct strv clouds;
	bool list_only;
};

/* CLI_OPT_END, or CLI_OPT_EXIT with cli_status() */
static int parse(struct cli *cli, int argc, char **argv, struct args *a)
{
	int c;
	long n;
	while ((c = cli_getopt(cli, argc, argv)) >= 0) {
		switch (c) {
		case OPT_LIST:
			a->list_only = true;
			break;
		case 'n':
			a->ao.dry_run = true;
			break;
		case OPT_SOURCE:
			if (ctmod_modlist_parse_sources(optarg, &a->mo.sources) < 0)
				return cli_exit(cli,
				                cli_usage(cli,
				                          "--source takes cloud-config, cmdline, "
				                          "modules-load.d or all, comma-separated, "
				                          "not '%s'",
				                          optarg));
			break;
		case OPT_CLOUD:
			strv_push(&a->clouds, optarg);
			break;
		case OPT_CMDLINE:
			a->mo.cmdline = optarg;
			break;
		case 'j':
			if (cli_number(cli, "-j", optarg, 1, 256, &n))
				return cli_exit(cli, EXIT_USAGE);
			a->ao.jobs = (unsigned)n;
			break;
		}
	}
	if (c == CLI_OPT_END && optind < argc)
		return cli_exit(cli, cli_usage(cli,
		                               "unexpected argument '%s': autoload reads its lists "
		                               "from the system (see --cloud-config, --cmdline)",
		                               argv[optind]));
	return c;
}

static void print_list_json(const struct ctmod_modlist *list, const struct strv *bl)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *mods = json_object_new_array();
	for (size_t i = 0; i < list->n; i++) {
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "name", json_object_new_string(list->v[i].name));
		json_object_object_add(j, "parameters", json_object_new_string(list->v[i].params));
		json_object_object_add(j, "sources", origins_json(&list->v[i]));
		if (*bl->v[i])
			json_object_object_add(j, "blacklisted", json_object_new_string(bl->v[i]));
		json_object_array_add(mods, j);
	}
	json_object_object_add(doc, "modules", mods);
	json_object_object_add(doc, "problems", problems_json(list));
	cli_json_print(doc);
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct args a = {0};
	int st = EXIT_OK;

	strv_init(&a.clouds);
	if (parse(cli, argc, argv, &a) == CLI_OPT_EXIT) {
		st = cli_status(cli);
		goto out;
	}
	struct ctmod_modlist_opts mo = a.mo;
	struct ctmod_autoload_opts ao = a.ao;
	bool list_only = a.list_only;
	mo.cloud_config = (const char *const *)a.clouds.v;

	struct ctmod_modlist list;
	ctmod_modlist_init(&list);
	int r = ctmod_modlist_gather(cli->ctx, &mo, &list);
	if (r < 0) {
		st = cli_error(cli, r);
		ctmod_modlist_release(&list);
		goto out;
	}
	print_problems(cli, &list);

	if (list_only) {
		struct strv bl;
		ctmod_autoload_blacklisted(cli->ctx, &list, &bl);
		if (cli->json)
			print_list_json(&list, &bl);
		else
			print_list(cli, &list, &bl);
		strv_release(&bl);
	} else {
		struct ctmod_autoload_report rep;
		r = ctmod_autoload(cli->ctx, &list, &ao, &rep);
		if (r < 0)
			st = cli_error(cli, r);
		else
			st = report(cli, &list, &rep, ao.dry_run);
		ctmod_autoload_report_release(&rep);
	}
	/* a malformed list is bad input even when everything else loaded */
	if (list.problems.n && st != EXIT_USAGE)
		st = EXIT_USAGE;
	ctmod_modlist_release(&list);
out:
	strv_release(&a.clouds);
	return st;
}

const struct ctmod_cmd cmd_autoload = {
    .name = "autoload",
    .run = run,
    .summary = "load the modules cloud-config, the kernel command line and modules-load.d list",
    .synopsis = "[--list] [-n] [--source LIST] [--cloud-config FILE]... [--cmdline FILE] [-j N]",
    .about = about,
    .options = options,
    .footer = footer,
};
