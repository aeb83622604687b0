/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `ctmod build --container ENGINE[:IMAGE]`: the same build run by the
 * image's own ctmod inside docker, podman or system-docker, privileged, with
 * the root's /usr/src, /lib/modules, /var/lib/ctmod (and /etc/dkms when it
 * exists) bound at the same paths, and the linux-kbuild directories that
 * Debian's headers reach through relative links.  No host binary goes in:
 * the image must hold ctmod and a toolchain (`make image` builds one).
 */
#pragma once

#include <stdbool.h>

#include "ctx.h"
#include "util.h"

#define CTMOD_CONTAINER_IMAGE "localhost/ctmod:latest"

struct ctmod_container {
	char *engine, *image;
	struct strv argv;   /* the engine's command line */
	struct strv mkdirs; /* bind sources the engine needs to exist */
};

/*
 * Make the engine command line for `ctmod build ARGV...` (argv[0] is the
 * command's name): spec is ENGINE[:IMAGE]; kver (or NULL) and json are the
 * global options the inner ctmod gets.  -n, -v and --container are dropped;
 * source paths become the paths seen inside (outside /usr/src: bound
 * read-only at the same path), --image-layout DIR is bound read-write.
 * Fails (bad input) on an unknown engine.
 */
int ctmod_container_plan(struct ctmod_ctx *ctx, const char *spec, const char *kver, bool json,
                         int argc, char **argv, struct ctmod_container *c);
/*
 * Run it with this process's stdin, stdout and stderr.  Before anything is
 * written: fails when the engine is not in PATH or the image is not in the
 * engine's store.  *status is the engine's exit status: the inner ctmod's
 * own (0, 1, 2), or the engine's (125 and up: it could not run the
 * container; recorded as an error and returned as -EIO).
 */
int ctmod_container_run(struct ctmod_ctx *ctx, struct ctmod_container *c, int *status);
void ctmod_container_release(struct ctmod_container *c);
