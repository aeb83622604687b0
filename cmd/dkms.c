// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The `dkms` personality: ctmod invoked through a link named dkms takes
 * DKMS's command line for what CI scripts and kernel hooks call (add, build,
 * install, uninstall, unbuild, remove, status, autoinstall) with DKMS's exit
 * codes (Debian's dkms 3.0.10, side by side in tests/cli/test-dkms-cli.sh).
 *
 * A thin translation: the words are parsed here, then `ctmod build` or
 * `ctmod status` runs with a rebuilt argv through ctmod's own dispatch, so
 * the build machinery (lib/build*) stays the one place that builds.  What
 * DKMS does around a build (skip what is already done, forget a build) is
 * done here with the status list and the tree ROOT/var/lib/ctmod.
 *
 * Where ctmod's model differs: `ctmod status` counts every
 * ROOT/usr/src/NAME-VERSION with a dkms.conf as `added`; DKMS keeps a
 * registration, so here `add` (and a build) marks NAME/VERSION in ctmod's
 * tree, status shows `added` only for marked ones, `remove` drops the mark.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/build.h"
#include "util.h"
#include "builtin.h"

static const char usage[] =
    "Usage: dkms [action] [options]\n"
    "  [action]  = { add | remove | build | unbuild | install | uninstall |\n"
    "                autoinstall | status }\n"
    "  [options] = [-m module] [-v module-version] [-k kernel-version[/arch]]\n"
    "              [-a arch] [-q] [--force] [--all] [--kernelsourcedir=DIR]\n"
    "              [--verbose] [-j number] [--root=DIR] [--version]\n"
    "(ctmod's dkms personality: see ctmod-dkms(8))\n";

static const char *const actions[] = {"add",     "remove",    "build",    "unbuild",
                                      "install", "uninstall", "status",   "autoinstall",
                                      "match",   "mktarball", "ldtarball"};

static bool exists(const char *p)
{
	return p && access(p, F_OK) == 0;
}

struct dk {
	const char *action, *arch, *ksrc, *root, *jobs, *path;
	char *name, *version;
	struct strv kernels;
	bool all, force, quiet, verbose;
};

/* DKMS's "Error! ..." lines on stderr, and its exit code */
static int die(int code, const char *first, const char *second)
{
	fprintf(stderr, "Error! %s\n", first);
	if (second)
		fprintf(stderr, "%s\n", second);
	return code;
}

static bool is_action(const char *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strcmp(w, actions[i]) == 0)
			return true;
	return false;
}

/* NAME/VERSION (DKMS's parse_moduleversion): the part after the last '/' */
static void take_modver(struct dk *d, const char *w)
{
	const char *slash = strrchr(w, '/');
	free(d->name);
	if (slash) {
		d->name = xstrndup(w, (size_t)(slash - w));
		free(d->version);
		d->version = xstrdup(slash + 1);
	} else {
		d->name = xstrdup(w);
	}
}

/* "-x VAL", "--opt VAL" or "--opt=VAL": the value, or NULL when missing */
static const char *opt_value(int argc, char **argv, int *i)
{
	const char *eq = argv[*i][1] == '-' ? strchr(argv[*i], '=') : NULL;
	if (eq)
		return eq + 1;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static bool opt_is(const char *w, const char *opt)
{
	size_t n = strlen(opt);
	return strncmp(w, opt, n) == 0 && (w[n] == '\0' || (opt[1] == '-' && w[n] == '='));
}

static int take_word(struct dk *d, const char *w)
{
	struct stat st;
	if (is_action(w)) {
		if (d->action)
			return die(4, "Cannot specify more than one action.", NULL);
		d->action = w;
	} else if (!d->path && stat(w, &st) == 0 && S_ISDIR(st.st_mode)) {
		d->path = w; /* a source tree, for add */
	} else if (!d->name) {
		take_modver(d, w);
	} else {
		fprintf(stderr, "Warning! I do not know how to handle %s.\n", w);
	}
	return 0;
}

/* One option at argv[*i]: 0, -1 when not an option of ours, else an exit code */
static int take_option(struct dk *d, int argc, char **argv, int *i)
{
	const char *w = argv[*i], *v;
	if (strcmp(w, "-m") == 0 || strcmp(w, "-v") == 0 || strcmp(w, "-k") == 0 ||
	    strcmp(w, "-a") == 0 || strcmp(w, "-j") == 0 || opt_is(w, "--arch") ||
	    opt_is(w, "--kernelsourcedir") || opt_is(w, "--root")) {
		if (!(v = opt_value(argc, argv, i)))
			return die(2, "Unknown option: missing value", NULL);
		if (w[1] == 'm')
			take_modver(d, v);
		else if (w[1] == 'v')
			free(d->version), d->version = xstrdup(v);
		else if (w[1] == 'k')
			strv_push(&d->kernels, v);
		else if (w[1] == 'a' || opt_is(w, "--arch"))
			d->arch = v;
		else if (w[1] == 'j')
			d->jobs = v;
		else if (opt_is(w, "--root"))
			d->root = v;
		else
			d->ksrc = v;
		return 0;
	}
	if (strcmp(w, "-q") == 0 || strcmp(w, "--quiet") == 0)
		d->quiet = true;
	else if (strcmp(w, "--force") == 0)
		d->force = true;
	else if (strcmp(w, "--all") == 0)
		d->all = true;
	else if (strcmp(w, "--verbose") == 0)
		d->verbose = true;
	else if (strcmp(w, "--no-depmod") && strcmp(w, "--no-initrd") &&
	         strcmp(w, "--no-clean-kernel") && strcmp(w, "--no-prepare-kernel"))
		return -1;
	return 0;
}

static int parse(struct dk *d, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		int r;
		if (strcmp(w, "--version") == 0 || strcmp(w, "-V") == 0) {
			puts("dkms-3.0.10 (ctmod)");
			return -1;
		}
		if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0 || strcmp(w, "-?") == 0) {
			fputs(usage, stdout);
			return -1;
		}
		if (w[0] == '-' && w[1]) {
			r = take_option(d, argc, argv, &i);
			if (r < 0) {
				fprintf(stderr, "Error!  Unknown option: %s\n", w);
				fputs(usage, stderr);
				return 2;
			}
		} else {
			r = take_word(d, w);
		}
		if (r)
			return r;
	}
	if (d->kernels.n && d->all)
		return die(2, " You cannot specify a kernel version and also specify",
		           "--all on the command line.");
	if (d->arch && d->all)
		return die(3, " You cannot specify an arch and also specify",
		           "--all on the command line.");
	return 0;
}

/* The argv for ctmod's own dispatch: "ctmod [--root R] [-q|-v] CMD ..." */
static void base_argv(const struct dk *d, struct strv *av, const char *cmd)
{
	strv_push(av, "ctmod");
	if (d->root) {
		strv_push(av, "--root");
		strv_push(av, d->root);
	}
	if (d->quiet)
		strv_push(av, "-q");
	if (d->verbose)
		strv_push(av, "-v");
	strv_push(av, cmd);
}

static void push_kernels(const struct dk *d, struct strv *av)
{
	for (size_t i = 0; i < d->kernels.n; i++) {
		strv_push(av, "-k");
		if (d->arch && !strchr(d->kernels.v[i], '/')) {
			_cleanup_free_ char *k = xasprintf("%s/%s", d->kernels.v[i], d->arch);
			strv_push(av, k);
		} else {
			strv_push(av, d->kernels.v[i]);
		}
	}
	if (!d->kernels.n && d->arch) {
		strv_push(av, "--arch");
		strv_push(av, d->arch);
	}
	if (d->jobs) {
		strv_push(av, "-j");
		strv_push(av, d->jobs);
	}
}

/* A kernel word "KVER[/ARCH]" split into kver and arch (default: -a, the machine's) */
static void split_kernel(const struct dk *d, const char *k, char **kver, const char **arch)
{
	const char *slash = strchr(k, '/');
	*kver = slash ? xstrndup(k, (size_t)(slash - k)) : xstrdup(k);
	*arch = slash ? slash + 1 : d->arch ? d->arch : ctmod_arch();
}

/* The kernels an action is for: each -k, else the running (or --root's only) one */
static void kernels_of(struct ctmod_ctx *ctx, const struct dk *d, struct strv *out)
{
	for (size_t i = 0; i < d->kernels.n; i++)
		strv_push(out, d->kernels.v[i]);
	if (out->n)
		return;
	const char *kv;
	if (ctmod_ctx_kver(ctx, &kv) < 0) {
		ctmod_ctx_clear_error(ctx);
		kv = ctmod_running_kver();
	}
	strv_push(out, kv);
}

/* "installed", "built" or NULL: NAME/VERSION's state for kver/arch */
static const char *state_of(struct ctmod_ctx *ctx, const struct dk *d, const char *kver,
                            const char *arch)
{
	struct build_status *st;
	size_t n;
	const char *state = NULL;
	if (ctmod_build_status_list(ctx, &st, &n) < 0) {
		ctmod_ctx_clear_error(ctx);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (st[i].kver && strcmp(st[i].name, d->name) == 0 &&
		    strcmp(st[i].version, d->version) == 0 && strcmp(st[i].kver, kver) == 0 &&
		    strcmp(st[i].arch, arch) == 0)
			state = st[i].state; /* a static string */
	ctmod_build_status_free(st, n);
	return state;
}

static char *source_dir(struct ctmod_ctx *ctx, const struct dk *d)
{
	return ctmod_path(ctx, "/usr/src/%s-%s", d->name, d->version);
}

static char *tree_dir(struct ctmod_ctx *ctx, const struct dk *d, const char *kver)
{
	if (kver)
		return ctmod_path(ctx, CTMOD_TREE "/%s/%s/%s", d->name, d->version, kver);
	return ctmod_path(ctx, CTMOD_TREE "/%s/%s", d->name, d->version);
}

static int need_module_args(const struct dk *d)
{
	if (d->name && d->version && *d->name && *d->version)
		return 0;
	fprintf(stderr,
	        "Error! Arguments <module> and <module-version> are not specified.\n"
	        "Usage: %s <module>/<module-version> or\n"
	        "       %s -m <module>/<module-version> or\n"
	        "       %s -m <module> -v <module-version>\n",
	        d->action, d->action, d->action);
	return 1;
}

/*
 * added, as DKMS counts it: registered by add (or a build) in the tree.
 * ctmod itself counts every ROOT/usr/src/NAME-VERSION with a dkms.conf.
 */
static bool is_marked(struct ctmod_ctx *ctx, const char *name, const char *version)
{
	_cleanup_free_ char *tree = ctmod_path(ctx, CTMOD_TREE "/%s/%s", name, version);
	return exists(tree);
}

/* ctmod's own command line, run through ctmod's dispatch */
static int run_ctmod(struct cli *cli, struct strv *av, cmd_dispatch_fn *dispatch)
{
	return dispatch(cli, (int)av->n, av->v);
}

/* add PATH: copy the tree to ROOT/usr/src/NAME-VERSION as DKMS does */
static int add_path(struct ctmod_ctx *ctx, struct dk *d)
{
	struct build_opts o = {.dry_run = true, .arch = d->arch};
	struct build_plan plan = {0};
	struct strv srcs, kv;
	strv_init(&srcs);
	strv_init(&kv);
	char rp[PATH_MAX];
	if (!realpath(d->path, rp))
		return die(2, "Could not find module source directory.", d->path);
	strv_push(&srcs, rp);
	kernels_of(ctx, d, &kv);
	int r = ctmod_build_plan_make(ctx, &o, &srcs, &kv, &plan);
	int rc = 0;
	if (r < 0 || plan.n == 0 || plan.jobs[0].state == BUILD_BROKEN) {
		rc = die(8, "Bad conf file.", ctmod_ctx_error(ctx));
	} else {
		take_modver(d, plan.jobs[0].name);
		free(d->version);
		d->version = xstrdup(plan.jobs[0].version);
		_cleanup_free_ char *dst = source_dir(ctx, d);
		_cleanup_free_ char *parent = ctmod_path(ctx, "/usr/src");
		if (strcmp(dst, rp) != 0 && !exists(dst)) {
			char *cp[] = {"cp", "-a", rp, dst, NULL};
			mkdir_p(parent, 0755);
			if (run_process(cp, NULL, -1, -1, 2) != 0)
				rc = die(1, "Could not copy the source tree to", dst);
		}
	}
	ctmod_build_plan_release(&plan);
	strv_release(&srcs);
	strv_release(&kv);
	return rc;
}

static int no_source(const char *src)
{
	fprintf(stderr,
	        "Error! Could not find module source directory.\n"
	        "Directory: %s does not exist.\n",
	        src);
	return 2;
}

static int do_add(struct ctmod_ctx *ctx, struct dk *d)
{
	if (d->all)
		return die(5, "The action add does not support the --all parameter.", NULL);
	int rc;
	if (d->path && (rc = add_path(ctx, d)))
		return rc;
	if ((rc = need_module_args(d)))
		return rc;
	_cleanup_free_ char *tree = tree_dir(ctx, d, NULL);
	_cleanup_free_ char *src = source_dir(ctx, d);
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", src);
	if (exists(tree)) {
		fprintf(stderr,
		        "Error! DKMS tree already contains: %s-%s\n"
		        "You cannot add the same module/version combo more than once.\n",
		        d->name, d->version);
		return 3;
	}
	if (!exists(src))
		return no_source(src);
	if (!exists(conf))
		return die(4, "Could not locate dkms.conf file.", conf);
	int r = mkdir_p(tree, 0755);
	if (r < 0)
		return die(1, "Could not register in the tree:", tree);
	if (!d->quiet)
		printf("Registered %s/%s: %s\n", d->name, d->version, src);
	return 0;
}

/* A path under the root: its absolute symlinks resolved inside the root */
static bool resolve_in_root(struct ctmod_ctx *ctx, const char *path, char out[PATH_MAX])
{
	char link[PATH_MAX];
	_cleanup_free_ char *p = xstrdup(path);
	for (int hops = 0; hops < 8; hops++) {
		ssize_t n = readlink(p, link, sizeof(link) - 1);
		if (n < 0 || link[0] != '/')
			break;
		link[n] = '\0';
		free(p);
		p = ctmod_path(ctx, "%s", link);
	}
	return realpath(p, out) != NULL;
}

/* --kernelsourcedir: ctmod builds against ROOT/lib/modules/KVER/build only */
static bool same_kernel_tree(struct ctmod_ctx *ctx, const char *kver, const char *dir)
{
	_cleanup_free_ char *b = ctmod_path(ctx, "/lib/modules/%s/build", kver);
	_cleanup_free_ char *in_root = ctmod_path(ctx, "%s", dir);
	char x[PATH_MAX], y[PATH_MAX];
	if (!resolve_in_root(ctx, b, x))
		return false;
	return (resolve_in_root(ctx, dir, y) && strcmp(x, y) == 0) ||
	       (resolve_in_root(ctx, in_root, y) && strcmp(x, y) == 0);
}

/* build/install: skip what is done (DKMS's "already built ... skip") unless --force */
static int do_build(struct cli *cli, struct ctmod_ctx *ctx, struct dk *d, bool install,
                    cmd_dispatch_fn *dispatch)
{
	if (d->all)
		return die(5,
		           install ? "The action install does not support the --all parameter."
		                   : "The action build does not support the --all parameter.",
		           NULL);
	int rc = need_module_args(d);
	if (rc)
		return rc;
	_cleanup_free_ char *src = source_dir(ctx, d);
	if (!exists(src))
		return no_source(src);
	/* DKMS adds what it is asked to build, before it looks for headers */
	_cleanup_free_ char *mark = tree_dir(ctx, d, NULL);
	mkdir_p(mark, 0755);
	struct strv kv, av;
	strv_init(&kv);
	strv_init(&av);
	kernels_of(ctx, d, &kv);
	base_argv(d, &av, "build");
	size_t todo = 0;
	for (size_t i = 0; i < kv.n && rc == 0; i++) {
		_cleanup_free_ char *k = NULL;
		const char *arch;
		split_kernel(d, kv.v[i], &k, &arch);
		if (ctmod_build_check_headers(ctx, k) < 0) {
			ctmod_ctx_clear_error(ctx);
			fprintf(stderr,
			        "Error! Your kernel headers for kernel %s cannot be found at "
			        "/lib/modules/%s/build or /lib/modules/%s/source.\n",
			        k, k, k);
			rc = 1;
			break;
		}
		if (d->ksrc && !same_kernel_tree(ctx, k, d->ksrc)) {
			fprintf(stderr,
			        "Error! ctmod builds against ROOT/lib/modules/%s/build; "
			        "--kernelsourcedir %s is another tree.\n",
			        k, d->ksrc);
			rc = 1;
			break;
		}
		const char *st = state_of(ctx, d, k, arch);
		if (!d->force && st && (strcmp(st, "installed") == 0 || !install)) {
			if (!d->quiet)
				printf("Module %s/%s already %s %s kernel %s (%s), skip. You may "
				       "override by specifying --force.\n",
				       d->name, d->version, st, install ? "on" : "for", k, arch);
			continue;
		}
		strv_push(&av, "-k");
		_cleanup_free_ char *ka = xasprintf("%s/%s", k, arch);
		strv_push(&av, ka);
		todo++;
	}
	if (rc == 0 && todo) {
		if (install)
			strv_push(&av, "--install");
		if (d->force)
			strv_push(&av, "--force"); /* else ctmod build skips what is done */
		if (d->jobs) {
			strv_push(&av, "-j");
			strv_push(&av, d->jobs);
		}
		_cleanup_free_ char *nv = xasprintf("%s/%s", d->name, d->version);
		strv_push(&av, nv);
		rc = run_ctmod(cli, &av, dispatch);
		if (rc == EXIT_FAILED)
			rc = 10; /* DKMS: "Bad return status for module build" */
		else if (rc == EXIT_USAGE)
			rc = 8; /* DKMS: "Bad conf file." */
	}
	strv_release(&kv);
	strv_release(&av);
	return rc;
}

/* uninstall, unbuild (uninstall + forget the build), remove (and forget the add) */
static int do_uninstall(struct cli *cli, struct ctmod_ctx *ctx, struct dk *d,
                        cmd_dispatch_fn *dispatch)
{
	int rc = need_module_args(d);
	if (rc)
		return rc;
	if (!is_marked(ctx, d->name, d->version)) {
		fprintf(stderr,
		        "Error! The module/version combo: %s-%s is not located in the DKMS tree.\n",
		        d->name, d->version);
		return 3;
	}
	bool forget = strcmp(d->action, "uninstall") != 0;
	struct strv kv, av, gone;
	strv_init(&kv);
	strv_init(&av);
	strv_init(&gone);
	if (d->all) {
		struct build_status *st;
		size_t n;
		if (ctmod_build_status_list(ctx, &st, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				if (st[i].kver && strcmp(st[i].name, d->name) == 0 &&
				    strcmp(st[i].version, d->version) == 0) {
					_cleanup_free_ char *ka =
					    xasprintf("%s/%s", st[i].kver, st[i].arch);
					strv_push(&kv, ka);
				}
			ctmod_build_status_free(st, n);
		}
		ctmod_ctx_clear_error(ctx);
	} else {
		kernels_of(ctx, d, &kv);
	}
	base_argv(d, &av, "build");
	strv_push(&av, "--uninstall");
	size_t todo = 0;
	for (size_t i = 0; i < kv.n; i++) {
		_cleanup_free_ char *k = NULL;
		const char *arch;
		split_kernel(d, kv.v[i], &k, &arch);
		const char *st = state_of(ctx, d, k, arch);
		if (!st || strcmp(st, "installed") != 0) {
			if (!d->quiet)
				printf("Module %s %s is not installed for kernel %s (%s). "
				       "Skipping...\n",
				       d->name, d->version, k, arch);
		} else {
			strv_push(&av, "-k");
			_cleanup_free_ char *ka = xasprintf("%s/%s", k, arch);
			strv_push(&av, ka);
			todo++;
		}
		if (forget && !st && !d->quiet && !d->all)
			printf("Module %s %s is not built for kernel %s (%s). Skipping...\n",
			       d->name, d->version, k, arch);
		if (forget && st)
			strv_push(&gone, k);
	}
	if (todo) {
		_cleanup_free_ char *nv = xasprintf("%s/%s", d->name, d->version);
		strv_push(&av, nv);
		rc = run_ctmod(cli, &av, dispatch);
	}
	for (size_t i = 0; rc == 0 && i < gone.n; i++) {
		_cleanup_free_ char *t = tree_dir(ctx, d, gone.v[i]);
		if (rm_rf(t) < 0)
			rc = die(1, "Could not remove the build:", t);
	}
	if (rc == 0 && strcmp(d->action, "remove") == 0) {
		_cleanup_free_ char *t = tree_dir(ctx, d, NULL);
		if (d->all || rmdir(t) == 0 || errno == ENOENT) {
			rm_rf(t);
			if (!d->quiet)
				printf("Deleting module %s-%s completely from the DKMS tree.\n",
				       d->name, d->version);
		}
	}
	strv_release(&kv);
	strv_release(&av);
	strv_release(&gone);
	return rc;
}

static bool kernel_wanted(const struct dk *d, const char *kver, const char *arch)
{
	if (!d->kernels.n)
		return !d->arch || strcmp(arch, d->arch) == 0;
	for (size_t i = 0; i < d->kernels.n; i++) {
		_cleanup_free_ char *k = NULL;
		const char *a;
		split_kernel(d, d->kernels.v[i], &k, &a);
		if (strcmp(k, kver) == 0 && (!d->arch || strcmp(a, arch) == 0))
			return true;
	}
	return false;
}

/*
 * dkms status [-m NAME] [-v VERSION] [-k KVER[/ARCH]]: its lines; a build
 * whose source is gone is DKMS's error on stderr, not a line; a package
 * with builds but none for the kernels asked about is `added`.
 */
static int do_status(struct ctmod_ctx *ctx, const struct dk *d)
{
	struct build_status *st;
	size_t n;
	if (ctmod_build_status_list(ctx, &st, &n) < 0)
		return die(1, ctmod_ctx_error(ctx), NULL);
	struct strv shown, added;
	strv_init(&shown);
	strv_init(&added);
	for (size_t i = 0; i < n; i++) {
		const struct build_status *s = &st[i];
		if ((d->name && strcmp(s->name, d->name) != 0) ||
		    (d->version && strcmp(s->version, d->version) != 0))
			continue;
		_cleanup_free_ char *id = xasprintf("%s/%s", s->name, s->version);
		if (!s->kver && s->detail &&
		    strstr(s->detail, "Missing the module source directory")) {
			/* ctmod status says broken (upstream DKMS 3); Debian's 3.0.10 says this */
			_cleanup_free_ char *gone =
			    ctmod_path(ctx, "/usr/src/%s-%s/dkms.conf", s->name, s->version);
			if (!strv_contains(&shown, id)) {
				fprintf(stderr,
				        "Error! Could not locate dkms.conf file.\n"
				        "File: %s does not exist.\n",
				        gone);
				strv_push(&shown, id);
			}
			continue;
		}
		if (!s->kver) {
			if (is_marked(ctx, s->name, s->version))
				printf("%s: %s\n", id, s->state);
			continue;
		}
		_cleanup_free_ char *conf =
		    ctmod_path(ctx, "/usr/src/%s-%s/dkms.conf", s->name, s->version);
		if (!exists(conf)) {
			if (!strv_contains(&shown, id)) {
				fprintf(stderr,
				        "Error! Could not locate dkms.conf file.\n"
				        "File: %s does not exist.\n",
				        conf);
				strv_push(&shown, id);
			}
			continue;
		}
		if (kernel_wanted(d, s->kver, s->arch)) {
			printf("%s, %s, %s: %s\n", id, s->kver, s->arch, s->state);
			strv_push(&shown, id);
		} else if (!strv_contains(&added, id)) {
			strv_push(&added, id);
		}
	}
	for (size_t i = 0; i < added.n; i++)
		if (!strv_contains(&shown, added.v[i]))
			printf("%s: added\n", added.v[i]);
	strv_release(&shown);
	strv_release(&added);
	ctmod_build_status_free(st, n);
	return 0;
}

/*
 * The AUTOINSTALL=yes sources (what `ctmod build --all` takes) that are
 * added, as DKMS's autoinstall takes only added modules: NAME/VERSION words.
 */
static void autoinstall_added(struct ctmod_ctx *ctx, const char *kver, struct strv *out)
{
	struct strv srcs;
	strv_init(&srcs);
	if (ctmod_build_autoinstall_sources(ctx, kver, &srcs) < 0)
		ctmod_ctx_clear_error(ctx);
	_cleanup_free_ char *top = ctmod_path(ctx, CTMOD_TREE);
	DIR *dn = top ? opendir(top) : NULL;
	struct dirent *n, *v;
	while (dn && (n = readdir(dn))) {
		if (n->d_name[0] == '.')
			continue;
		_cleanup_free_ char *nd = xasprintf("%s/%s", top, n->d_name);
		DIR *dv = opendir(nd);
		while (dv && (v = readdir(dv))) {
			_cleanup_free_ char *src =
			    ctmod_path(ctx, "/usr/src/%s-%s", n->d_name, v->d_name);
			char rp[PATH_MAX];
			if (v->d_name[0] != '.' && realpath(src, rp) && strv_contains(&srcs, rp)) {
				_cleanup_free_ char *w = xasprintf("%s/%s", n->d_name, v->d_name);
				strv_push(out, w);
			}
		}
		if (dv)
			closedir(dv);
	}
	if (dn)
		closedir(dn);
	strv_sort(out);
	strv_release(&srcs);
}

/* autoinstall: `ctmod build --install` of those for the kernel(s); DKMS's 11 on a failure */
static int do_autoinstall(struct cli *cli, struct ctmod_ctx *ctx, const struct dk *d,
                          cmd_dispatch_fn *dispatch)
{
	struct strv av, kv, pkgs;
	strv_init(&av);
	strv_init(&kv);
	strv_init(&pkgs);
	kernels_of(ctx, d, &kv);
	_cleanup_free_ char *k0 = NULL;
	const char *arch;
	split_kernel(d, kv.v[0], &k0, &arch);
	autoinstall_added(ctx, k0, &pkgs);
	int rc = 0;
	if (pkgs.n) {
		base_argv(d, &av, "build");
		strv_push(&av, "--install");
		if (d->force)
			strv_push(&av, "--force");
		push_kernels(d, &av);
		for (size_t i = 0; i < pkgs.n; i++)
			strv_push(&av, pkgs.v[i]);
		rc = run_ctmod(cli, &av, dispatch);
	}
	strv_release(&av);
	strv_release(&kv);
	strv_release(&pkgs);
	if (rc != 0)
		fprintf(stderr, "Error! One or more modules failed to install during autoinstall.\n"
		                "Refer to previous errors for more information.\n");
	return rc ? 11 : 0;
}

static int run_action(struct cli *cli, struct ctmod_ctx *ctx, struct dk *d,
                      cmd_dispatch_fn *dispatch)
{
	const char *a = d->action;
	if (strcmp(a, "add") == 0)
		return do_add(ctx, d);
	if (strcmp(a, "build") == 0 || strcmp(a, "install") == 0)
		return do_build(cli, ctx, d, strcmp(a, "install") == 0, dispatch);
	if (strcmp(a, "uninstall") == 0 || strcmp(a, "unbuild") == 0 || strcmp(a, "remove") == 0)
		return do_uninstall(cli, ctx, d, dispatch);
	if (strcmp(a, "status") == 0)
		return do_status(ctx, d);
	if (strcmp(a, "autoinstall") == 0)
		return do_autoinstall(cli, ctx, d, dispatch);
	fprintf(stderr, "Error! ctmod's dkms does not do '%s' (see ctmod-dkms(8)).\n", a);
	return 2;
}

int cmd_dkms_main(struct cli *cli, int argc, char **argv, cmd_dispatch_fn *dispatch)
{
	struct dk d = {0};
	strv_init(&d.kernels);
	int rc = parse(&d, argc, argv);
	if (rc == 0 && !d.action) {
		/* DKMS's answer to no or an unknown action: the usage, exit 0 */
		if (argc > 1)
			fputs("Error! Unknown action specified: \"\"\n", stderr);
		fputs(usage, stdout);
	} else if (rc == 0) {
		struct ctmod_ctx *ctx = NULL;
		int r = ctmod_ctx_new(&ctx, d.root, NULL);
		if (r < 0)
			rc = die(1, "cannot set up:", strerror(-r));
		else
			rc = run_action(cli, ctx, &d, dispatch);
		ctmod_ctx_free(ctx);
	}
	strv_release(&d.kernels);
	free(d.name);
	free(d.version);
	return rc < 0 ? 0 : rc;
}
