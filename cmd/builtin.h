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
	const char *usage;   /* the full help, for `ctmod help NAME` */
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
