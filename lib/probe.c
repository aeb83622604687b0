// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fast resolver: libkmod's lookup (kmod_module_new_from_lookup) and
 * probe walk (kmod_module_probe_insert_module in a dry run, with a print
 * callback), as kmod's modprobe --show-depends does it.  See probe.h.
 */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* Whether a kernel command line holds something libkmod takes for modules:
 * a token whose key has a dot (mod.param[=value], modprobe.blacklist=).
 * Coarse on purpose: a false "yes" only costs the slow resolver. */
static bool names_modules(const char *cmdline)
{
	for (const char *p = cmdline; *p;) {
		size_t n = strcspn(p, " \t\n");
		const char *eq = memchr(p, '=', n);
		if (memchr(p, '.', eq ? (size_t)(eq - p) : n))
			return true;
		p += n;
		p += strspn(p, " \t\n");
	}
	return false;
}

static bool same_cmdline(struct ctmod_ctx *ctx)
{
	if (!ctmod_ctx_has_root(ctx))
		return true;
	_cleanup_free_ char *path = ctmod_path(ctx, "/proc/cmdline");
	_cleanup_free_ char *ours = NULL, *host = NULL;
	size_t len;
	if (!path)
		return false;
	if (read_file(path, 1 << 20, &ours, &len) < 0)
		ours = NULL;
	if (read_file("/proc/cmdline", 1 << 20, &host, &len) < 0)
		host = NULL;
	if (ours && host && strcmp(ours, host) == 0)
		return true;
	return !names_modules(ours ? ours : "") && !names_modules(host ? host : "");
}

bool ctmod_probe_usable(struct ctmod_ctx *ctx)
{
	const char *kver;
	if (ctmod_ctx_kver(ctx, &kver) < 0) {
		ctmod_ctx_clear_error(ctx);
		return false;
	}
	_cleanup_free_ char *text = ctmod_path(ctx, "/lib/modules/%s/modules.dep", kver);
	_cleanup_free_ char *bin = ctmod_path(ctx, "/lib/modules/%s/modules.dep.bin", kver);
	struct stat st_text, st_bin;
	if (!text || !bin || stat(bin, &st_bin) < 0 || !S_ISREG(st_bin.st_mode))
		return false;
	/* a modules.dep written after depmod's index: the text is the truth */
	if (stat(text, &st_text) == 0 && (st_text.st_mtim.tv_sec > st_bin.st_mtim.tv_sec ||
	                                  (st_text.st_mtim.tv_sec == st_bin.st_mtim.tv_sec &&
	                                   st_text.st_mtim.tv_nsec > st_bin.st_mtim.tv_nsec)))
		return false;
	return same_cmdline(ctx);
}

/* libkmod's print callback has no data pointer: the walk in progress */
struct walk {
	ctmod_probe_cb cb;
	void *data;
	struct ctmod_ctx *ctx;
	unsigned errors; /* libkmod's complaints during the walk */
};
static _Thread_local struct walk *current;

/* libkmod's messages go to the context's log; during a walk an error (a
 * dependency whose file is gone, a bad index) is counted instead: the walk
 * then fails and the text resolver, which names the cause, answers. */
static void walk_log(void *data, int prio, const char *file, int line, const char *fn,
                     const char *fmt, va_list ap)
{
	struct ctmod_ctx *ctx = data;
	(void)file, (void)line, (void)fn;
	if (current && prio <= CTMOD_LOG_ERR) {
		current->errors++;
		return;
	}
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	msg[strcspn(msg, "\n")] = '\0';
	ctmod_log(ctx, prio, "%s", msg);
	free(msg);
}

static void on_action(struct kmod_module *m, bool install, const char *options)
{
	struct ctmod_moddb_step st = {
	    .name = (char *)kmod_module_get_name(m),
	    .options = (char *)(options ? options : ""),
	};
	if (install) {
		st.install_cmd = (char *)kmod_module_get_install_commands(m);
	} else {
		st.path = (char *)kmod_module_get_path(m);
		if (!st.path && kmod_module_get_initstate(m) != KMOD_MODULE_BUILTIN)
			return; /* an alias that is no module: modprobe prints nothing */
		st.builtin = !st.path;
	}
	current->cb(current->data, &st);
}

int ctmod_probe_walk(struct ctmod_ctx *ctx, const char *name, unsigned flags, const char *extra,
                     ctmod_probe_cb cb, void *data)
{
	if (flags & CTMOD_RESOLVE_NO_SOFTDEPS)
		return -ENOTSUP;
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	if (!k)
		return -ENOMEM;
	/* map the indexes once, as modprobe does: without it libkmod reopens
	 * and re-reads modules.dep.bin for every module of the walk */
	kmod_load_resources(k);
	struct walk w = {cb, data, ctx, 0};
	kmod_set_log_fn(k, walk_log, ctx);
	current = &w;
	struct kmod_list *list = NULL, *l;
	int r = kmod_module_new_from_lookup(k, name, &list);
	if (r < 0 || !list) {
		current = NULL;
		return r < 0 ? r : -ENOENT;
	}
	int pflags =
	    KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED | KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY;
	if (flags & CTMOD_RESOLVE_IGNORE_INSTALL)
		pflags |= KMOD_PROBE_IGNORE_COMMAND;
	kmod_list_foreach(l, list)
	{
		struct kmod_module *mod = kmod_module_get_module(l);
		r = kmod_module_probe_insert_module(mod, pflags, extra, NULL, NULL, on_action);
		kmod_module_unref(mod);
		if (r > 0)
			r = 0; /* a blacklisted alias is skipped, as modprobe skips it */
		if (r < 0)
			break;
	}
	current = NULL;
	kmod_module_unref_list(list);
	if (r == 0 && w.errors)
		r = -EIO;
	return r;
}

/*
 * The index format libkmod 30 maps (depmod's trie): a 12-byte header
 * (magic, version, root), then nodes addressed by 32-bit words whose top
 * bits say what the node holds: a NUL-terminated prefix, a child table
 * (first and last byte, then one word per byte between them), values (a
 * count, then per value a priority word and a NUL-terminated string).
 * depmod writes a node's children before the node, so every child lies
 * below its parent: that and a bitmap of the nodes seen make the walk
 * below visit each byte of a sound file at most a few times, and refuse a
 * cycle or a shared node, which would send libkmod's recursive walks
 * round for ever.
 */
#define IDX_MAGIC   0xB007F457u
#define IDX_MAJOR   2u
#define IDX_PREFIX  0x80000000u
#define IDX_VALUES  0x40000000u
#define IDX_CHILDS  0x20000000u
#define IDX_UNKNOWN 0x10000000u
#define IDX_MASK    0x0FFFFFFFu
/* far beyond what depmod writes (a key is a module name, an alias, a
 * symbol; a value a dependency line), far below libkmod's PATH_MAX buffers */
#define IDX_KEY_MAX   2048u
#define IDX_WORD_MAX  2048u
#define IDX_VALUE_MAX 65536u

struct idx {
	const unsigned char *p;
	size_t size;
	uint8_t *seen; /* a bit per byte offset: nodes walked */
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The length of the string at *at, which must end inside the file within
 * MAX bytes; *at moves past its NUL.  -1 when it does not. */
static long idx_string(const struct idx *x, size_t *at, size_t max)
{
	size_t room = x->size - *at;
	const unsigned char *nul = memchr(x->p + *at, '\0', room < max + 1 ? room : max + 1);
	if (!nul)
		return -1;
	size_t len = (size_t)(nul - (x->p + *at));
	*at += len + 1;
	return (long)len;
}

static bool idx_value_sound(const struct idx *x, size_t *at)
{
	if (x->size - *at < 4)
		return false;
	*at += 4; /* the priority */
	size_t start = *at;
	if (idx_string(x, at, IDX_VALUE_MAX) < 0)
		return false;
	for (const char *w = (const char *)x->p + start; *w;) {
		size_t n = strcspn(w, " ");
		if (n >= IDX_WORD_MAX)
			return false;
		w += n;
		w += strspn(w, " ");
	}
	return true;
}

struct idx_todo {
	uint32_t word;
	uint32_t keylen; /* bytes of key above this node */
};

/* One node: in bounds, its strings terminated, its children below it and
 * pushed on *todo. */
static bool idx_node_sound(struct idx *x, struct idx_todo t, struct idx_todo **todo, size_t *n,
                           size_t *cap)
{
	size_t off = t.word & IDX_MASK, at = off;
	if ((t.word & IDX_UNKNOWN) || off < 12 || off >= x->size ||
	    (x->seen[off / 8] & (1u << off % 8)))
		return false;
	x->seen[off / 8] |= (uint8_t)(1u << off % 8);
	if (t.word & IDX_PREFIX) {
		long len = idx_string(x, &at, IDX_KEY_MAX);
		if (len < 0 || t.keylen + (size_t)len > IDX_KEY_MAX)
			return false;
		t.keylen += (uint32_t)len;
	}
	if (t.word & IDX_CHILDS) {
		if (x->size - at < 2)
			return false;
		unsigned first = x->p[at], last = x->p[at + 1];
		at += 2;
		/* libkmod reads them as char: above 127 they turn negative */
		if (first > last || last > 127 || (x->size - at) / 4 < last - first + 1 ||
		    t.keylen + 1 > IDX_KEY_MAX)
			return false;
		for (unsigned i = 0; i <= last - first; i++, at += 4) {
			uint32_t child = be32(x->p + at);
			if ((child & IDX_MASK) == 0)
				continue; /* no child for that byte */
			if ((child & IDX_MASK) >= off)
				return false;
			struct idx_todo *c = ARRAY_PUSH(*todo, *n, *cap);
			*c = (struct idx_todo){child, t.keylen + 1};
		}
	}
	if (t.word & IDX_VALUES) {
		if (x->size - at < 4)
			return false;
		uint32_t count = be32(x->p + at);
		at += 4;
		for (uint32_t i = 0; i < count; i++)
			if (!idx_value_sound(x, &at))
				return false;
	}
	return true;
}

static bool idx_sound(struct idx *x)
{
	if (x->size < 12 || x->size > IDX_MASK || be32(x->p) != IDX_MAGIC ||
	    be32(x->p + 4) >> 16 != IDX_MAJOR)
		return false;
	_cleanup_free_ struct idx_todo *todo = NULL;
	size_t n = 0, cap = 0;
	struct idx_todo *root = ARRAY_PUSH(todo, n, cap);
	*root = (struct idx_todo){be32(x->p + 8), 0};
	while (n > 0)
		if (!idx_node_sound(x, todo[--n], &todo, &n, &cap))
			return false;
	return true;
}

bool ctmod_probe_index_sound(const void *data, size_t size)
{
	struct idx x = {.p = data, .size = size};
	if (size < 12 || size > IDX_MASK)
		return false;
	x.seen = xcalloc(size / 8 + 1, 1);
	bool ok = idx_sound(&x);
	free(x.seen);
	return ok;
}

/* libkmod 30's index files (kmod_load_resources maps these five) */
static const char *const idx_files[] = {
    "modules.dep.bin",           "modules.alias.bin",   "modules.symbols.bin",
    "modules.builtin.alias.bin", "modules.builtin.bin",
};

static bool idx_file_sound(int dirfd, const char *name)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return errno == ENOENT; /* libkmod finds nothing there either */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 12 ||
	    (uint64_t)st.st_size > IDX_MASK)
		return false;
	size_t size = (size_t)st.st_size;
	void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (m == MAP_FAILED)
		return false;
	bool ok = ctmod_probe_index_sound(m, size);
	munmap(m, size);
	return ok;
}

/* The identity of the five files as they are now: device, inode, size,
 * mtime and ctime (which no one but the kernel sets), a line each. */
static bool idx_identity(int dirfd, struct strbuf *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(idx_files); i++) {
		struct stat st;
		if (fstatat(dirfd, idx_files[i], &st, 0) < 0) {
			if (errno != ENOENT)
				return false;
			strbuf_printf(id, "%s -\n", idx_files[i]);
			continue;
		}
		strbuf_printf(id, "%s %llu %llu %lld %lld.%09ld %lld.%09ld\n", idx_files[i],
		              (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		              (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		              st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	}
	return true;
}

/* Where a verdict is kept: root's in /run/ctmod (a tmpfs: gone at reboot),
 * a user's in their cache directory; a directory that is not ours alone
 * holds nothing we believe.  NULL: none. */
static char *verdict_dir(void)
{
	char *dir;
	if (geteuid() == 0) {
		dir = xstrdup("/run/ctmod");
	} else {
		const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
		if (xdg && *xdg == '/')
			dir = xasprintf("%s/ctmod", xdg);
		else if (home && *home == '/')
			dir = xasprintf("%s/.cache/ctmod", home);
		else
			return NULL;
	}
	struct stat st;
	if (lstat(dir, &st) < 0 && (mkdir_p(dir, 0700) < 0 || lstat(dir, &st) < 0)) {
		free(dir);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* The verdicts: one file of the identities of the last trees found sound,
 * newest first, each ended by an empty line; a bounded list, so that the
 * many trees a test suite makes and drops do not pile up. */
#define VERDICTS     16
#define VERDICTS_MAX (VERDICTS * 1024)

/* Whether the block ID is one of TEXT's (at its start or after a blank line). */
static bool verdict_known(const char *text, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, id, n) == 0 && p[n] == '\n')
			return true;
		p = strstr(p, "\n\n");
		if (p)
			p += 2;
	}
	return false;
}

static void verdict_add(const char *path, const char *old, const char *id)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "%s\n", id);
	const char *p = old;
	for (int kept = 1; p && *p && kept < VERDICTS; kept++) {
		const char *end = strstr(p, "\n\n");
		if (!end)
			break;
		strbuf_putn(&sb, p, (size_t)(end - p) + 2);
		p = end + 2;
	}
	(void)write_file_atomic(path, strbuf_str(&sb), strlen(strbuf_str(&sb)), 0600);
}

bool ctmod_probe_indexes_sound(const char *dir)
{
	char path[4096];
	if (!dir)
		return false;
	if (!*dir) {
		struct utsname u;
		if (uname(&u) < 0)
			return false;
		snprintf(path, sizeof(path), "/lib/modules/%s", u.release);
		dir = path;
	}
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return false;
	/* the walk costs more than the lookup it guards: a tree found sound
	 * is remembered by the identity of its files, and checked again only
	 * when one of them changes */
	_cleanup_strbuf_ struct strbuf id = STRBUF_INIT;
	if (!idx_identity(dirfd, &id))
		return false;
	_cleanup_free_ char *vdir = verdict_dir();
	_cleanup_free_ char *verdicts = vdir ? xasprintf("%s/sound-indexes", vdir) : NULL;
	_cleanup_free_ char *known = NULL;
	size_t len;
	if (verdicts && read_file(verdicts, VERDICTS_MAX, &known, &len) < 0)
		known = NULL;
	if (known && verdict_known(known, strbuf_str(&id)))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(idx_files); i++)
		if (!idx_file_sound(dirfd, idx_files[i]))
			return false;
	if (verdicts)
		verdict_add(verdicts, known, strbuf_str(&id));
	return true;
}

/* libkmod 30 copies a name it looks up into a PATH_MAX buffer, and a
 * bracket expression ("[...") without a bound: a long one smashes its
 * stack, kmod's modprobe's too.  The names must be far shorter. */
static bool names_short(char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strnlen(names[i], IDX_KEY_MAX) >= IDX_KEY_MAX)
			return false;
	return true;
}

int ctmod_probe_isolated(const char *dir, char *const *names, int n, int (*fn)(void *data),
                         void *data, int *sig)
{
	if (names_short(names, n) && ctmod_probe_indexes_sound(dir))
		return fn(data) & 0xff;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int st = fn(data);
		fflush(stdout);
		fflush(stderr);
		_exit(st & 0xff);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFSIGNALED(status)) {
		if (sig)
			*sig = WTERMSIG(status);
		return -EFAULT;
	}
	return WEXITSTATUS(status);
}
