// SPDX-License-Identifier: LGPL-2.1-or-later
/* One build, in a forked child: copy, dkms.conf, make, keep the modules, install */
#include "build-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sandbox.h"

/*
 * The build steps, run by bash in the build dir with DKMS's variables set
 * and all output going to make.log: PATCH[#], CC from the headers'
 * .kernelvariables (as DKMS does), PRE_BUILD, MAKE, POST_BUILD.
 */
static const char runner[] =
    "__b=$1 __make=$2 __pre=$3 __post=$4\n"
    "kernelver=$5 arch=$6 kernel_source_dir=$7 dkms_tree=$8 source_tree=$9\n"
    "module=${10} module_version=${11}; shift 11\n"
    "cd \"$__b\" || exit 90\n"
    "echo \"ctmod make.log for $module-$module_version for kernel $kernelver ($arch)\"; date\n"
    "for __p; do\n"
    "  [ -e \"./patches/$__p\" ] || { echo \"patch $__p not found in patches/\"; exit 91; }\n"
    "  echo \"applying patch $__p\"; patch -p1 < \"./patches/$__p\" || exit 92\n"
    "done\n"
    "if [ -f \"$kernel_source_dir/.kernelvariables\" ]; then\n"
    "  export CC=$(printf 'show-%%:\\n\\t@echo $($*)\\ninclude %s/.kernelvariables\\n' "
    "\"$kernel_source_dir\" | MAKEFLAGS= make -s -f - show-CC)\n"
    "else unset CC; fi\n"
    "__script() {\n"
    "  [ -n \"$2\" ] || return 0\n"
    "  local run=$__b/$2\n"
    "  if [ -x \"${run%% *}\" ]; then echo \"running the $1 script\"; (cd \"$__b\" && exec $run)\n"
    "  else echo \"warning: the $1 script is not executable\"; fi\n"
    "}\n"
    "__script pre_build \"$__pre\"\n"
    "echo \"$__make\"\n"
    "eval \"{ $__make; }\" || exit 94\n"
    "__script post_build \"$__post\"\n"
    "exit 0\n";

/* the installed= files of a previous state that are still in place */
static void still_installed(const char *state, struct strv *out)
{
	_cleanup_free_ char *txt = NULL;
	size_t len;
	if (read_file(state, 1 << 20, &txt, &len) < 0)
		return;
	char *save = NULL;
	for (char *l = strtok_r(txt, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, "installed=", 10) == 0 && exists(l + 10))
			strv_push(out, l + 10);
}

/*
 * Record the state a later `ctmod status` reads.  A rebuild without
 * --install leaves what an earlier --install put in place, so its record
 * stays (for status and --uninstall).
 */
int ctmod_build_write_state(struct build_job *j)
{
	_cleanup_free_ char *p = xasprintf("%s/state", j->tree);
	if (!p)
		return -ENOMEM;
	struct strv kept;
	strv_init(&kept);
	const struct strv *inst = &j->installed;
	if (!inst->n) {
		still_installed(p, &kept);
		inst = &kept;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_printf(&sb, "state=%s\nsource=%s\nresult=%s\nseconds=%.1f\n",
	              inst->n ? "installed" : "built", j->src, ctmod_build_state_name(j->state),
	              j->seconds);
	for (size_t i = 0; i < inst->n; i++)
		strbuf_printf(&sb, "installed=%s\n", inst->v[i]);
	int r = write_file_atomic(p, strbuf_str(&sb), sb.len, 0644);
	strbuf_release(&sb);
	strv_release(&kept);
	return r;
}

/* What the child tells the parent: "STATE\tmessage\n" then installed files. */
void ctmod_build_child_result(struct build_job *j, enum build_state s, const char *msg, int fd)
{
	dprintf(fd, "%s\t%s\n", ctmod_build_state_name(s), msg ? msg : "");
	for (size_t i = 0; i < j->installed.n; i++)
		dprintf(fd, "%s\n", j->installed.v[i]);
}

static int read_config(const char *ksrc, char **txt)
{
	_cleanup_free_ char *p = xasprintf("%s/.config", ksrc);
	size_t len;
	*txt = NULL;
	return p ? read_file(p, 16u << 20, txt, &len) : -ENOMEM;
}

int ctmod_build_child(struct ctmod_ctx *ctx, const struct build_opts *o, const char *root,
                      struct build_job *j, int resfd)
{
	_cleanup_free_ char *bdir = xasprintf("%s/build", j->tree);
	_cleanup_free_ char *dkms_build = xasprintf(DKMS_TREE "/%s/%s/build", j->name, j->version);
	_cleanup_free_ char *tree_dkms = NULL;
	const char *dkms_tree = DKMS_TREE;
	char ksrc[512];
	int r;
	if (!bdir || !dkms_build)
		return -ENOMEM;

	/* a fresh build, but the state keeps the record of installed files */
	static const char *const old[] = {"build", "module", "dkms"};
	for (size_t i = 0; i < ARRAY_SIZE(old); i++) {
		_cleanup_free_ char *d = xasprintf("%s/%s", j->tree, old[i]);
		if (!d)
			return -ENOMEM;
		if ((r = rm_rf(d)) < 0)
			return ctmod_fail(ctx, r, NULL, "cannot clear %s: %s", d, strerror(-r));
	}
	if (mkdir_p(bdir, 0755) < 0)
		return ctmod_fail(ctx, -errno, NULL, "mkdir %s: %m", bdir);
	int logfd = open(j->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return ctmod_fail(ctx, -errno, NULL, "%s: %m", j->log);
	_cleanup_free_ char *srcdot = xasprintf("%s/.", j->src);
	char *cp[] = {"cp", "-a", "--", srcdot, bdir, NULL};
	if (run_argv(cp, NULL, -1, logfd) != 0)
		return ctmod_fail(ctx, -EIO, NULL, "cannot copy %s to %s", j->src, bdir);

	if (!o->no_sandbox) {
		if ((r = sandbox_enter(ctx, root, DKMS_TREE, dkms_build, bdir, j->dep_binds.v)) < 0)
			return r;
	} else {
		/*
		 * No namespace: the build's dkms_tree is a private directory
		 * whose NAME/VERSION/build links to the tree, so files that
		 * hard-code ${dkms_tree}/NAME/VERSION/build still find it.
		 */
		tree_dkms = xasprintf("%s/dkms", j->tree);
		_cleanup_free_ char *d =
		    tree_dkms ? xasprintf("%s/%s/%s", tree_dkms, j->name, j->version) : NULL;
		_cleanup_free_ char *l = d ? xasprintf("%s/build", d) : NULL;
		if (!l || mkdir_p(d, 0755) < 0 || symlink(bdir, l) < 0)
			return ctmod_fail(ctx, -errno, NULL, "cannot set up %s", tree_dkms);
		dkms_tree = tree_dkms;
	}

	struct dkms_env env;
	struct dkms_conf c;
	ctmod_build_default_env(ctx, &env, j->kver, j->arch, ksrc, sizeof(ksrc));
	env.root = root;
	env.dkms_tree = dkms_tree;
	env.name = j->name;
	env.version = j->version;
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", bdir);
	if ((r = ctmod_dkms_conf_eval(ctx, &env, conf, bdir, logfd, &c)) < 0) {
		ctmod_build_child_result(j, BUILD_BROKEN, ctmod_ctx_error(ctx), resfd);
		return 0;
	}
	_cleanup_free_ char *config = NULL;
	read_config(ksrc, &config);
	char *why = NULL;
	if (ctmod_dkms_excluded(&c, j->kver, j->arch, config, &why) == 1) {
		dprintf(logfd, "skipped: %s\n", why);
		ctmod_build_child_result(j, BUILD_SKIPPED, why, resfd);
		free(why);
		ctmod_dkms_conf_release(&c);
		rm_rf(bdir);
		return 0;
	}
	/* without our jobserver (one build at a time), DKMS's -jN */
	_cleanup_free_ char *mk = ctmod_dkms_make_command(&c, &env, o->no_sandbox ? o->jobs : 0);
	if (mk && config && strstr(config, "\nCONFIG_CC_IS_CLANG=y")) {
		char *m2 = xasprintf("%s CC=clang", mk);
		free(mk);
		mk = m2;
	}
	if (mk && config && strstr(config, "\nCONFIG_LD_IS_LLD=y")) {
		char *m2 = xasprintf("%s LD=ld.lld", mk);
		free(mk);
		mk = m2;
	}
	/* the build dir as DKMS names it, so $PWD-relative files agree */
	const char *bpath = o->no_sandbox ? bdir : dkms_build;
	if (!mk) {
		ctmod_dkms_conf_release(&c);
		return -ENOMEM;
	}
	size_t na = 17 + c.patches.n;
	char **argv = calloc(na + 1, sizeof(char *));
	if (!argv) {
		ctmod_dkms_conf_release(&c);
		return -ENOMEM;
	}
	size_t a = 0;
	argv[a++] = "bash";
	argv[a++] = "--norc";
	argv[a++] = "--noprofile";
	argv[a++] = "-c";
	argv[a++] = (char *)runner;
	argv[a++] = "bash";
	argv[a++] = (char *)bpath;
	argv[a++] = mk;
	argv[a++] = c.pre_build ? c.pre_build : "";
	argv[a++] = c.post_build ? c.post_build : "";
	argv[a++] = j->kver;
	argv[a++] = j->arch;
	argv[a++] = ksrc;
	argv[a++] = (char *)dkms_tree;
	argv[a++] = SOURCE_TREE;
	argv[a++] = c.name;
	argv[a++] = c.version;
	for (size_t i = 0; i < c.patches.n; i++)
		argv[a++] = c.patches.v[i];
	argv[a] = NULL;
	int st = run_argv(argv, bpath, -1, logfd);
	free(argv);
	if (st != 0) {
		const char *what = st == 91 || st == 92 ? "a patch did not apply"
		                   : st == 94           ? "make failed"
		                                        : "the build failed";
		_cleanup_free_ char *m = xasprintf("%s (status %d)", what, st);
		ctmod_build_child_result(j, BUILD_FAILED, m, resfd);
		ctmod_dkms_conf_release(&c);
		return 0;
	}
	/* every BUILT_MODULE must be there */
	for (size_t i = 0; i < c.n_mods; i++) {
		_cleanup_free_ char *ko =
		    xasprintf("%s/%s%s.ko", bdir, c.mods[i].built_location, c.mods[i].built_name);
		if (!ko || !exists(ko)) {
			_cleanup_free_ char *m =
			    xasprintf("make did not produce %s%s.ko", c.mods[i].built_location,
			              c.mods[i].built_name);
			ctmod_build_child_result(j, BUILD_FAILED, m, resfd);
			ctmod_dkms_conf_release(&c);
			return 0;
		}
	}
	/* keep the modules next to the log: the build dir may be cleaned */
	_cleanup_free_ char *moddir = xasprintf("%s/module", j->tree);
	mkdir_p(moddir, 0755);
	for (size_t i = 0; i < c.n_mods; i++) {
		_cleanup_free_ char *ko =
		    xasprintf("%s/%s%s.ko", bdir, c.mods[i].built_location, c.mods[i].built_name);
		_cleanup_free_ char *dst = xasprintf("%s/%s.ko", moddir, c.mods[i].dest_name);
		char *cpk[] = {"cp", "--", ko, dst, NULL};
		if (run_argv(cpk, NULL, -1, logfd) != 0) {
			ctmod_build_child_result(j, BUILD_FAILED, "cannot keep the built modules",
			                         resfd);
			ctmod_dkms_conf_release(&c);
			return 0;
		}
	}
	if (o->install) {
		_cleanup_free_ char *live =
		    xasprintf("%s/lib/modules/%s/updates/dkms", root, j->kver);
		_cleanup_free_ char *udir =
		    j->modstage ? xasprintf("%s/updates/dkms", j->modstage) : NULL;
		const char *suffix = ctmod_build_compress_suffix(ctx, j->kver);
		struct ctmod_build_signer sg;
		if (ctmod_build_signer_load(ctx, ksrc, config, &sg) < 0) {
			ctmod_build_child_result(j, BUILD_FAILED, ctmod_ctx_error(ctx), resfd);
			ctmod_build_signer_release(&sg);
			ctmod_dkms_conf_release(&c);
			return 0;
		}
		if (!live || !udir || mkdir_p(udir, 0755) < 0) {
			_cleanup_free_ char *m = xasprintf("install: cannot create %s: %m", live);
			ctmod_build_child_result(j, BUILD_FAILED, m, resfd);
			ctmod_dkms_conf_release(&c);
			return 0;
		}
		for (size_t i = 0; i < c.n_mods; i++) {
			_cleanup_free_ char *ko =
			    xasprintf("%s/%s.ko", moddir, c.mods[i].dest_name);
			char *inst = NULL;
			if (ctmod_build_install_module(ctx, ko, udir, live, c.mods[i].dest_name,
			                               c.mods[i].strip, &sg, suffix, logfd,
			                               &inst) < 0) {
				ctmod_build_child_result(j, BUILD_FAILED, ctmod_ctx_error(ctx),
				                         resfd);
				ctmod_build_signer_release(&sg);
				ctmod_dkms_conf_release(&c);
				return 0;
			}
			strv_push_take(&j->installed, inst);
		}
		ctmod_build_signer_release(&sg);
		if (c.post_install) {
			_cleanup_free_ char *cmd =
			    xasprintf("cd \"$1\" && exec ./%s", c.post_install);
			char *pi[] = {"bash", "-c", cmd, "bash", bdir, NULL};
			dprintf(logfd, "running the post_install script\n");
			run_argv(pi, bdir, -1, logfd);
		}
	}
	if (o->clean && c.clean) {
		char *cl[] = {"bash", "-c", c.clean, NULL};
		run_argv(cl, bpath, -1, logfd);
	}
	close(logfd);
	ctmod_build_child_result(j, BUILD_OK, NULL, resfd);
	ctmod_dkms_conf_release(&c);
	return 0;
}
