// SPDX-License-Identifier: LGPL-2.1-or-later
/* The kernel modules a module-loader image's built modules need (image-deps.h). */
#include "image-deps.h"

#include <dirent.h>
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* an in-tree module is at most this big; Debian's largest is ~20 MiB */
#define MAX_MODULE (256u << 20)

/* the built modules: NAME.ko directly in dir, by normalized name */
static int built_modules(struct ctmod_ctx *ctx, const char *dir, struct strv *paths,
                         struct strv *names)
{
	DIR *d = opendir(dir);
	if (!d)
		return ctmod_fail(ctx, -errno, NULL, "image layout: %s: %m", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 4 || de->d_name[0] == '.' || strcmp(de->d_name + n - 3, ".ko") != 0)
			continue;
		_cleanup_free_ char *p = NULL;
		char name[256];
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
			abort();
		snprintf(name, sizeof(name), "%.*s", (int)(n - 3), de->d_name);
		modname_normalize(name, name, sizeof(name));
		strv_push(paths, p);
		strv_push(names, name);
	}
	closedir(d);
	strv_sort(paths);
	return 0;
}

/* provider and everything modules.dep says it needs, as paths under the tree */
static void add_provider(struct kmod_module *prov, const struct strv *built, struct strv *need)
{
	char name[256];
	modname_normalize(kmod_module_get_name(prov), name, sizeof(name));
	if (strv_contains(built, name) || !kmod_module_get_path(prov))
		return;
	if (!strv_contains(need, kmod_module_get_path(prov)))
		strv_push(need, kmod_module_get_path(prov));
	struct kmod_list *deps = kmod_module_get_dependencies(prov), *l;
	kmod_list_foreach(l, deps)
	{
		struct kmod_module *m = kmod_module_get_module(l); /* a new reference */
		const char *p = kmod_module_get_path(m);
		if (p && !strv_contains(need, p))
			strv_push(need, p);
		kmod_module_unref(m);
	}
	kmod_module_unref_list(deps);
}

/* the in-tree modules exporting what the module at path leaves undefined */
static void add_needs(struct kmod_ctx *kctx, const char *path, const struct strv *built,
                      struct strv *need)
{
	struct kmod_module *mod = NULL;
	struct kmod_list *syms = NULL, *l;
	if (kmod_module_new_from_path(kctx, path, &mod) < 0)
		return;
	if (kmod_module_get_dependency_symbols(mod, &syms) < 0)
		syms = NULL;
	kmod_list_foreach(l, syms)
	{
		_cleanup_free_ char *alias = NULL;
		struct kmod_list *provs = NULL, *p;
		if (asprintf(&alias, "symbol:%s", kmod_module_dependency_symbol_get_symbol(l)) < 0)
			abort();
		if (kmod_module_new_from_lookup(kctx, alias, &provs) < 0)
			continue;
		kmod_list_foreach(p, provs)
		{
			struct kmod_module *m = kmod_module_get_module(p);
			add_provider(m, built, need);
			kmod_module_unref(m);
		}
		kmod_module_unref_list(provs);
	}
	kmod_module_dependency_symbols_free_list(syms);
	kmod_module_unref(mod);
}

static int copy_in(struct ctmod_ctx *ctx, const char *tree, const char *from, const char *dir)
{
	size_t n = strlen(tree);
	if (strncmp(from, tree, n) != 0 || from[n] != '/')
		return 0; /* not in the kernel's tree: depmod's own business */
	_cleanup_free_ char *to = NULL, *data = NULL;
	if (asprintf(&to, "%s/%s", dir, from + n + 1) < 0)
		abort();
	char *slash = strrchr(to, '/');
	*slash = '\0';
	int r = mkdir_p(to, 0755);
	*slash = '/';
	size_t len;
	if (r == 0)
		r = read_file(from, MAX_MODULE, &data, &len);
	if (r == 0)
		r = write_file_atomic(to, data, len, 0644);
	if (r < 0)
		return ctmod_fail(ctx, r, "check the space and permissions there",
		                  "image layout: cannot copy %s to %s: %s", from, to, strerror(-r));
	return 1;
}

int ctmod_image_deps_add(struct ctmod_ctx *ctx, const char *kver, const char *dir, size_t *count)
{
	*count = 0;
	_cleanup_free_ char *tree = ctmod_path(ctx, "/lib/modules/%s", kver);
	_cleanup_free_ char *index = ctmod_path(ctx, "/lib/modules/%s/modules.symbols.bin", kver);
	if (!tree || !index)
		abort();
	if (access(index, R_OK) < 0)
		return 0; /* no module tree for the kernel here: the built modules alone */
	const char *no_config[] = {NULL};
	struct kmod_ctx *kctx = kmod_new(tree, no_config);
	if (!kctx)
		return ctmod_fail(ctx, -ENOMEM, NULL, "image layout: cannot read %s", tree);
	struct strv paths, built, need;
	strv_init(&paths);
	strv_init(&built);
	strv_init(&need);
	int r = built_modules(ctx, dir, &paths, &built);
	for (size_t i = 0; r == 0 && i < paths.n; i++)
		add_needs(kctx, paths.v[i], &built, &need);
	strv_sort(&need);
	for (size_t i = 0; r >= 0 && i < need.n; i++)
		if ((r = copy_in(ctx, tree, need.v[i], dir)) > 0)
			(*count)++;
	kmod_unref(kctx);
	strv_release(&paths);
	strv_release(&built);
	strv_release(&need);
	return r < 0 ? r : 0;
}
