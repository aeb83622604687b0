// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h> /* optarg, optind */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/build.h"
#include "../lib/container.h"
#include "../lib/layout.h"
#include "../lib/sandbox.h"
#include "util.h"
#include "builtin.h"

enum {
	OPT_CONTAINER = 256,
	OPT_ARCH,
	OPT_CLEAN,
	OPT_LAYOUT,
	OPT_NO_SIGN,
	OPT_FORCE,
};

static const struct cli_option options[] = {
    {'a', "all", NULL, "every ROOT/usr/src/*/dkms.conf with AUTOINSTALL=yes"},
    {'k', "kernel", "KVER[/ARCH]|all",
     "kernel to build for (default: the global one);\n"
     "repeatable; also -S; 'all': every kernel with\n"
     "headers under ROOT"},
    {'S', NULL, "KVER[/ARCH]|all", NULL}, /* dkms's and modprobe's letter */
    {OPT_ARCH, "arch", "ARCH", "architecture name (default: the machine's)"},
    {'i', "install", NULL, "install into ROOT/lib/modules/KVER/updates/dkms, depmod"},
    {'u', "uninstall", NULL, "remove what --install put there, depmod"},
    {OPT_LAYOUT, "image-layout", "DIR",
     "also write the modules as a KMM module-loader image\n"
     "tree: DIR/lib/modules/KVER/*.ko with depmod indexes\n"
     "(a node loads them with modprobe -d DIR)"},
    {'j', "jobs", "N", "at most N make jobs in total (default: CPUs)"},
    {OPT_CLEAN, "clean", NULL, "run the package's CLEAN once the modules are kept"},
    {OPT_FORCE, "force", NULL,
     "rebuild what is already built or installed from the\n"
     "same source and dkms.conf (else: skipped, as dkms\n"
     "autoinstall skips it)"},
    {OPT_NO_SIGN, "no-sign", NULL, "do not sign the modules"},
    {OPT_CONTAINER, "container", "ENGINE[:IMAGE]",
     "run the build with IMAGE's own ctmod (default\n" CTMOD_CONTAINER_IMAGE
     ", from `make image`)\n"
     "in docker, podman or system-docker: privileged,\n"
     "the root's /usr/src, /lib/modules, /var/lib/ctmod\n"
     "and linux-kbuild dirs bound at the same paths"},
    {'n', "dry-run", NULL, "show what would be built (with -v: the engine command)"},
    {0},
};

static const char about[] =
    "Build DKMS modules (dkms.conf) for one kernel or every kernel with headers,\n"
    "in a private mount namespace where ROOT/usr/src and ROOT/lib/modules are\n"
    "/usr/src and /lib/modules, many builds at once under one make jobserver.\n"
    "Each build lives in ROOT/var/lib/ctmod/NAME/VERSION/KVER/ARCH (make.log there).\n"
    "With --json the summary is one JSON document.\n";

static const char footer[] =
    "Signing, as DKMS 3 signs: when the kernel's .config has\n"
    "CONFIG_MODULE_SIG_HASH, every module is stripped and signed with that hash\n"
    "by the headers' scripts/sign-file, with mok_signing_key and mok_certificate\n"
    "from ROOT/etc/dkms/framework.conf (or framework.conf.d/*.conf), else DKMS's\n"
    "own pair ROOT/var/lib/dkms/mok.key and mok.pub, made once with openssl and\n"
    "never replaced (a MOK already enrolled for DKMS keeps working);\n"
    "try_sign_modules=false there turns signing off.  For Secure Boot, enrol the\n"
    "certificate once: mokutil --import /var/lib/dkms/mok.pub, then reboot.\n"
    "\n"
    "Exit status: 0 all built or skipped, 1 a build failed, 2 bad usage or a\n"
    "broken dkms.conf.\n";

static void print_shell_word(const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                    "-_./:=,+@%") == strlen(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	putchar('\'');
}

/* --container: the same build by the image's ctmod (lib/container.h) */
static int run_container(struct cli *cli, const char *spec, bool dry_run, int argc, char **argv)
{
	struct ctmod_container c;
	int r = ctmod_container_plan(cli->ctx, spec, cli->kver, cli->json, argc, argv, &c);
	if (r >= 0 && (dry_run || cli->verbose)) {
		for (size_t i = 0; i < c.argv.n; i++) {
			if (i)
				putchar(' ');
			print_shell_word(c.argv.v[i]);
		}
		putchar('\n');
		fflush(stdout);
	}
	int st = 0;
	if (r >= 0 && !dry_run)
		r = ctmod_container_run(cli->ctx, &c, &st);
	ctmod_container_release(&c);
	if (r < 0)
		return cli_error(cli, r);
	return st; /* the inner ctmod's own status and report */
}

static const char *result_word(const struct build_job *j, bool install)
{
	switch (j->state) {
	case BUILD_OK:
		return install ? "installed" : "built";
	case BUILD_ALREADY:
		return j->already_installed ? "already installed" : "already built";
	default:
		return ctmod_build_state_name(j->state);
	}
}

/* What the command line asked for. */
struct args {
	struct build_opts o;
	struct strv kernels; /* -k values, in order ("all" allowed) */
	const char *container, *layout;
	bool all;
};

static int parse_jobs(struct cli *cli, const char *arg, int *jobs)
{
	char *e;
	long n = strtol(arg, &e, 10);
	if (*e || n < 1 || n > 4096)
		return cli_usage(cli, "-j wants a number of jobs, not '%s'", arg);
	*jobs = (int)n;
	return EXIT_OK;
}

/* One option (cli_getopt's id c); EXIT_OK to go on, else the exit status. */
static int take_opt(struct cli *cli, int c, struct args *a)
{
	switch (c) {
	case 'a':
		a->all = a->o.autoinstall = true;
		break;
	case 'k':
	case 'S':
		strv_push(&a->kernels, optarg);
		break;
	case OPT_ARCH:
		a->o.arch = optarg;
		break;
	case 'i':
		a->o.install = true;
		break;
	case 'u':
		a->o.uninstall = true;
		break;
	case 'j':
		return parse_jobs(cli, optarg, &a->o.jobs);
	case OPT_CLEAN:
		a->o.clean = true;
		break;
	case OPT_NO_SIGN:
		a->o.no_sign = true;
		break;
	case OPT_FORCE:
		a->o.force = true;
		break;
	case OPT_CONTAINER:
		a->container = optarg;
		break;
	case OPT_LAYOUT:
		if (!*optarg)
			return cli_usage(cli, "--image-layout wants a directory");
		a->layout = optarg;
		break;
	case 'n':
		a->o.dry_run = true;
		break;
	}
	return EXIT_OK;
}

/* EXIT_OK to go on, -1 after --help, else the exit status of a usage error */
static int parse_args(struct cli *cli, int argc, char **argv, struct args *a)
{
	int c, r = EXIT_OK;
	while (r == EXIT_OK && (c = cli_getopt(cli, argc, argv)) >= 0)
		r = take_opt(cli, c, a);
	if (r != EXIT_OK)
		return r;
	if (c == CLI_OPT_EXIT)
		return cli_status(cli) ? cli_status(cli) : -1;
	if (a->o.install && a->o.uninstall)
		return cli_usage(cli, "--install and --uninstall exclude each other");
	if (a->layout && a->o.uninstall)
		return cli_usage(cli, "--image-layout and --uninstall exclude each other");
	if (!a->all && optind >= argc)
		return cli_usage(cli, "name a source directory, NAME/VERSION, or --all");
	for (size_t i = 0; i < a->kernels.n; i++)
		if (!*a->kernels.v[i] || strchr(a->kernels.v[i], ' '))
			return cli_usage(cli, "-k wants a kernel release, not '%s'",
			                 a->kernels.v[i]);
	return EXIT_OK;
}

/*
 * The kernels to build for: each -k (KVER or KVER/ARCH, as DKMS's -k;
 * "all": every kernel with headers), else the global one.  Headers are
 * checked for each named kernel (not for --uninstall).
 */
static int resolve_kernels(struct ctmod_ctx *ctx, struct args *a, struct strv *kvers)
{
	int r;
	for (size_t i = 0; i < a->kernels.n; i++) {
		char *k = a->kernels.v[i];
		char *slash = strchr(k, '/');
		if (slash) {
			*slash = '\0';
			a->o.arch = slash + 1;
		}
		if (strcmp(k, "all") == 0) {
			struct strv every;
			strv_init(&every);
			r = ctmod_build_kernels(ctx, &every);
			for (size_t e = 0; r == 0 && e < every.n; e++)
				if (!strv_contains(kvers, every.v[e]))
					strv_push(kvers, every.v[e]);
			strv_release(&every);
			if (r < 0)
				return r;
			continue;
		}
		if (!a->o.uninstall && (r = ctmod_build_check_headers(ctx, k)) < 0)
			return r;
		if (!strv_contains(kvers, k))
			strv_push(kvers, k);
	}
	if (kvers->n)
		return 0;
	const char *kv;
	if ((r = ctmod_ctx_kver(ctx, &kv)) < 0)
		return r;
	if (!a->o.uninstall && (r = ctmod_build_check_headers(ctx, kv)) < 0)
		return r;
	strv_push(kvers, kv);
	return 0;
}

static int resolve_sources(struct ctmod_ctx *ctx, const struct args *a, const struct strv *kvers,
                           int argc, char **argv, struct strv *srcs)
{
	int r;
	if (a->all && (r = ctmod_build_autoinstall_sources(ctx, kvers->v[0], srcs)) < 0)
		return r;
	for (int i = optind; i < argc; i++) {
		char *src;
		if ((r = ctmod_build_find_source(ctx, argv[i], &src)) < 0)
			return r;
		if (!strv_contains(srcs, src))
			strv_push_take(srcs, src);
		else
			free(src);
	}
	return 0;
}

static struct json_object *job_json(const struct build_job *j, const char *word, bool uninstall)
{
	struct json_object *e = json_object_new_object();
	json_object_object_add(e, "name", json_object_new_string(j->name));
	json_object_object_add(e, "version", json_object_new_string(j->version));
	json_object_object_add(e, "kernel", json_object_new_string(j->kver));
	json_object_object_add(e, "arch", json_object_new_string(j->arch));
	json_object_object_add(e, "result", json_object_new_string(word));
	json_object_object_add(e, "seconds", json_object_new_double(j->seconds));
	if (j->log) /* NULL: the job failed before it had a log of its own */
		json_object_object_add(e, "log", json_object_new_string(j->log));
	if (j->msg)
		json_object_object_add(e, "message", json_object_new_string(j->msg));
	struct json_object *files = json_object_new_array();
	for (size_t k = 0; k < j->installed.n; k++)
		json_object_array_add(files, json_object_new_string(j->installed.v[k]));
	json_object_object_add(e, uninstall ? "removed" : "installed", files);
	return e;
}

/* A build that failed: make's message, its own log and the log's last lines, on stderr */
static void print_failure(struct cli *cli, const struct build_job *j)
{
	_cleanup_free_ char *tail = ctmod_build_log_tail(j->log, 12);
	fprintf(stderr, "ctmod: build: %s/%s for %s: %s (%.1f s): see %s\n", j->name, j->version,
	        j->kver, j->msg ? j->msg : "failed", j->seconds, j->log);
	if (tail && !cli->json) {
		for (char *l = strtok(tail, "\n"); l; l = strtok(NULL, "\n"))
			fprintf(stderr, "  | %s\n", l);
	}
}

/* on a terminal: the one-line status, rewritten in place, erased before any other line */
static bool status_shown;

static void status_erase(void)
{
	if (status_shown)
		fputs("\r\033[K", stderr);
	status_shown = false;
}

/*
 * Live progress on stderr, as each build starts and ends (DKMS prints its
 * steps as it goes too); -v: make's output, each line prefixed by its
 * package; on a terminal a status line between events.  stdout keeps the
 * summary (or the one JSON document) at the end.
 */
static void progress(void *arg, const struct build_job *j, enum ctmod_build_event ev,
                     const char *line, const struct ctmod_build_progress *p)
{
	struct cli *cli = arg;
	status_erase();
	switch (ev) {
	case CTMOD_BUILD_STARTED:
		fprintf(stderr, "%s/%s, %s, %s: building (%zu running, %zu queued)\n", j->name,
		        j->version, j->kver, j->arch, p->running, p->queued);
		break;
	case CTMOD_BUILD_OUTPUT:
		fprintf(stderr, "%s/%s, %s| %s\n", j->name, j->version, j->kver, line);
		break;
	case CTMOD_BUILD_ENDED:
		if (j->state == BUILD_FAILED) {
			print_failure(cli, j);
			break;
		}
		fprintf(stderr, "%s/%s, %s, %s: %s (%.1f s", j->name, j->version, j->kver, j->arch,
		        ctmod_build_state_name(j->state), j->seconds);
		fprintf(stderr, "; %zu done, %zu running, %zu queued)\n", p->done, p->running,
		        p->queued);
		break;
	case CTMOD_BUILD_TICK:
		fprintf(stderr, "[%zu done, %zu running, %zu queued, %.0f s]", p->done, p->running,
		        p->queued, p->elapsed);
		status_shown = true;
		break;
	}
	fflush(stderr);
}

/* One job's lines: its result on stdout, a failure and its log's tail on stderr. */
static int report_job(struct cli *cli, const struct build_opts *o, const struct build_job *j,
                      struct json_object *arr)
{
	const char *word = result_word(j, o->install);
	if (arr) {
		json_object_array_add(arr, job_json(j, word, o->uninstall));
	} else if (!cli->quiet && j->state != BUILD_FAILED && j->state != BUILD_BROKEN) {
		printf("%s/%s, %s, %s: %s", j->name, j->version, j->kver, j->arch, word);
		if (j->state == BUILD_OK || j->state == BUILD_FAILED)
			printf(" (%.1f s, %s)", j->seconds, j->log);
		if (j->msg)
			printf(": %s", j->msg);
		putchar('\n');
		if (j->script_out)
			fputs(j->script_out, stdout);
	}
	/* a failure is said once, on stderr; a job that never ran (BUILD_DEPENDS) has no log */
	if (j->state == BUILD_FAILED && !j->pid) {
		fprintf(stderr, "ctmod: build: %s/%s for %s: %s\n", j->name, j->version, j->kver,
		        j->msg ? j->msg : "failed");
		return EXIT_FAILED;
	}
	if (j->state == BUILD_FAILED) {
		if (!o->progress) /* else said when it ended */
			print_failure(cli, j);
		return EXIT_FAILED;
	}
	if (j->state == BUILD_BROKEN) {
		fprintf(stderr, "ctmod: build: %s\n", j->msg ? j->msg : "broken dkms.conf");
		return EXIT_USAGE;
	}
	if (j->state == BUILD_SKIPPED && !o->uninstall)
		cli_verbose(cli, "%s/%s skipped for %s: %s", j->name, j->version, j->kver,
		            j->msg ? j->msg : "");
	return EXIT_OK;
}

/* Every job's result; a failed make outranks a broken conf elsewhere: both are reported. */
static int report(struct cli *cli, const struct args *a, const struct build_plan *plan,
                  size_t nlayout)
{
	int rc = EXIT_OK;
	struct json_object *arr = cli->json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < plan->n; i++) {
		int jr = report_job(cli, &a->o, &plan->jobs[i], arr);
		if (jr == EXIT_FAILED || (jr == EXIT_USAGE && rc == EXIT_OK))
			rc = jr;
	}
	if (a->layout && !arr)
		cli_info(cli, "image layout: %zu module%s in %s/lib/modules (modprobe -d %s)",
		         nlayout, nlayout == 1 ? "" : "s", a->layout, a->layout);
	if (arr) {
		struct json_object *doc = json_object_new_object();
		json_object_object_add(doc, "builds", arr);
		if (a->layout) {
			struct json_object *l = json_object_new_object();
			json_object_object_add(l, "dir", json_object_new_string(a->layout));
			json_object_object_add(l, "modules",
			                       json_object_new_int64((int64_t)nlayout));
			json_object_object_add(doc, "image_layout", l);
		}
		cli_json_print(doc);
	}
	return rc;
}

/* -n evaluates every dkms.conf: a broken one is reported as a build would report it */
static int print_dry_run(struct cli *cli, const struct args *a, const struct build_plan *plan)
{
	int rc = EXIT_OK;
	for (size_t i = 0; i < plan->n; i++) {
		const struct build_job *j = &plan->jobs[i];
		if (j->state == BUILD_BROKEN) {
			fprintf(stderr, "ctmod: build: %s\n", j->msg ? j->msg : "broken dkms.conf");
			rc = EXIT_USAGE;
			continue;
		}
		cli_info(cli, "%s/%s, %s, %s: would %s (%s -> %s)", j->name, j->version, j->kver,
		         j->arch, a->o.uninstall ? "uninstall" : "build", j->src, j->tree);
	}
	return rc;
}

/* dkms.conf's warnings, in DKMS's words, once per package */
static void print_warnings(const struct build_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		for (size_t w = 0; w < plan->jobs[i].warnings.n; w++)
			fprintf(stderr, "%s\n", plan->jobs[i].warnings.v[w]);
}

static int build(struct cli *cli, struct args *a, int argc, char **argv)
{
	struct ctmod_ctx *ctx = cli->ctx;
	struct strv kvers, srcs;
	struct build_plan plan = {0};
	strv_init(&kvers);
	strv_init(&srcs);
	int rc = EXIT_OK, r;
	size_t nlayout = 0;
	if ((r = resolve_kernels(ctx, a, &kvers)) < 0 ||
	    (r = resolve_sources(ctx, a, &kvers, argc, argv, &srcs)) < 0)
		goto err;
	if (srcs.n == 0) {
		cli_info(cli,
		         "nothing to build: no dkms.conf with AUTOINSTALL=yes under %s/usr/src",
		         ctmod_ctx_root(ctx));
		goto out;
	}
	if ((r = ctmod_build_plan_make(ctx, &a->o, &srcs, &kvers, &plan)) < 0)
		goto err;
	if (!cli->quiet && !cli->json)
		print_warnings(&plan);
	if (a->o.dry_run) {
		rc = print_dry_run(cli, a, &plan);
		goto out;
	}
	if (!a->o.uninstall && !ctmod_sandbox_available()) {
		a->o.no_sandbox = true;
		fprintf(stderr, "ctmod: build: no CAP_SYS_ADMIN for a private mount namespace: "
		                "building against / one at a time\n");
	}
	if (!cli->quiet) {
		a->o.progress = progress;
		a->o.progress_arg = cli;
		a->o.stream = cli->verbose > 0;
		a->o.tick = isatty(STDERR_FILENO) ? 1.0 : 0;
	}
	r = ctmod_build_run(ctx, &a->o, &plan);
	status_erase();
	if (r < 0)
		goto err;
	if (a->layout && (r = ctmod_layout_write(ctx, &plan, a->layout, &nlayout)) < 0)
		goto err;
	rc = report(cli, a, &plan, nlayout);
	goto out;
err:
	rc = cli_error(cli, r);
out:
	ctmod_build_plan_release(&plan);
	strv_release(&kvers);
	strv_release(&srcs);
	return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct args a = {0};
	strv_init(&a.kernels);
	int rc = parse_args(cli, argc, argv, &a);
	if (rc == EXIT_OK && a.kernels.n && strcmp(a.kernels.v[0], "all") != 0)
		cli->kver = a.kernels.v[0]; /* what --container passes on */
	if (rc == EXIT_OK)
		rc = a.container ? run_container(cli, a.container, a.o.dry_run, argc, argv)
		                 : build(cli, &a, argc, argv);
	strv_release(&a.kernels);
	ctmod_build_opts_release(&a.o);
	return rc < 0 ? EXIT_OK : rc;
}

const struct ctmod_cmd cmd_build = {
    .name = "build",
    .run = run,
    .summary = "build DKMS modules (dkms.conf) for one or all kernels, --install them",
    .synopsis = "[OPTIONS] [SRC_DIR | NAME/VERSION]...",
    .about = about,
    .options = options,
    .footer = footer,
};
