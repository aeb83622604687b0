// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctmod: global options, then one command from the table below.
 * Invoked through a link named `modprobe`, it behaves like modprobe.
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
		print_help(stdout);
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
	fputs(c->usage, stdout);
	return EXIT_OK;
}

static int setup_ctx(struct cli *cli)
{
	int r = ctmod_ctx_new(&cli->ctx, cli->root, cli->kver);
	if (r < 0) {
		fprintf(stderr, "ctmod: out of memory\n");
		return EXIT_FAILED;
	}
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

int main(int argc, char **argv)
{
	struct cli cli = {0};
	const char *color = "auto";
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];

	if (strcmp(base, "modprobe") == 0) {
		int r = setup_ctx(&cli);
		if (r)
			return r;
		cli.cmd = "modprobe";
		r = cmd_modprobe_main(&cli, argc, argv);
		ctmod_ctx_free(cli.ctx);
		return r;
	}

	enum { OPT_JSON = 256, OPT_COLOR, OPT_VERSION };
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'd'},
	    {"kernel", required_argument, NULL, 'S'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"color", optional_argument, NULL, OPT_COLOR},
	    {"colour", optional_argument, NULL, OPT_COLOR},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {0},
	};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+d:S:vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli.root = optarg;
			break;
		case 'S':
			cli.kver = optarg;
			break;
		case 'v':
			cli.verbose++;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case OPT_JSON:
			cli.json = true;
			break;
		case OPT_COLOR:
			color = optarg ? optarg : "always";
			break;
		case 'h':
			print_help(stdout);
			return EXIT_OK;
		case OPT_VERSION:
			printf("ctmod %s\n", CTMOD_VERSION);
			return EXIT_OK;
		default:
			if (optopt && optopt < 256 && strchr("dS", optopt))
				return cli_usage(&cli, "option '-%c' needs an argument", optopt);
			return cli_usage(&cli, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (strcmp(color, "always") == 0)
		cli.color = true;
	else if (strcmp(color, "never") == 0)
		cli.color = false;
	else if (strcmp(color, "auto") == 0)
		cli.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	else
		return cli_usage(&cli, "--color takes auto, always or never, not '%s'", color);
	if (cli.kver && (!*cli.kver || strchr(cli.kver, '/')))
		return cli_usage(&cli, "invalid kernel release '%s'", cli.kver);

	if (optind >= argc) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	char **cargv = argv + optind;
	int cargc = argc - optind;
	if (strcmp(cargv[0], "help") == 0)
		return help_command(&cli, cargc, cargv);

	const struct ctmod_cmd *cmd = find_command(cargv[0]);
	if (!cmd) {
		const char *near = nearest_command(cargv[0]);
		if (near)
			return cli_usage(&cli, "unknown command '%s'; did you mean '%s'?", cargv[0],
			                 near);
		return cli_usage(&cli, "unknown command '%s'", cargv[0]);
	}
	int r = setup_ctx(&cli);
	if (r)
		return r;
	cli.cmd = cmd->name;
	optind = 0; /* each command parses its own options from scratch */
	r = cmd->run(&cli, cargc, cargv);
	ctmod_ctx_free(cli.ctx);
	return r;
}
