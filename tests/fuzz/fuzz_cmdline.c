// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel command line (rancher.modules=[..] read as YAML, modules_load=
 * and friends) and the line-based lists (modules-load.d, /etc/modules):
 * whatever the boot loader or an image put there.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "modlist.h"

static void check(struct ctmod_modlist *list)
{
	for (size_t i = 0; i < list->n; i++)
		if (!modname_valid(list->v[i].name) || !list->v[i].params)
			__builtin_trap();
	ctmod_modlist_release(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctmod_modlist list;
	ctmod_modlist_init(&list);
	ctmod_modlist_parse_cmdline(&list, (const char *)data, size, "cmdline");
	check(&list);
	ctmod_modlist_init(&list);
	ctmod_modlist_parse_modules_load(&list, (const char *)data, size, "fuzz.conf");
	check(&list);
	ctmod_modlist_init(&list);
	ctmod_modlist_parse_etc_modules(&list, (const char *)data, size, "modules");
	check(&list);
	return 0;
}
