// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The module database (lib/moddb.c): modules.dep, .softdep, .alias,
 * .symbols, .builtin, .builtin.modinfo, modprobe.d and the kernel command
 * line, as a hostile or half-written image under --root could hold them,
 * and the resolver that walks what they say.
 *
 * The input is the files one after the other, each ended by a line "%%":
 *
 *   modules.dep, modules.softdep, modules.alias, modules.symbols,
 *   modules.builtin, modules.builtin.modinfo, etc/modprobe.d/50-fuzz.conf,
 *   usr/lib/modprobe.d/10-fuzz.conf, proc/cmdline, then names to resolve
 *   (one a line)
 *
 * A file whose part is missing (the input ended before it) is absent from
 * the root.  They are written into a private root made once per process,
 * the database is opened as `ctmod deps --root` opens it, and the names
 * from the input plus a few fixed ones are resolved.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "moddb-internal.h"
#include "moddb.h"
#include "util.h"

#define KVER "6.1.0-fuzz-amd64"
#define SEP  "\n%%\n"

static const char *const files[] = {
    "/lib/modules/" KVER "/modules.dep",
    "/lib/modules/" KVER "/modules.softdep",
    "/lib/modules/" KVER "/modules.alias",
    "/lib/modules/" KVER "/modules.symbols",
    "/lib/modules/" KVER "/modules.builtin",
    "/lib/modules/" KVER "/modules.builtin.modinfo",
    "/etc/modprobe.d/50-fuzz.conf",
    "/usr/lib/modprobe.d/10-fuzz.conf",
    "/proc/cmdline",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static const char *const fixed_names[] = {
    "btrfs",
    "fs-ext4",
    "symbol:crc32c",
    "snd-hda-intel",
    "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00",
};

static char root[64];

static void cleanup(void)
{
	if (root[0])
		rm_rf(root);
}

static int setup(void)
{
	snprintf(root, sizeof(root), "%s", "/tmp/fuzz_moddb.XXXXXX");
	if (!mkdtemp(root)) {
		root[0] = '\0';
		return -errno;
	}
	atexit(cleanup);
	static const char *const dirs[] = {("/lib/modules/" KVER), "/etc/modprobe.d",
	                                   "/usr/lib/modprobe.d", "/proc"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s%s", root, dirs[i]);
		int r = mkdir_p(p, 0755);
		if (r < 0)
			return r;
	}
	return 0;
}

static void put_file(const char *name, const uint8_t *data, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s%s", root, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		abort();
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n <= 0)
			abort();
		data += n;
		len -= (size_t)n;
	}
	close(fd);
}

static void drop_file(const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s%s", root, name);
	if (unlink(p) < 0 && errno != ENOENT)
		abort();
}

static void resolve(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *name, unsigned flags)
{
	struct ctmod_moddb_plan plan;
	struct strbuf sb;
	struct strv sv;
	strbuf_init(&sb);
	if (ctmod_moddb_resolve_opts(db, name, flags, flags & 4 ? "x=1 y" : NULL, &plan) == 0) {
		for (size_t i = 0; i < plan.n; i++)
			ctmod_moddb_show_depends(&plan.steps[i], &sb);
		ctmod_moddb_plan_release(&plan);
	}
	strbuf_release(&sb);
	ctmod_ctx_clear_error(ctx);

	strv_init(&sv);
	ctmod_moddb_lookup(db, name, &sv);
	ctmod_moddb_symbol_owners(db, name, &sv);
	ctmod_moddb_is_builtin(db, name);
	/* for a name that is not a module these only repeat the "did you
	 * mean" search of the resolution above, which is slow */
	if (ctmod_moddb_path(db, name)) {
		ctmod_moddb_depends(db, name, &sv);
		ctmod_moddb_direct_depends(db, name, &sv);
		ctmod_moddb_users(db, name, &sv);
	}
	strv_release(&sv);
	ctmod_ctx_clear_error(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctmod_ctx *ctx;
	if (!ctx) {
		if (setup() < 0 || ctmod_ctx_new(&ctx, root, KVER) < 0)
			abort();
		ctmod_ctx_set_log_level(ctx, 0);
	}

	/* split the input into the files and the names */
	const uint8_t *p = data, *end = data + size;
	size_t i = 0;
	for (; i < NFILES && p; i++) {
		if (end - p >= 3 && memcmp(p, &SEP[1], 3) == 0) {
			put_file(files[i], p, 0); /* "%%" right at the start: empty */
			p += 3;
			continue;
		}
		const uint8_t *s = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
		size_t len = s ? (size_t)(s - p) + 1 : (size_t)(end - p);
		put_file(files[i], p, len);
		p = s ? s + strlen(SEP) : NULL;
	}
	for (; i < NFILES; i++)
		drop_file(files[i]);
	char *names = p ? strndup((const char *)p, (size_t)(end - p)) : NULL;
	unsigned flags = size ? data[size - 1] : 0;

	struct ctmod_moddb *db;
	if (ctmod_moddb_open(ctx, &db) < 0) {
		ctmod_ctx_clear_error(ctx);
		free(names);
		return 0;
	}
	/* the modules need not exist: a few are taken as stale, the others as
	 * present, so that the resolver goes on past its access() check */
	for (size_t m = 0; m < db->nmods; m++)
		db->mods[m].exists = m % 8 == 7 ? -1 : 1;

	size_t n = 0;
	char *sp = NULL;
	for (char *t = names ? strtok_r(names, "\n", &sp) : NULL; t && n < 4;
	     t = strtok_r(NULL, "\n", &sp), n++)
		resolve(ctx, db, t, flags);
	for (size_t k = 0; k < sizeof(fixed_names) / sizeof(fixed_names[0]); k++)
		resolve(ctx, db, fixed_names[k], flags >> 1);

	/* as deps --all: the first modules of modules.dep */
	struct strv all;
	strv_init(&all);
	if (ctmod_moddb_all(db, &all) == 0)
		for (size_t k = 0; k < all.n && k < 4; k++)
			resolve(ctx, db, all.v[k], flags >> 2);
	strv_release(&all);

	ctmod_moddb_free(db);
	ctmod_ctx_clear_error(ctx);
	free(names);
	return 0;
}
