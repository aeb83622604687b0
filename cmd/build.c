// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/build.h"
#include "../lib/layout.h"
#include "../lib/sandbox.h"
#include "util.h"
#include "builtin.h"

static const char usage[] =
    "Usage: ctmod build [OPTIONS] [SRC_DIR | NAME/VERSION]...\n"
    "\n"
    "Build DKMS modules (dkms.conf) for one kernel or every kernel with headers,\n"
    "in a private mount namespace where ROOT/usr/src and ROOT/lib/modules are\n"
    "/usr/src and /lib/modules, many builds at once under one make jobserver.\n"
    "Each build lives in ROOT/var/lib/ctmod/NAME/VERSION/KVER/ARCH (make.log there).\n"
    "\n"
    "  -a, --all             every ROOT/usr/src/*/dkms.conf with AUTOINSTALL=yes\n"
    "  -k, -S, --kernel KVER|all  kernel to build for (default: the global one);\n"
    "                        'all': every kernel with headers under ROOT\n"
    "      --arch ARCH       architecture name (default: the machine's)\n"
    "  -i, --install         install into ROOT/lib/modules/KVER/updates/dkms, depmod\n"
    "  -u, --uninstall       remove what --install put there, depmod\n"
    "      --image-layout DIR  also write the modules as a KMM module-loader image\n"
    "                        tree: DIR/lib/modules/KVER/*.ko with depmod indexes\n"
    "                        (a node loads them with modprobe -d DIR)\n"
    "  -j, --jobs N          at most N make jobs in total (default: CPUs)\n"
    "      --clean           run the package's CLEAN once the modules are kept\n"
    "      --container ENGINE[:IMAGE]\n"
    "                        run the build in docker, podman or system-docker\n"
    "                        (privileged, /usr/src and /lib/modules bound)\n"
    "  -n, --dry-run         show what would be built (with -v: the engine command)\n"
    "  -v, --verbose         say more\n"
    "      --json            the summary as JSON\n"
    "\n"
    "Exit status: 0 all built or skipped, 1 a build failed, 2 bad usage or a\n"
    "broken dkms.conf.\n";

#define DEFAULT_IMAGE "ctmod-build"

/* The engine command line: same build, inside ENGINE with the root's trees bound. */
static int container_argv(struct cli *cli, const char *spec, int argc, char **argv,
                          struct strv *out)
{
	_cleanup_free_ char *engine = strdup(spec);
	if (!engine)
		return -ENOMEM;
	char *image = strchr(engine, ':');
	if (image)
		*image++ = '\0';
	if (strcmp(engine, "docker") != 0 && strcmp(engine, "podman") != 0 &&
	    strcmp(engine, "system-docker") != 0)
		return ctmod_fail_input(cli->ctx, -EINVAL, "use docker, podman or system-docker",
		                        "--container: unknown engine '%s'", engine);
	const char *root = ctmod_ctx_root(cli->ctx);
	char rp[PATH_MAX], self[PATH_MAX];
	const char *r = *root ? (realpath(root, rp) ? rp : root) : "";
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	strv_push(out, engine);
	strv_push(out, "run");
	strv_push(out, "--rm");
	strv_push(out, "--privileged");
	const char *binds[] = {"/usr/src", "/lib/modules", "/usr/lib", CTMOD_TREE, "/etc/dkms"};
	for (size_t i = 0; i < ARRAY_SIZE(binds); i++) {
		char v[PATH_MAX * 2 + 8];
		/* the host's /usr/lib holds its compiler; only the root's kbuild goes in */
		if (strcmp(binds[i], "/usr/lib") == 0)
			continue;
		snprintf(v, sizeof(v), "%s%s", r, binds[i]);
		/* an engine would create a missing source as an empty root-owned dir */
		if (strcmp(binds[i], "/etc/dkms") == 0 && access(v, F_OK) < 0)
			continue;
		snprintf(v, sizeof(v), "%s%s:%s", r, binds[i], binds[i]);
		strv_push(out, "-v");
		strv_push(out, v);
	}
	if (*r) {
		/* Debian's headers reach /usr/lib/linux-kbuild-* through a relative link */
		char p[PATH_MAX + 16];
		snprintf(p, sizeof(p), "%s/usr/lib", r);
		struct strv kb;
		strv_init(&kb);
		DIR *d = opendir(p);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d)))
				if (strncmp(de->d_name, "linux-kbuild-", 13) == 0)
					strv_push(&kb, de->d_name);
			closedir(d);
		}
		strv_sort(&kb);
		for (size_t i = 0; i < kb.n; i++) {
			char v[PATH_MAX * 2 + 32];
			snprintf(v, sizeof(v), "%s/usr/lib/%s:/usr/lib/%s:ro", r, kb.v[i], kb.v[i]);
			strv_push(out, "-v");
			strv_push(out, v);
		}
		strv_release(&kb);
	}
	if (*self) {
		char v[PATH_MAX + 64];
		snprintf(v, sizeof(v), "%s:/usr/local/bin/ctmod:ro", self);
		strv_push(out, "-v");
		strv_push(out, v);
	}
	/* the same arguments, minus --container and -n; sources as seen inside */
	struct strv args;
	strv_init(&args);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--container") == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--container=", 12) == 0 || strcmp(argv[i], "-n") == 0 ||
		    strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-v") == 0 ||
		    strcmp(argv[i], "--verbose") == 0)
			continue;
		char sp[PATH_MAX], pre[PATH_MAX + 16];
		snprintf(pre, sizeof(pre), "%s/usr/src/", r);
		if (argv[i][0] != '-' && realpath(argv[i], sp)) {
			if (strncmp(sp, pre, strlen(pre)) == 0) {
				char in[PATH_MAX + 16];
				snprintf(in, sizeof(in), "/usr/src/%s", sp + strlen(pre));
				strv_push(&args, in);
			} else {
				char v[PATH_MAX * 2 + 8];
				snprintf(v, sizeof(v), "%s:%s:ro", sp, sp);
				strv_push(out, "-v");
				strv_push(out, v);
				strv_push(&args, sp);
			}
			continue;
		}
		strv_push(&args, argv[i]);
	}
	strv_push(out, image && *image ? image : DEFAULT_IMAGE);
	strv_push(out, "ctmod");
	if (cli->kver) {
		strv_push(out, "-S");
		strv_push(out, cli->kver);
	}
	if (cli->json)
		strv_push(out, "--json");
	strv_push(out, "build");
	for (size_t i = 0; i < args.n; i++)
		strv_push(out, args.v[i]);
	strv_release(&args);
	return 0;
}

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

static const char *result_word(const struct build_job *j, bool install)
{
	switch (j->state) {
	case BUILD_OK:
		return install ? "installed" : "built";
	default:
		return build_state_name(j->state);
	}
}

static int run(struct cli *cli, int argc, char **argv)
{
	enum { OPT_CONTAINER = 256, OPT_ARCH, OPT_CLEAN, OPT_JSON, OPT_LAYOUT };
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"kernel", required_argument, NULL, 'k'},
	    {"arch", required_argument, NULL, OPT_ARCH},
	    {"install", no_argument, NULL, 'i'},
	    {"uninstall", no_argument, NULL, 'u'},
	    {"image-layout", required_argument, NULL, OPT_LAYOUT},
	    {"jobs", required_argument, NULL, 'j'},
	    {"clean", no_argument, NULL, OPT_CLEAN},
	    {"container", required_argument, NULL, OPT_CONTAINER},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct build_opts o = {0};
	const char *kernel = NULL, *container = NULL, *layout = NULL;
	bool all = false;
	int c, r;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ak:S:iuj:nvh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'k':
		case 'S':
			kernel = optarg;
			break;
		case OPT_ARCH:
			o.arch = optarg;
			break;
		case 'i':
			o.install = true;
			break;
		case 'u':
			o.uninstall = true;
			break;
		case 'j': {
			char *e;
			long n = strtol(optarg, &e, 10);
			if (*e || n < 1 || n > 4096)
				return cli_usage(cli, "-j wants a number of jobs, not '%s'",
				                 optarg);
			o.jobs = (int)n;
			break;
		}
		case OPT_CLEAN:
			o.clean = true;
			break;
		case OPT_CONTAINER:
			container = optarg;
			break;
		case OPT_LAYOUT:
			if (!*optarg)
				return cli_usage(cli, "--image-layout wants a directory");
			layout = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'v':
			cli->verbose++;
			break;
		case OPT_JSON:
			cli->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		case ':':
			return cli_usage(cli, "option '%s' needs an argument", argv[optind - 1]);
		default:
			return cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (o.install && o.uninstall)
		return cli_usage(cli, "--install and --uninstall exclude each other");
	if (layout && o.uninstall)
		return cli_usage(cli, "--image-layout and --uninstall exclude each other");
	if (!all && optind >= argc)
		return cli_usage(cli, "name a source directory, NAME/VERSION, or --all");
	if (kernel && strcmp(kernel, "all") != 0)
		cli->kver = kernel;

	if (container) {
		struct strv cmd;
		strv_init(&cmd);
		if ((r = container_argv(cli, container, argc, argv, &cmd)) < 0) {
			strv_release(&cmd);
			return cli_error(cli, r);
		}
		if (o.dry_run || cli->verbose) {
			for (size_t i = 0; i < cmd.n; i++) {
				if (i)
					putchar(' ');
				print_shell_word(cmd.v[i]);
			}
			putchar('\n');
			fflush(stdout);
		}
		if (o.dry_run) {
			strv_release(&cmd);
			return EXIT_OK;
		}
		execvp(cmd.v[0], cmd.v);
		fprintf(stderr,
		        "ctmod: build: cannot run %s: %s: install it or use another engine\n",
		        cmd.v[0], strerror(errno));
		strv_release(&cmd);
		return EXIT_FAILED;
	}

	struct ctmod_ctx *ctx = cli->ctx;
	struct strv kvers, srcs;
	struct build_plan plan = {0};
	strv_init(&kvers);
	strv_init(&srcs);
	int rc = EXIT_OK;
	if (kernel && strcmp(kernel, "all") == 0) {
		if ((r = build_kernels(ctx, &kvers)) < 0)
			goto err;
	} else {
		const char *kv;
		if ((r = ctmod_ctx_kver(ctx, &kv)) < 0)
			goto err;
		if (!o.uninstall && (r = build_check_headers(ctx, kv)) < 0)
			goto err;
		strv_push(&kvers, kv);
	}
	if (all && (r = build_autoinstall_sources(ctx, kvers.v[0], &srcs)) < 0)
		goto err;
	for (int i = optind; i < argc; i++) {
		char *src;
		if ((r = build_find_source(ctx, argv[i], &src)) < 0)
			goto err;
		if (!strv_contains(&srcs, src))
			strv_push_take(&srcs, src);
		else
			free(src);
	}
	if (srcs.n == 0) {
		cli_info(cli,
		         "nothing to build: no dkms.conf with AUTOINSTALL=yes under %s/usr/src",
		         ctmod_ctx_root(ctx));
		goto out;
	}
	if ((r = build_plan_make(ctx, &o, &srcs, &kvers, &plan)) < 0)
		goto err;
	if (o.dry_run) {
		for (size_t i = 0; i < plan.n; i++) {
			struct build_job *j = &plan.jobs[i];
			cli_info(cli, "%s/%s, %s, %s: would %s (%s -> %s)", j->name, j->version,
			         j->kver, j->arch, o.uninstall ? "uninstall" : "build", j->src,
			         j->tree);
		}
		goto out;
	}
	if (!o.uninstall && !sandbox_available()) {
		o.no_sandbox = true;
		fprintf(stderr, "ctmod: build: no CAP_SYS_ADMIN for a private mount namespace: "
		                "building against / one at a time\n");
	}
	r = build_run(ctx, &o, &plan);
	if (r < 0)
		goto err;
	size_t nlayout = 0;
	if (layout && (r = build_image_layout(ctx, &plan, layout, &nlayout)) < 0)
		goto err;

	struct json_object *arr = cli->json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < plan.n; i++) {
		struct build_job *j = &plan.jobs[i];
		const char *word = result_word(j, o.install);
		if (arr) {
			struct json_object *e = json_object_new_object();
			json_object_object_add(e, "name", json_object_new_string(j->name));
			json_object_object_add(e, "version", json_object_new_string(j->version));
			json_object_object_add(e, "kernel", json_object_new_string(j->kver));
			json_object_object_add(e, "arch", json_object_new_string(j->arch));
			json_object_object_add(e, "result", json_object_new_string(word));
			json_object_object_add(e, "seconds", json_object_new_double(j->seconds));
			json_object_object_add(e, "log", json_object_new_string(j->log));
			if (j->msg)
				json_object_object_add(e, "message",
				                       json_object_new_string(j->msg));
			struct json_object *files = json_object_new_array();
			for (size_t k = 0; k < j->installed.n; k++)
				json_object_array_add(files,
				                      json_object_new_string(j->installed.v[k]));
			json_object_object_add(e, o.uninstall ? "removed" : "installed", files);
			json_object_array_add(arr, e);
		} else if (!cli->quiet || j->state == BUILD_FAILED || j->state == BUILD_BROKEN) {
			printf("%s/%s, %s, %s: %s", j->name, j->version, j->kver, j->arch, word);
			if (j->state == BUILD_OK || j->state == BUILD_FAILED)
				printf(" (%.1f s, %s)", j->seconds, j->log);
			if (j->msg)
				printf(": %s", j->msg);
			putchar('\n');
		}
		if (j->state == BUILD_FAILED) {
			rc = EXIT_FAILED;
			_cleanup_free_ char *tail = build_log_tail(j->log, 12);
			fprintf(stderr, "ctmod: build: %s/%s for %s: %s: see %s\n", j->name,
			        j->version, j->kver, j->msg ? j->msg : "failed", j->log);
			if (tail && !cli->json) {
				for (char *l = strtok(tail, "\n"); l; l = strtok(NULL, "\n"))
					fprintf(stderr, "  | %s\n", l);
			}
		} else if (j->state == BUILD_BROKEN) {
			if (rc == EXIT_OK)
				rc = EXIT_USAGE;
			fprintf(stderr, "ctmod: build: %s\n", j->msg ? j->msg : "broken dkms.conf");
		} else if (j->state == BUILD_SKIPPED && !o.uninstall) {
			cli_verbose(cli, "%s/%s skipped for %s: %s", j->name, j->version, j->kver,
			            j->msg ? j->msg : "");
		}
	}
	if (layout && !arr)
		cli_info(cli, "image layout: %zu module%s in %s/lib/modules (modprobe -d %s)",
		         nlayout, nlayout == 1 ? "" : "s", layout, layout);
	/* a failed make outranks a broken conf elsewhere: both are reported */
	for (size_t i = 0; i < plan.n; i++)
		if (plan.jobs[i].state == BUILD_FAILED)
			rc = EXIT_FAILED;
	if (arr) {
		struct json_object *doc = json_object_new_object();
		json_object_object_add(doc, "builds", arr);
		if (layout) {
			struct json_object *l = json_object_new_object();
			json_object_object_add(l, "dir", json_object_new_string(layout));
			json_object_object_add(l, "modules",
			                       json_object_new_int64((int64_t)nlayout));
			json_object_object_add(doc, "image_layout", l);
		}
		cli_json_print(doc);
	}
	goto out;
err:
	rc = cli_error(cli, r);
out:
	build_plan_free(&plan);
	strv_release(&kvers);
	strv_release(&srcs);
	return rc;
}

const struct ctmod_cmd cmd_build = {
    .name = "build",
    .run = run,
    .summary = "build DKMS modules (dkms.conf) for one or all kernels, --install them",
    .usage = usage,
};
