// SPDX-License-Identifier: LGPL-2.1-or-later
/* The engine command line of `build --container`, and running it (container.h). */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"

static const char *const engines[] = {"docker", "podman", "system-docker"};

static void push_bind(struct strv *out, const char *src, const char *dst, bool ro)
{
	_cleanup_free_ char *v = NULL;
	if (asprintf(&v, "%s:%s%s", src, dst, ro ? ":ro" : "") < 0)
		abort();
	strv_push(out, "-v");
	strv_push(out, v);
}

/*
 * The root's trees at their own paths.  An engine creates a missing bind
 * source (docker, as an empty root-owned directory) or refuses it (podman):
 * the ctmod tree is created before the run, /etc/dkms is left out when absent.
 */
static void push_tree_binds(struct ctmod_container *c, const char *r)
{
	static const char *const trees[] = {"/usr/src", "/lib/modules", CTMOD_TREE, "/etc/dkms"};
	for (size_t i = 0; i < ARRAY_SIZE(trees); i++) {
		_cleanup_free_ char *src = NULL;
		if (asprintf(&src, "%s%s", r, trees[i]) < 0)
			abort();
		if (strcmp(trees[i], "/etc/dkms") == 0 && access(src, F_OK) < 0)
			continue;
		if (strcmp(trees[i], CTMOD_TREE) == 0)
			strv_push(&c->mkdirs, src);
		push_bind(&c->argv, src, trees[i], false);
	}
}

/*
 * Debian's linux-headers-KVER/scripts and tools are relative links into
 * /usr/lib/linux-kbuild-X.Y, which the image does not have: each of the
 * root's kbuild directories goes in read-only.
 */
static void push_kbuild_binds(struct strv *out, const char *r)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/usr/lib", r) < 0)
		abort();
	struct strv kb;
	strv_init(&kb);
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (strncmp(de->d_name, "linux-kbuild-", 13) == 0)
				strv_push(&kb, de->d_name);
		closedir(d);
	}
	strv_sort(&kb);
	for (size_t i = 0; i < kb.n; i++) {
		_cleanup_free_ char *src = NULL, *dst = NULL;
		if (asprintf(&src, "%s/usr/lib/%s", r, kb.v[i]) < 0 ||
		    asprintf(&dst, "/usr/lib/%s", kb.v[i]) < 0)
			abort();
		push_bind(out, src, dst, true);
	}
	strv_release(&kb);
}

/* DIR made absolute (it need not exist yet), malloc'd */
static char *absolute(const char *dir)
{
	char cwd[PATH_MAX], *p;
	if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		p = strdup(dir);
	else if (asprintf(&p, "%s/%s", cwd, dir) < 0)
		p = NULL;
	if (!p)
		abort();
	return p;
}

/* one source argument: inside the root's /usr/src it is seen there, elsewhere bound as is */
static void push_source(struct ctmod_container *c, struct strv *args, const char *r,
                        const char *arg)
{
	char sp[PATH_MAX];
	if (arg[0] == '-' || !realpath(arg, sp)) {
		strv_push(args, arg); /* NAME/VERSION, or an option */
		return;
	}
	char pre[PATH_MAX + 16];
	snprintf(pre, sizeof(pre), "%s/usr/src/", r);
	if (strncmp(sp, pre, strlen(pre)) == 0) {
		_cleanup_free_ char *in = NULL;
		if (asprintf(&in, "/usr/src/%s", sp + strlen(pre)) < 0)
			abort();
		strv_push(args, in);
		return;
	}
	push_bind(&c->argv, sp, sp, true);
	strv_push(args, sp);
}

/* build's arguments as the inner ctmod gets them (--json goes in as a global option) */
static void translate_args(struct ctmod_container *c, const char *r, int argc, char **argv,
                           struct strv *args)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--container") == 0) {
			i++;
			continue;
		}
		if (strncmp(a, "--container=", 12) == 0 || strcmp(a, "-n") == 0 ||
		    strcmp(a, "--dry-run") == 0 || strcmp(a, "-v") == 0 ||
		    strcmp(a, "--verbose") == 0 || strcmp(a, "--json") == 0)
			continue;
		const char *layout = NULL;
		if (strcmp(a, "--image-layout") == 0 && i + 1 < argc)
			layout = argv[++i];
		else if (strncmp(a, "--image-layout=", 15) == 0)
			layout = a + 15;
		if (layout) {
			_cleanup_free_ char *abs = absolute(layout);
			strv_push(&c->mkdirs, abs);
			push_bind(&c->argv, abs, abs, false);
			strv_push(args, "--image-layout");
			strv_push(args, abs);
			continue;
		}
		push_source(c, args, r, a);
	}
}

int ctmod_container_plan(struct ctmod_ctx *ctx, const char *spec, const char *kver, bool json,
                         int argc, char **argv, struct ctmod_container *c)
{
	memset(c, 0, sizeof(*c));
	strv_init(&c->argv);
	strv_init(&c->mkdirs);
	const char *colon = strchr(spec, ':');
	c->engine = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
	c->image = strdup(colon && colon[1] ? colon + 1 : CTMOD_CONTAINER_IMAGE);
	if (!c->engine || !c->image)
		abort();
	bool known = false;
	for (size_t i = 0; i < ARRAY_SIZE(engines); i++)
		known |= strcmp(c->engine, engines[i]) == 0;
	if (!known)
		return ctmod_fail_input(ctx, -EINVAL, "use docker, podman or system-docker",
		                        "--container: unknown engine '%s'", c->engine);
	const char *root = ctmod_ctx_root(ctx);
	char rp[PATH_MAX];
	const char *r = *root ? (realpath(root, rp) ? rp : root) : "";

	strv_push(&c->argv, c->engine);
	strv_push(&c->argv, "run");
	strv_push(&c->argv, "--rm");
	strv_push(&c->argv, "--privileged");
	push_tree_binds(c, r);
	push_kbuild_binds(&c->argv, r);
	struct strv args;
	strv_init(&args);
	translate_args(c, r, argc, argv, &args);
	/* whatever the image's ENTRYPOINT: ctmod's own, a shell, none */
	strv_push(&c->argv, "--entrypoint");
	strv_push(&c->argv, "ctmod");
	strv_push(&c->argv, c->image);
	if (kver) {
		strv_push(&c->argv, "-S");
		strv_push(&c->argv, kver);
	}
	if (json)
		strv_push(&c->argv, "--json");
	strv_push(&c->argv, "build");
	for (size_t i = 0; i < args.n; i++)
		strv_push(&c->argv, args.v[i]);
	strv_release(&args);
	return 0;
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		_cleanup_free_ char *f = NULL;
		if (asprintf(&f, "%.*s/%s", (int)n, n ? p : ".", prog) < 0)
			abort();
		if (access(f, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/*
 * mkdir -p each of dirs, recording in made every directory it created,
 * parents first, so that a failed run can remove them again; *failed is
 * the one that could not be made.
 */
static int make_dirs(const struct strv *dirs, struct strv *made, const char **failed)
{
	for (size_t i = 0; i < dirs->n; i++) {
		_cleanup_free_ char *p = strdup(dirs->v[i]);
		if (!p)
			abort();
		for (char *s = p + 1;; s++) {
			bool end = *s == '\0';
			if (*s != '/' && !end)
				continue;
			*s = '\0';
			if (mkdir(p, 0755) == 0)
				strv_push(made, p);
			else if (errno != EEXIST) {
				*failed = dirs->v[i];
				return -errno;
			}
			if (end)
				break;
			*s = '/';
		}
	}
	return 0;
}

int ctmod_container_run(struct ctmod_ctx *ctx, struct ctmod_container *c, int *status)
{
	*status = 0;
	if (!in_path(c->engine))
		return ctmod_fail(ctx, -ENOENT, "install it or use another engine",
		                  "--container: %s: not found in PATH", c->engine);
	char *inspect[] = {c->engine, "inspect", "--type=image", c->image, NULL};
	int st = run_process(inspect, NULL, -1, -1, -1);
	if (st != 0)
		return ctmod_fail(ctx, -ENOENT,
		                  "`make image` builds localhost/ctmod, or pull or load the image",
		                  "--container: no image '%s' in %s's store", c->image, c->engine);
	struct strv made;
	strv_init(&made);
	const char *failed = NULL;
	int r = make_dirs(&c->mkdirs, &made, &failed);
	if (r < 0) {
		for (size_t i = made.n; i-- > 0;)
			rmdir(made.v[i]);
		strv_release(&made);
		return ctmod_fail(ctx, r, NULL, "--container: cannot create %s: %s", failed,
		                  strerror(-r));
	}
	fflush(NULL);
	st = run_process(c->argv.v, NULL, 0, 1, 2);
	/* a container that did not build leaves no empty directories behind */
	for (size_t i = made.n; st != 0 && i-- > 0;)
		rmdir(made.v[i]);
	strv_release(&made);
	if (st < 0)
		return ctmod_fail(ctx, st, NULL, "--container: cannot run %s: %s", c->engine,
		                  strerror(-st));
	*status = st;
	if (st == 127)
		return ctmod_fail(ctx, -EIO, "use an image with ctmod installed (`make image`)",
		                  "--container: %s: the image '%s' has no ctmod in PATH", c->engine,
		                  c->image);
	if (st > 2)
		return ctmod_fail(ctx, -EIO, "see the engine's message above",
		                  "--container: %s could not run the build in '%s' (status %d)",
		                  c->engine, c->image, st);
	return 0;
}

void ctmod_container_release(struct ctmod_container *c)
{
	free(c->engine);
	free(c->image);
	strv_release(&c->argv);
	strv_release(&c->mkdirs);
	c->engine = c->image = NULL;
}
