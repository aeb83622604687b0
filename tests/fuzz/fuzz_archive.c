// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what ctmod install unpacks: tarballs in any
 * compression and .deb packages, extracted into a fresh directory.  Besides
 * "no crash", it checks the property that matters: nothing appears next to
 * the destination, whatever the archive says.  The entry-name and link
 * checks are also fed the raw input.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctx.h"
#include "extract.h"
#include "util.h"

static char base[] = "/tmp/ctmod-fuzz-XXXXXX";

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void check_names(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	if (!s)
		return;
	char *target = strchr(s, '\n');
	if (target)
		*target++ = '\0';
	char *out = NULL;
	if (ctmod_archive_safe_name(s, &out) == 0) {
		/* the normalised name never climbs and is never absolute */
		if (out[0] == '/' || !strcmp(out, "..") || !strncmp(out, "../", 3) ||
		    strstr(out, "/../") ||
		    (strlen(out) >= 3 && !strcmp(out + strlen(out) - 3, "/..")) ||
		    strstr(out, "//"))
			abort();
		if (target)
			(void)ctmod_archive_link_inside(out, target);
	}
	free(out);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (!mkdtemp(base))
			abort();
		ready = 1;
	}
	check_names(data, size);

	char dest[64];
	snprintf(dest, sizeof(dest), "%s/root", base);
	rm_rf(dest);
	if (mkdir(dest, 0755) < 0)
		abort();
	struct ctmod_ctx *ctx;
	if (ctmod_ctx_new(&ctx, NULL, NULL) < 0)
		abort();
	struct ctmod_archive_info info;
	int r = ctmod_archive_extract_mem(ctx, data, size, "fuzz", dest, &info);
	if (r < 0 && !ctmod_ctx_error(ctx) && r != -ENOMEM)
		abort(); /* every failure says why */
	ctmod_archive_info_release(&info);
	ctmod_ctx_free(ctx);
	/* nothing was written beside the destination */
	if (entries(base) != 1)
		abort();
	rm_rf(dest);
	return 0;
}
