/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dkms.conf evaluation, the way DKMS does it: bash sources the file (and the
 * per-package overrides under ROOT/etc/dkms) with kernelver, arch,
 * kernel_source_dir, dkms_tree, source_tree and PACKAGE_NAME/VERSION preset,
 * then prints every variable DKMS reads as NUL-separated (name, index, value)
 * records, which ctmod_dkms_conf_parse() turns into a struct dkms_conf for one
 * kernel.  No shell parsing happens here: real files use if, ., pushd and
 * $BASH_SOURCE.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "util.h"

#define DKMS_TREE   "/var/lib/dkms"
#define SOURCE_TREE "/usr/src"

struct dkms_module {
	char *built_name;     /* BUILT_MODULE_NAME[#], without .ko */
	char *built_location; /* BUILT_MODULE_LOCATION[#], relative to the build dir */
	char *dest_name;      /* DEST_MODULE_NAME[#], default built_name */
	char *dest_location;  /* DEST_MODULE_LOCATION[#] */
	bool strip;           /* STRIP[#], default yes */
	/* BUILD_EXCLUSIVE_*[#] of this record (# > 0; [0] is the package's) */
	char *excl_kernel, *excl_arch, *excl_kernel_min, *excl_kernel_max;
	struct strv excl_config;
};

struct dkms_conf {
	char *file; /* the dkms.conf that was read, for messages */
	char *name, *version;
	char *make;  /* MAKE[#] selected by MAKE_MATCH for this kernel */
	char *clean; /* CLEAN */
	char *pre_build, *post_build, *pre_install, *post_install, *post_remove;
	struct strv patches; /* PATCH[#] whose PATCH_MATCH[#] matches the kernel */
	struct dkms_module *mods;
	size_t n_mods;
	char *excl_kernel, *excl_arch; /* BUILD_EXCLUSIVE_KERNEL/ARCH: regexes */
	struct strv excl_config;       /* BUILD_EXCLUSIVE_CONFIG: CONFIG_X or !CONFIG_X */
	char *excl_kernel_min, *excl_kernel_max;
	struct strv build_depends; /* BUILD_DEPENDS: package names */
	char *obsolete_by;         /* OBSOLETE_BY: a kernel version */
	bool autoinstall;          /* AUTOINSTALL: yes in any case */
	bool make_given;           /* MAKE came from the file, not the default */
	char *bad_patch;           /* a PATCH that leaves patches/: why the build is refused */
	struct strv warnings;      /* DKMS's warnings (deprecated directives, zero modules) */
};

/* What bash sees preset while sourcing (DKMS's names). */
struct dkms_env {
	const char *root;              /* ROOT prefix for /etc/dkms overrides ("" for /) */
	const char *kernelver;         /* target kernel release */
	const char *arch;              /* uname -m style */
	const char *kernel_source_dir; /* default /lib/modules/KVER/build */
	const char *dkms_tree;         /* default /var/lib/dkms */
	const char *source_tree;       /* default /usr/src */
	const char *name, *version;    /* presets for PACKAGE_NAME/VERSION, may be NULL */
};

/*
 * Source conf (a dkms.conf) and the overrides with bash, in directory
 * `cwd` (the source or build dir), and fill out.  A syntax error or a file
 * without PACKAGE_NAME/VERSION, or with two records of one module, is bad input, with
 * bash's message.  bash's own stderr (the file's echoes) goes to errfd
 * (-1: discarded).
 */
int ctmod_dkms_conf_eval(struct ctmod_ctx *ctx, const struct dkms_env *env, const char *conf,
                         const char *cwd, int errfd, struct dkms_conf *out);

/* Turn the records bash printed into out, for kernel kver.  Fuzzed. */
int ctmod_dkms_conf_parse(struct ctmod_ctx *ctx, const char *file, const char *buf, size_t len,
                          const char *kver, struct dkms_conf *out);

void ctmod_dkms_conf_release(struct dkms_conf *c);

/*
 * Whether BUILD_EXCLUSIVE_* ([0], the package's) or OBSOLETE_BY rule this
 * kernel out, or every module's own BUILD_EXCLUSIVE_*[i] does: 1 with a
 * malloc'd reason in *why, 0 when the build may go ahead.  config is the
 * kernel's .config text (may be NULL: CONFIG checks then fail closed).
 */
int ctmod_dkms_excluded(const struct dkms_conf *c, const char *kver, const char *arch,
                        const char *config, char **why);

/* Whether module i is ruled out by its own BUILD_EXCLUSIVE_*[i] (as above). */
int ctmod_dkms_module_excluded(const struct dkms_conf *c, size_t i, const char *kver,
                               const char *arch, const char *config, char **why);

/* DKMS's default MAKE and its "-jN KERNELRELEASE=KVER" after a leading make. */
char *ctmod_dkms_make_command(const struct dkms_conf *c, const struct dkms_env *env, int jobs);

/* AUTOINSTALL semantics: "yes" in any case */
bool ctmod_dkms_yes(const char *s);
