// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The `dkms` personality: called through a link named dkms, ctmod takes
 * DKMS's command line for what CI scripts and distribution hooks call, and
 * turns it into the ctmod command that does the same:
 *
 *   dkms add|build|install|uninstall|remove|unbuild|status|autoinstall
 *        [-m NAME -v VERSION | NAME/VERSION] [-k KVER[/ARCH]]... [-a ARCH]
 *        [--all] [--force] [-q] [-j N] [--kernelsourcedir DIR] [--root DIR]
 *
 * add checks the source under ROOT/usr/src (its dkms.conf evaluated: what
 * ctmod needs of an added package); build, install and uninstall are
 * ctmod build, build --install, build --uninstall; remove and unbuild
 * uninstall (the build trees stay); autoinstall is build --all --install;
 * --all (every kernel) is -k all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "builtin.h"
#include "xalloc.h"

static const char dkms_usage[] =
    "Usage: dkms [ACTION] [-m NAME -v VERSION | NAME/VERSION] [-k KVER[/ARCH]]... [-a ARCH]\n"
    "            [--all] [--force] [-q] [-j N] [--kernelsourcedir DIR] [--root DIR]\n"
    "ACTION: add, build, install, uninstall, remove, unbuild, status, autoinstall\n"
    "(ctmod's DKMS personality: see ctmod help build, ctmod help status)\n";

static const struct {
	const char *action;
	const char *cmd;
	const char *flags[3];
} actions[] = {
    {"add", "build", {"-n", NULL}},
    {"build", "build", {NULL}},
    {"install", "build", {"--install", NULL}},
    {"uninstall", "build", {"--uninstall", NULL}},
    {"remove", "build", {"--uninstall", NULL}},
    {"unbuild", "build", {"--uninstall", NULL}},
    {"autoinstall", "build", {"--all", "--install", NULL}},
    {"status", "status", {NULL}},
};

/* what was said on DKMS's command line */
struct dkms_args {
	int action; /* index in actions, -1 none yet */
	const char *name, *version, *arch, *jobs, *ksrc, *root;
	struct strv kernels, modules;
	bool all, force, quiet, verbose;
};

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "dkms: %s%s%s\n%s", what, arg ? " " : "", arg ? arg : "", dkms_usage);
	return EXIT_USAGE;
}

/* the value of option argv[*i] (its next word) */
static const char *value(int argc, char **argv, int *i)
{
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static int parse_word(struct dkms_args *a, int argc, char **argv, int *i)
{
	const char *w = argv[*i];
	const char **slot = NULL;
	if (!strcmp(w, "-m"))
		slot = &a->name;
	else if (!strcmp(w, "-v"))
		slot = &a->version;
	else if (!strcmp(w, "-a") || !strcmp(w, "--arch"))
		slot = &a->arch;
	else if (!strcmp(w, "-j"))
		slot = &a->jobs;
	else if (!strcmp(w, "--kernelsourcedir"))
		slot = &a->ksrc;
	else if (!strcmp(w, "--root")) /* ctmod's, to work on an image root */
		slot = &a->root;
	if (slot) {
		if (!(*slot = value(argc, argv, i)))
			return usage_error("option needs an argument:", w);
		return EXIT_OK;
	}
	if (!strcmp(w, "-k") || !strcmp(w, "--kernelver")) {
		const char *k = value(argc, argv, i);
		if (!k)
			return usage_error("option needs an argument:", w);
		strv_push(&a->kernels, k);
	} else if (!strcmp(w, "--all"))
		a->all = true;
	else if (!strcmp(w, "--force"))
		a->force = true;
	else if (!strcmp(w, "-q") || !strcmp(w, "--quiet"))
		a->quiet = true;
	else if (!strcmp(w, "--verbose"))
		a->verbose = true;
	else if (w[0] == '-')
		return usage_error("unknown option", w);
	else if (a->action < 0) {
		for (size_t k = 0; k < ARRAY_SIZE(actions); k++)
			if (!strcmp(w, actions[k].action))
				a->action = (int)k;
		if (a->action < 0)
			return usage_error("unknown action", w);
	} else
		strv_push(&a->modules, w);
	return EXIT_OK;
}

/* ctmod's command line for what a asks */
static int translate(struct cli *cli, struct dkms_args *a, struct strv *out)
{
	const char *cmd = actions[a->action].cmd;
	strv_push(out, "ctmod");
	if (a->root) {
		strv_push(out, "--root");
		strv_push(out, a->root);
	}
	if (a->quiet)
		strv_push(out, "-q");
	if (a->verbose)
		strv_push(out, "-v");
	strv_push(out, cmd);
	for (const char *const *f = actions[a->action].flags; *f; f++)
		strv_push(out, *f);
	if (a->action == 0) { /* add: the check only, for any kernel with headers */
		strv_push(out, "-q");
		if (!a->kernels.n)
			a->all = true;
	}
	for (size_t i = 0; i < a->kernels.n; i++) {
		strv_push(out, "-k");
		strv_push(out, a->kernels.v[i]);
	}
	if (a->all && strcmp(cmd, "build") == 0) {
		strv_push(out, "-k");
		strv_push(out, "all");
	}
	if (a->force)
		strv_push(out, "--force");
	if (a->arch && strcmp(cmd, "build") == 0) {
		strv_push(out, "--arch");
		strv_push(out, a->arch);
	}
	if (a->jobs && strcmp(cmd, "build") == 0) {
		strv_push(out, "-j");
		strv_push(out, a->jobs);
	}
	if (a->name) {
		if (!a->version && strcmp(cmd, "status") != 0)
			return usage_error("-m needs -v VERSION for", actions[a->action].action);
		strv_push_take(out, a->version ? xasprintf("%s/%s", a->name, a->version)
		                               : strdup(a->name));
	}
	for (size_t i = 0; i < a->modules.n; i++)
		strv_push(out, a->modules.v[i]);
	(void)cli;
	return EXIT_OK;
}

int cmd_dkms_argv(struct cli *cli, int argc, char **argv, struct strv *out)
{
	struct dkms_args a = {.action = -1};
	strv_init(&a.kernels);
	strv_init(&a.modules);
	int r = EXIT_OK;
	for (int i = 1; r == EXIT_OK && i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(dkms_usage, stdout);
			r = -1;
		} else
			r = parse_word(&a, argc, argv, &i);
	}
	if (r == EXIT_OK && a.action < 0)
		r = usage_error("no action given", NULL);
	if (r == EXIT_OK && a.ksrc)
		fprintf(stderr,
		        "dkms: --kernelsourcedir %s: ctmod builds against "
		        "ROOT/lib/modules/KVER/build (deploy headers there with ctmod install)\n",
		        a.ksrc);
	if (r == EXIT_OK)
		r = translate(cli, &a, out);
	strv_release(&a.kernels);
	strv_release(&a.modules);
	return r;
}
