// SPDX-License-Identifier: LGPL-2.1-or-later
#include "extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <search.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dl.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

void ctmod_archive_info_release(struct ctmod_archive_info *info)
{
	free(info->package);
	free(info->version);
	memset(info, 0, sizeof(*info));
}

int ctmod_archive_safe_name(const char *name, char **out)
{
	*out = NULL;
	if (!name || name[0] == '/')
		return -EINVAL;
	size_t len = strlen(name);
	if (len >= PATH_MAX)
		return -EINVAL;
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	size_t o = 0;
	const char *p = name;
	while (*p) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(buf);
			return -EINVAL;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o)
				buf[o++] = '/';
			memcpy(buf + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
}

bool ctmod_archive_link_inside(const char *entry, const char *target)
{
	if (!target || !*target)
		return false;
	if (target[0] == '/')
		return true;
	/* depth of the directory holding the link */
	long depth = 0;
	for (const char *p = entry; *p; p++)
		if (*p == '/')
			depth++;
	const char *p = target;
	while (*p) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

/* --- extraction */

struct extract {
	struct ctmod_ctx *ctx;
	const char *label;
	const char *dest;
	struct archive *disk;
	struct ctmod_archive_info *info;
	void *links;  /* tsearch tree of symlink entry names */
	char *member; /* inside a .deb: the member being read */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* the symlink entry a name would be written through, or NULL */
static const char *through_link(struct extract *x, const char *rel)
{
	if (!x->links)
		return NULL;
	static char buf[PATH_MAX];
	size_t len = strlen(rel);
	if (len >= sizeof(buf))
		return rel;
	memcpy(buf, rel, len + 1);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		void *hit = tfind(buf, &x->links, cmp_str);
		if (hit)
			return *(const char **)hit;
		buf[i] = '/';
	}
	return NULL;
}

static int refuse(struct extract *x, const char *name, const char *why)
{
	return ctmod_fail_input(x->ctx, EINVAL,
	                        "the archive is unsafe or damaged; nothing was installed",
	                        "%s%s%s: refused entry '%s': %s", x->label, x->member ? ": " : "",
	                        x->member ? x->member : "", name, why);
}

static int corrupt(struct extract *x, struct archive *a)
{
	const char *why = archive_error_string(a);
	return ctmod_fail_input(x->ctx, EINVAL,
	                        "the file is damaged or not an archive; nothing was installed",
	                        "%s%s%s: corrupt archive: %s", x->label, x->member ? ": " : "",
	                        x->member ? x->member : "", why ? why : "unreadable");
}

static bool disk_trouble(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS;
}

static int write_failed(struct extract *x, const char *rel)
{
	int e = archive_errno(x->disk);
	const char *why = archive_error_string(x->disk);
	if (disk_trouble(e) || e == EACCES || e == EPERM)
		return ctmod_fail(x->ctx, e,
		                  "free some space or fix the target; nothing was installed",
		                  "%s: cannot write %s: %s", x->label, rel, strerror(e));
	/* anything else libarchive refuses (its secure-extraction checks) is the archive's doing */
	return refuse(x, rel, why ? why : "refused by libarchive");
}

/* what an entry of type TYPE (a hard link to HARD when not NULL) may be:
 * 0, or the refusal; a hard link's target is rewritten to its safe name */
static int check_entry(struct extract *x, struct archive_entry *e, const char *name,
                       const char *rel, const char *hard, mode_t type)
{
	if (hard) {
		_cleanup_free_ char *hrel = NULL;
		if (ctmod_archive_safe_name(hard, &hrel) < 0 || !*hrel)
			return refuse(x, name, "hard link to a path outside the root");
		if (through_link(x, hrel) || tfind(hrel, &x->links, cmp_str))
			return refuse(x, name, "hard link through a symlink");
		archive_entry_set_hardlink(e, hrel);
	} else if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);
		if (!ctmod_archive_link_inside(rel, target))
			return refuse(x, name, "symlink pointing outside the root");
	} else if (type != AE_IFREG && type != AE_IFDIR) {
		return refuse(x, name, "device node, FIFO or socket");
	}
	return 0;
}

/* the symlinks seen so far: a later entry of the same name replaces the link
 * (and is never written through it) */
static void track_link(struct extract *x, const char *rel, bool is_link)
{
	void *old = tfind(rel, &x->links, cmp_str);
	if (old && !is_link) {
		char *key = *(char **)old;
		tdelete(rel, &x->links, cmp_str);
		free(key);
	}
	if (is_link && !old && !tsearch(xstrdup(rel), &x->links, cmp_str))
		oom();
}

/* the entry's header and data onto the disk, under rel */
static int write_entry(struct extract *x, struct archive *a, struct archive_entry *e,
                       const char *rel)
{
	archive_entry_set_pathname(e, rel);
	int r = archive_write_header(x->disk, e);
	if (r < ARCHIVE_WARN)
		return write_failed(x, rel);
	while (archive_entry_size(e) > 0) {
		const void *buf;
		size_t size;
		la_int64_t off;
		r = archive_read_data_block(a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return corrupt(x, a);
		/* a failed write(2) is only ARCHIVE_WARN to libarchive */
		if (archive_write_data_block(x->disk, buf, size, off) < ARCHIVE_OK)
			return write_failed(x, rel);
		x->info->bytes += size;
	}
	r = archive_write_finish_entry(x->disk);
	if (r < ARCHIVE_WARN || (r == ARCHIVE_WARN && disk_trouble(archive_errno(x->disk))))
		return write_failed(x, rel);
	x->info->entries++;
	return 0;
}

static int extract_entries(struct extract *x, struct archive *a)
{
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN)
			return corrupt(x, a);
		const char *name = archive_entry_pathname(e);
		if (!name)
			return refuse(x, "?", "entry without a name");
		_cleanup_free_ char *rel = NULL;
		r = ctmod_archive_safe_name(name, &rel);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return refuse(x, name,
			              name[0] == '/' ? "absolute path" : "'..' in the path");
		if (!*rel) {
			archive_read_data_skip(a);
			continue;
		}
		if (through_link(x, rel))
			return refuse(x, name,
			              "it would be written through a symlink in the archive");
		const char *hard = archive_entry_hardlink(e);
		mode_t type = archive_entry_filetype(e);
		if ((r = check_entry(x, e, name, rel, hard, type)) < 0)
			return r;
		track_link(x, rel, type == AE_IFLNK && !hard);
		if ((r = write_entry(x, a, e, rel)) < 0)
			return r;
	}
	return 0;
}

/* an archive read out of the current member of another (a .deb's data.tar.xz) */
static la_ssize_t member_read(struct archive *inner, void *data, const void **buf)
{
	struct archive *outer = data;
	size_t size;
	la_int64_t off;
	(void)inner;
	int r = archive_read_data_block(outer, buf, &size, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN) {
		archive_set_error(inner, archive_errno(outer) ? archive_errno(outer) : EIO, "%s",
		                  archive_error_string(outer) ? archive_error_string(outer)
		                                              : "read error");
		return -1;
	}
	return (la_ssize_t)size;
}

static struct archive *open_member(struct archive *outer)
{
	struct archive *in = archive_read_new();
	if (!in)
		return NULL;
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_read_open(in, outer, NULL, member_read, NULL);
	return in;
}

static void control_field(const char *ctl, const char *key, char **out)
{
	size_t kl = strlen(key);
	for (const char *p = ctl; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) || p[kl] != ':')
			continue;
		const char *v = p + kl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t n = strcspn(v, "\r\n");
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		free(*out);
		*out = strndup(v, n);
		return;
	}
}

static int read_control(struct extract *x, struct archive *outer)
{
	struct archive *in = open_member(outer);
	if (!in)
		return -ENOMEM;
	struct archive_entry *e;
	int r = 0;
	for (;;) {
		int rr = archive_read_next_header(in, &e);
		if (rr == ARCHIVE_EOF)
			break;
		if (rr < ARCHIVE_WARN) {
			r = corrupt(x, in);
			break;
		}
		_cleanup_free_ char *rel = NULL;
		if (ctmod_archive_safe_name(archive_entry_pathname(e), &rel) < 0 ||
		    strcmp(rel, "control") != 0)
			continue;
		char buf[65536];
		la_ssize_t n = archive_read_data(in, buf, sizeof(buf) - 1);
		if (n < 0) {
			r = corrupt(x, in);
			break;
		}
		buf[n] = '\0';
		control_field(buf, "Package", &x->info->package);
		control_field(buf, "Version", &x->info->version);
	}
	archive_read_free(in);
	return r;
}

static int extract_deb(struct extract *x, struct archive *outer)
{
	struct archive_entry *e;
	bool first = true, data = false;
	int r = 0;
	for (;;) {
		int rr = archive_read_next_header(outer, &e);
		if (rr == ARCHIVE_EOF)
			break;
		if (rr < ARCHIVE_WARN)
			return corrupt(x, outer);
		const char *name = archive_entry_pathname(e);
		if (!name)
			name = "";
		if (first) {
			char buf[16] = "";
			if (strcmp(name, "debian-binary") != 0 ||
			    archive_read_data(outer, buf, sizeof(buf) - 1) < 2 ||
			    strncmp(buf, "2.", 2) != 0)
				return ctmod_fail_input(
				    x->ctx, EINVAL, "give a Debian binary package (.deb)",
				    "%s: not a Debian package (no debian-binary 2.x member)",
				    x->label);
			first = false;
			continue;
		}
		free(x->member);
		x->member = strdup(name);
		if (!x->member)
			return -ENOMEM;
		if (!strncmp(name, "control.tar", 11)) {
			r = read_control(x, outer);
		} else if (!strncmp(name, "data.tar", 8)) {
			if (data)
				return ctmod_fail_input(x->ctx, EINVAL, NULL,
				                        "%s: two data.tar members", x->label);
			struct archive *in = open_member(outer);
			if (!in)
				return -ENOMEM;
			r = extract_entries(x, in);
			archive_read_free(in);
			data = true;
		}
		if (r < 0)
			return r;
	}
	free(x->member);
	x->member = NULL;
	if (!data)
		return ctmod_fail_input(x->ctx, EINVAL, "the package is damaged; download it again",
		                        "%s: no data.tar member in the Debian package", x->label);
	return 0;
}

static int extract(struct ctmod_ctx *ctx, const char *path, const void *mem, size_t len,
                   const char *label, const char *dest, struct ctmod_archive_info *info)
{
	memset(info, 0, sizeof(*info));
	char magic[8] = "";
	if (mem) {
		memcpy(magic, mem, len < 8 ? len : 8);
	} else {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ctmod_fail(ctx, errno, NULL, "%s: %m", label);
		ssize_t n = pread(fd, magic, sizeof(magic), 0);
		close(fd);
		if (n < 0)
			return ctmod_fail(ctx, errno, NULL, "%s: %m", label);
	}
	info->deb = !memcmp(magic, "!<arch>\n", 8);

	struct archive *a = archive_read_new();
	struct archive *disk = archive_write_disk_new();
	if (!a || !disk) {
		archive_read_free(a);
		archive_write_free(disk);
		if (ctmod_dl_fail(ctx, &ctmod_dl_archive, label) < 0)
			return -ELIBACC;
		return ctmod_fail(ctx, ENOMEM, NULL, "%s: out of memory", label);
	}
	if (info->deb) {
		archive_read_support_format_ar(a);
	} else {
		archive_read_support_filter_all(a);
		archive_read_support_format_tar(a);
	}
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	            ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	if (geteuid() == 0)
		flags |= ARCHIVE_EXTRACT_OWNER;
	archive_write_disk_set_options(disk, flags);

	struct extract x = {.ctx = ctx, .label = label, .dest = dest, .disk = disk, .info = info};
	int r;
	/*
	 * Entries are written relative to DEST, the working directory for the
	 * while: libarchive's symlink check then walks only the entry's own
	 * components, not the whole path of the staging directory.
	 */
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || chdir(dest) < 0) {
		r = ctmod_fail(ctx, errno, NULL, "%s: %m", dest);
		if (cwd >= 0)
			close(cwd);
		archive_write_free(disk);
		archive_read_free(a);
		return r;
	}
	if ((mem ? archive_read_open_memory(a, mem, len)
	         : archive_read_open_filename(a, path, 1 << 17)) != ARCHIVE_OK)
		r = corrupt(&x, a);
	else
		r = info->deb ? extract_deb(&x, a) : extract_entries(&x, a);
	if (archive_write_close(disk) < ARCHIVE_WARN && r == 0)
		r = write_failed(&x, dest);
	if (fchdir(cwd) < 0 && r == 0)
		r = ctmod_fail(ctx, errno, NULL, "cannot return to the working directory: %m");
	close(cwd);
	archive_write_free(disk);
	archive_read_free(a);
	tdestroy(x.links, free);
	free(x.member);
	return r;
}

int ctmod_archive_extract(struct ctmod_ctx *ctx, const char *path, const char *label,
                          const char *dest, struct ctmod_archive_info *info)
{
	return extract(ctx, path, NULL, 0, label, dest, info);
}

int ctmod_archive_extract_mem(struct ctmod_ctx *ctx, const void *buf, size_t len, const char *label,
                              const char *dest, struct ctmod_archive_info *info)
{
	return extract(ctx, NULL, buf, len, label, dest, info);
}

/* --- merging a staged tree into the root */

/* the last component resolved goes (".." or a link to an absolute path) */
static void drop_last(struct strv *done)
{
	if (done->n > 0) {
		free(done->v[--done->n]);
		done->v[done->n] = NULL;
	}
}

/* PATH's components in front of what is left (todo is kept reversed, so
 * they go at its end, last first) */
static void push_components(struct strv *todo, char *path)
{
	_cleanup_strv_ struct strv parts = STRV_INIT;
	for (char *sp = NULL, *t = strtok_r(path, "/", &sp); t; t = strtok_r(NULL, "/", &sp))
		strv_push(&parts, t);
	for (size_t k = parts.n; k-- > 0;) {
		strv_push_take(todo, parts.v[k]);
		parts.v[k] = NULL;
	}
}

/* done's components joined by '/', then "/LAST" when last is not NULL */
static void join_path(struct strbuf *sb, const struct strv *done, const char *last)
{
	strbuf_release(sb);
	for (size_t k = 0; k < done->n; k++)
		strbuf_printf(sb, "%s%s", k ? "/" : "", done->v[k]);
	if (last)
		strbuf_printf(sb, "%s%s", done->n ? "/" : "", last);
}

/*
 * RESOLVE_IN_ROOT by hand, for kernels before 5.6 and for valgrind and
 * seccomp profiles that do not know openat2: walk the path one component at
 * a time, substitute each symlink's target (absolute ones from the top), and
 * let ".." stop at the top.  Every prefix handed to the kernel holds only
 * real directories, so no symlink is followed by the kernel.
 */
static int open_in_root_walk(int rootfd, const char *rel, int flags)
{
	/* components resolved; components left, reversed so popping is cheap */
	_cleanup_strv_ struct strv done = STRV_INIT, todo = STRV_INIT;
	_cleanup_strbuf_ struct strbuf path = STRBUF_INIT;
	_cleanup_free_ char *copy = xstrdup(rel);
	int links = 0;
	push_components(&todo, copy);
	while (todo.n > 0) {
		_cleanup_free_ char *c = todo.v[--todo.n];
		todo.v[todo.n] = NULL;
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			drop_last(&done);
			continue;
		}
		join_path(&path, &done, c);
		struct stat st;
		bool last = todo.n == 0;
		if (fstatat(rootfd, strbuf_str(&path), &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
			char target[PATH_MAX];
			ssize_t n =
			    readlinkat(rootfd, strbuf_str(&path), target, sizeof(target) - 1);
			if (n < 0 || ++links > 40)
				return n < 0 ? -errno : -ELOOP;
			target[n] = '\0';
			if (target[0] == '/')
				while (done.n > 0)
					drop_last(&done);
			push_components(&todo, target);
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		strv_push_take(&done, c);
		c = NULL;
	}
	join_path(&path, &done, NULL);
	int fd = openat(rootfd, path.len ? strbuf_str(&path) : ".", flags | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int ctmod_tree_open(int rootfd, const char *rel, int flags)
{
	/* valgrind does not know openat2 (and says so on every call) */
	static bool no_openat2;
	if (!no_openat2 && RUNNING_ON_VALGRIND)
		no_openat2 = true;
	if (!no_openat2) {
		struct open_how how = {
		    .flags = (unsigned long long)(flags | O_CLOEXEC),
		    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		long fd = syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		no_openat2 = true;
	}
	return open_in_root_walk(rootfd, rel, flags);
}

static int list_dir(int fd, struct strv *names)
{
	int dfd = dup(fd);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	rewinddir(d);
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strv_push(names, de->d_name);
	}
	closedir(d);
	strv_sort(names);
	return r;
}

int ctmod_tree_merge(struct ctmod_ctx *ctx, int srcfd, int rootfd, const char *rel, bool dry,
                     const char *label, struct strv *moved)
{
	int dst = ctmod_tree_open(rootfd, rel, O_PATH | O_DIRECTORY);
	if (dst < 0)
		return ctmod_fail(ctx, dst, NULL, "%s/%s: cannot open: %s", label, rel,
		                  strerror(-dst));
	struct strv names;
	strv_init(&names);
	int r = list_dir(srcfd, &names);
	if (r < 0)
		r = ctmod_fail(ctx, r, NULL, "cannot read the staging directory: %s", strerror(-r));
	for (size_t i = 0; r == 0 && i < names.n; i++) {
		const char *name = names.v[i];
		_cleanup_free_ char *crel = NULL;
		if (asprintf(&crel, "%s%s%s", rel, *rel ? "/" : "", name) < 0) {
			r = -ENOMEM;
			break;
		}
		struct stat s, t;
		if (fstatat(srcfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0) {
			r = ctmod_fail(ctx, errno, NULL, "staging %s: %m", crel);
			break;
		}
		if (fstatat(dst, name, &t, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				r = ctmod_fail(ctx, errno, NULL, "%s/%s: %m", label, crel);
				break;
			}
			if (!dry && renameat(srcfd, name, dst, name) < 0) {
				r = ctmod_fail(ctx, errno,
				               "the staging directory and the target must "
				               "be on one file system",
				               "cannot move %s into %s: %m", crel, label);
				break;
			}
			if (moved)
				strv_push(moved, crel);
			continue;
		}
		if (S_ISDIR(s.st_mode)) {
			bool into = S_ISDIR(t.st_mode);
			if (!into && S_ISLNK(t.st_mode)) {
				int fd = ctmod_tree_open(rootfd, crel, O_PATH | O_DIRECTORY);
				into = fd >= 0;
				if (fd >= 0)
					close(fd);
			}
			if (!into) {
				r = ctmod_fail(ctx, EEXIST, "move it away, then install again",
				               "%s/%s exists and is not a directory", label, crel);
				break;
			}
			int sub =
			    openat(srcfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub < 0) {
				r = ctmod_fail(ctx, errno, NULL, "staging %s: %m", crel);
				break;
			}
			r = ctmod_tree_merge(ctx, sub, rootfd, crel, dry, label, moved);
			close(sub);
			continue;
		}
		if (S_ISDIR(t.st_mode)) {
			r = ctmod_fail(ctx, EISDIR, "move it away, then install again",
			               "%s/%s is a directory where the archive has a file", label,
			               crel);
			break;
		}
		if (!dry && renameat(srcfd, name, dst, name) < 0) {
			r = ctmod_fail(ctx, errno, NULL, "cannot replace %s/%s: %m", label, crel);
			break;
		}
		if (moved)
			strv_push(moved, crel);
	}
	strv_release(&names);
	close(dst);
	return r;
}
