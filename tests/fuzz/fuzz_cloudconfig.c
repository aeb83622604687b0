// SPDX-License-Identifier: GPL-2.0-or-later
/* cloud-config YAML (rancher.modules, ctmod.modules): untrusted user data. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "modlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctmod_modlist list;
	ctmod_modlist_init(&list);
	ctmod_modlist_parse_cloud_config(&list, (const char *)data, size, "fuzz.yml");
	/* whatever was accepted must be a valid name */
	for (size_t i = 0; i < list.n; i++)
		if (!modname_valid(list.v[i].name) || !list.v[i].params || !list.v[i].n_origins)
			__builtin_trap();
	ctmod_modlist_release(&list);
	return 0;
}
