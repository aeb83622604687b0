/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Safe extraction of tarballs (any compression libarchive reads) and Debian
 * packages (an ar extract.holding control.tar.* and data.tar.*) into an
 * empty staging directory, and the merge of a staged tree into a root.
 *
 * Nothing is ever written outside the staging directory: entry names are
 * normalised and refused when absolute or holding "..", no entry is
 * written through a symlink (our own check plus libarchive's
 * ARCHIVE_EXTRACT_SECURE_*), hard links must name a path inside, relative
 * symlinks must not climb out of the root, device nodes and FIFOs are
 * refused.  Absolute symlink targets are kept: inside the root they mean a
 * path of that root (Debian's /lib/modules/KVER/build link).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ctx.h"
#include "util.h"

struct ctmod_archive_info {
	bool deb;
	char *package; /* .deb: the control file's Package */
	char *version; /* .deb: Version */
	uint64_t entries;
	uint64_t bytes;
};
void ctmod_archive_info_release(struct ctmod_archive_info *info);

/*
 * Normalise an archive entry name ("./usr//src/" -> "usr/src").  Returns
 * 0 (out malloc'd, "" for the top directory itself) or -EINVAL for an
 * absolute name, a ".." component, or an over-long name.
 */
int ctmod_archive_safe_name(const char *name, char **out);
/*
 * Whether a symlink at ENTRY (a normalised name) with TARGET stays inside
 * the root: absolute targets do (they are read relative to the root),
 * relative ones must not climb above it.
 */
bool ctmod_archive_link_inside(const char *entry, const char *target);

/*
 * Extract the archive at PATH (LABEL names it in messages) into DEST, an
 * existing empty directory.  Malformed archives and refused entries are
 * bad input (-EINVAL, exit 2); write failures are failures.
 */
int ctmod_archive_extract(struct ctmod_ctx *ctx, const char *path, const char *label,
                          const char *dest, struct ctmod_archive_info *info);
/* The same from memory (the fuzz target). */
int ctmod_archive_extract_mem(struct ctmod_ctx *ctx, const void *buf, size_t len, const char *label,
                              const char *dest, struct ctmod_archive_info *info);

/*
 * Open REL (relative, "" for the root itself) under the directory ROOTFD
 * as if ROOTFD were "/": symlinks, absolute or not, never leave it
 * (openat2 RESOLVE_IN_ROOT).  Returns an fd or -errno.
 */
int ctmod_tree_open(int rootfd, const char *rel, int flags);

/*
 * Merge the tree SRCFD into the directory REL under ROOTFD: what is missing
 * is renamed in whole, existing directories (or symlinks to directories
 * inside the root) are descended into, files and symlinks replaced.  With
 * dry, only checks for conflicts (a directory where a file goes, or the
 * reverse) so a real run after a clean dry run moves everything.  Paths
 * moved (with dry, that would be moved) are appended to moved (may be
 * NULL).  LABEL names the root in messages.
 */
int ctmod_tree_merge(struct ctmod_ctx *ctx, int srcfd, int rootfd, const char *rel, bool dry,
                     const char *label, struct strv *moved);
