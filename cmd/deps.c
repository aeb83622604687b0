// SPDX-License-Identifier: GPL-2.0-or-later
/* ctmod deps: what loading a module takes, as modprobe would resolve it. */
#include <errno.h>
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/moddb.h"
#include "../lib/probe.h"
#include "builtin.h"

enum { OPT_NO_SOFTDEPS = 256 };

static const struct cli_option options[] = {
    {'D', "show-depends", NULL, "print exactly what modprobe --show-depends prints"},
    {'t', "tree", NULL, "draw the dependency tree"},
    {'r', "reverse", NULL, "list the modules that depend on MODULE"},
    {'a', "all", NULL, "resolve every module of the kernel"},
    {'i', "ignore-install", NULL, "do not stop at modprobe.d install commands"},
    {OPT_NO_SOFTDEPS, "no-softdeps", NULL, "leave softdeps out"},
    {0},
};

static const char synopsis[] = "[OPTIONS] MODULE [PARAM=VALUE...] [MODULE...]\n"
                               "--all [--show-depends]";

static const char about[] =
    "The modules to load for MODULE (a name, an alias such as fs-overlay or\n"
    "pci:v00008086d..., or symbol:NAME), in load order: its modules.dep\n"
    "dependencies right to left, softdeps, the module.  Read from\n"
    "ROOT/lib/modules/KVER, ROOT/{etc,run,usr/local/lib,usr/lib,lib}/modprobe.d\n"
    "and ROOT/proc/cmdline.\n";

static const char footer[] = "Exit status: 0 resolved, 1 a module was not found, 2 bad usage or a\n"
                             "malformed modules.dep.\n";

enum mode { M_LIST, M_SHOW, M_TREE, M_REVERSE };

struct opts {
	enum mode mode;
	bool all;
	unsigned flags;
};

static const char *step_kind(const struct ctmod_moddb_step *s)
{
	return s->install_cmd ? "install" : s->path ? "insmod" : "builtin";
}

static struct json_object *plan_json(const char *name, const struct ctmod_moddb_plan *plan)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "module", json_object_new_string(name));
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < plan->n; i++) {
		const struct ctmod_moddb_step *s = &plan->steps[i];
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "name", json_object_new_string(s->name));
		json_object_object_add(j, "action", json_object_new_string(step_kind(s)));
		json_object_object_add(j, "path", s->path ? json_object_new_string(s->path) : NULL);
		json_object_object_add(j, "options", json_object_new_string(s->options));
		json_object_object_add(
		    j, "install", s->install_cmd ? json_object_new_string(s->install_cmd) : NULL);
		json_object_object_add(j, "builtin", json_object_new_boolean(s->builtin));
		json_object_object_add(j, "blacklisted", json_object_new_boolean(s->blacklisted));
		json_object_object_add(j, "target", json_object_new_boolean(s->target));
		json_object_array_add(arr, j);
	}
	json_object_object_add(o, "steps", arr);
	return o;
}

static void step_print(const struct ctmod_moddb_step *s, enum mode mode, struct strbuf *out)
{
	if (mode == M_SHOW)
		ctmod_moddb_show_depends(s, out);
	else if (s->install_cmd)
		strbuf_printf(out, "%s install %s\n", s->name, s->install_cmd);
	else if (s->path)
		strbuf_printf(out, "%s %s\n", s->name, s->path);
	else
		strbuf_printf(out, "%s builtin\n", s->name);
}

static void plan_print(const struct ctmod_moddb_plan *plan, enum mode mode, struct strbuf *out)
{
	for (size_t i = 0; i < plan->n; i++)
		step_print(&plan->steps[i], mode, out);
}

/* ---- --tree ---- */

struct tree {
	struct ctmod_moddb *db;
	struct strv stack; /* the path from the root, to stop at cycles */
	struct strbuf out;
	bool json;
	bool no_softdeps;
};

static struct json_object *tree_node(struct tree *t, const char *name, const char *prefix,
                                     bool last, int depth, const char *note)
{
	struct json_object *j = t->json ? json_object_new_object() : NULL;
	bool builtin = !ctmod_moddb_path(t->db, name) && ctmod_moddb_is_builtin(t->db, name);
	bool cycle = strv_contains(&t->stack, name);
	if (j) {
		json_object_object_add(j, "name", json_object_new_string(name));
		if (note)
			json_object_object_add(j, "via", json_object_new_string(note));
		if (builtin)
			json_object_object_add(j, "builtin", json_object_new_boolean(true));
		if (cycle)
			json_object_object_add(j, "cycle", json_object_new_boolean(true));
	} else {
		strbuf_printf(&t->out, "%s%s%s%s%s%s%s\n", prefix,
		              depth ? (last ? "`-- " : "|-- ") : "", name, note ? " (" : "",
		              note ? note : "", note ? ")" : "",
		              cycle     ? " [cycle]"
		              : builtin ? " [builtin]"
		                        : "");
	}
	if (cycle || depth > 64)
		return j;

	struct strv deps, pre, post;
	strv_init(&deps);
	strv_init(&pre);
	strv_init(&post);
	if (ctmod_moddb_path(t->db, name))
		ctmod_moddb_direct_depends(t->db, name, &deps);
	if (!t->no_softdeps)
		ctmod_moddb_softdeps(t->db, name, &pre, &post);
	/* the softdeps after the hard dependencies, each marked as such */
	size_t nhard = deps.n;
	for (size_t i = 0; i < pre.n; i++)
		strv_push(&deps, pre.v[i]);
	for (size_t i = 0; i < post.n; i++)
		strv_push(&deps, post.v[i]);
	strv_push(&t->stack, name);
	_cleanup_free_ char *sub = NULL;
	if (asprintf(&sub, "%s%s", prefix, depth ? (last ? "    " : "|   ") : "") < 0)
		sub = NULL;
	struct json_object *kids = j ? json_object_new_array() : NULL;
	for (size_t i = 0; sub && i < deps.n; i++) {
		const char *how = i < nhard           ? NULL
		                  : i < nhard + pre.n ? "softdep pre"
		                                      : "softdep post";
		struct json_object *k =
		    tree_node(t, deps.v[i], sub, i + 1 == deps.n, depth + 1, how);
		if (kids)
			json_object_array_add(kids, k);
	}
	if (j)
		json_object_object_add(j, "depends", kids);
	free(t->stack.v[--t->stack.n]);
	t->stack.v[t->stack.n] = NULL;
	strv_release(&deps);
	strv_release(&pre);
	strv_release(&post);
	return j;
}

static int do_tree(struct cli *cli, struct ctmod_moddb *db, const char *name,
                   struct json_object *arr, bool no_softdeps)
{
	struct strv mods;
	strv_init(&mods);
	int r = ctmod_moddb_lookup(db, name, &mods);
	if (r < 0) {
		strv_release(&mods);
		return r;
	}
	if (!mods.n) {
		/* the resolver words the "not found" error with suggestions */
		struct ctmod_moddb_plan plan;
		r = ctmod_moddb_resolve(db, name, 0, &plan);
		ctmod_moddb_plan_release(&plan);
		strv_release(&mods);
		return r < 0 ? r : -ENOENT;
	}
	struct tree t = {.db = db, .json = cli->json, .no_softdeps = no_softdeps};
	strv_init(&t.stack);
	strbuf_init(&t.out);
	for (size_t i = 0; i < mods.n; i++) {
		struct json_object *j =
		    tree_node(&t, mods.v[i], "", true, 0, strcmp(mods.v[i], name) ? name : NULL);
		if (arr)
			json_object_array_add(arr, j);
	}
	fputs(strbuf_str(&t.out), stdout);
	strbuf_release(&t.out);
	strv_release(&t.stack);
	strv_release(&mods);
	return 0;
}

static int do_reverse(struct cli *cli, struct ctmod_moddb *db, const char *name,
                      struct json_object *arr)
{
	struct strv users;
	strv_init(&users);
	int r = ctmod_moddb_users(db, name, &users);
	if (r < 0) {
		strv_release(&users);
		return r;
	}
	if (arr) {
		struct json_object *o = json_object_new_object();
		struct json_object *u = json_object_new_array();
		json_object_object_add(o, "module", json_object_new_string(name));
		for (size_t i = 0; i < users.n; i++)
			json_object_array_add(u, json_object_new_string(users.v[i]));
		json_object_object_add(o, "users", u);
		json_object_array_add(arr, o);
	} else {
		for (size_t i = 0; i < users.n; i++)
			printf("%s\n", users.v[i]);
	}
	(void)cli;
	strv_release(&users);
	return 0;
}

static int do_resolve(struct cli *cli, struct ctmod_moddb *db, const struct opts *o,
                      const char *name, const char *extra, struct json_object *arr,
                      struct strbuf *out)
{
	struct ctmod_moddb_plan plan;
	int r = ctmod_moddb_resolve_opts(db, name, o->flags, extra, &plan);
	if (r < 0)
		return r;
	if (arr)
		json_object_array_add(arr, plan_json(name, &plan));
	else if (o->all && o->mode == M_LIST) {
		strbuf_printf(out, "%s:", name);
		for (size_t i = 0; i < plan.n; i++)
			strbuf_printf(out, " %s", plan.steps[i].name);
		strbuf_putc(out, '\n');
	} else
		plan_print(&plan, o->mode, out);
	(void)cli;
	ctmod_moddb_plan_release(&plan);
	return 0;
}

/* argv[*i] is a module; the PARAM=VALUE words after it are its options */
static const char *take_params(int argc, char **argv, int *i, struct strbuf *extra)
{
	while (*i + 1 < argc && strchr(argv[*i + 1], '=')) {
		if (extra->len)
			strbuf_putc(extra, ' ');
		strbuf_puts(extra, argv[++*i]);
	}
	return extra->len ? strbuf_str(extra) : NULL;
}

struct fast {
	enum mode mode;
	struct strbuf *out;
};

static void fast_step(void *data, const struct ctmod_moddb_step *st)
{
	struct fast *f = data;
	step_print(st, f->mode, f->out);
}

struct fast_args {
	struct cli *cli;
	const struct opts *o;
	int argc;
	char **argv;
};

/* In the child: every name through libkmod; 0 and the output printed when
 * all resolved, 1 (nothing printed) otherwise. */
static int fast_child(void *data)
{
	struct fast_args *a = data;
	struct strbuf out;
	strbuf_init(&out);
	struct fast f = {a->o->mode, &out};
	int r = 0;
	for (int i = optind; r == 0 && i < a->argc; i++) {
		struct strbuf extra;
		strbuf_init(&extra);
		const char *name = a->argv[i];
		r = ctmod_probe_walk(a->cli->ctx, name, a->o->flags,
		                     take_params(a->argc, a->argv, &i, &extra), fast_step, &f);
		strbuf_release(&extra);
	}
	if (r == 0)
		fputs(strbuf_str(&out), stdout);
	strbuf_release(&out);
	return r == 0 ? 0 : 1;
}

/*
 * Single lookups through libkmod's indexes (lib/probe), when they give the
 * text resolver's answer: true when every name resolved and the output is
 * printed.  A name that fails sends the whole run to lib/moddb, whose
 * messages name the closest modules; so does a libkmod that crashes on a
 * truncated or corrupt index (it runs in a child for that reason: libkmod
 * 30 may fault or scribble on its own stack when an index is garbage).
 */
static bool fast_resolve(struct cli *cli, const struct opts *o, int argc, char **argv)
{
	if (o->all || cli->json || (o->mode != M_SHOW && o->mode != M_LIST) ||
	    (o->flags & CTMOD_RESOLVE_NO_SOFTDEPS) || !ctmod_probe_usable(cli->ctx))
		return false;
	struct fast_args a = {cli, o, argc, argv};
	const char *kver;
	_cleanup_free_ char *dir = ctmod_ctx_kver(cli->ctx, &kver) < 0
	                               ? NULL
	                               : ctmod_path(cli->ctx, "/lib/modules/%s", kver);
	int sig = 0;
	int st = ctmod_probe_isolated(dir, argv + optind, argc - optind, fast_child, &a, &sig);
	if (st == -EFAULT && !cli->quiet)
		fprintf(
		    stderr,
		    "ctmod: deps: libkmod died (%s) reading the .bin indexes: they look truncated or corrupt (run depmod); answering from the text files\n",
		    strsignal(sig));
	ctmod_ctx_clear_error(cli->ctx);
	return st == 0;
}

/* The options; -1 to go on, else the exit status. */
static int parse_opts(struct cli *cli, int argc, char **argv, struct opts *o)
{
	int c;
	while ((c = cli_getopt(cli, argc, argv)) >= 0) {
		switch (c) {
		case 'D':
			o->mode = M_SHOW;
			break;
		case 't':
			o->mode = M_TREE;
			break;
		case 'r':
			o->mode = M_REVERSE;
			break;
		case 'a':
			o->all = true;
			break;
		case 'i':
			o->flags |= CTMOD_RESOLVE_IGNORE_INSTALL;
			break;
		case OPT_NO_SOFTDEPS:
			o->flags |= CTMOD_RESOLVE_NO_SOFTDEPS;
			break;
		}
	}
	if (c == CLI_OPT_EXIT)
		return cli_status(cli);
	if (!o->all && optind >= argc)
		return cli_usage(cli, "name a module, or use --all");
	if (o->all && optind < argc)
		return cli_usage(cli, "--all takes no module names");
	if (o->all && (o->mode == M_TREE || o->mode == M_REVERSE))
		return cli_usage(cli, "--all goes with --show-depends or nothing");
	if (optind < argc && strchr(argv[optind], '='))
		return cli_usage(cli, "'%s' looks like a parameter: name the module first",
		                 argv[optind]);

	return -1;
}

/* The names on the command line, each with its PARAM=VALUE words; every
 * failing name is reported and the others still resolved, as modprobe -a. */
static int resolve_named(struct cli *cli, struct ctmod_moddb *db, const struct opts *o, int argc,
                         char **argv, struct json_object *arr, struct strbuf *out)
{
	int rc = EXIT_OK;
	for (int i = optind; i < argc; i++) {
		const char *name = argv[i];
		struct strbuf extra;
		strbuf_init(&extra);
		const char *params = take_params(argc, argv, &i, &extra);
		int r;
		if (o->mode == M_TREE)
			r = do_tree(cli, db, name, arr, o->flags & CTMOD_RESOLVE_NO_SOFTDEPS);
		else if (o->mode == M_REVERSE)
			r = do_reverse(cli, db, name, arr);
		else
			r = do_resolve(cli, db, o, name, params, arr, out);
		strbuf_release(&extra);
		if (r < 0) {
			int e = cli_error(cli, r);
			if (e > rc)
				rc = e;
			ctmod_ctx_clear_error(cli->ctx);
		}
	}
	return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct opts o = {.mode = M_LIST};
	int st = parse_opts(cli, argc, argv, &o);
	if (st >= 0)
		return st;
	if (fast_resolve(cli, &o, argc, argv))
		return EXIT_OK;
	struct ctmod_moddb *db;
	int r = ctmod_moddb_open(cli->ctx, &db);
	if (r < 0)
		return cli_error(cli, r);

	struct json_object *doc = NULL, *arr = NULL;
	if (cli->json) {
		doc = json_object_new_object();
		const char *kver = NULL;
		ctmod_ctx_kver(cli->ctx, &kver);
		json_object_object_add(doc, "kernel", json_object_new_string(kver ? kver : ""));
		json_object_object_add(doc, "dir", json_object_new_string(ctmod_moddb_dir(db)));
		arr = json_object_new_array();
		json_object_object_add(doc,
		                       o.mode == M_REVERSE ? "reverse"
		                       : o.mode == M_TREE  ? "trees"
		                                           : "modules",
		                       arr);
	}

	struct strbuf out;
	strbuf_init(&out);
	int rc = EXIT_OK;
	struct strv names;
	strv_init(&names);
	if (o.all) {
		r = ctmod_moddb_all(db, &names);
		for (size_t i = 0; r == 0 && i < names.n; i++)
			r = do_resolve(cli, db, &o, names.v[i], NULL, arr, &out);
		if (r < 0)
			rc = cli_error(cli, r);
	} else {
		rc = resolve_named(cli, db, &o, argc, argv, arr, &out);
	}
	fputs(strbuf_str(&out), stdout);
	strbuf_release(&out);
	strv_release(&names);
	if (doc)
		cli_json_print(doc);
	ctmod_moddb_free(db);
	return rc;
}

const struct ctmod_cmd cmd_deps = {
    .name = "deps",
    .run = run,
    .summary = "dependency resolution as modprobe does it (--show-depends, --tree, --all)",
    .synopsis = synopsis,
    .about = about,
    .options = options,
    .footer = footer,
};
