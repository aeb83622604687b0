// SPDX-License-Identifier: LGPL-2.1-or-later
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compress.h"
#include "depmod.h"
#include "dkms.h"
#include "extract.h"
#include "rootlock.h"
#include "sandbox.h"

const char *build_state_name(enum build_state s)
{
	switch (s) {
	case BUILD_PENDING:
		return "pending";
	case BUILD_OK:
		return "ok";
	case BUILD_SKIPPED:
		return "skipped";
	case BUILD_FAILED:
		return "failed";
	case BUILD_BROKEN:
		return "broken";
	case BUILD_REMOVED:
		return "removed";
	}
	return "?";
}

/* ---- small process helpers ------------------------------------------- */

/* argv's stdout and stderr both to outfd (a build's log), -1: /dev/null */
static int run_argv(char *const argv[], const char *cwd, int in, int outfd)
{
	return run_process(argv, cwd, in, outfd, outfd);
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* ---- kernels and headers ---------------------------------------------- */

/* ROOT/lib/modules/K/build resolved under the root (its link is absolute) */
static char *headers_dir(struct ctmod_ctx *ctx, const char *kver)
{
	_cleanup_free_ char *link = ctmod_path(ctx, "/lib/modules/%s/build", kver);
	char target[PATH_MAX];
	if (!link)
		return NULL;
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return strdup(link);
	target[n] = '\0';
	if (target[0] == '/')
		return ctmod_path(ctx, "%s", target);
	return ctmod_path(ctx, "/lib/modules/%s/%s", kver, target);
}

static bool has_headers(struct ctmod_ctx *ctx, const char *kver)
{
	_cleanup_free_ char *h = headers_dir(ctx, kver);
	_cleanup_free_ char *mk = h ? xasprintf("%s/Makefile", h) : NULL;
	return mk && exists(mk);
}

int build_check_headers(struct ctmod_ctx *ctx, const char *kver)
{
	if (has_headers(ctx, kver))
		return 0;
	const char *root = ctmod_ctx_root(ctx);
	char hint[1024];
	snprintf(hint, sizeof(hint),
	         "deploy them with: ctmod%s%s -S %s install linux-headers-%s.deb (or a headers "
	         "tarball/URL)",
	         *root ? " --root " : "", root, kver, kver);
	return ctmod_fail(
	    ctx, -ENOENT, hint,
	    "no kernel headers for %s under %s/lib/modules/%s/build (kernel source for "
	    "this kernel does not seem to be installed)",
	    kver, *root ? root : "", kver);
}

int build_kernels(struct ctmod_ctx *ctx, struct strv *out)
{
	_cleanup_free_ char *dir = ctmod_path(ctx, "/lib/modules");
	DIR *d = dir ? opendir(dir) : NULL;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' && has_headers(ctx, de->d_name))
				strv_push(out, de->d_name);
		closedir(d);
	}
	if (out->n == 0) {
		const char *root = ctmod_ctx_root(ctx);
		return ctmod_fail(ctx, -ENOENT, "deploy headers with ctmod install",
		                  "no kernel with headers under %s/lib/modules", root);
	}
	strv_sort(out);
	return 0;
}

/* ---- sources ----------------------------------------------------------- */

int build_find_source(struct ctmod_ctx *ctx, const char *arg, char **src)
{
	char rp[PATH_MAX];
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", arg);
	if (conf && exists(conf) && realpath(arg, rp)) {
		*src = strdup(rp);
		return *src ? 0 : -ENOMEM;
	}
	/* NAME/VERSION -> ROOT/usr/src/NAME-VERSION */
	const char *slash = strchr(arg, '/');
	if (slash && slash != arg && slash[1] && !strchr(slash + 1, '/') && arg[0] != '.') {
		_cleanup_free_ char *d =
		    ctmod_path(ctx, "/usr/src/%.*s-%s", (int)(slash - arg), arg, slash + 1);
		_cleanup_free_ char *c = d ? xasprintf("%s/dkms.conf", d) : NULL;
		if (c && exists(c) && realpath(d, rp)) {
			*src = strdup(rp);
			return *src ? 0 : -ENOMEM;
		}
		return ctmod_fail_input(ctx, -ENOENT,
		                        "unpack the source there, or give its directory",
		                        "%s: no %s", arg, d ? d : "source");
	}
	return ctmod_fail_input(ctx, -ENOENT, "give a source directory or NAME/VERSION",
	                        "%s: no dkms.conf there", arg);
}

static void default_env(struct ctmod_ctx *ctx, struct dkms_env *env, const char *kver,
                        const char *arch, char *ksrc, size_t ksz)
{
	memset(env, 0, sizeof(*env));
	snprintf(ksrc, ksz, "/lib/modules/%s/build", kver);
	env->root = ctmod_ctx_root(ctx);
	env->kernelver = kver;
	env->arch = arch;
	env->kernel_source_dir = ksrc;
	env->dkms_tree = DKMS_TREE;
	env->source_tree = SOURCE_TREE;
}

/* NAME-VERSION from a source directory's name: DKMS's module/module_version */
static void guess_name(const char *src, char **name, char **version)
{
	const char *b = strrchr(src, '/');
	b = b ? b + 1 : src;
	const char *dash = strrchr(b, '-');
	if (dash && dash != b) {
		*name = strndup(b, (size_t)(dash - b));
		*version = strdup(dash + 1);
	} else {
		*name = strdup(b);
		*version = strdup("");
	}
}

int build_autoinstall_sources(struct ctmod_ctx *ctx, const char *kver, struct strv *out)
{
	_cleanup_free_ char *dir = ctmod_path(ctx, "/usr/src");
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *src = xasprintf("%s/%s", dir, de->d_name);
		_cleanup_free_ char *conf = src ? xasprintf("%s/dkms.conf", src) : NULL;
		if (!conf || !exists(conf))
			continue;
		struct dkms_env env;
		char ksrc[512];
		struct dkms_conf c;
		_cleanup_free_ char *n = NULL, *v = NULL;
		guess_name(src, &n, &v);
		default_env(ctx, &env, kver, ctmod_arch(), ksrc, sizeof(ksrc));
		env.name = n;
		env.version = v;
		if (dkms_conf_eval(ctx, &env, conf, src, -1, &c) < 0) {
			/* a broken one is still listed: the build reports it */
			ctmod_ctx_clear_error(ctx);
			strv_push(out, src);
			continue;
		}
		if (c.autoinstall)
			strv_push(out, src);
		dkms_conf_free(&c);
	}
	closedir(d);
	strv_sort(out);
	return 0;
}

/* ---- the plan ---------------------------------------------------------- */

static void job_free(struct build_job *j)
{
	free(j->src);
	free(j->name);
	free(j->version);
	free(j->kver);
	free(j->arch);
	free(j->tree);
	free(j->log);
	free(j->msg);
	strv_release(&j->depends);
	strv_release(&j->installed);
	strv_release(&j->dep_binds);
	free(j->modstage);
}

void build_plan_free(struct build_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		job_free(&plan->jobs[i]);
	free(plan->jobs);
	free(plan->root);
	memset(plan, 0, sizeof(*plan));
}

int build_plan_make(struct ctmod_ctx *ctx, const struct build_opts *o, const struct strv *srcs,
                    const struct strv *kvers, struct build_plan *plan)
{
	const char *arch = o->arch ? o->arch : ctmod_arch();
	const char *root = ctmod_ctx_root(ctx);
	char rp[PATH_MAX];
	memset(plan, 0, sizeof(*plan));
	plan->root = strdup(*root ? (realpath(root, rp) ? rp : root) : "");
	plan->jobs = calloc(srcs->n * kvers->n + 1, sizeof(*plan->jobs));
	if (!plan->jobs || !plan->root)
		return -ENOMEM;
	for (size_t s = 0; s < srcs->n; s++) {
		const char *src = srcs->v[s];
		_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", src);
		_cleanup_free_ char *gn = NULL, *gv = NULL;
		guess_name(src, &gn, &gv);
		/* metadata (name, version, BUILD_DEPENDS) from the first kernel */
		struct dkms_env env;
		char ksrc[512];
		struct dkms_conf c;
		default_env(ctx, &env, kvers->v[0], arch, ksrc, sizeof(ksrc));
		env.name = gn;
		env.version = gv;
		int r = dkms_conf_eval(ctx, &env, conf, src, -1, &c);
		char *broken = NULL;
		if (r < 0) {
			if (r == -ENOMEM)
				return r;
			broken = xasprintf("%s%s%s", ctmod_ctx_error(ctx),
			                   ctmod_ctx_hint(ctx) ? ": " : "",
			                   ctmod_ctx_hint(ctx) ? ctmod_ctx_hint(ctx) : "");
			ctmod_ctx_clear_error(ctx);
		}
		for (size_t k = 0; k < kvers->n; k++) {
			struct build_job *j = &plan->jobs[plan->n++];
			j->src = strdup(src);
			j->name = strdup(r < 0 ? gn : c.name);
			j->version = strdup(r < 0 ? gv : c.version);
			j->kver = strdup(kvers->v[k]);
			j->arch = strdup(arch);
			j->tree = xasprintf("%s" CTMOD_TREE "/%s/%s/%s/%s", plan->root, j->name,
			                    j->version, j->kver, arch);
			j->log = j->tree ? xasprintf("%s/make.log", j->tree) : NULL;
			if (r == 0)
				for (size_t d = 0; d < c.build_depends.n; d++)
					strv_push(&j->depends, c.build_depends.v[d]);
			if (broken) {
				j->state = BUILD_BROKEN;
				j->msg = strdup(broken);
			}
			if (!j->src || !j->name || !j->version || !j->kver || !j->arch ||
			    !j->tree || !j->log) {
				free(broken);
				if (r == 0)
					dkms_conf_free(&c);
				return -ENOMEM;
			}
		}
		free(broken);
		if (r == 0)
			dkms_conf_free(&c);
	}
	return 0;
}

/* ---- one build, in a forked child -------------------------------------- */

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

static const char *compress_suffix(struct ctmod_ctx *ctx, const char *kver)
{
	/* as DKMS: the suffix of the modules already in modules.dep */
	_cleanup_free_ char *dep = ctmod_path(ctx, "/lib/modules/%s/modules.dep", kver);
	_cleanup_fclose_ FILE *f = dep ? fopen(dep, "re") : NULL;
	char line[4096];
	if (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		if (c) {
			*c = '\0';
			const struct compression *z = compression_by_suffix(line);
			return z ? z->suffix : "";
		}
	}
	/* no modules.dep yet: the kernel's configuration says */
	_cleanup_free_ char *h = headers_dir(ctx, kver);
	_cleanup_free_ char *cfg = h ? xasprintf("%s/.config", h) : NULL;
	_cleanup_free_ char *txt = NULL;
	size_t len;
	const struct compression *z = NULL;
	if (cfg && read_file(cfg, 16u << 20, &txt, &len) == 0)
		z = compression_by_config(txt);
	return z ? z->suffix : "";
}

/* Module signing, when ROOT/etc/dkms/framework.conf names a key and certificate */
struct signer {
	char *key, *cert, *tool, *hash;
};

static void signer_free(struct signer *sg)
{
	free(sg->key);
	free(sg->cert);
	free(sg->tool);
	free(sg->hash);
}

/* framework.conf is bash, like dkms.conf: bash reads it */
static int signer_load(struct ctmod_ctx *ctx, const char *ksrc, const char *config,
                       struct signer *sg)
{
	memset(sg, 0, sizeof(*sg));
	_cleanup_free_ char *fw = ctmod_path(ctx, "/etc/dkms/framework.conf");
	if (!fw || !exists(fw))
		return 0;
	char tmpl[] = "/tmp/ctmod-sign.XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return ctmod_fail(ctx, -errno, NULL, "mkstemp: %m");
	unlink(tmpl);
	char *argv[] = {"bash",
	                "--norc",
	                "--noprofile",
	                "-c",
	                ". \"$1\" >/dev/null 2>&1; printf '%s\\n%s\\n%s\\n' "
	                "\"$mok_signing_key\" \"$mok_certificate\" \"$sign_file\" >&3",
	                "bash",
	                fw,
	                NULL};
	struct spawn_opts so = SPAWN_OPTS_INIT;
	so.fd3 = fd;
	spawn_run(argv, &so);
	char buf[3 * PATH_MAX] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	char *save = NULL, *key = strtok_r(buf, "\n", &save);
	char *cert = key ? strtok_r(NULL, "\n", &save) : NULL;
	char *tool = cert ? strtok_r(NULL, "\n", &save) : NULL;
	if (!key || !cert || !*key || !*cert)
		return 0; /* not configured: unsigned, as the kernel allows */
	sg->key = ctmod_path(ctx, "%s", key);
	sg->cert = ctmod_path(ctx, "%s", cert);
	sg->tool = tool && *tool ? strdup(tool) : xasprintf("%s/scripts/sign-file", ksrc);
	const char *h = config ? strstr(config, "\nCONFIG_MODULE_SIG_HASH=\"") : NULL;
	sg->hash = h ? strndup(h + 25, strcspn(h + 25, "\"")) : strdup("sha512");
	if (!sg->key || !sg->cert || !sg->tool || !sg->hash)
		return -ENOMEM;
	if (!exists(sg->key) || !exists(sg->cert))
		return ctmod_fail(ctx, -ENOENT, "fix mok_signing_key/mok_certificate",
		                  "%s: signing key %s or certificate %s missing", fw, sg->key,
		                  sg->cert);
	return 0;
}

/* copy, strip, sign, compress, rename: one module into dir */
static int install_module(struct ctmod_ctx *ctx, const char *built, const char *dir,
                          const char *live, const char *dest_name, bool strip,
                          const struct signer *sg, const char *suffix, int logfd, char **installed)
{
	_cleanup_free_ char *tmp = xasprintf("%s/.%s.ko.ctmod-tmp", dir, dest_name);
	_cleanup_free_ char *ztmp = xasprintf("%s/.%s.ko%s.ctmod-tmp", dir, dest_name, suffix);
	_cleanup_free_ char *final = xasprintf("%s/%s.ko%s", dir, dest_name, suffix);
	if (!tmp || !ztmp || !final)
		return -ENOMEM;
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = read_file(built, 256u << 20, &data, &len);
	if (r < 0)
		return ctmod_fail(ctx, r, "build it again", "install: cannot read %s: %s", built,
		                  strerror(-r));
	if ((r = write_file_atomic(tmp, data, len, 0644)) < 0)
		return ctmod_fail(
		    ctx, r, "free some space or fix the target; nothing was installed",
		    "install: cannot write %s/%s.ko: %s", live, dest_name, strerror(-r));
	if (strip) {
		char *st[] = {"strip", "-g", tmp, NULL};
		if (run_argv(st, NULL, -1, logfd) != 0) {
			unlink(tmp);
			return ctmod_fail(ctx, -EIO, "install binutils, or free some space there",
			                  "install: strip -g %s failed", built);
		}
	}
	if (sg && sg->key) {
		char *sf[] = {sg->tool, sg->hash, sg->key, sg->cert, tmp, NULL};
		if (run_argv(sf, NULL, -1, logfd) != 0) {
			unlink(tmp);
			return ctmod_fail(ctx, -EIO, "check the key, certificate and sign-file",
			                  "install: %s could not sign %s", sg->tool, built);
		}
	}
	const char *src = tmp;
	if (*suffix) {
		const struct compression *z = compression_by_suffix(suffix);
		_cleanup_strv_ struct strv argv = STRV_INIT;
		for (size_t i = 0; z->compress_argv[i]; i++)
			strv_push(&argv, z->compress_argv[i]);
		strv_push(&argv, tmp);
		int fd = open(ztmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return ctmod_fail(ctx, -errno, NULL, "install: %s: %m", ztmp);
		struct spawn_opts so = SPAWN_OPTS_INIT;
		so.out = fd;
		so.err = logfd;
		int st = spawn_run(argv.v, &so);
		close(fd);
		unlink(tmp);
		if (st != 0) {
			unlink(ztmp);
			return ctmod_fail(ctx, -EIO, NULL, "install: %s compression of %s failed",
			                  argv.v[0], built);
		}
		src = ztmp;
	}
	if (rename(src, final) < 0) {
		int e = -errno;
		unlink(src);
		return ctmod_fail(ctx, e, NULL, "install: rename to %s: %s", final, strerror(-e));
	}
	/* the name it has once the staged directory is in place */
	*installed = xasprintf("%s/%s.ko%s", live, dest_name, suffix);
	return *installed ? 0 : -ENOMEM;
}

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
static int write_state(struct build_job *j)
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
	              inst->n ? "installed" : "built", j->src, build_state_name(j->state),
	              j->seconds);
	for (size_t i = 0; i < inst->n; i++)
		strbuf_printf(&sb, "installed=%s\n", inst->v[i]);
	int r = write_file_atomic(p, strbuf_str(&sb), sb.len, 0644);
	strbuf_release(&sb);
	strv_release(&kept);
	return r;
}

/* What the child tells the parent: "STATE\tmessage\n" then installed files. */
static void child_result(struct build_job *j, enum build_state s, const char *msg, int fd)
{
	dprintf(fd, "%s\t%s\n", build_state_name(s), msg ? msg : "");
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

static int child_build(struct ctmod_ctx *ctx, const struct build_opts *o, const char *root,
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
	default_env(ctx, &env, j->kver, j->arch, ksrc, sizeof(ksrc));
	env.root = root;
	env.dkms_tree = dkms_tree;
	env.name = j->name;
	env.version = j->version;
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", bdir);
	if ((r = dkms_conf_eval(ctx, &env, conf, bdir, logfd, &c)) < 0) {
		child_result(j, BUILD_BROKEN, ctmod_ctx_error(ctx), resfd);
		return 0;
	}
	_cleanup_free_ char *config = NULL;
	read_config(ksrc, &config);
	char *why = NULL;
	if (dkms_excluded(&c, j->kver, j->arch, config, &why) == 1) {
		dprintf(logfd, "skipped: %s\n", why);
		child_result(j, BUILD_SKIPPED, why, resfd);
		free(why);
		dkms_conf_free(&c);
		rm_rf(bdir);
		return 0;
	}
	/* without our jobserver (one build at a time), DKMS's -jN */
	_cleanup_free_ char *mk = dkms_make_command(&c, &env, o->no_sandbox ? o->jobs : 0);
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
		dkms_conf_free(&c);
		return -ENOMEM;
	}
	size_t na = 17 + c.patches.n;
	char **argv = calloc(na + 1, sizeof(char *));
	if (!argv) {
		dkms_conf_free(&c);
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
		child_result(j, BUILD_FAILED, m, resfd);
		dkms_conf_free(&c);
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
			child_result(j, BUILD_FAILED, m, resfd);
			dkms_conf_free(&c);
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
			child_result(j, BUILD_FAILED, "cannot keep the built modules", resfd);
			dkms_conf_free(&c);
			return 0;
		}
	}
	if (o->install) {
		_cleanup_free_ char *live =
		    xasprintf("%s/lib/modules/%s/updates/dkms", root, j->kver);
		_cleanup_free_ char *udir =
		    j->modstage ? xasprintf("%s/updates/dkms", j->modstage) : NULL;
		const char *suffix = compress_suffix(ctx, j->kver);
		struct signer sg;
		if (signer_load(ctx, ksrc, config, &sg) < 0) {
			child_result(j, BUILD_FAILED, ctmod_ctx_error(ctx), resfd);
			signer_free(&sg);
			dkms_conf_free(&c);
			return 0;
		}
		if (!live || !udir || mkdir_p(udir, 0755) < 0) {
			_cleanup_free_ char *m = xasprintf("install: cannot create %s: %m", live);
			child_result(j, BUILD_FAILED, m, resfd);
			dkms_conf_free(&c);
			return 0;
		}
		for (size_t i = 0; i < c.n_mods; i++) {
			_cleanup_free_ char *ko =
			    xasprintf("%s/%s.ko", moddir, c.mods[i].dest_name);
			char *inst = NULL;
			if (install_module(ctx, ko, udir, live, c.mods[i].dest_name,
			                   c.mods[i].strip, &sg, suffix, logfd, &inst) < 0) {
				child_result(j, BUILD_FAILED, ctmod_ctx_error(ctx), resfd);
				signer_free(&sg);
				dkms_conf_free(&c);
				return 0;
			}
			strv_push_take(&j->installed, inst);
		}
		signer_free(&sg);
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
	child_result(j, BUILD_OK, NULL, resfd);
	dkms_conf_free(&c);
	return 0;
}

/* ---- the scheduler ----------------------------------------------------- */

static bool deps_done(struct build_plan *plan, struct build_job *j, struct build_job **failed)
{
	*failed = NULL;
	for (size_t d = 0; d < j->depends.n; d++)
		for (size_t i = 0; i < plan->n; i++) {
			struct build_job *o = &plan->jobs[i];
			if (o == j || strcmp(o->kver, j->kver) != 0 ||
			    strcmp(o->arch, j->arch) != 0 || strcmp(o->name, j->depends.v[d]) != 0)
				continue;
			if (o->state == BUILD_PENDING)
				return false;
			if (o->state != BUILD_OK)
				*failed = o;
		}
	/* the dependencies' trees, where their dkms.conf files expect them */
	strv_release(&j->dep_binds);
	for (size_t d = 0; d < j->depends.n; d++)
		for (size_t i = 0; i < plan->n; i++) {
			struct build_job *o = &plan->jobs[i];
			if (o == j || o->state != BUILD_OK || strcmp(o->kver, j->kver) != 0 ||
			    strcmp(o->arch, j->arch) != 0 || strcmp(o->name, j->depends.v[d]) != 0)
				continue;
			strv_push_take(&j->dep_binds, xasprintf("%s/build", o->tree));
			strv_push_take(&j->dep_binds,
			               xasprintf(DKMS_TREE "/%s/%s/build", o->name, o->version));
		}
	return true;
}

struct running {
	struct build_job *job;
	int resfd; /* read end of the child's result pipe */
	double start;
};

static void collect(struct build_job *j, int fd)
{
	struct strbuf sb;
	char buf[4096];
	ssize_t n;
	strbuf_init(&sb);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_putn(&sb, buf, (size_t)n);
	close(fd);
	char *s = (char *)strbuf_str(&sb);
	char *nl = strchr(s, '\n');
	j->state = BUILD_FAILED;
	if (!nl) {
		free(j->msg);
		j->msg = strdup("the build process died");
		strbuf_release(&sb);
		return;
	}
	*nl = '\0';
	char *tab = strchr(s, '\t');
	if (tab) {
		*tab = '\0';
		for (int k = BUILD_PENDING; k <= BUILD_REMOVED; k++)
			if (strcmp(s, build_state_name(k)) == 0)
				j->state = k;
		free(j->msg);
		j->msg = tab[1] ? strdup(tab + 1) : NULL;
	}
	for (char *l = nl + 1; *l;) {
		char *e = strchr(l, '\n');
		if (e)
			*e = '\0';
		if (*l)
			strv_push(&j->installed, l);
		if (!e)
			break;
		l = e + 1;
	}
	strbuf_release(&sb);
}

/* start j in run[s]; the child frees its copy of run, which it never uses */
static int start_job(struct ctmod_ctx *ctx, struct build_opts *o, const char *root,
                     struct build_job *j, struct running *run, size_t s)
{
	struct running *slot = &run[s];
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return ctmod_fail(ctx, -errno, NULL, "pipe: %m");
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return ctmod_fail(ctx, -errno, NULL, "fork: %m");
	}
	if (pid == 0) {
		close(pfd[0]);
		free(run);
		int r = child_build(ctx, o, root, j, pfd[1]);
		if (r < 0) {
			char m[1024];
			snprintf(m, sizeof(m), "%s%s%s",
			         ctmod_ctx_error(ctx) ? ctmod_ctx_error(ctx) : strerror(-r),
			         ctmod_ctx_hint(ctx) ? ": " : "",
			         ctmod_ctx_hint(ctx) ? ctmod_ctx_hint(ctx) : "");
			child_result(j, BUILD_FAILED, m, pfd[1]);
		}
		_exit(0);
	}
	close(pfd[1]);
	j->pid = pid;
	slot->job = j;
	slot->resfd = pfd[0];
	slot->start = now_seconds();
	return 0;
}

/* the files an --install put in place, removed from the staged copy of lib/modules/KVER */
static int uninstall_job(struct ctmod_ctx *ctx, const char *root, struct build_job *j)
{
	_cleanup_free_ char *live = xasprintf("%s/lib/modules/%s/", root, j->kver);
	if (!live)
		return -ENOMEM;
	_cleanup_free_ char *p = xasprintf("%s/state", j->tree);
	_cleanup_free_ char *txt = NULL;
	size_t len;
	if (!p || read_file(p, 1 << 20, &txt, &len) < 0) {
		j->state = BUILD_SKIPPED;
		j->msg = strdup("not built");
		return 0;
	}
	bool any = false;
	for (char *l = txt; l && *l;) {
		char *e = strchr(l, '\n');
		if (e)
			*e = '\0';
		if (strncmp(l, "installed=", 10) == 0) {
			const char *f = l + 10;
			_cleanup_free_ char *staged =
			    j->modstage && !strncmp(f, live, strlen(live))
			        ? xasprintf("%s/%s", j->modstage, f + strlen(live))
			        : NULL;
			if (unlink(staged ? staged : f) < 0 && errno != ENOENT)
				return ctmod_fail(ctx, -errno, NULL, "uninstall: %s: %m", f);
			strv_push(&j->installed, l + 10);
			any = true;
		}
		l = e ? e + 1 : NULL;
	}
	if (!any) {
		j->state = BUILD_SKIPPED;
		j->msg = strdup("not installed");
		return 0;
	}
	j->state = BUILD_REMOVED; /* recorded once the directory is in place */
	/* POST_REMOVE runs from the source, as DKMS's does */
	struct dkms_env env;
	char ksrc[512];
	struct dkms_conf c;
	default_env(ctx, &env, j->kver, j->arch, ksrc, sizeof(ksrc));
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", j->src);
	if (conf && dkms_conf_eval(ctx, &env, conf, j->src, -1, &c) == 0) {
		if (c.post_remove) {
			_cleanup_free_ char *cmd = xasprintf("exec ./%s", c.post_remove);
			char *pr[] = {"bash", "-c", cmd, NULL};
			run_argv(pr, j->src, -1, -1);
		}
		dkms_conf_free(&c);
	}
	ctmod_ctx_clear_error(ctx);
	return 0;
}

static int run_plan(struct ctmod_ctx *ctx, struct build_opts *o, struct build_plan *plan)
{
	int r = 0;
	if (o->jobs <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		o->jobs = n > 0 ? (int)n : 1;
	}
	if (o->uninstall) {
		for (size_t i = 0; r == 0 && i < plan->n; i++)
			if (plan->jobs[i].state == BUILD_PENDING)
				r = uninstall_job(ctx, plan->root, &plan->jobs[i]);
		return r;
	}

	/*
	 * One jobserver for every make: jobs-1 tokens in a pipe, plus the
	 * implicit one the first running build holds.  Each further build
	 * takes a token for itself (read through a non-blocking open file
	 * description of its own, so the makes' blocking reads are not
	 * disturbed) and gives it back when it ends.
	 */
	int jp[2] = {-1, -1}, nb = -1;
	int parallel = o->no_sandbox ? 1 : o->jobs;
	if (parallel > 1) {
		if (pipe(jp) < 0)
			return ctmod_fail(ctx, -errno, NULL, "pipe: %m");
		for (int i = 0; i < o->jobs - 1; i++)
			if (write(jp[1], "+", 1) != 1)
				break;
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", jp[0]);
		nb = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (nb < 0) {
			close(jp[0]);
			close(jp[1]);
			return ctmod_fail(ctx, -errno, NULL, "jobserver: %s: %m", p);
		}
		char mf[128];
		snprintf(mf, sizeof(mf), " -j%d --jobserver-auth=%d,%d", o->jobs, jp[0], jp[1]);
		setenv("MAKEFLAGS", mf, 1);
	} else {
		unsetenv("MAKEFLAGS");
	}
	unsetenv("MAKELEVEL");
	unsetenv("MFLAGS");

	struct running *run = calloc((size_t)parallel, sizeof(*run));
	if (!run)
		return -ENOMEM;
	size_t nrun = 0;
	for (;;) {
		/* start what may start */
		bool progress = true, want_token = false;
		while (progress && nrun < (size_t)parallel) {
			progress = false;
			for (size_t i = 0; i < plan->n && nrun < (size_t)parallel; i++) {
				struct build_job *j = &plan->jobs[i];
				struct build_job *bad;
				if (j->state != BUILD_PENDING || j->pid)
					continue;
				if (!deps_done(plan, j, &bad))
					continue;
				if (bad) {
					j->state = BUILD_FAILED;
					j->msg =
					    xasprintf("BUILD_DEPENDS %s/%s %s", bad->name,
					              bad->version, build_state_name(bad->state));
					progress = true;
					continue;
				}
				bool token = false;
				if (nrun > 0) {
					char t;
					if (read(nb, &t, 1) != 1) {
						want_token = true; /* all in use: wait */
						break;
					}
					token = true;
				}
				size_t s = 0;
				while (run[s].job)
					s++;
				if ((r = start_job(ctx, o, plan->root, j, run, s)) < 0) {
					if (token && write(jp[1], "+", 1) != 1)
						r = -EIO;
					goto out;
				}
				j->token = token;
				nrun++;
				progress = true;
			}
		}
		if (nrun == 0)
			break;
		/* wait for a build to end, or a token to come back */
		int st;
		pid_t pid = waitpid(-1, &st, want_token ? WNOHANG : 0);
		if (pid == 0) {
			struct pollfd pf = {.fd = nb, .events = POLLIN};
			poll(&pf, 1, 50);
			continue;
		}
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			r = ctmod_fail(ctx, -errno, NULL, "waitpid: %m");
			goto out;
		}
		for (int s = 0; s < parallel; s++) {
			struct build_job *j = run[s].job;
			if (!j || j->pid != pid)
				continue;
			collect(j, run[s].resfd);
			j->seconds = now_seconds() - run[s].start;
			/* an install is recorded once its directory is in place */
			if ((j->state == BUILD_OK && !j->installed.n) || j->state == BUILD_FAILED)
				write_state(j);
			if (j->token && write(jp[1], "+", 1) != 1)
				r = -EIO;
			j->token = false;
			run[s].job = NULL;
			nrun--;
		}
	}
out:
	/* on a setup failure, let the started builds end before returning */
	while (nrun > 0) {
		int st;
		pid_t pid = waitpid(-1, &st, 0);
		if (pid < 0 && errno != EINTR)
			break;
		for (int s = 0; s < parallel; s++)
			if (run[s].job && run[s].job->pid == pid) {
				collect(run[s].job, run[s].resfd);
				run[s].job = NULL;
				nrun--;
			}
	}
	free(run);
	if (nb >= 0) {
		close(nb);
		close(jp[0]);
		close(jp[1]);
	}
	unsetenv("MAKEFLAGS");
	if (r < 0)
		return r;

	for (size_t i = 0; i < plan->n; i++)
		if (plan->jobs[i].state == BUILD_FAILED || plan->jobs[i].state == BUILD_BROKEN)
			return 1;
	return 0;
}

/* ---- the install transaction ------------------------------------------ */

/* NAME of the directory FROM copied into TO, its mode kept */
static int copy_at(int from, int to, const char *name, mode_t mode)
{
	int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out = in < 0 ? -1 : openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int r = in < 0 || out < 0 ? -errno : 0;
	char buf[1 << 16];
	ssize_t n;
	while (r == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
		ssize_t w = n < 0 ? -1 : write(out, buf, (size_t)n);
		if (w != n)
			r = w < 0 ? -errno : -EIO;
	}
	if (r == 0 && fchmod(out, mode & 07777) < 0)
		r = -errno;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && r == 0)
		r = -errno;
	return r;
}

/*
 * The directory TO (made) holding what FROM holds, its files hard links;
 * with copy, FROM's own files copied instead (depmod's indexes: a depmod
 * that rewrote them in place would write through a link).
 */
static int link_tree(int from, int to, bool copy)
{
	DIR *d = fdopendir(dup(from));
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		const char *n = de->d_name;
		struct stat st;
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (copy && S_ISREG(st.st_mode)) {
			r = copy_at(from, to, n, st.st_mode);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (linkat(from, n, to, n, 0) < 0)
				r = -errno;
			continue;
		}
		if (mkdirat(to, n, 0700) < 0 || fchmodat(to, n, st.st_mode & 07777, 0) < 0) {
			r = -errno;
			break;
		}
		int a = openat(from, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int b = openat(to, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = a < 0 || b < 0 ? -errno : link_tree(a, b, false);
		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
	}
	closedir(d);
	return r;
}

/* the staging directories an install killed on this root left in ROOT/lib/modules */
static void remove_stale_stages(struct ctmod_ctx *ctx, const char *root)
{
	_cleanup_free_ char *dir = xasprintf("%s/lib/modules", root);
	DIR *d = dir ? opendir(dir) : NULL;
	struct strv stale;
	strv_init(&stale);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, ".ctmod-build.", 13))
			strv_push_take(&stale, xasprintf("%s/%s", dir, de->d_name));
	if (d)
		closedir(d);
	for (size_t i = 0; i < stale.n; i++) {
		INFO(ctx, "removing %s, left by an interrupted install", stale.v[i]);
		rm_rf(stale.v[i]);
	}
	strv_release(&stale);
}

/* --install swaps ROOT/lib/modules/KVER whole: it cannot be a mount point */
#define MOUNT_HINT                                                                                 \
	"ROOT/lib/modules/KVER is a mount point of its own: mount ROOT/lib/modules as a whole "    \
	"(-v /lib/modules:/lib/modules)"

/*
 * ROOT/lib/modules/KVER copied as STAGE/lib/modules/KVER (STAGE made next to
 * it, in ROOT/lib/modules): directories made, the modules hard-linked, the
 * files at the top (depmod's indexes) copied.  The modules go in there,
 * depmod -b STAGE indexes them, and the copy is exchanged with the original.
 */
static int stage_kernel(struct ctmod_ctx *ctx, const char *root, const char *kver, char **stage)
{
	_cleanup_free_ char *live = xasprintf("%s/lib/modules/%s", root, kver);
	_cleanup_free_ char *lm = NULL, *farm = NULL;
	*stage = xasprintf("%s/lib/modules/.ctmod-build.XXXXXX", root);
	if (!live || !*stage)
		return -ENOMEM;
	const char *hint = "check that the root is writable and has space";
	struct stat st;
	int r = 0;
	bool made = false;
	if (stat(live, &st) < 0 || !S_ISDIR(st.st_mode)) {
		r = ctmod_fail(ctx, -ENOTDIR, NULL, "install: %s is not a directory", live);
		goto fail;
	}
	if (!mkdtemp(*stage)) {
		r = ctmod_fail(ctx, -errno, hint, "install: cannot stage %s: %m", live);
		goto fail;
	}
	made = true;
	lm = xasprintf("%s/lib/modules", *stage);
	farm = xasprintf("%s/lib/modules/%s", *stage, kver);
	if (!lm || !farm) {
		r = -ENOMEM;
		goto fail;
	}
	int a = -1, b = -1;
	if (mkdir_p(lm, 0755) < 0 || mkdir(farm, 0700) < 0 || chmod(farm, st.st_mode & 07777) < 0 ||
	    (a = open(live, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (b = open(farm, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = -errno;
	else
		r = link_tree(a, b, true);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (r < 0) {
		/* the copy is made of hard links: KVER must share its parent's file system */
		r = ctmod_fail(ctx, r, r == -EXDEV ? MOUNT_HINT : hint,
		               "install: cannot stage %s in %s: %s", live, *stage, strerror(-r));
		goto fail;
	}
	return 0;
fail:
	if (made)
		rm_rf(*stage);
	free(*stage);
	*stage = NULL;
	return r;
}

/* an empty STAGE/lib/modules/KVER (STAGE in ROOT/lib/modules) the builds install into */
static int scratch_kernel(struct ctmod_ctx *ctx, const char *root, const char *kver, char **stage)
{
	_cleanup_free_ char *live = xasprintf("%s/lib/modules/%s", root, kver);
	_cleanup_free_ char *dir = NULL;
	*stage = xasprintf("%s/lib/modules/.ctmod-build.XXXXXX", root);
	if (!live || !*stage)
		return -ENOMEM;
	if (!mkdtemp(*stage)) {
		int r = ctmod_fail(ctx, -errno, "check that the root is writable and has space",
		                   "install: cannot stage %s: %m", live);
		free(*stage);
		*stage = NULL;
		return r;
	}
	dir = xasprintf("%s/lib/modules/%s", *stage, kver);
	if (!dir || mkdir_p(dir, 0755) < 0) {
		int r = ctmod_fail(ctx, -errno, "check that the root has space",
		                   "install: cannot stage %s: %m", live);
		rm_rf(*stage);
		free(*stage);
		*stage = NULL;
		return r;
	}
	return 0;
}

/*
 * With SCRATCH (what the builds installed): a copy of ROOT/lib/modules/KVER
 * made now, so that nothing that changed there while they built is lost,
 * with SCRATCH's files moved in.  Else STAGE is that copy already (with
 * --uninstall's files removed).  Then depmod on the copy, and the copy in
 * place of the original in one rename.
 */
static int commit_kernel(struct ctmod_ctx *ctx, const char *root, const char *kver,
                         const char *scratch, const char *stage)
{
	_cleanup_free_ char *live = xasprintf("%s/lib/modules/%s", root, kver);
	_cleanup_free_ char *snap = NULL, *from = NULL, *farm = NULL;
	int r;
	if (!live)
		return -ENOMEM;
	if (scratch) {
		if ((r = stage_kernel(ctx, root, kver, &snap)) < 0)
			return r;
		stage = snap;
		from = xasprintf("%s/lib/modules/%s", scratch, kver);
	}
	farm = xasprintf("%s/lib/modules/%s", stage, kver);
	if (!farm || (scratch && !from)) {
		r = -ENOMEM;
		goto out;
	}
	if (scratch) {
		int a = open(from, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int b = open(farm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = a < 0 || b < 0 ? ctmod_fail(ctx, -errno, NULL, "install: %s: %m", farm)
		                   : ctmod_tree_merge(ctx, a, b, "", false, live, NULL);
		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
		if (r < 0)
			goto out;
	}
	if ((r = ctmod_depmod_run(ctx, stage, kver, "nothing was installed")) < 0)
		goto out;
	r = 0;
	if (renameat2(AT_FDCWD, farm, AT_FDCWD, live, RENAME_EXCHANGE) < 0) {
		int e = -errno;
		/* EBUSY: KVER is a mount point of its own; EINVAL: no RENAME_EXCHANGE */
		r = ctmod_fail(ctx, e,
		               e == -EBUSY || e == -EXDEV
		                   ? MOUNT_HINT
		                   : "the file system must support renameat2(RENAME_EXCHANGE)",
		               "install: cannot put %s in place: %s; nothing was installed", live,
		               strerror(-e));
	}
out:
	if (snap)
		rm_rf(snap); /* what was there before, or what never went in */
	return r;
}

int build_run(struct ctmod_ctx *ctx, struct build_opts *o, struct build_plan *plan)
{
	if (!o->install && !o->uninstall)
		return run_plan(ctx, o, plan);
	int lock = ctmod_rootlock_take(ctx, plan->root);
	if (lock < 0)
		return lock;
	remove_stale_stages(ctx, plan->root);
	/* a staged copy of each kernel's directory (--uninstall: those still there) */
	struct strv kv, stages, done;
	strv_init(&kv);
	strv_init(&stages);
	strv_init(&done);
	int r = 0;
	for (size_t i = 0; r == 0 && i < plan->n; i++) {
		const char *k = plan->jobs[i].kver;
		_cleanup_free_ char *live = xasprintf("%s/lib/modules/%s", plan->root, k);
		char *st;
		if (plan->jobs[i].state != BUILD_PENDING || strv_contains(&kv, k) ||
		    (o->uninstall && live && !exists(live)))
			continue;
		if ((r = (o->install ? scratch_kernel : stage_kernel)(ctx, plan->root, k, &st)) < 0)
			break;
		strv_push(&kv, k);
		strv_push_take(&stages, st);
		for (size_t n = 0; n < plan->n; n++)
			if (!strcmp(plan->jobs[n].kver, k))
				plan->jobs[n].modstage = xasprintf("%s/lib/modules/%s", st, k);
	}
	if (r == 0)
		r = run_plan(ctx, o, plan);
	for (size_t k = 0; k < stages.n; k++) {
		bool any = false;
		for (size_t i = 0; i < plan->n; i++)
			any |=
			    !strcmp(plan->jobs[i].kver, kv.v[k]) &&
			    (plan->jobs[i].installed.n > 0 || plan->jobs[i].state == BUILD_REMOVED);
		int c = r >= 0 && any ? commit_kernel(ctx, plan->root, kv.v[k],
		                                      o->install ? stages.v[k] : NULL, stages.v[k])
		                      : 0;
		if (c < 0)
			r = c;
		else if (r >= 0 && any)
			strv_push(&done, kv.v[k]);
		rm_rf(stages.v[k]);
	}
	/* the records, once the directories are in place */
	for (size_t i = 0; i < plan->n; i++) {
		struct build_job *j = &plan->jobs[i];
		bool in_place =
		    strv_contains(&done, j->kver) || (r >= 0 && !strv_contains(&kv, j->kver));
		if (o->install && j->installed.n) {
			if (!in_place)
				strv_release(&j->installed); /* not in place: built only */
			write_state(j);
		} else if (j->state == BUILD_REMOVED && in_place) {
			struct build_job gone = *j;
			strv_init(&gone.installed);
			gone.state = BUILD_OK;
			write_state(&gone);
		}
	}
	strv_release(&kv);
	strv_release(&stages);
	strv_release(&done);
	close(lock);
	return r;
}

char *build_log_tail(const char *log, int lines)
{
	_cleanup_free_ char *txt = NULL;
	size_t len;
	if (read_file(log, 64u << 20, &txt, &len) < 0)
		return NULL;
	while (len && txt[len - 1] == '\n')
		txt[--len] = '\0';
	const char *p = txt + len;
	int n = 0;
	while (p > txt) {
		if (p[-1] == '\n' && ++n == lines)
			break;
		p--;
	}
	return strdup(p);
}

/* ---- status ------------------------------------------------------------ */

static int push_status(struct build_status **out, size_t *n, const char *name, const char *ver,
                       const char *kver, const char *arch, const char *state, const char *detail)
{
	struct build_status *v = realloc(*out, (*n + 1) * sizeof(**out));
	if (!v)
		return -ENOMEM;
	*out = v;
	struct build_status *s = &v[(*n)++];
	s->name = strdup(name);
	s->version = strdup(ver);
	s->kver = kver ? strdup(kver) : NULL;
	s->arch = arch ? strdup(arch) : NULL;
	s->state = state;
	s->detail = detail ? strdup(detail) : NULL;
	return 0;
}

static int list_dir(const char *path, struct strv *out)
{
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(out, de->d_name);
	closedir(d);
	strv_sort(out);
	return 0;
}

int build_status_list(struct ctmod_ctx *ctx, struct build_status **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct strv seen;
	strv_init(&seen);
	_cleanup_free_ char *top = ctmod_path(ctx, CTMOD_TREE);
	struct strv names;
	strv_init(&names);
	if (top)
		list_dir(top, &names);
	for (size_t a = 0; a < names.n; a++) {
		_cleanup_free_ char *nd = xasprintf("%s/%s", top, names.v[a]);
		struct strv vers;
		strv_init(&vers);
		list_dir(nd, &vers);
		for (size_t b = 0; b < vers.n; b++) {
			_cleanup_free_ char *vd = xasprintf("%s/%s", nd, vers.v[b]);
			struct strv kvs;
			strv_init(&kvs);
			list_dir(vd, &kvs);
			for (size_t k = 0; k < kvs.n; k++) {
				_cleanup_free_ char *kd = xasprintf("%s/%s", vd, kvs.v[k]);
				struct strv arches;
				strv_init(&arches);
				list_dir(kd, &arches);
				for (size_t x = 0; x < arches.n; x++) {
					_cleanup_free_ char *sp =
					    xasprintf("%s/%s/state", kd, arches.v[x]);
					_cleanup_free_ char *txt = NULL;
					size_t len;
					if (!sp || read_file(sp, 1 << 20, &txt, &len) < 0)
						continue;
					if (strstr(txt, "result=failed"))
						continue;
					const char *st =
					    strstr(txt, "state=installed") ? "installed" : "built";
					push_status(out, n, names.v[a], vers.v[b], kvs.v[k],
					            arches.v[x], st, NULL);
					_cleanup_free_ char *id =
					    xasprintf("%s/%s", names.v[a], vers.v[b]);
					if (id && !strv_contains(&seen, id))
						strv_push(&seen, id);
				}
				strv_release(&arches);
			}
			strv_release(&kvs);
		}
		strv_release(&vers);
	}
	strv_release(&names);

	/* sources nobody built yet: added, or broken when bash cannot read them */
	_cleanup_free_ char *srcdir = ctmod_path(ctx, "/usr/src");
	struct strv srcs;
	strv_init(&srcs);
	if (srcdir)
		list_dir(srcdir, &srcs);
	const char *kver = NULL;
	if (ctmod_ctx_kver(ctx, &kver) < 0) {
		ctmod_ctx_clear_error(ctx);
		kver = ctmod_running_kver();
	}
	for (size_t i = 0; i < srcs.n; i++) {
		_cleanup_free_ char *src = xasprintf("%s/%s", srcdir, srcs.v[i]);
		_cleanup_free_ char *conf = src ? xasprintf("%s/dkms.conf", src) : NULL;
		if (!conf || !exists(conf))
			continue;
		_cleanup_free_ char *gn = NULL, *gv = NULL;
		guess_name(src, &gn, &gv);
		struct dkms_env env;
		char ksrc[512];
		struct dkms_conf c;
		default_env(ctx, &env, kver, ctmod_arch(), ksrc, sizeof(ksrc));
		env.name = gn;
		env.version = gv;
		if (dkms_conf_eval(ctx, &env, conf, src, -1, &c) < 0) {
			push_status(out, n, gn, gv, NULL, NULL, "broken", ctmod_ctx_error(ctx));
			ctmod_ctx_clear_error(ctx);
			continue;
		}
		_cleanup_free_ char *id = xasprintf("%s/%s", c.name, c.version);
		if (id && !strv_contains(&seen, id))
			push_status(out, n, c.name, c.version, NULL, NULL, "added", NULL);
		dkms_conf_free(&c);
	}
	strv_release(&srcs);
	strv_release(&seen);
	return 0;
}

void build_status_free(struct build_status *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(st[i].name);
		free(st[i].version);
		free(st[i].kver);
		free(st[i].arch);
		free(st[i].detail);
	}
	free(st);
}
