/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The private mount namespace a DKMS build runs in: the privileged-container
 * arrangement, done by ctmod itself.  Distribution headers hard-code
 * /usr/src/linux-headers-*, ../../lib/linux-kbuild-V/scripts and
 * /lib/modules/KVER/build, and real dkms.conf files hard-code
 * /var/lib/dkms/NAME/VERSION/build; inside the namespace all of these are the
 * root's (and the build's own) trees, so builds for several roots and kernels
 * can run at once.
 */
#pragma once

#include <stdbool.h>

#include "ctx.h"

/* Whether this process may create a mount namespace (CAP_SYS_ADMIN). */
bool ctmod_sandbox_available(void);

/*
 * In the calling process (a forked child): unshare(CLONE_NEWNS), make every
 * mount private, bind ROOT/usr/src at /usr/src, ROOT/lib/modules at
 * /lib/modules, ROOT/usr/lib/linux-kbuild-V at /usr/lib/linux-kbuild-V
 * (when root is not "/"), and bind tree at dkms_build (a tmpfs is put over
 * the dkms_tree first so the path exists and nothing else shows there).
 * root: "" for /.  dkms_build may be NULL.  extra: NULL or a NULL-terminated
 * list of (source, mount point) pairs: the trees of the packages this one
 * BUILD_DEPENDS on, at their DKMS paths.
 */
int ctmod_sandbox_enter(struct ctmod_ctx *ctx, const char *root, const char *dkms_tree,
                        const char *dkms_build, const char *tree, char *const *extra);
