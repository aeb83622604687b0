/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-tree dependency closure of a KMM module-loader image: a built
 * v4l2loopback.ko needs videodev.ko, which needs mc.ko, and a bare node
 * that never loaded them fails `modprobe -d /opt v4l2loopback` unless the
 * image holds them too.
 */
#pragma once

#include <stddef.h>

#include "ctx.h"

/*
 * For every NAME.ko directly in dir (the built modules), find the modules
 * of ROOT/lib/modules/KVER that export the symbols it leaves undefined
 * (modules.symbols), with their own dependencies (modules.dep), and copy
 * them into dir at their paths in the kernel's tree (kernel/drivers/...),
 * so that depmod -b over dir links them up.  Symbols of vmlinux, and those
 * the built modules export to each other, need nothing.  A root without
 * that kernel's module tree and indexes adds nothing.  *count: modules
 * copied.
 */
int ctmod_image_deps_add(struct ctmod_ctx *ctx, const char *kver, const char *dir, size_t *count);
