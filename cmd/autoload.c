// SPDX-License-Identifier: GPL-2.0-or-later
#include "builtin.h"

/* Placeholder until the command lands: says so plainly and fails. */
static int run(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage(cli, "not implemented yet");
}

const struct ctmod_cmd cmd_autoload = {
	.name = "autoload",
	.run = run,
	.summary = "(not implemented yet)",
	.usage = "Usage: ctmod autoload\n",
};
