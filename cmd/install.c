// SPDX-License-Identifier: GPL-2.0-or-later
#include "builtin.h"

#include <getopt.h> /* optarg, optind */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/headers.h"
#include "util.h"

enum {
	OPT_SHA = 256,
	OPT_FROM,
	OPT_EXTRAS,
	OPT_RETRIES,
	OPT_TIMEOUT,
	OPT_CREATE_ROOT,
};

static const struct cli_option options[] = {
    {OPT_SHA, "sha256", "HEX", "expected SHA-256 of a SOURCE (once per SOURCE, in order)"},
    {OPT_FROM, "from", "TEMPLATE",
     "URL with {kver} and {arch} (default: headers-url in\n"
     "ROOT/etc/ctmod/ctmod.conf when no SOURCE is given)"},
    {OPT_EXTRAS, "extras", NULL, "the sources hold modules for ROOT/lib/modules/KVER; runs depmod"},
    {OPT_RETRIES, "retries", "N", "retries of a transfer after a transient error (default 3)"},
    {OPT_TIMEOUT, "timeout", "SECONDS",
     "connect timeout, and longest stall of a transfer (default 30)"},
    {OPT_CREATE_ROOT, "create-root", NULL,
     "make --root DIR when it does not exist (a new image root);\n"
     "without it a missing root is refused"},
    {0},
};

static const char about[] =
    "Deploy kernel headers (and extra modules) under the root, as one transaction.\n"
    "SOURCE is an http://, https:// or file:// URL, a tarball (.tar, .tar.gz, .tar.xz,\n"
    ".tar.zst, .tar.bz2) or a Debian package (.deb); give the packages that work\n"
    "together at once (linux-headers-KVER, linux-headers-*-common, linux-kbuild-*).\n";

static const char footer[] =
    "KVER is --kernel, or what the sources say (package names,\n"
    "include/config/kernel.release); a mismatch is refused.  Downloads are cached\n"
    "in ROOT/var/cache/ctmod.  Re-running the same install does nothing.\n"
    "\n"
    "Exit status: 0 installed (or nothing to do), 1 the install failed, 2 bad usage\n"
    "or a malformed source.\n";

struct bar {
	bool on;
	bool drawn;
	double last;
};

/* Ctrl-C or a TERM mid-transfer: end the bar's line, say how to go on, die of it. */
static volatile sig_atomic_t bar_drawn;

static void on_interrupt(int sig)
{
	static const char msg[] =
	    "ctmod: install: interrupted: run the same command again; a partial download "
	    "resumes where it stopped (ROOT/var/cache/ctmod)\n";
	if (bar_drawn && write(STDERR_FILENO, "\n", 1) < 0)
		_exit(128 + sig);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(128 + sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_interrupts(void)
{
	struct sigaction sa = {.sa_handler = on_interrupt};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void progress(void *data, const char *name, uint64_t now, uint64_t total)
{
	struct bar *b = data;
	if (!name) {
		if (b->drawn)
			fputc('\n', stderr);
		b->drawn = false;
		bar_drawn = 0;
		return;
	}
	double t = now_seconds();
	if (b->drawn && t - b->last < 0.1 && (!total || now < total))
		return;
	b->last = t;
	b->drawn = true;
	bar_drawn = 1;
	if (total) {
		int pct = (int)(now * 100 / total), w = 30, fill = pct * w / 100;
		fprintf(stderr, "\r%-32.32s %3d%% [%.*s%*s] %6.1f MiB", name, pct, fill,
		        "##############################", w - fill, "", (double)now / 1048576.0);
	} else {
		fprintf(stderr, "\r%-32.32s %6.1f MiB", name, (double)now / 1048576.0);
	}
	fflush(stderr);
}

/*
 * A linux-image package installed without --extras leaves its modules
 * without the depmod index that loading them needs: say so (NULL if fine).
 */
static char *no_index_hint(struct cli *cli, const struct ctmod_install_result *res, bool extras)
{
	const char *image = NULL;
	for (size_t i = 0; i < res->n && !image; i++)
		if (res->src[i].package && strncmp(res->src[i].package, "linux-image-", 12) == 0)
			image = res->src[i].package;
	if (extras || !image || !res->kver)
		return NULL;
	_cleanup_free_ char *dep = ctmod_path(cli->ctx, "/lib/modules/%s/modules.dep", res->kver);
	if (!dep || access(dep, F_OK) == 0)
		return NULL;
	const char *root = *ctmod_ctx_root(cli->ctx) ? ctmod_ctx_root(cli->ctx) : "/";
	char *s;
	if (asprintf(&s,
	             "%s holds modules, but %s/lib/modules/%s has no depmod index (modules.dep): "
	             "install it with --extras, which runs depmod, or run depmod -b %s %s",
	             image, *ctmod_ctx_root(cli->ctx) ? root : "", res->kver, root, res->kver) < 0)
		abort();
	return s;
}

static json_object *result_json(const struct ctmod_install_result *res, const char *root)
{
	json_object *doc = json_object_new_object(), *src = json_object_new_array(),
	            *moved = json_object_new_array();
	json_object_object_add(doc, "root", json_object_new_string(*root ? root : "/"));
	json_object_object_add(doc, "kernel", res->kver ? json_object_new_string(res->kver) : NULL);
	json_object_object_add(doc, "headers",
	                       res->headers ? json_object_new_string(res->headers) : NULL);
	json_object_object_add(doc, "build",
	                       res->build ? json_object_new_string(res->build) : NULL);
	json_object_object_add(doc, "changed", json_object_new_boolean(!res->noop));
	json_object_object_add(doc, "depmod", json_object_new_boolean(res->depmod));
	for (size_t i = 0; i < res->n; i++) {
		const struct ctmod_install_source *s = &res->src[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "source", json_object_new_string(s->source));
		json_object_object_add(o, "sha256", json_object_new_string(s->sha256));
		json_object_object_add(o, "downloaded", json_object_new_boolean(s->downloaded));
		json_object_object_add(o, "from_cache", json_object_new_boolean(s->from_cache));
		if (s->package)
			json_object_object_add(o, "package", json_object_new_string(s->package));
		if (s->version)
			json_object_object_add(o, "version", json_object_new_string(s->version));
		if (s->layout)
			json_object_object_add(o, "layout", json_object_new_string(s->layout));
		json_object_object_add(o, "entries", json_object_new_int64((int64_t)s->entries));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)s->bytes));
		json_object_array_add(src, o);
	}
	for (size_t i = 0; i < res->moved.n; i++)
		json_object_array_add(moved, json_object_new_string(res->moved.v[i]));
	json_object_object_add(doc, "sources", src);
	json_object_object_add(doc, "moved", moved);
	return doc;
}

/* The options into o, sha and tmpl: CLI_OPT_END, or CLI_OPT_EXIT and cli_status(). */
static int parse(struct cli *cli, int argc, char **argv, struct ctmod_install_opts *o,
                 struct strv *sha, char **tmpl, bool *create_root)
{
	int c;
	long n;
	while ((c = cli_getopt(cli, argc, argv)) >= 0) {
		switch (c) {
		case OPT_SHA:
			if (!ctmod_fetch_sha256_valid(optarg))
				return cli_exit(
				    cli, cli_usage(cli, "--sha256 wants 64 hex digits, not '%s'",
				                   optarg));
			strv_push(sha, optarg);
			break;
		case OPT_FROM:
			free(*tmpl);
			*tmpl = strdup(optarg);
			break;
		case OPT_EXTRAS:
			o->extras = true;
			break;
		case OPT_RETRIES:
			if (cli_number(cli, "--retries", optarg, 0, 100, &n))
				return cli_exit(cli, EXIT_USAGE);
			o->fetch.retries = (int)n;
			break;
		case OPT_TIMEOUT:
			if (cli_number(cli, "--timeout", optarg, 1, 86400, &n))
				return cli_exit(cli, EXIT_USAGE);
			o->fetch.timeout = n;
			break;
		case OPT_CREATE_ROOT:
			*create_root = true;
			break;
		}
	}
	return c;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct ctmod_install_opts o = {.fetch = {.retries = 3, .timeout = 30}};
	struct strv sha, sources;
	strv_init(&sha);
	strv_init(&sources);
	_cleanup_free_ char *tmpl = NULL, *hint = NULL;
	struct ctmod_install_result res = {0};
	struct bar bar = {0};
	bool create_root = false;
	int ret = EXIT_OK;
	if (parse(cli, argc, argv, &o, &sha, &tmpl, &create_root) == CLI_OPT_EXIT) {
		ret = cli_status(cli);
		goto out;
	}
	if ((ret = cli_check_root(cli, create_root)) != EXIT_OK)
		goto out;
	for (int i = optind; i < argc; i++)
		strv_push(&sources, argv[i]);
	if (!tmpl && sources.n == 0) {
		int r = ctmod_install_conf_template(cli->ctx, &tmpl);
		if (r < 0) {
			ret = cli_error(cli, r);
			goto out;
		}
		if (!tmpl) {
			ret = cli_usage(cli,
			                "give a SOURCE (URL, tarball or .deb) or --from TEMPLATE");
			goto out;
		}
	}
	if (tmpl) {
		const char *kver;
		int r = ctmod_ctx_kver(cli->ctx, &kver);
		if (r < 0) {
			ret = cli_error(cli, r);
			goto out;
		}
		if (!strstr(tmpl, "{kver}"))
			cli_verbose(cli, "the --from template has no {kver}: %s", tmpl);
		strv_push_take(&sources, ctmod_install_template_expand(tmpl, kver, ctmod_arch()));
	}
	if (sha.n && sha.n != sources.n) {
		ret = cli_usage(cli, "%zu --sha256 for %zu sources: give one per source, in order",
		                sha.n, sources.n);
		goto out;
	}

	o.sources = (const char *const *)sources.v;
	o.nsources = sources.n;
	o.sha256 = sha.n ? (const char *const *)sha.v : NULL;
	o.kver_explicit = cli->kver != NULL;
	bar.on = !cli->quiet && !cli->json && isatty(STDERR_FILENO);
	if (bar.on) {
		o.fetch.progress = progress;
		o.fetch.progress_data = &bar;
	}

	catch_interrupts();
	int r = ctmod_install(cli->ctx, &o, &res);
	if (r < 0) {
		ret = cli_error(cli, r);
		goto out;
	}
	hint = no_index_hint(cli, &res, o.extras);
	if (hint)
		fprintf(stderr, "ctmod: install: warning: %s\n", hint);
	if (cli->json) {
		json_object *doc = result_json(&res, ctmod_ctx_root(cli->ctx));
		json_object *w = json_object_new_array();
		if (hint)
			json_object_array_add(w, json_object_new_string(hint));
		json_object_object_add(doc, "warnings", w);
		cli_json_print(doc);
	} else if (res.noop) {
		cli_info(cli, "%s%salready installed: nothing to do", res.kver ? res.kver : "",
		         res.kver ? ": " : "");
	} else {
		uint64_t entries = 0;
		for (size_t i = 0; i < res.n; i++)
			entries += res.src[i].entries;
		cli_info(cli, "installed %zu source%s (%llu entries) into %s", res.n,
		         res.n == 1 ? "" : "s", (unsigned long long)entries,
		         *ctmod_ctx_root(cli->ctx) ? ctmod_ctx_root(cli->ctx) : "/");
		if (res.headers)
			cli_info(cli, "headers: %s", res.headers);
		if (res.build)
			cli_info(cli, "build: /lib/modules/%s/build -> %s", res.kver, res.build);
		if (res.depmod)
			cli_info(cli, "depmod: /lib/modules/%s indexed", res.kver);
	}
out:
	ctmod_install_result_release(&res);
	strv_release(&sha);
	strv_release(&sources);
	return ret;
}

const struct ctmod_cmd cmd_install = {
    .name = "install",
    .run = run,
    .summary = "deploy kernel headers and extra modules from URLs, tarballs, .debs",
    .synopsis = "[OPTIONS] SOURCE...\n[OPTIONS] --from TEMPLATE",
    .about = about,
    .options = options,
    .footer = footer,
    .flags = CLI_CMD_OWN_ROOT_CHECK,
};
