// SPDX-License-Identifier: LGPL-2.1-or-later
#include "headers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "depmod.h"
#include "extract.h"
#include "rootlock.h"
#include "sha256.h"

void ctmod_install_result_release(struct ctmod_install_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		free(res->src[i].source);
		free(res->src[i].package);
		free(res->src[i].version);
	}
	free(res->src);
	free(res->kver);
	free(res->headers);
	free(res->build);
	strv_release(&res->moved);
	memset(res, 0, sizeof(*res));
}

char *ctmod_install_template_expand(const char *tmpl, const char *kver, const char *arch)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = tmpl; *p;) {
		if (!strncmp(p, "{kver}", 6)) {
			strbuf_puts(&sb, kver);
			p += 6;
		} else if (!strncmp(p, "{arch}", 6)) {
			strbuf_puts(&sb, arch);
			p += 6;
		} else {
			strbuf_putc(&sb, *p++);
		}
	}
	return strbuf_steal(&sb);
}

int ctmod_install_conf_template(struct ctmod_ctx *ctx, char **out)
{
	*out = NULL;
	_cleanup_free_ char *path = ctmod_path(ctx, "/etc/ctmod/ctmod.conf");
	_cleanup_free_ char *data = NULL;
	if (!path)
		return -ENOMEM;
	int r = read_file(path, 1 << 20, &data, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return ctmod_fail(ctx, r, NULL, "%s: %s", path, strerror(-r));
	for (char *sp_line = NULL, *line = strtok_r(data, "\n", &sp_line); line;
	     line = strtok_r(NULL, "\n", &sp_line)) {
		line += strspn(line, " \t");
		if (strncmp(line, "headers-url", 11) != 0)
			continue;
		char *v = line + 11 + strspn(line + 11, " \t");
		if (*v != '=')
			continue;
		v++;
		v += strspn(v, " \t");
		rstrip(v);
		free(*out);
		*out = strdup(v);
		if (!*out)
			return -ENOMEM;
	}
	return 0;
}

char *ctmod_install_package_kver(const char *pkg)
{
	const char *k = NULL;
	if (!pkg)
		return NULL;
	if (!strncmp(pkg, "linux-headers-", 14))
		k = pkg + 14;
	else if (!strncmp(pkg, "linux-image-", 12))
		k = pkg + 12;
	/* a kernel release starts with a digit; -common and meta packages are not one */
	if (!k || *k < '0' || *k > '9')
		return NULL;
	size_t n = strlen(k);
	if (n > 7 && !strcmp(k + n - 7, "-common"))
		return NULL;
	if (n > 9 && !strcmp(k + n - 9, "-unsigned"))
		n -= 9;
	return strndup(k, n);
}

/* --- small file helpers relative to directory fds */

static bool exists_at(int rootfd, const char *rel)
{
	int fd = ctmod_tree_open(rootfd, rel, O_PATH);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool lexists_at(int rootfd, const char *rel)
{
	int fd = ctmod_tree_open(rootfd, rel, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool is_dir_at(int dirfd, const char *rel)
{
	struct stat st;
	return fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* the start of the file at REL (resolved inside rootfd) into buf, NUL-ended:
 * the bytes read, or -1 when it cannot be opened */
static ssize_t read_start_at(int rootfd, const char *rel, char *buf, size_t size)
{
	int fd = ctmod_tree_open(rootfd, rel, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* the first line of a small file, or NULL */
static char *first_line_at(int rootfd, const char *rel)
{
	char buf[256];
	if (read_start_at(rootfd, rel, buf, sizeof(buf)) <= 0)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	rstrip(buf);
	return buf[0] && !strchr(buf, '/') && strcmp(buf, "..") ? strdup(buf) : NULL;
}

/*
 * The release a kernel build tree at DIR was made for.  UTS_RELEASE first:
 * Debian's include/config/kernel.release holds the upstream version
 * (6.1.192), not the release (6.1.0-56-amd64).
 */
static char *tree_kver(int rootfd, const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%sinclude/generated/utsrelease.h", dir, *dir ? "/" : "");
	char buf[1024];
	if (read_start_at(rootfd, p, buf, sizeof(buf)) >= 0) {
		char *q = strstr(buf, "UTS_RELEASE");
		q = q ? strchr(q, '"') : NULL;
		char *e = q ? strchr(q + 1, '"') : NULL;
		if (e && e > q + 1 && !memchr(q + 1, '/', (size_t)(e - q - 1)))
			return strndup(q + 1, (size_t)(e - q - 1));
	}
	snprintf(p, sizeof(p), "%s%sinclude/config/kernel.release", dir, *dir ? "/" : "");
	return first_line_at(rootfd, p);
}

/* DIR/TARGET as a path relative to the root, "." and ".." folded, clamped at the top */
static char *lexical_join(const char *dir, const char *target)
{
	struct strbuf in;
	strbuf_init(&in);
	if (target[0] != '/') {
		strbuf_puts(&in, dir);
		strbuf_putc(&in, '/');
	}
	strbuf_puts(&in, target);
	char *s = strbuf_steal(&in);
	if (!s)
		return NULL;
	char *out = calloc(1, strlen(s) + 1);
	size_t o = 0;
	for (char *sp_tok = NULL, *tok = strtok_r(s, "/", &sp_tok); out && tok;
	     tok = strtok_r(NULL, "/", &sp_tok)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
			continue;
		}
		if (o)
			out[o++] = '/';
		strcpy(out + o, tok);
		o += strlen(tok);
	}
	free(s);
	return out;
}

/* --- the detected facts of one staged source */

struct staged {
	int fd;       /* the source's staging directory */
	char *top;    /* bare build tree: its directory inside fd ("" for fd itself) */
	bool modules; /* --extras without a lib/modules/KVER layout */
	struct strv kvers;
};

static bool bare_tree_at(int fd, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
#define HAS(name, test)                                                                            \
	(snprintf(p, sizeof(p), "%s%s%s", rel, *rel ? "/" : "", name),                             \
	 fstatat(fd, p, &st, 0) == 0 && test(st.st_mode))
	return HAS("Makefile", S_ISREG) && HAS("include", S_ISDIR) &&
	       (HAS("scripts", S_ISDIR) || HAS("Module.symvers", S_ISREG));
#undef HAS
}

/* k (taken; NULL: none) among the releases a source is for */
static void add_kver(struct strv *sv, char *k)
{
	if (k && !strv_contains(sv, k))
		strv_push_take(sv, k);
	else
		free(k);
}

/* a tarball of one directory holding the build tree: that directory (taken) */
static char *single_tree_dir(int fd)
{
	DIR *d = fdopendir(dup(fd));
	struct dirent *de;
	int n = 0;
	char *only = NULL;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		n++;
		free(only);
		only = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (n == 1 && only && is_dir_at(fd, only) && bare_tree_at(fd, only))
		return only;
	free(only);
	return NULL;
}

/* the lib/modules/KVER directories of a staged source */
static void kvers_from_modules(struct staged *st, bool extras)
{
	int mfd = ctmod_tree_open(st->fd, "lib/modules", O_RDONLY | O_DIRECTORY);
	if (mfd < 0) {
		st->modules = extras;
		return;
	}
	DIR *d = fdopendir(mfd);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && is_dir_at(dirfd(d), de->d_name))
			add_kver(&st->kvers, xstrdup(de->d_name));
	if (d)
		closedir(d);
	else
		close(mfd);
}

/* the kernel.release of each usr/src/linux-headers-KVER of a staged source */
static void kvers_from_headers(struct staged *st)
{
	int sfd = ctmod_tree_open(st->fd, "usr/src", O_RDONLY | O_DIRECTORY);
	if (sfd < 0)
		return;
	DIR *d = fdopendir(sfd);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "linux-headers-", 14) != 0)
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "usr/src/%s", de->d_name);
		add_kver(&st->kvers, tree_kver(st->fd, p));
	}
	if (d)
		closedir(d);
	else
		close(sfd);
}

/* what a staged source is: a bare build tree (st->top), or a tree laid out
 * from the root, and which kernel releases it is for */
static int scan_staged(struct staged *st, const struct ctmod_archive_info *info, bool extras)
{
	if (!extras) {
		st->top = bare_tree_at(st->fd, "") ? xstrdup("") : single_tree_dir(st->fd);
		if (st->top) {
			add_kver(&st->kvers, tree_kver(st->fd, st->top));
			return 0;
		}
	}
	add_kver(&st->kvers, ctmod_install_package_kver(info->package));
	kvers_from_modules(st, extras);
	kvers_from_headers(st);
	return 0;
}

/* --- checks on the staged tree before anything moves */

/*
 * REL is there in the staged tree or in the root, or is reached through a
 * symlink of the staged tree that points at something the root already has.
 */
static bool provided(int treefd, int rootfd, const char *rel, int depth)
{
	if (exists_at(treefd, rel) || exists_at(rootfd, rel))
		return true;
	if (depth > 8)
		return false;
	size_t len = strlen(rel);
	for (size_t i = 1; i <= len; i++) {
		if (rel[i] != '/' && rel[i] != '\0')
			continue;
		_cleanup_free_ char *prefix = strndup(rel, i);
		if (!prefix)
			return false;
		int fd = ctmod_tree_open(treefd, prefix, O_PATH | O_NOFOLLOW);
		if (fd < 0)
			return false;
		char target[PATH_MAX];
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
		close(fd);
		if (n <= 0)
			continue;
		target[n] = '\0';
		char *slash = strrchr(prefix, '/');
		_cleanup_free_ char *dir =
		    slash ? strndup(prefix, (size_t)(slash - prefix)) : strdup("");
		_cleanup_free_ char *joined = dir ? lexical_join(dir, target) : NULL;
		_cleanup_free_ char *full = NULL;
		if (!joined || asprintf(&full, "%s%s", joined, rel + i) < 0)
			return false;
		return provided(treefd, rootfd, full, depth + 1);
	}
	return false;
}

static int check_headers(struct ctmod_ctx *ctx, int treefd, int rootfd, const char *kver,
                         const char *label)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "usr/src/linux-headers-%s", kver);
	const char *hint = "install the headers package together with the packages it needs "
	                   "(linux-headers-*-common, linux-kbuild-*)";

	char build[PATH_MAX];
	snprintf(build, sizeof(build), "lib/modules/%s/build", kver);
	if (lexists_at(treefd, build) && !provided(treefd, rootfd, build, 0))
		return ctmod_fail_input(ctx, ENOENT, hint,
		                        "lib/modules/%s/build would point at nothing in %s", kver,
		                        label);
	if (!lexists_at(treefd, dir))
		return 0;

	char mk[PATH_MAX + 16];
	snprintf(mk, sizeof(mk), "%s/Makefile", dir);
	if (!provided(treefd, rootfd, mk, 0))
		return ctmod_fail_input(ctx, ENOENT, hint, "/%s is missing", mk);
	/* Debian's per-flavour Makefile includes the -common one by absolute path */
	char buf[4096];
	if (read_start_at(treefd, mk, buf, sizeof(buf)) >= 0) {
		for (char *sp_line = NULL, *line = strtok_r(buf, "\n", &sp_line); line;
		     line = strtok_r(NULL, "\n", &sp_line)) {
			if (strncmp(line, "include /", 9) != 0)
				continue;
			char *path = rstrip(line + 9);
			if (!provided(treefd, rootfd, path, 0))
				return ctmod_fail_input(ctx, ENOENT, hint,
				                        "/%s/Makefile includes /%s, which neither "
				                        "the sources nor %s provide",
				                        dir, path, label);
		}
	}
	char scripts[PATH_MAX + 16];
	snprintf(scripts, sizeof(scripts), "%s/scripts", dir);
	if (lexists_at(treefd, scripts) && !provided(treefd, rootfd, scripts, 0))
		return ctmod_fail_input(
		    ctx, ENOENT, hint,
		    "/%s is a link to something neither the sources nor %s provide", scripts,
		    label);
	return 0;
}

/* --- the install record: what makes a re-run a no-op */

static bool record_still_there(int rootfd, const char *path, struct ctmod_install_result *res)
{
	json_object *doc = json_object_from_file(path), *v;
	if (!doc)
		return false;
	bool ok =
	    json_object_object_get_ex(doc, "paths", &v) && json_object_is_type(v, json_type_array);
	for (size_t i = 0; ok && i < json_object_array_length(v); i++) {
		const char *p = json_object_get_string(json_object_array_get_idx(v, i));
		ok = p && lexists_at(rootfd, p);
	}
	if (ok) {
		if (json_object_object_get_ex(doc, "kernel", &v) && json_object_get_string(v))
			res->kver = strdup(json_object_get_string(v));
		if (json_object_object_get_ex(doc, "headers", &v) && json_object_get_string(v))
			res->headers = strdup(json_object_get_string(v));
		if (json_object_object_get_ex(doc, "build", &v) && json_object_get_string(v))
			res->build = strdup(json_object_get_string(v));
	}
	json_object_put(doc);
	return ok;
}

static int write_record(struct ctmod_ctx *ctx, const char *path, struct ctmod_install_result *res)
{
	json_object *doc = json_object_new_object(), *src = json_object_new_array(),
	            *paths = json_object_new_array();
	for (size_t i = 0; i < res->n; i++) {
		json_object *s = json_object_new_object();
		json_object_object_add(s, "source", json_object_new_string(res->src[i].source));
		json_object_object_add(s, "sha256", json_object_new_string(res->src[i].sha256));
		if (res->src[i].package)
			json_object_object_add(s, "package",
			                       json_object_new_string(res->src[i].package));
		json_object_array_add(src, s);
	}
	for (size_t i = 0; i < res->moved.n; i++)
		json_object_array_add(paths, json_object_new_string(res->moved.v[i]));
	if (res->kver)
		json_object_object_add(doc, "kernel", json_object_new_string(res->kver));
	if (res->headers)
		json_object_object_add(doc, "headers", json_object_new_string(res->headers));
	if (res->build)
		json_object_object_add(doc, "build", json_object_new_string(res->build));
	json_object_object_add(doc, "sources", src);
	json_object_object_add(doc, "paths", paths);
	const char *txt = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY);
	int r = write_file_atomic(path, txt, strlen(txt), 0644);
	json_object_put(doc);
	if (r < 0)
		return ctmod_fail(ctx, r, NULL, "cannot write the install record %s: %s", path,
		                  strerror(-r));
	return 0;
}

/* --- the transaction */

struct txn {
	struct ctmod_ctx *ctx;
	char *rootdir; /* ROOT or "/" */
	int rootfd;
	char *stage;
	int stagefd, treefd;
	bool keep_stage; /* half moved into place: recover() completes it */
	struct strv created;
	struct ctmod_fetched *fetched;
	struct staged *staged;
	size_t n;
};

static void txn_end(struct txn *t, bool ok)
{
	if (t->treefd >= 0)
		close(t->treefd);
	for (size_t i = 0; i < t->n; i++) {
		if (t->staged) {
			if (t->staged[i].fd >= 0)
				close(t->staged[i].fd);
			free(t->staged[i].top);
			strv_release(&t->staged[i].kvers);
		}
		if (t->fetched)
			ctmod_fetched_release(&t->fetched[i]);
	}
	if (t->stagefd >= 0)
		close(t->stagefd);
	if (t->stage && !t->keep_stage)
		rm_rf(t->stage);
	if (!ok)
		rmdirs_created(&t->created);
	strv_release(&t->created);
	free(t->staged);
	free(t->fetched);
	free(t->stage);
	free(t->rootdir);
	if (t->rootfd >= 0)
		close(t->rootfd); /* drops the lock */
}

static int settle_kver(struct ctmod_ctx *ctx, const struct ctmod_install_opts *o, struct txn *t,
                       bool need, char **out)
{
	const char *explicit_kver = NULL;
	if (o->kver_explicit && ctmod_ctx_kver(ctx, &explicit_kver) < 0)
		return -EINVAL;
	const char *found = NULL, *found_src = NULL;
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->staged[i].kvers.n; k++) {
			const char *kv = t->staged[i].kvers.v[k];
			if (explicit_kver && strcmp(kv, explicit_kver) != 0)
				return ctmod_fail_input(
				    ctx, EINVAL,
				    "drop --kernel, or give the archive for that kernel",
				    "%s is for kernel %s, not %s (--kernel)", o->sources[i], kv,
				    explicit_kver);
			if (found && strcmp(found, kv) != 0)
				return ctmod_fail_input(
				    ctx, EINVAL, "install the headers of one kernel at a time",
				    "the sources are for different kernels: %s (%s) and %s (%s)",
				    found, found_src, kv, o->sources[i]);
			found = kv;
			found_src = o->sources[i];
		}
	}
	const char *kver = explicit_kver ? explicit_kver : found;
	if (!kver && need && ctmod_ctx_kver(ctx, &kver) < 0)
		return -EINVAL;
	*out = kver ? strdup(kver) : NULL;
	return kver && !*out ? -ENOMEM : 0;
}

/* put one staged source where it belongs in the staged tree */
static int place(struct ctmod_ctx *ctx, struct txn *t, size_t i, const char *kver)
{
	struct staged *st = &t->staged[i];
	char dest[PATH_MAX];
	const char *what = "staging";
	int r;
	if (st->top) {
		snprintf(dest, sizeof(dest), "%s/tree/usr/src/linux-headers-%s", t->stage, kver);
		if (!is_dir_at(t->treefd, dest + strlen(t->stage) + 6)) {
			char parent[PATH_MAX];
			snprintf(parent, sizeof(parent), "%s/tree/usr/src", t->stage);
			if ((r = mkdir_p(parent, 0755)) < 0)
				return ctmod_fail(ctx, r, NULL, "%s: %s", parent, strerror(-r));
			if (renameat(st->fd, *st->top ? st->top : ".", AT_FDCWD, dest) == 0)
				goto links;
			/* renaming "." is not possible: move the top directory itself */
			char src[PATH_MAX];
			snprintf(src, sizeof(src), "%s/src-%zu", t->stage, i);
			if (*st->top || rename(src, dest) < 0)
				return ctmod_fail(ctx, errno, NULL, "staging %s: %m", dest);
			goto links;
		}
		snprintf(dest, sizeof(dest), "usr/src/linux-headers-%s", kver);
		int sub = *st->top ? openat(st->fd, st->top, O_RDONLY | O_DIRECTORY) : dup(st->fd);
		if (sub < 0)
			return ctmod_fail(ctx, errno, NULL, "staging: %m");
		r = ctmod_tree_merge(ctx, sub, t->treefd, dest, false, what, NULL);
		close(sub);
		if (r < 0)
			return r;
	links:
		for (const char *l = "build"; l; l = strcmp(l, "build") ? NULL : "source") {
			char lp[PATH_MAX], target[PATH_MAX];
			snprintf(lp, sizeof(lp), "%s/tree/lib/modules/%s", t->stage, kver);
			if ((r = mkdir_p(lp, 0755)) < 0)
				return ctmod_fail(ctx, r, NULL, "%s: %s", lp, strerror(-r));
			snprintf(lp, sizeof(lp), "%s/tree/lib/modules/%s/%s", t->stage, kver, l);
			snprintf(target, sizeof(target), "/usr/src/linux-headers-%s", kver);
			unlink(lp);
			if (symlink(target, lp) < 0)
				return ctmod_fail(ctx, errno, NULL, "%s: %m", lp);
		}
		return 0;
	}
	if (st->modules) {
		snprintf(dest, sizeof(dest), "%s/tree/lib/modules/%s", t->stage, kver);
		if ((r = mkdir_p(dest, 0755)) < 0)
			return ctmod_fail(ctx, r, NULL, "%s: %s", dest, strerror(-r));
		snprintf(dest, sizeof(dest), "lib/modules/%s", kver);
		return ctmod_tree_merge(ctx, st->fd, t->treefd, dest, false, what, NULL);
	}
	return ctmod_tree_merge(ctx, st->fd, t->treefd, "", false, what, NULL);
}

/* the record an install killed while moving would have written: saved, at
 * REL (var/lib/ctmod/installed/KEY.json) under the root */
static void recover_record(struct ctmod_ctx *ctx, const char *rel, const char *saved)
{
	_cleanup_free_ char *txt = NULL;
	if (strncmp(rel, "var/lib/ctmod/installed/", 24) || rel[24] == '.' ||
	    strchr(rel + 24, '/') || read_file(saved, 16u << 20, &txt, NULL) < 0)
		return;
	_cleanup_free_ char *rec = ctmod_path(ctx, "/%s", rel);
	char *slash = strrchr(rec, '/');
	*slash = '\0';
	int w = mkdir_tracked(rec, 0755, NULL);
	*slash = '/';
	if (w < 0 || write_file_atomic(rec, txt, strlen(txt), 0644) < 0)
		WARN(ctx, "could not record the install in %s: a re-run will install again", rec);
}

/* one staging directory NAME a killed install left: completed when it holds
 * a commit mark, else removed */
static int recover_stage(struct ctmod_ctx *ctx, struct txn *t, const char *name)
{
	const char *label = t->rootdir;
	_cleanup_free_ char *stage = xasprintf("%s/%s", strcmp(label, "/") ? label : "", name);
	_cleanup_free_ char *saved = xasprintf("%s/record", stage);
	_cleanup_close_ int sfd =
	    openat(t->rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int cfd = sfd >= 0 ? openat(sfd, "commit", O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (cfd >= 0) {
		char rel[PATH_MAX] = "";
		ssize_t n = read(cfd, rel, sizeof(rel) - 1);
		close(cfd);
		rel[n > 0 ? n : 0] = '\0';
		rstrip(rel);
		_cleanup_close_ int tfd =
		    openat(sfd, "tree", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int r = tfd < 0 ? ctmod_fail(ctx, errno, NULL, "%s/tree: %m", stage)
		                : ctmod_tree_merge(ctx, tfd, t->rootfd, "", false, label, NULL);
		if (r < 0) {
			char hint[PATH_MAX + 64];
			snprintf(
			    hint, sizeof(hint),
			    "%s holds the rest of an interrupted install: fix the conflict, or "
			    "remove it and install again",
			    stage);
			return ctmod_fail(ctx, r, hint, "%s", ctmod_ctx_error(ctx));
		}
		recover_record(ctx, rel, saved);
		WARN(ctx, "completed an install on %s that was interrupted while moving into place",
		     label);
	} else {
		INFO(ctx, "removing %s, left by an interrupted install", stage);
	}
	int e = rm_rf(stage);
	if (e < 0)
		WARN(ctx, "cannot remove %s, left by an interrupted install: %s", stage,
		     strerror(-e));
	return 0;
}

/*
 * What an install killed on this root left behind, with the lock held: a
 * staging directory holding a commit mark was moving into place, so the
 * rest of its tree moves now and its record is written; any other one never
 * touched the root and goes.  Temporary siblings of install records go too.
 */
static int recover(struct ctmod_ctx *ctx, struct txn *t)
{
	_cleanup_strv_ struct strv names = STRV_INIT;
	DIR *d = fdopendir(dup(t->rootfd));
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, ".ctmod-install.", 15))
			strv_push(&names, de->d_name);
	if (d)
		closedir(d);
	for (size_t i = 0; i < names.n; i++) {
		int r = recover_stage(ctx, t, names.v[i]);
		if (r < 0)
			return r;
	}
	/* a record being written when the install was killed */
	_cleanup_free_ char *rdir = ctmod_path(ctx, "/var/lib/ctmod/installed");
	d = opendir(rdir);
	while (d && (de = readdir(d)))
		if (strstr(de->d_name, ".ctmod-tmp."))
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	return 0;
}

/* the root made, locked, and what killed installs left cleaned up */
static int txn_begin(struct ctmod_ctx *ctx, struct txn *t)
{
	t->rootdir = ctmod_path(ctx, "/");
	if (strlen(t->rootdir) > 1)
		t->rootdir[strlen(t->rootdir) - 1] = '\0';
	int r = mkdir_tracked(t->rootdir, 0755, &t->created);
	if (r < 0)
		return ctmod_fail(ctx, r, NULL, "cannot create the root %s: %s", t->rootdir,
		                  strerror(-r));
	t->rootfd = ctmod_rootlock_take(ctx, t->rootdir);
	if (t->rootfd < 0)
		return t->rootfd;
	return recover(ctx, t);
}

/*
 * 1. everything onto the local disk, checksummed.  keyhex: the digest of
 * what makes this install itself (the sources, --extras, the root and kernel
 * when --kernel was given), the name of its install record.
 */
static int fetch_all(struct ctmod_ctx *ctx, const struct ctmod_install_opts *o, struct txn *t,
                     struct ctmod_install_result *res, char keyhex[65])
{
	t->n = o->nsources;
	t->fetched = xcalloc(t->n, sizeof(*t->fetched));
	t->staged = xcalloc(t->n, sizeof(*t->staged));
	res->src = xcalloc(t->n, sizeof(*res->src));
	res->n = t->n;
	for (size_t i = 0; i < t->n; i++) {
		t->staged[i].fd = -1;
		strv_init(&t->staged[i].kvers);
	}
	_cleanup_strbuf_ struct strbuf key = STRBUF_INIT;
	strbuf_printf(&key, "ctmod-install-1\n%s\n%s\n", o->extras ? "extras" : "tree",
	              o->kver_explicit ? ctmod_ctx_root(ctx) : "");
	const char *kv;
	if (o->kver_explicit && ctmod_ctx_kver(ctx, &kv) == 0)
		strbuf_printf(&key, "%s\n", kv);
	for (size_t i = 0; i < t->n; i++) {
		struct ctmod_fetch_opts fo = o->fetch;
		fo.sha256 = o->sha256 ? o->sha256[i] : NULL;
		int r = ctmod_fetch(ctx, o->sources[i], &fo, &t->created, &t->fetched[i]);
		if (r < 0)
			return r;
		struct ctmod_install_source *s = &res->src[i];
		s->source = xstrdup(o->sources[i]);
		memcpy(s->sha256, t->fetched[i].sha256, sizeof(s->sha256));
		s->downloaded = t->fetched[i].downloaded;
		s->from_cache = t->fetched[i].from_cache;
		strbuf_printf(&key, "%s\n", s->sha256);
	}
	return sha256_hex(strbuf_str(&key), key.len, keyhex);
}

/* the staging directory ROOT/.ctmod-install.XXXXXX and its tree/ */
static int stage_open(struct ctmod_ctx *ctx, struct txn *t)
{
	const char *label = t->rootdir;
	t->stage = xasprintf("%s/.ctmod-install.XXXXXX", strcmp(label, "/") ? label : "");
	if (!mkdtemp(t->stage)) {
		int r = ctmod_fail(ctx, errno, "check that the root is writable",
		                   "cannot create a staging directory in %s: %m", label);
		free(t->stage);
		t->stage = NULL;
		return r;
	}
	/* libarchive refuses to extract below any symlink: use the physical path */
	char *real = realpath(t->stage, NULL);
	if (!real)
		return ctmod_fail(ctx, errno, NULL, "%s: %m", t->stage);
	free(t->stage);
	t->stage = real;
	t->stagefd = open(t->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char tree[PATH_MAX];
	snprintf(tree, sizeof(tree), "%s/tree", t->stage);
	if (t->stagefd < 0 || mkdir(tree, 0755) < 0 ||
	    (t->treefd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ctmod_fail(ctx, errno, NULL, "staging %s: %m", tree);
	return 0;
}

/* 2. each source into its own staging directory, src-N; *need_kver when one
 * of them is for a particular kernel */
static int stage_sources(struct ctmod_ctx *ctx, const struct ctmod_install_opts *o, struct txn *t,
                         struct ctmod_install_result *res, bool *need_kver)
{
	*need_kver = false;
	for (size_t i = 0; i < t->n; i++) {
		char dest[PATH_MAX];
		snprintf(dest, sizeof(dest), "%s/src-%zu", t->stage, i);
		if (mkdir(dest, 0755) < 0)
			return ctmod_fail(ctx, errno, NULL, "staging %s: %m", dest);
		struct ctmod_archive_info info;
		int r = ctmod_archive_extract(ctx, t->fetched[i].path, o->sources[i], dest, &info);
		struct ctmod_install_source *s = &res->src[i];
		s->package = info.package;
		s->version = info.version;
		s->entries = info.entries;
		s->bytes = info.bytes;
		if (r < 0)
			return r;
		t->staged[i].fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (t->staged[i].fd < 0)
			return ctmod_fail(ctx, errno, NULL, "staging %s: %m", dest);
		if ((r = scan_staged(&t->staged[i], &info, o->extras)) < 0)
			return r;
		s->layout = t->staged[i].top       ? "headers-tree"
		            : t->staged[i].modules ? "modules"
		            : info.deb             ? "package"
		                                   : "tree";
		*need_kver |= t->staged[i].top || t->staged[i].modules;
	}
	return 0;
}

/* where the headers and the build link of res->kver will be */
static void describe_kernel(struct txn *t, struct ctmod_install_result *res)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "usr/src/linux-headers-%s", res->kver);
	if (lexists_at(t->treefd, p))
		res->headers = xasprintf("/%s", p);
	snprintf(p, sizeof(p), "lib/modules/%s/build", res->kver);
	int lfd = ctmod_tree_open(t->treefd, p, O_PATH | O_NOFOLLOW);
	if (lfd < 0)
		lfd = ctmod_tree_open(t->rootfd, p, O_PATH | O_NOFOLLOW);
	if (lfd < 0)
		return;
	char target[PATH_MAX];
	ssize_t n = readlinkat(lfd, "", target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		res->build = xstrdup(target);
	}
	close(lfd);
}

/* 3. one kernel release, then the staged tree as it will be under the root */
static int settle_tree(struct ctmod_ctx *ctx, const struct ctmod_install_opts *o, struct txn *t,
                       bool need_kver, struct ctmod_install_result *res)
{
	int r = settle_kver(ctx, o, t, need_kver, &res->kver);
	for (size_t i = 0; r == 0 && i < t->n; i++)
		r = place(ctx, t, i, res->kver);
	if (r < 0 || !res->kver)
		return r;
	if ((r = check_headers(ctx, t->treefd, t->rootfd, res->kver, t->rootdir)) < 0)
		return r;
	describe_kernel(t, res);
	return 0;
}

/*
 * 4. nothing may conflict; then everything moves by renames.  The commit
 * mark (the record and where it goes) comes first: an install killed while
 * moving is completed by the next one (recover()).
 */
static int move_into_place(struct ctmod_ctx *ctx, struct txn *t, struct ctmod_install_result *res,
                           const char *keyhex)
{
	const char *label = t->rootdir;
	int r = ctmod_tree_merge(ctx, t->treefd, t->rootfd, "", true, label, &res->moved);
	if (r < 0)
		return r;
	char p[PATH_MAX], rel[128];
	snprintf(p, sizeof(p), "%s/record", t->stage);
	snprintf(rel, sizeof(rel), "var/lib/ctmod/installed/%s.json\n", keyhex);
	if ((r = write_record(ctx, p, res)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s/commit", t->stage);
	if ((r = write_file_atomic(p, rel, strlen(rel), 0644)) < 0)
		return ctmod_fail(ctx, r,
		                  "free some space or fix the target; nothing was installed",
		                  "staging %s: %s", p, strerror(-r));
	_cleanup_strv_ struct strv done = STRV_INIT;
	r = ctmod_tree_merge(ctx, t->treefd, t->rootfd, "", false, label, &done);
	if (r < 0 && done.n > 0) {
		/* half moved: the staging directory stays for the next install to complete */
		t->keep_stage = true;
		char hint[PATH_MAX + 128];
		snprintf(hint, sizeof(hint),
		         "the install is half done: fix that, then run ctmod install again to "
		         "complete it (the rest is in %s)",
		         t->stage);
		r = ctmod_fail(ctx, r, hint, "%s", ctmod_ctx_error(ctx));
	}
	return r;
}

/* 5. the root holds the new state: the downloads kept, the record written
 * (a failure there only costs a re-run), and --extras indexed */
static int finish(struct ctmod_ctx *ctx, const struct ctmod_install_opts *o, struct txn *t,
                  struct ctmod_install_result *res, const char *record)
{
	for (size_t i = 0; i < t->n; i++)
		ctmod_fetch_commit(ctx, &t->fetched[i]);
	_cleanup_free_ char *rdir = ctmod_path(ctx, "/var/lib/ctmod/installed");
	if (mkdir_tracked(rdir, 0755, NULL) < 0 || write_record(ctx, record, res) < 0)
		WARN(ctx, "could not record the install in %s: a re-run will install again", rdir);
	ctmod_ctx_clear_error(ctx);
	if (!o->extras || !res->kver)
		return 0;
	int r = ctmod_depmod_run(ctx, ctmod_ctx_root(ctx), res->kver,
	                         "the modules are installed but not indexed");
	res->depmod = r == 0;
	return r;
}

int ctmod_install(struct ctmod_ctx *ctx, const struct ctmod_install_opts *o,
                  struct ctmod_install_result *res)
{
	struct txn t = {.ctx = ctx, .rootfd = -1, .stagefd = -1, .treefd = -1};
	memset(res, 0, sizeof(*res));
	strv_init(&t.created);
	strv_init(&res->moved);
	if (o->nsources == 0)
		return ctmod_fail_input(ctx, EINVAL, "give a URL, a tarball or .deb files",
		                        "nothing to install");
	char keyhex[65];
	bool need_kver, ok = false;
	int r = txn_begin(ctx, &t);
	if (r == 0)
		r = fetch_all(ctx, o, &t, res, keyhex);
	_cleanup_free_ char *record =
	    r == 0 ? ctmod_path(ctx, "/var/lib/ctmod/installed/%s.json", keyhex) : NULL;
	if (r == 0 && record_still_there(t.rootfd, record, res)) {
		res->noop = true;
		for (size_t i = 0; i < t.n; i++)
			ctmod_fetch_commit(ctx, &t.fetched[i]);
		txn_end(&t, true);
		return 0;
	}
	if (r == 0)
		r = stage_open(ctx, &t);
	if (r == 0)
		r = stage_sources(ctx, o, &t, res, &need_kver);
	if (r == 0)
		r = settle_tree(ctx, o, &t, need_kver, res);
	if (r == 0)
		r = move_into_place(ctx, &t, res, keyhex);
	if (r == 0) {
		ok = true;
		r = finish(ctx, o, &t, res, record);
	}
	txn_end(&t, ok);
	return r;
}
