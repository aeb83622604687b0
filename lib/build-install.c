// SPDX-License-Identifier: LGPL-2.1-or-later
/* The lib/modules transaction: a staged copy of lib/modules/KVER, depmod, one rename */
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

#include "depmod.h"
#include "extract.h"
#include "rootlock.h"

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

void ctmod_build_opts_release(struct build_opts *o)
{
	free(o->sign_key);
	free(o->sign_cert);
	free(o->sign_file);
	o->sign_key = o->sign_cert = o->sign_file = NULL;
	for (int i = 0; i < 2; i++)
		if (o->sign_fds[i] > 0)
			close(o->sign_fds[i]);
	o->sign_fds[0] = o->sign_fds[1] = 0;
}

int ctmod_build_run(struct ctmod_ctx *ctx, struct build_opts *o, struct build_plan *plan)
{
	/* the key is made here, once, before builds run in parallel */
	if (!o->uninstall) {
		int r = ctmod_build_signing_prepare(ctx, o);
		if (r < 0)
			return r;
		ctmod_build_skip_done(ctx, o, plan);
		ctmod_build_refuse_older(o, plan);
	}
	if (!o->install && !o->uninstall)
		return ctmod_build_run_plan(ctx, o, plan);
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
		r = ctmod_build_run_plan(ctx, o, plan);
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
			ctmod_build_write_state(j);
			if (in_place)
				ctmod_build_demote_others(plan->root, j);
		} else if (j->state == BUILD_REMOVED && in_place) {
			struct build_job gone = *j;
			strv_init(&gone.installed);
			gone.state = BUILD_OK;
			ctmod_build_write_state(&gone);
		}
	}
	strv_release(&kv);
	strv_release(&stages);
	strv_release(&done);
	close(lock);
	return r;
}
