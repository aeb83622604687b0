// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctmod: global options, then one command from the table below.
 * Invoked through a link named `modprobe`, it behaves like modprobe; through
 * one named `dkms`, it takes DKMS's command line (cmd/dkms.c).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "builtin.h"

#ifndef CTMOD_VERSION
#define CTMOD_VERSION "0.1.0"
#endif

static const struct ctmod_cmd *const commands[] = {
    &cmd_install, &cmd_build,    &cmd_status,   &cmd_load,
    &cmd_deps,    &cmd_autoload, &cmd_diagnose, &cmd_gate,
};

static const char global_help[] =
    "Usage: ctmod [GLOBAL] COMMAND [ARGS]\n"
    "\n"
    "Kernel modules for container hosts: headers, DKMS builds, loading with\n"
    "dependencies, boot-time lists, on-demand loading for containers, diagnosis.\n"
    "\n"
    "Global options:\n"
    "  -d, --root DIR        operate on the system image under DIR (default /)\n"
    "  -S, --kernel KVER     kernel release (default: the running one)\n"
    "  -v, --verbose         say more (repeat for debug output)\n"
    "  -q, --quiet           say only errors\n"
    "      --json            one JSON document on stdout\n"
    "      --color=WHEN      auto, always or never\n"
    "  -h, --help            this help; 'ctmod help COMMAND' for a command\n"
    "      --version         print the version\n"
    "\n"
    "Commands:\n";

static void print_help(FILE *out)
{
	fputs(global_help, out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nExit status: 0 success, 1 the operation failed, 2 bad usage or bad input.\n", out);
}

/* The help on stdout, or with --json as the document's "usage". */
static void print_help_out(struct cli *cli)
{
	if (!cli->json) {
		print_help(stdout);
		return;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	print_help(f);
	fclose(f);
	struct json_object *doc = json_object_new_object();
	json_object_object_add(doc, "usage", json_object_new_string(text));
	cli_json_print(doc);
	free(text);
}

static const struct ctmod_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static const char *nearest_command(const char *name)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		size_t d = edit_distance(name, commands[i]->name);
		if (strncmp(name, commands[i]->name, strlen(name)) == 0 && *name)
			d = 0;
		if (d < bestd) {
			bestd = d;
			best = commands[i]->name;
		}
	}
	return bestd <= 3 ? best : NULL;
}

static void log_stderr(void *data, int prio, const char *fmt, va_list ap)
{
	(void)data;
	const char *tag = prio <= CTMOD_LOG_ERR       ? "error: "
	                  : prio <= CTMOD_LOG_WARNING ? "warning: "
	                                              : "";
	fprintf(stderr, "ctmod: %s", tag);
	vfprintf(stderr, fmt, ap);
	size_t n = strlen(fmt);
	if (n == 0 || fmt[n - 1] != '\n')
		fputc('\n', stderr);
}

static int help_command(struct cli *cli, int argc, char **argv)
{
	if (argc < 2) {
		print_help_out(cli);
		return EXIT_OK;
	}
	const struct ctmod_cmd *c = find_command(argv[1]);
	if (!c) {
		const char *near = nearest_command(argv[1]);
		cli->cmd = "help";
		if (near)
			return cli_usage(cli, "no such command '%s'; did you mean '%s'?", argv[1],
			                 near);
		return cli_usage(cli, "no such command '%s'", argv[1]);
	}
	cli_print_usage(cli, c, stdout);
	return EXIT_OK;
}

static int setup_ctx(struct cli *cli)
{
	int r = ctmod_ctx_new(&cli->ctx, cli->root, cli->kver);
	if (r < 0)
		return cli_err(cli, EXIT_FAILED, NULL, "cannot set up: %s", strerror(-r));
	ctmod_ctx_set_log(cli->ctx, log_stderr, NULL);
	int level = CTMOD_LOG_WARNING;
	if (cli->quiet)
		level = CTMOD_LOG_ERR - 1; /* errors reach the user through cli_error */
	else if (cli->verbose == 1)
		level = CTMOD_LOG_INFO;
	else if (cli->verbose > 1)
		level = CTMOD_LOG_DEBUG;
	ctmod_ctx_set_log_level(cli->ctx, level);
	return EXIT_OK;
}

/* --json anywhere before "--": the words before it may be what is wrong */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

static int run_command(struct cli *cli, const struct ctmod_cmd *cmd, int argc, char **argv)
{
	cli->command = cmd;
	cli->cmd = cmd->name;
	int r = cli_take_globals(cli, cmd, &argc, argv);
	if (r == EXIT_OK)
		r = cli_check_globals(cli);
	if (r == EXIT_OK)
		r = setup_ctx(cli);
	if (r != EXIT_OK)
		return r;
	optind = 0; /* each command parses its own options from scratch */
	opterr = 0; /* and words its own errors, one line each */
	return cmd->run(cli, argc, argv);
}

/* The global options before the command, then the command. */
static int dispatch(struct cli *cli, int argc, char **argv)
{
	int i = 1;
	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_help_out(cli);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("ctmod %s\n", CTMOD_VERSION);
			return EXIT_OK;
		}
		int r = cli_take_global(cli, argc, argv, &i);
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage(cli, "unknown option '%.*s'", (int)strcspn(argv[i], "="),
			                 argv[i]);
	}
	if (i >= argc) {
		if (cli->json)
			return cli_usage(cli, "no command given");
		print_help(stderr);
		return EXIT_USAGE;
	}
	char **cargv = argv + i;
	int cargc = argc - i;
	if (strcmp(cargv[0], "help") == 0) {
		int r = cli_check_globals(cli);
		return r ? r : help_command(cli, cargc, cargv);
	}
	const struct ctmod_cmd *cmd = find_command(cargv[0]);
	if (!cmd) {
		const char *near = nearest_command(cargv[0]);
		if (near)
			return cli_usage(cli, "unknown command '%s'; did you mean '%s'?", cargv[0],
			                 near);
		return cli_usage(cli, "unknown command '%s'", cargv[0]);
	}
	return run_command(cli, cmd, cargc, cargv);
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];

	cli_init(&cli);
	if (strcmp(base, "modprobe") == 0) {
		int r = setup_ctx(&cli);
		if (r)
			return r;
		cli.cmd = "modprobe";
		r = cmd_modprobe_main(&cli, argc, argv);
		ctmod_ctx_free(cli.ctx);
		return cli_finish(&cli, r);
	}
	if (strcmp(base, "dkms") == 0) {
		cli.cmd = "dkms";
		int r = cmd_dkms_main(&cli, argc, argv, dispatch);
		r = cli_finish(&cli, r);
		ctmod_ctx_free(cli.ctx);
		return r;
	}
	/* an error before the command ran still answers in JSON if asked to */
	bool json = wants_json(argc, argv);
	int r = dispatch(&cli, argc, argv);
	if (r != EXIT_OK && !cli.ctx)
		cli.json = cli.json || json;
	r = cli_finish(&cli, r);
	ctmod_ctx_free(cli.ctx);
	return r;
}
