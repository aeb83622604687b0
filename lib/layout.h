/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module-loader image layout that Kernel Module Management (KMM) uses:
 * DIR/lib/modules/KVER/NAME.ko plus depmod's indexes, so that a node loads
 * them with `modprobe -d DIR NAME`.
 */
#pragma once

#include "build.h"
#include "ctx.h"

/*
 * Put the modules of every successful job of plan (kept in its tree's
 * module/ directory) into dir/lib/modules/KVER, stripped of debug info, with
 * the kernel's modules.builtin and modules.order when the root has them,
 * and run depmod -b dir.  Each KVER directory is built next to its final
 * place and renamed over it, so dir holds the old layout or the new one.
 * *count is the number of modules written.
 */
int ctmod_layout_write(struct ctmod_ctx *ctx, const struct build_plan *plan, const char *dir,
                       size_t *count);
