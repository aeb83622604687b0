/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command table: every command is one file in cmd/ exporting one
 * `const struct ctmod_cmd cmd_NAME`, listed once in ctmod.c.
 */
#pragma once

#include "cli.h"

struct ctmod_cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary; /* one line for `ctmod --help` */
	/*
	 * The help, from which cli_print_usage() writes `ctmod help NAME`:
	 * synopsis lines (after "ctmod NAME "), a description, the option
	 * table (cli_getopt parses by it) and the closing lines (exit status).
	 */
	const char *synopsis;
	const char *about;
	const struct cli_option *options; /* ends with {0} */
	const char *footer;
	unsigned flags; /* CLI_CMD_* */
};

extern const struct ctmod_cmd cmd_install;
extern const struct ctmod_cmd cmd_build;
extern const struct ctmod_cmd cmd_status;
extern const struct ctmod_cmd cmd_load;
extern const struct ctmod_cmd cmd_deps;
extern const struct ctmod_cmd cmd_autoload;
extern const struct ctmod_cmd cmd_diagnose;
extern const struct ctmod_cmd cmd_gate;

/* `modprobe` compatibility: the binary invoked through a link named modprobe */
int cmd_modprobe_main(struct cli *cli, int argc, char **argv);

/* ctmod's own dispatch of "ctmod [GLOBAL] COMMAND ARGS", for the personalities */
typedef int cmd_dispatch_fn(struct cli *cli, int argc, char **argv);
/* `dkms` compatibility: the binary invoked through a link named dkms (cmd/dkms.c) */
int cmd_dkms_main(struct cli *cli, int argc, char **argv, cmd_dispatch_fn *dispatch);
