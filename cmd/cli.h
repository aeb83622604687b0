/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What cmd/ shares: global options, printing, exit codes.  lib/ never prints. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "../lib/ctx.h"

enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
};

struct cli {
	struct ctmod_ctx *ctx;
	const char *cmd; /* the command being run, for messages */
	const char *root;
	const char *kver;
	int verbose;
	bool quiet;
	bool json;
	bool color;
};

/*
 * Print the context's last error as one line,
 * "ctmod: CMD: WHAT: WHY: HINT", and return the exit status it calls for
 * (2 for bad input, 1 otherwise).
 */
int cli_error(struct cli *cli, int r);
/* A usage error: one line and the pointer to help; returns 2. */
int cli_usage(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Informational line on stdout unless -q (and nothing with --json). */
void cli_info(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line on stderr with -v only. */
void cli_verbose(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a JSON document on stdout and drop the reference. */
void cli_json_print(struct json_object *doc);
/* ANSI colour when --color says so: cli_paint(cli, "31", "text") */
const char *cli_color_on(const struct cli *cli, const char *sgr);
const char *cli_color_off(const struct cli *cli);
