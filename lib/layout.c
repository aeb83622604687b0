// SPDX-License-Identifier: LGPL-2.1-or-later
#include "layout.h"
#include "image-deps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "depmod.h"

/* a built module is at most this big; Debian's largest in-tree .ko is ~20 MiB */
#define MAX_MODULE (256u << 20)

static int copy_file(struct ctmod_ctx *ctx, const char *from, const char *to)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = read_file(from, MAX_MODULE, &data, &len);
	if (r < 0)
		return ctmod_fail(ctx, r, NULL, "image layout: cannot read %s: %s", from,
		                  strerror(-r));
	r = write_file_atomic(to, data, len, 0644);
	if (r < 0)
		return ctmod_fail(ctx, r, "check the space and permissions there",
		                  "image layout: cannot write %s: %s", to, strerror(-r));
	return 0;
}

/* the .ko files a build kept in TREE/module (stripped and signed by the build) into dest */
static int add_job(struct ctmod_ctx *ctx, const struct build_job *j, const char *dest,
                   size_t *count)
{
	_cleanup_free_ char *mdir = NULL;
	if (asprintf(&mdir, "%s/module", j->tree) < 0)
		return -ENOMEM;
	DIR *d = opendir(mdir);
	if (!d)
		return ctmod_fail(ctx, -errno, "build it again", "image layout: %s: %m", mdir);
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 3, ".ko") != 0 || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *from = NULL, *to = NULL;
		if (asprintf(&from, "%s/%s", mdir, de->d_name) < 0 ||
		    asprintf(&to, "%s/%s", dest, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		/* the build kept it stripped (STRIP[#]) and signed: a strip here would drop the
		 * signature */
		if ((r = copy_file(ctx, from, to)) < 0)
			break;
		(*count)++;
	}
	closedir(d);
	return r;
}

/* what depmod -b wants from the kernel besides the modules themselves */
static int add_kernel_files(struct ctmod_ctx *ctx, const char *kver, const char *dest)
{
	static const char *const files[] = {"modules.builtin", "modules.builtin.modinfo",
	                                    "modules.order"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *from = ctmod_path(ctx, "/lib/modules/%s/%s", kver, files[i]);
		_cleanup_free_ char *to = NULL;
		if (!from || asprintf(&to, "%s/%s", dest, files[i]) < 0)
			return -ENOMEM;
		if (access(from, R_OK) < 0)
			continue;
		int r = copy_file(ctx, from, to);
		if (r < 0)
			return r;
	}
	return 0;
}

/* stage/lib/modules/KVER becomes dir/lib/modules/KVER in one step */
static int swap_in(struct ctmod_ctx *ctx, const char *staged, const char *final)
{
	if (renameat2(AT_FDCWD, staged, AT_FDCWD, final, RENAME_EXCHANGE) == 0)
		return rm_rf(staged);
	if (errno == ENOENT && rename(staged, final) == 0)
		return 0;
	return ctmod_fail(ctx, -errno, NULL, "image layout: cannot put %s in place: %m", final);
}

static int layout_kernel(struct ctmod_ctx *ctx, const struct build_plan *plan, const char *dir,
                         const char *kver, size_t *count)
{
	_cleanup_free_ char *stage = NULL, *sdir = NULL, *final = NULL, *parent = NULL;
	if (asprintf(&stage, "%s/.ctmod-layout-%s", dir, kver) < 0 ||
	    asprintf(&sdir, "%s/lib/modules/%s", stage, kver) < 0 ||
	    asprintf(&parent, "%s/lib/modules", dir) < 0 ||
	    asprintf(&final, "%s/%s", parent, kver) < 0)
		return -ENOMEM;
	int r = rm_rf(stage);
	if (r < 0)
		return ctmod_fail(ctx, r, NULL, "image layout: cannot clear %s: %s", stage,
		                  strerror(-r));
	if (mkdir_p(sdir, 0755) < 0 || mkdir_p(parent, 0755) < 0)
		return ctmod_fail(ctx, -errno, NULL, "image layout: mkdir under %s: %m", dir);
	for (size_t i = 0; r == 0 && i < plan->n; i++) {
		const struct build_job *j = &plan->jobs[i];
		if ((j->state == BUILD_OK || j->state == BUILD_ALREADY) &&
		    strcmp(j->kver, kver) == 0)
			r = add_job(ctx, j, sdir, count);
	}
	size_t ndeps = 0; /* the in-tree modules they need, so a bare node loads them */
	if (r == 0)
		r = ctmod_image_deps_add(ctx, kver, sdir, &ndeps);
	if (r == 0 && ndeps)
		INFO(ctx, "image layout: %zu in-tree modules they need", ndeps);
	if (r == 0)
		r = add_kernel_files(ctx, kver, sdir);
	if (r == 0) {
		r = ctmod_depmod_run(ctx, stage, kver, "no image layout was written");
	}
	if (r == 0)
		r = swap_in(ctx, sdir, final);
	rm_rf(stage);
	return r;
}

int ctmod_layout_write(struct ctmod_ctx *ctx, const struct build_plan *plan, const char *dir,
                       size_t *count)
{
	*count = 0;
	struct strv kvers;
	strv_init(&kvers);
	for (size_t i = 0; i < plan->n; i++)
		if ((plan->jobs[i].state == BUILD_OK || plan->jobs[i].state == BUILD_ALREADY) &&
		    !strv_contains(&kvers, plan->jobs[i].kver))
			strv_push(&kvers, plan->jobs[i].kver);
	int r = 0;
	for (size_t i = 0; r == 0 && i < kvers.n; i++)
		r = layout_kernel(ctx, plan, dir, kvers.v[i], count);
	strv_release(&kvers);
	return r;
}
