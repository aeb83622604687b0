/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What cmd/ shares: the global options, one option parser driven by each
 * command's table, printing, the JSON document and exit codes.  lib/ never
 * prints.
 *
 * The rules every command gets from here (documented in ctmod(8)):
 *  - the global options (-v -q --json --color --root/-d --kernel/-S) may be
 *    given before the command or after it, as separate words, anywhere
 *    before "--" (and, for a command whose table says CLI_CMD_STOP_AT_OPERAND,
 *    before its first operand): cli_take_globals() takes them out;
 *  - a missing option argument says "option 'X' needs an argument", an
 *    unknown one "unknown option 'X'", both exit 2 (cli_getopt());
 *  - with --json, every outcome is one JSON document on stdout: the
 *    command's fields (cli_json_print()) beside "ok", and on failure
 *    "error": {"message", "hint"}; cli_finish() prints it.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "../lib/ctx.h"

enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
};

struct ctmod_cmd;

struct cli {
	struct ctmod_ctx *ctx;
	const char *cmd; /* the command being run, for messages */
	const struct ctmod_cmd *command;
	const char *root;
	const char *kver;
	int verbose;
	bool quiet;
	bool json;
	bool color;
	const char *color_when; /* "auto", "always", "never" */
	int status;             /* what cli_getopt's CLI_OPT_EXIT calls for */
	/* the JSON document under way and the first error, for cli_finish() */
	struct json_object *doc;
	char *err_msg, *err_hint;
};

/*
 * One option of a command.  id is what cli_getopt() returns: the short
 * option's character (then it is also -C), or a value >= 256 for a long
 * option only.  arg names the argument (NULL: a flag); help is one or more
 * lines ("\n" between them) for the usage text, or NULL for an option that is
 * parsed but not shown (another tool's spelling, kept for compatibility).
 */
struct cli_option {
	int id;
	const char *name;
	const char *arg;
	const char *help;
};

/* ctmod_cmd.flags */
enum {
	/* options end at the first operand (gate -- COMMAND ARGS) */
	CLI_CMD_STOP_AT_OPERAND = 1 << 0,
	/* the command checks --root itself (install --create-root) */
	CLI_CMD_OWN_ROOT_CHECK = 1 << 1,
	/*
	 * with --json the command streams JSON lines of its own (gate's
	 * events): cli_finish() adds nothing unless an error was reported,
	 * then one line, the error document
	 */
	CLI_CMD_JSON_LINES = 1 << 2,
};

/* cli_getopt() results below 0 */
enum {
	CLI_OPT_END = -1,  /* options done: the operands are argv[optind..] */
	CLI_OPT_EXIT = -2, /* help was printed or a usage error: return cli_status() */
};

/* Register the process's one cli (cli_json_print needs it). */
void cli_init(struct cli *cli);

/*
 * Take the global options out of a command's argv (argv[0] is the
 * command), in place; *argc shrinks.  Returns EXIT_OK or the usage error's
 * status (already reported).
 */
int cli_take_globals(struct cli *cli, const struct ctmod_cmd *cmd, int *argc, char **argv);
/*
 * Take one global option at argv[*i]: 1 and *i past it when it was one, 0
 * when it is not a global option, or -EXIT_USAGE (reported).
 */
int cli_take_global(struct cli *cli, int argc, char **argv, int *i);
/* --color's value and --root's existence, once the globals are in. */
int cli_check_globals(struct cli *cli);
/* --root must be an existing directory (or missing, when allow_missing). */
int cli_check_root(struct cli *cli, bool allow_missing);

/*
 * The next option of cli->command's table (plus -h/--help), like
 * getopt_long: the option's id, with its argument in optarg; CLI_OPT_END
 * when the options are done (operands at argv[optind]); CLI_OPT_EXIT after
 * the help or a usage error, when the caller returns cli_status(cli).
 */
int cli_getopt(struct cli *cli, int argc, char **argv);
int cli_status(const struct cli *cli);
/* Leave the option loop with this status: returns CLI_OPT_EXIT. */
int cli_exit(struct cli *cli, int status);
/* optarg as an integer in [min, max], or a usage error (returns 2 then). */
int cli_number(struct cli *cli, const char *opt, const char *arg, long min, long max, long *out);

/* The command's full help, from its table. */
void cli_print_usage(struct cli *cli, const struct ctmod_cmd *cmd, FILE *out);

/*
 * Print the context's last error as one line,
 * "ctmod: CMD: WHAT: WHY: HINT", record it for --json, and return the exit
 * status it calls for (2 for bad input, 1 otherwise).
 */
int cli_error(struct cli *cli, int r);
/* A usage error: one line and the pointer to help; returns 2. */
int cli_usage(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with a hint of its own in place of the pointer to help. */
int cli_usage_hint(struct cli *cli, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * An error cmd/ words itself: "ctmod: CMD: MESSAGE: HINT" on stderr,
 * recorded for --json; returns status.  hint may be NULL.
 */
int cli_err(struct cli *cli, int status, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Informational line on stdout unless -q (and nothing with --json). */
void cli_info(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line on stderr with -v only. */
void cli_verbose(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Hand the command's JSON document to the registered cli, taking the
 * reference; cli_finish() prints it once, with "ok" and "error" added.
 * A second document's fields are merged into the first.
 */
void cli_json_print(struct json_object *doc);
/*
 * The end of the run: with --json, print the one document (an empty one
 * if the command gave none) with "ok": status == 0 and the error.  Frees
 * what the cli holds.  Returns status.
 */
int cli_finish(struct cli *cli, int status);

/* ANSI colour when --color says so: printf("%sX%s", cli_color_on(cli, "31"), cli_color_off(cli)) */
const char *cli_color_on(const struct cli *cli, const char *sgr);
const char *cli_color_off(const struct cli *cli);
