/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the build's files (build-*.c, status.c) share and nothing else
 * sees: the kernel's headers directory, DKMS's presets, a job's state
 * record, the child's build and its result line, one module put in place.
 */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "build.h"
#include "dkms.h"

/* argv's stdout and stderr both to outfd (a build's log), -1: /dev/null */
static inline int run_argv(char *const argv[], const char *cwd, int in, int outfd)
{
	return run_process(argv, cwd, in, outfd, outfd);
}

static inline bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* build-kernels.c: ROOT/lib/modules/K/build resolved under the root (its link is absolute) */
char *ctmod_build_headers_dir(struct ctmod_ctx *ctx, const char *kver);

/* build-sources.c: DKMS's presets for kver/arch; ksrc receives kernel_source_dir */
void ctmod_build_default_env(struct ctmod_ctx *ctx, struct dkms_env *env, const char *kver,
                             const char *arch, char *ksrc, size_t ksz);
/* NAME-VERSION from a source directory's name: DKMS's module/module_version */
void ctmod_build_guess_name(const char *src, char **name, char **version);

/* build-child.c: the record `ctmod status` reads (j->tree/state) */
int ctmod_build_write_state(struct build_job *j);
/* What the child tells the parent: "STATE\tmessage\n" then installed files. */
void ctmod_build_child_result(struct build_job *j, enum build_state s, const char *msg, int fd);
/*
 * The build of j, in the forked child, writing to logfd (j->log, emptied by
 * the parent); its result goes to resfd, a setup failure's message to both.
 */
void ctmod_build_child(struct ctmod_ctx *ctx, const struct build_opts *o, const char *root,
                       struct build_job *j, int logfd, int resfd);

/* build-module.c */
const char *ctmod_build_compress_suffix(struct ctmod_ctx *ctx, const char *kver);
struct ctmod_build_signer {
	char *key, *cert, *tool, *hash;
	int fds[2]; /* build_opts.sign_fds, opened for sign-file only */
};
/* the kernel's hash and sign-file with the key prepared by ctmod_build_signing_prepare;
 * none (and why_not says why) when the kernel has no CONFIG_MODULE_SIG_HASH etc. */
int ctmod_build_signer_load(struct ctmod_ctx *ctx, const struct build_opts *o, const char *kver,
                            const char *config, struct ctmod_build_signer *sg, char **why_not);
void ctmod_build_signer_release(struct ctmod_build_signer *sg);
int ctmod_build_finish_module(struct ctmod_ctx *ctx, const char *ko, bool strip,
                              const struct ctmod_build_signer *sg, int logfd);
int ctmod_build_install_module(struct ctmod_ctx *ctx, const char *built, const char *dir,
                               const char *live, const char *dest_name, const char *suffix,
                               int logfd, char **installed);

/* build-done.c: jobs done before from the same inputs become BUILD_ALREADY (not with --force) */
void ctmod_build_skip_done(struct ctmod_ctx *ctx, const struct build_opts *o,
                           struct build_plan *plan);

/*
 * build-deps.c: whether j's BUILD_DEPENDS let it start: 0 wait, 1 decided
 * (j's state and msg set: skipped, deferred, refused), 2 go (dep_binds set).
 */
int ctmod_build_deps_ready(struct ctmod_ctx *ctx, const struct build_opts *o,
                           struct build_plan *plan, struct build_job *j);
/* once nothing runs: the jobs still pending wait in a circle */
void ctmod_build_deps_stuck(struct build_plan *plan);

/* build-versions.c: --install of an older version than the one installed fails (not with
 * --force); once j is installed, the other installed version is recorded built */
void ctmod_build_refuse_older(const struct build_opts *o, struct build_plan *plan);
void ctmod_build_demote_others(const char *root, const struct build_job *j);

/* build-jobs.c: the builds (or --uninstall's removals) of the plan */
int ctmod_build_run_plan(struct ctmod_ctx *ctx, struct build_opts *o, struct build_plan *plan);
