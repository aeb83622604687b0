// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctmod load: load (or with -r unload) modules with their dependencies and
 * softdeps.  (Invoked as `modprobe`, the binary is kmod's modprobe:
 * cmd/modprobe.c.)
 */
#include <errno.h>
#include <getopt.h> /* optarg, optind */
#include <stdio.h>
#include <string.h>

#include "../lib/loader.h"
#include "../lib/moddb.h"
#include "util.h"
#include "builtin.h"

enum {
	OPT_FIRST = 256,
	OPT_METHOD,
	OPT_SHOW,
	OPT_SHOW_DEPENDS,
	OPT_CONFIG,
	OPT_DIRNAME,
	OPT_SET_VERSION,
	OPT_SYSLOG,
};

static const struct cli_option options[] = {
    {'a', "all", NULL, "every argument is a module"},
    {'r', "remove", NULL, "unload the modules and their dependencies no longer used"},
    {'n', "dry-run", NULL, "print what would be done, load nothing"},
    {OPT_FIRST, "first-time", NULL, "fail if the module is already loaded or built in"},
    {'i', "ignore-install", NULL, "ignore install and remove commands of modprobe.d"},
    {'b', "use-blacklist", NULL, "apply blacklist lines to aliases"},
    {OPT_METHOD, "method", "LIST",
     "ways to try, in order: kmod,ioctl,modprobe (default all):\n"
     "kmod = libkmod (finit_module); ioctl = make the kernel run\n"
     "its modprobe helper (works without /lib/modules in a\n"
     "container); modprobe = run the system's modprobe"},
    /* modprobe's spellings, for scripts written for it */
    {OPT_SHOW, "show", NULL, NULL},
    {OPT_SHOW_DEPENDS, "show-depends", NULL, NULL},
    {OPT_CONFIG, "config", "FILE", NULL},
    {OPT_DIRNAME, "dirname", "DIR", NULL},
    {OPT_SET_VERSION, "set-version", "KVER", NULL},
    {OPT_SYSLOG, "syslog", NULL, NULL},
    {0},
};

static const char synopsis[] = "[OPTIONS] MODULE [PARAM=VALUE...]\n"
                               "-a [OPTIONS] MODULE...\n"
                               "-r [OPTIONS] MODULE...";

static const char about[] =
    "Load MODULE (a name or an alias) with its dependencies and softdeps, in\n"
    "the order modprobe uses, with the options of modprobe.d merged with\n"
    "those given here.  An already loaded or built-in module is success.\n";

static const char footer[] =
    "Exit status: 0 loaded (or already there), 1 a module failed, 2 bad usage.\n";

struct load_report {
	struct cli *cli;
	struct json_object *mods; /* --json */
	bool dry_run;
};

static void on_event(void *data, const struct ctmod_load_event *ev)
{
	struct load_report *rep = data;
	struct cli *cli = rep->cli;

	if (rep->mods) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(ev->name));
		json_object_object_add(o, "state",
		                       json_object_new_string(ctmod_load_state_name(ev->state)));
		if (ev->state == CTMOD_LOADED)
			json_object_object_add(
			    o, "method",
			    json_object_new_string(ctmod_load_method_name(ev->method)));
		if (ev->params)
			json_object_object_add(o, "params", json_object_new_string(ev->params));
		if (ev->err)
			json_object_object_add(o, "error",
			                       json_object_new_string(strerror(-ev->err)));
		json_object_array_add(rep->mods, o);
		return;
	}
	switch (ev->state) {
	case CTMOD_WOULD_LOAD:
	case CTMOD_WOULD_UNLOAD:
		if (!cli->quiet)
			printf("%s %s%s%s\n", ev->state == CTMOD_WOULD_LOAD ? "load" : "unload",
			       ev->name, ev->params ? " " : "", ev->params ? ev->params : "");
		break;
	case CTMOD_LOADED:
		if (ev->method)
			cli_verbose(cli, "loaded %s (%s)%s%s", ev->name,
			            ctmod_load_method_name(ev->method), ev->params ? " " : "",
			            ev->params ? ev->params : "");
		else
			cli_verbose(cli, "loaded %s (install command)", ev->name);
		break;
	case CTMOD_UNLOADED:
		cli_verbose(cli, "unloaded %s", ev->name);
		break;
	case CTMOD_ALREADY_LOADED:
	case CTMOD_BUILTIN:
	case CTMOD_BLACKLISTED:
		cli_verbose(cli, "%s: %s", ev->name, ctmod_load_state_name(ev->state));
		break;
	case CTMOD_LOAD_FAILED:
		break; /* the error line says it */
	}
}

struct load_args {
	struct ctmod_load_opts opts;
	bool all, remove, show_depends;
};

/* Load (or unload) each name; the first failure ends the run, as modprobe. */
static int run_loads(struct cli *cli, struct load_args *a, char **names, int n, const char *params)
{
	struct ctmod_moddb *db = NULL;
	struct load_report rep = {.cli = cli, .dry_run = a->opts.dry_run};
	int r = ctmod_moddb_open(cli->ctx, &db);
	bool by_name =
	    !a->opts.methods || (a->opts.methods & (CTMOD_LOAD_IOCTL | CTMOD_LOAD_MODPROBE));
	/* a dry run says what would happen, and without a module tree a load
	 * by name is a guess: it fails as modprobe -n fails */
	if (r < 0 && !a->remove && !a->show_depends && !a->opts.dry_run && by_name &&
	    r != -ENOMEM && ctmod_ctx_err_class(cli->ctx) != CTMOD_ERR_BAD_INPUT) {
		/* a container without /lib/modules: the kernel's own helper can
		 * still load by name */
		cli_verbose(cli, "%s; trying the ways that load by name",
		            ctmod_ctx_error(cli->ctx));
		ctmod_ctx_clear_error(cli->ctx);
		db = NULL;
		r = 0;
	} else if (r < 0) {
		return cli_error(cli, r);
	}
	if (cli->json)
		rep.mods = json_object_new_array();

	a->opts.params = params;
	for (int i = 0; i < n && r >= 0; i++) {
		if (a->show_depends) {
			struct ctmod_moddb_plan plan = {0};
			r = ctmod_moddb_resolve_opts(
			    db, names[i], a->opts.ignore_install ? CTMOD_RESOLVE_IGNORE_INSTALL : 0,
			    params, &plan);
			for (size_t j = 0; r >= 0 && j < plan.n; j++) {
				struct strbuf sb;
				strbuf_init(&sb);
				ctmod_moddb_show_depends(&plan.steps[j], &sb);
				fputs(strbuf_str(&sb), stdout);
				strbuf_release(&sb);
			}
			ctmod_moddb_plan_release(&plan);
		} else if (a->remove) {
			r = ctmod_unload(cli->ctx, db, names[i], &a->opts, on_event, &rep);
		} else {
			r = ctmod_load(cli->ctx, db, names[i], &a->opts, on_event, &rep);
		}
	}
	int st = EXIT_OK;
	if (r < 0) {
		/* "load NAME: ..." already names the command: no "load: " before it */
		const char *msg = ctmod_ctx_error(cli->ctx);
		if (msg && (strncmp(msg, "load ", 5) == 0 || strncmp(msg, "unload ", 7) == 0))
			cli->cmd = NULL;
		st = cli_error(cli, r);
	}
	if (rep.mods) {
		struct json_object *doc = json_object_new_object();
		json_object_object_add(doc, "modules", rep.mods);
		json_object_object_add(doc, "ok", json_object_new_boolean(st == EXIT_OK));
		if (st != EXIT_OK && ctmod_ctx_error(cli->ctx))
			json_object_object_add(doc, "error",
			                       json_object_new_string(ctmod_ctx_error(cli->ctx)));
		cli_json_print(doc);
	}
	ctmod_moddb_free(db);
	return st;
}

/* MODULE [PARAM=VALUE...] -> one name and its parameters joined by spaces */
static int split_params(struct cli *cli, int argc, char **argv, struct strbuf *params)
{
	for (int i = 1; i < argc; i++) {
		if (!strchr(argv[i], '='))
			return cli_usage(cli,
			                 "'%s' is not PARAM=VALUE (use -a to load several modules)",
			                 argv[i]);
		strbuf_printf(params, "%s%s", params->len ? " " : "", argv[i]);
	}
	return EXIT_OK;
}

/* modprobe's --dirname/--set-version: a new context for that root or kernel */
static int switch_ctx(struct cli *cli, int c, const char *arg)
{
	struct ctmod_ctx *ctx;
	if (c == OPT_DIRNAME)
		cli->root = arg;
	else
		cli->kver = arg;
	if (ctmod_ctx_new(&ctx, cli->root, cli->kver) < 0)
		return EXIT_FAILED;
	ctmod_ctx_set_log_level(ctx, ctmod_ctx_log_level(cli->ctx));
	ctmod_ctx_free(cli->ctx);
	cli->ctx = ctx;
	return EXIT_OK;
}

/* One option (cli_getopt's id c); EXIT_OK to go on, else the exit status. */
static int take_opt(struct cli *cli, int c, struct load_args *a)
{
	switch (c) {
	case 'a':
		a->all = true;
		break;
	case 'r':
		a->remove = true;
		break;
	case 'n':
	case OPT_SHOW:
		a->opts.dry_run = true;
		break;
	case OPT_FIRST:
		a->opts.first_time = true;
		break;
	case 'i':
		a->opts.ignore_install = true;
		break;
	case 'b':
		a->opts.use_blacklist = true;
		break;
	case OPT_METHOD:
		if (ctmod_load_methods_parse(optarg, &a->opts.methods) < 0)
			return cli_usage(
			    cli, "--method takes kmod, ioctl, modprobe (comma-separated), not '%s'",
			    optarg);
		break;
	case OPT_SHOW_DEPENDS:
		a->show_depends = true;
		break;
	case OPT_DIRNAME:
	case OPT_SET_VERSION:
		return switch_ctx(cli, c, optarg);
	default:
		break; /* --config: config dirs come from the root; --syslog: stderr is the log */
	}
	return EXIT_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct load_args a = {0};
	int c, st = EXIT_OK;
	while (st == EXIT_OK && (c = cli_getopt(cli, argc, argv)) >= 0)
		st = take_opt(cli, c, &a);
	if (st != EXIT_OK)
		return st;
	if (c == CLI_OPT_EXIT)
		return cli_status(cli);
	if (optind >= argc)
		return cli_usage(cli, "which module? (ctmod load MODULE)");

	char **names = argv + optind;
	int n = argc - optind;
	struct strbuf params;
	strbuf_init(&params);
	if (!a.all && !a.remove && n > 1) {
		st = split_params(cli, n, names, &params);
		if (st) {
			strbuf_release(&params);
			return st;
		}
		n = 1;
	}
	for (int i = 0; i < n; i++)
		if (!modname_valid(names[i]))
			return cli_usage(cli, "invalid module name '%s'", names[i]);
	st = run_loads(cli, &a, names, n, params.len ? strbuf_str(&params) : NULL);
	strbuf_release(&params);
	return st;
}

const struct ctmod_cmd cmd_load = {
    .name = "load",
    .run = run,
    .summary = "load a module, its dependencies and softdeps (-r unloads)",
    .synopsis = synopsis,
    .about = about,
    .options = options,
    .footer = footer,
};
