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
    "module=${10} module_version=${11} __st=${12}; shift 12\n"
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
    "eval \"{ $__make; }\"; __s=$?\n"
    "if [ $__s != 0 ]; then echo \"make exited with status $__s\"; echo $__s >\"$__st\"; exit 94; fi\n"
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
	if (j->fingerprint)
		strbuf_printf(&sb, "fingerprint=%s\n", j->fingerprint);
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

/* One child's build: what its phases share. */
struct child {
	struct ctmod_ctx *ctx;
	const struct build_opts *o;
	const char *root;
	struct build_job *j;
	int resfd, logfd;
	char *bdir;       /* TREE/build, the copy of the source */
	char *dkms_build; /* DKMS's name for it: /var/lib/dkms/NAME/VERSION/build */
	char *tree_dkms;  /* without a namespace: the private dkms_tree */
	const char *dkms_tree, *bpath;
	char ksrc[512];
	struct dkms_env env;
	struct dkms_conf c;
	bool have_conf;
	char *config; /* the kernel's .config */
	bool *skip;   /* per module: ruled out by its own BUILD_EXCLUSIVE_*[i] */
};

static void child_release(struct child *ch)
{
	free(ch->bdir);
	free(ch->dkms_build);
	free(ch->tree_dkms);
	free(ch->config);
	free(ch->skip);
	if (ch->have_conf)
		ctmod_dkms_conf_release(&ch->c);
	if (ch->logfd >= 0)
		close(ch->logfd);
}

/* the result line, once: returns 0 so that the child's caller just exits */
static int finish(struct child *ch, enum build_state s, const char *msg)
{
	ctmod_build_child_result(ch->j, s, msg, ch->resfd);
	return 0;
}

/* a fresh TREE/build with the source copied in (the state keeps the record of installed files) */
static int prepare_tree(struct child *ch)
{
	struct build_job *j = ch->j;
	static const char *const old[] = {"build", "module", "dkms", "scripts.out", "make.status"};
	int r;
	for (size_t i = 0; i < ARRAY_SIZE(old); i++) {
		_cleanup_free_ char *d = xasprintf("%s/%s", j->tree, old[i]);
		if (!d)
			return -ENOMEM;
		if ((r = rm_rf(d)) < 0)
			return ctmod_fail(ch->ctx, r, NULL, "cannot clear %s: %s", d, strerror(-r));
	}
	if (mkdir_p(ch->bdir, 0755) < 0)
		return ctmod_fail(ch->ctx, -errno, NULL, "mkdir %s: %m", ch->bdir);
	_cleanup_free_ char *srcdot = xasprintf("%s/.", j->src);
	char *cp[] = {"cp", "-a", "--", srcdot, ch->bdir, NULL};
	if (run_argv(cp, NULL, -1, ch->logfd) != 0)
		return ctmod_fail(ch->ctx, -EIO, NULL, "cannot copy %s to %s", j->src, ch->bdir);
	return 0;
}

/* the private mount namespace, or without one a dkms_tree of links to the tree */
static int enter(struct child *ch)
{
	struct build_job *j = ch->j;
	ch->dkms_tree = DKMS_TREE;
	ch->bpath = ch->o->no_sandbox ? ch->bdir : ch->dkms_build;
	if (!ch->o->no_sandbox)
		return ctmod_sandbox_enter(ch->ctx, ch->root, DKMS_TREE, ch->dkms_build, ch->bdir,
		                           j->dep_binds.v);
	/*
	 * No namespace: the build's dkms_tree is a private directory whose
	 * NAME/VERSION/build links to the tree, so files that hard-code
	 * ${dkms_tree}/NAME/VERSION/build still find it.
	 */
	ch->tree_dkms = xasprintf("%s/dkms", j->tree);
	_cleanup_free_ char *d =
	    ch->tree_dkms ? xasprintf("%s/%s/%s", ch->tree_dkms, j->name, j->version) : NULL;
	_cleanup_free_ char *l = d ? xasprintf("%s/build", d) : NULL;
	if (!l || mkdir_p(d, 0755) < 0 || symlink(ch->bdir, l) < 0)
		return ctmod_fail(ch->ctx, -errno, NULL, "cannot set up %s", ch->tree_dkms);
	ch->dkms_tree = ch->tree_dkms;
	return 0;
}

/* dkms.conf for this kernel; 1 when the job ended here (broken, refused, excluded) */
static int read_conf(struct child *ch)
{
	struct build_job *j = ch->j;
	ctmod_build_default_env(ch->ctx, &ch->env, j->kver, j->arch, ch->ksrc, sizeof(ch->ksrc));
	ch->env.root = ch->root;
	ch->env.dkms_tree = ch->dkms_tree;
	ch->env.name = j->name;
	ch->env.version = j->version;
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", ch->bdir);
	if (ctmod_dkms_conf_eval(ch->ctx, &ch->env, conf, ch->bdir, ch->logfd, &ch->c) < 0)
		return finish(ch, BUILD_BROKEN, ctmod_ctx_error(ch->ctx)) + 1;
	ch->have_conf = true;
	if (ch->c.bad_patch)
		return finish(ch, BUILD_BROKEN, ch->c.bad_patch) + 1;
	read_config(ch->ksrc, &ch->config);
	_cleanup_free_ char *why = NULL;
	int x = ctmod_dkms_excluded(&ch->c, j->kver, j->arch, ch->config, &why);
	if (x < 0)
		return x;
	if (x == 1) {
		dprintf(ch->logfd, "skipped: %s\n", why);
		rm_rf(ch->bdir);
		return finish(ch, BUILD_SKIPPED, why) + 1;
	}
	ch->skip = calloc(ch->c.n_mods + 1, sizeof(bool));
	if (!ch->skip)
		return -ENOMEM;
	for (size_t i = 0; i < ch->c.n_mods; i++) {
		_cleanup_free_ char *w = NULL;
		if (ctmod_dkms_module_excluded(&ch->c, i, j->kver, j->arch, ch->config, &w) == 1) {
			dprintf(ch->logfd, "module %s skipped: %s\n", ch->c.mods[i].built_name, w);
			ch->skip[i] = true;
		}
	}
	return 0;
}

/* MAKE as DKMS runs it: -jN without our jobserver, the kernel's compiler and linker */
static char *make_command(struct child *ch)
{
	char *mk = ctmod_dkms_make_command(&ch->c, &ch->env, ch->o->no_sandbox ? ch->o->jobs : 0);
	if (mk && ch->config && strstr(ch->config, "\nCONFIG_CC_IS_CLANG=y")) {
		char *m2 = xasprintf("%s CC=clang", mk);
		free(mk);
		mk = m2;
	}
	if (mk && ch->config && strstr(ch->config, "\nCONFIG_LD_IS_LLD=y")) {
		char *m2 = xasprintf("%s LD=ld.lld", mk);
		free(mk);
		mk = m2;
	}
	return mk;
}

/* the runner: patches, PRE_BUILD, MAKE, POST_BUILD; 1 when it failed (reported) */
static int run_make(struct child *ch)
{
	struct build_job *j = ch->j;
	_cleanup_free_ char *mk = make_command(ch);
	_cleanup_free_ char *stfile = xasprintf("%s/make.status", j->tree);
	if (!mk || !stfile)
		return -ENOMEM;
	size_t na = 18 + ch->c.patches.n, a = 0;
	_cleanup_free_ char **argv = calloc(na + 1, sizeof(char *));
	if (!argv)
		return -ENOMEM;
	char *fixed[] = {"bash",
	                 "--norc",
	                 "--noprofile",
	                 "-c",
	                 (char *)runner,
	                 "bash",
	                 (char *)ch->bpath,
	                 mk,
	                 ch->c.pre_build ? ch->c.pre_build : "",
	                 ch->c.post_build ? ch->c.post_build : "",
	                 j->kver,
	                 j->arch,
	                 ch->ksrc,
	                 (char *)ch->dkms_tree,
	                 SOURCE_TREE,
	                 ch->c.name,
	                 ch->c.version,
	                 stfile};
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		argv[a++] = fixed[i];
	for (size_t i = 0; i < ch->c.patches.n; i++)
		argv[a++] = ch->c.patches.v[i];
	int st = run_argv(argv, ch->bpath, -1, ch->logfd);
	if (st == 0)
		return 0;
	_cleanup_free_ char *ms = NULL, *m = NULL;
	size_t len;
	if (st == 94 && read_file(stfile, 64, &ms, &len) == 0)
		m = xasprintf("make failed (exit status %d)", atoi(ms));
	else
		m = xasprintf("%s (status %d)",
		              st == 91 || st == 92 ? "a patch did not apply" : "the build failed",
		              st);
	return finish(ch, BUILD_FAILED, m) + 1;
}

/* every BUILT_MODULE there, kept next to the log (the build dir may be cleaned), stripped, signed
 */
static int keep_modules(struct child *ch)
{
	const struct dkms_conf *c = &ch->c;
	_cleanup_free_ char *moddir = xasprintf("%s/module", ch->j->tree);
	_cleanup_free_ char *why_not = NULL;
	struct ctmod_build_signer sg;
	if (!moddir)
		return -ENOMEM;
	mkdir_p(moddir, 0755);
	int r = ctmod_build_signer_load(ch->ctx, ch->o, ch->j->kver, ch->config, &sg, &why_not);
	if (r < 0)
		return r;
	if (why_not)
		dprintf(ch->logfd, "%s\n", why_not);
	for (size_t i = 0; r == 0 && i < c->n_mods; i++) {
		if (ch->skip[i])
			continue;
		_cleanup_free_ char *ko = xasprintf(
		    "%s/%s%s.ko", ch->bdir, c->mods[i].built_location, c->mods[i].built_name);
		_cleanup_free_ char *dst = xasprintf("%s/%s.ko", moddir, c->mods[i].dest_name);
		if (!ko || !exists(ko)) {
			_cleanup_free_ char *m =
			    xasprintf("make did not produce %s%s.ko", c->mods[i].built_location,
			              c->mods[i].built_name);
			r = finish(ch, BUILD_FAILED, m) + 1;
			break;
		}
		char *cpk[] = {"cp", "--", ko, dst, NULL};
		if (run_argv(cpk, NULL, -1, ch->logfd) != 0)
			r = finish(ch, BUILD_FAILED, "cannot keep the built modules") + 1;
		else if (ctmod_build_finish_module(ch->ctx, dst, c->mods[i].strip, &sg, ch->logfd) <
		         0)
			r = finish(ch, BUILD_FAILED, ctmod_ctx_error(ch->ctx)) + 1;
	}
	ctmod_build_signer_release(&sg);
	return r;
}

/*
 * PRE_INSTALL, POST_INSTALL: run from the source directory as DKMS runs
 * them; their output goes to the log and to TREE/scripts.out, which the
 * caller shows (DKMS shows it on the terminal).  Returns the exit status.
 */
static int run_script(struct child *ch, const char *what, const char *script)
{
	_cleanup_free_ char *out = xasprintf("%s/scripts.out", ch->j->tree);
	_cleanup_free_ char *cmd = xasprintf("cd \"$1\" || exit 15; r=./${2%%%% *}; "
	                                     "[ -x \"$r\" ] || { echo \"Warning: The %s script is "
	                                     "not executable.\"; exit 0; }; exec ./$2",
	                                     what);
	if (!out || !cmd)
		return -ENOMEM;
	int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0)
		dprintf(fd, "Running the %s script:\n", what);
	dprintf(ch->logfd, "running the %s script\n", what);
	char *argv[] = {"bash", "-c", cmd, "bash", ch->j->src, (char *)script, NULL};
	int st =
	    run_process(argv, ch->j->src, -1, fd >= 0 ? fd : ch->logfd, fd >= 0 ? fd : ch->logfd);
	if (fd >= 0) {
		_cleanup_free_ char *txt = NULL;
		size_t len;
		close(fd);
		if (read_file(out, 1 << 20, &txt, &len) == 0 && len)
			dprintf(ch->logfd, "%s", txt);
	}
	return st;
}

/* PRE_INSTALL, then each module stripped, signed, compressed into the stage, POST_INSTALL */
static int install(struct child *ch)
{
	struct build_job *j = ch->j;
	const struct dkms_conf *c = &ch->c;
	if (c->pre_install && run_script(ch, "pre_install", c->pre_install) != 0)
		return finish(ch, BUILD_FAILED, "pre_install failed, aborting install") + 1;
	_cleanup_free_ char *moddir = xasprintf("%s/module", j->tree);
	_cleanup_free_ char *live = xasprintf("%s/lib/modules/%s/updates/dkms", ch->root, j->kver);
	_cleanup_free_ char *udir = j->modstage ? xasprintf("%s/updates/dkms", j->modstage) : NULL;
	if (!moddir || !live || !udir || mkdir_p(udir, 0755) < 0) {
		_cleanup_free_ char *m = xasprintf("install: cannot create %s: %m", live);
		return finish(ch, BUILD_FAILED, m) + 1;
	}
	const char *suffix = ctmod_build_compress_suffix(ch->ctx, j->kver);
	int r = 0;
	for (size_t i = 0; r == 0 && i < c->n_mods; i++) {
		if (ch->skip[i])
			continue;
		_cleanup_free_ char *ko = xasprintf("%s/%s.ko", moddir, c->mods[i].dest_name);
		char *inst = NULL;
		r = ctmod_build_install_module(ch->ctx, ko, udir, live, c->mods[i].dest_name,
		                               suffix, ch->logfd, &inst);
		if (r == 0)
			strv_push_take(&j->installed, inst);
	}
	if (r < 0)
		return finish(ch, BUILD_FAILED, ctmod_ctx_error(ch->ctx)) + 1;
	if (c->post_install)
		run_script(ch, "post_install", c->post_install);
	return 0;
}

/* a setup failure (no copy, no namespace, ...): said in the log too, which is this run's */
static void setup_failed(struct child *ch, int r)
{
	struct ctmod_ctx *ctx = ch->ctx;
	_cleanup_free_ char *m = xasprintf(
	    "%s%s%s", ctmod_ctx_error(ctx) ? ctmod_ctx_error(ctx) : strerror(-r),
	    ctmod_ctx_hint(ctx) ? ": " : "", ctmod_ctx_hint(ctx) ? ctmod_ctx_hint(ctx) : "");
	dprintf(ch->logfd, "ctmod: %s\n", m);
	finish(ch, BUILD_FAILED, m);
}

void ctmod_build_child(struct ctmod_ctx *ctx, const struct build_opts *o, const char *root,
                       struct build_job *j, int logfd, int resfd)
{
	struct child ch = {
	    .ctx = ctx, .o = o, .root = root, .j = j, .resfd = resfd, .logfd = logfd};
	ch.bdir = xasprintf("%s/build", j->tree);
	ch.dkms_build = xasprintf(DKMS_TREE "/%s/%s/build", j->name, j->version);
	int r = !ch.bdir || !ch.dkms_build ? -ENOMEM : prepare_tree(&ch);
	if (r == 0)
		r = enter(&ch);
	if (r == 0)
		r = read_conf(&ch);
	if (r == 0)
		r = run_make(&ch);
	if (r == 0)
		r = keep_modules(&ch);
	if (r == 0 && o->install)
		r = install(&ch);
	if (r == 0) {
		if (o->clean && ch.c.clean) {
			char *cl[] = {"bash", "-c", ch.c.clean, NULL};
			run_argv(cl, ch.bpath, -1, ch.logfd);
		}
		r = finish(&ch, BUILD_OK, NULL);
	}
	if (r < 0)
		setup_failed(&ch, r);
	child_release(&ch);
}
