/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running depmod, the one place that does: ctmod install --extras, build
 * --install/--uninstall and build --image-layout all index their modules
 * through it, and a failure reads the same from all three.
 */
#pragma once

struct ctmod_ctx;

/*
 * depmod -a -b BASE KVER (BASE "" or NULL: "/"), found in PATH, else
 * /usr/sbin or /sbin.  Its stdout is dropped; its stderr is kept for the
 * error.  0, or -EIO when it failed ("depmod -b BASE KVER failed: its first
 * line of complaint: CONSEQUENCE"), -ENOENT when there is no depmod (hint:
 * install kmod).  consequence says what the failure leaves ("nothing was
 * installed"); NULL: nothing is said.
 */
int ctmod_depmod_run(struct ctmod_ctx *ctx, const char *base, const char *kver,
                     const char *consequence);
