/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctmod install: deploy kernel headers (Debian packages, tarballs laid out
 * from the root, bare kernel build trees) and extra modules into a root as
 * one transaction.
 *
 * Every source is fetched (lib/fetch.h), then extracted into its own
 * directory of a staging tree ROOT/.ctmod-install.XXXXXX (lib/extract.h),
 * the kernel release is settled (--kernel, .deb package names,
 * include/config/kernel.release, lib/modules/KVER) and the staged tree is
 * checked (the build link resolves, the Makefile's includes and the scripts
 * link are provided) before anything under the root changes.  Then it is
 * merged into the root by renames.  A failure before that point leaves the
 * root as it was; concurrent installs on one root wait for each other
 * (flock on the root directory).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ctx.h"
#include "fetch.h"
#include "util.h"

struct ctmod_install_opts {
	const char *const *sources;
	size_t nsources;
	const char *const *sha256; /* NULL, or one expected digest per source */
	bool extras;               /* the sources hold modules for ROOT/lib/modules/KVER */
	bool kver_explicit;        /* --kernel was given: detected releases must match */
	struct ctmod_fetch_opts fetch;
};

struct ctmod_install_source {
	char *source;
	char *package; /* .deb Package, or NULL */
	char *version;
	const char *layout; /* "package", "tree", "headers-tree", "modules" */
	char sha256[65];
	bool downloaded, from_cache;
	uint64_t entries, bytes;
};

struct ctmod_install_result {
	char *kver;    /* the kernel the install is for, or NULL */
	char *headers; /* "/usr/src/linux-headers-KVER" when headers are in place */
	char *build;   /* target of ROOT/lib/modules/KVER/build, when there is one */
	bool noop;     /* the same sources were installed before and are still there */
	bool depmod;   /* depmod ran */
	struct ctmod_install_source *src;
	size_t n;
	struct strv moved; /* paths (relative to the root) renamed into place */
};
void ctmod_install_result_release(struct ctmod_install_result *res);

int ctmod_install(struct ctmod_ctx *ctx, const struct ctmod_install_opts *o,
                  struct ctmod_install_result *res);

/* TEMPLATE with {kver} and {arch} replaced, malloc'd */
char *ctmod_install_template_expand(const char *tmpl, const char *kver, const char *arch);
/* "headers-url = TEMPLATE" from ROOT/etc/ctmod/ctmod.conf: 0 and *out
 * (NULL when not set) */
int ctmod_install_conf_template(struct ctmod_ctx *ctx, char **out);
/* KVER from a package name (linux-headers-KVER, linux-image-KVER), or NULL */
char *ctmod_install_package_kver(const char *pkg);
