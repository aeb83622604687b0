// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The check that lets libkmod 30 read a tree's .bin indexes in-process
 * (lib/probe.c, ctmod_probe_index_sound): the input is one index file.  It
 * must never crash itself, and whatever it accepts libkmod must survive:
 * an accepted input is written as all five index files of a private tree
 * and libkmod looks names up in it and walks them, through its mapped
 * indexes and through its file reader, as ctmod deps and the modprobe
 * personality do.  A crash there is a hole in the check.
 */
#include <fcntl.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

static const char *const index_files[] = {
    "modules.dep.bin",           "modules.alias.bin",   "modules.symbols.bin",
    "modules.builtin.alias.bin", "modules.builtin.bin",
};

static const char *const names[] = {
    "btrfs", "fs-xfs", "symbol:crc32c", "pci:v00008086d00001234sv*sd*bc*sc*i*", "a", "", "*",
};

static char dir[64], conf[80];

static void quiet(void *data, int prio, const char *file, int line, const char *fn, const char *fmt,
                  va_list ap)
{
}

static void print_nothing(struct kmod_module *m, bool install, const char *options)
{
	(void)kmod_module_get_name(m);
	(void)kmod_module_get_path(m);
}

static void walk(bool mapped)
{
	const char *cfg[] = {conf, NULL};
	struct kmod_ctx *k = kmod_new(dir, cfg);
	if (!k)
		return;
	kmod_set_log_fn(k, quiet, NULL);
	if (mapped)
		kmod_load_resources(k);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct kmod_list *list = NULL, *l;
		if (kmod_module_new_from_lookup(k, names[i], &list) < 0)
			continue;
		kmod_list_foreach(l, list)
		{
			struct kmod_module *mod = kmod_module_get_module(l);
			kmod_module_probe_insert_module(
			    mod, KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED, NULL, NULL, NULL,
			    print_nothing);
			kmod_module_unref(mod);
		}
		kmod_module_unref_list(list);
	}
	kmod_unref(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!*dir) {
		snprintf(dir, sizeof(dir), "/tmp/ctmod-fuzz-index.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(conf, sizeof(conf), "%s/conf.d", dir);
		mkdir(conf, 0755);
	}
	if (!ctmod_probe_index_sound(data, size))
		return 0;
	for (size_t i = 0; i < sizeof(index_files) / sizeof(index_files[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, index_files[i]);
		if (write_file_atomic(path, data, size, 0644) < 0)
			abort();
	}
	walk(true);
	walk(false);
	return 0;
}
