// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Several versions of one package, as DKMS has them: one version is
 * installed for a kernel at a time.  Installing an older version over a
 * newer one is refused unless --force; installing one makes the other
 * installed version `built` (its files are now the new one's), so that
 * uninstalling either never removes the other's files.
 */
#include "build-internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* each other version of j's package recorded installed for j's kernel: fn(tree, version) */
static void each_installed_other(const char *root, const struct build_job *j,
                                 void (*fn)(const char *tree, const char *ver, void *arg),
                                 void *arg)
{
	_cleanup_free_ char *top = xasprintf("%s" CTMOD_TREE "/%s", root, j->name);
	DIR *d = top ? opendir(top) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, j->version) == 0)
			continue;
		_cleanup_free_ char *tree =
		    xasprintf("%s/%s/%s/%s", top, de->d_name, j->kver, j->arch);
		_cleanup_free_ char *st = tree ? xasprintf("%s/state", tree) : NULL;
		_cleanup_free_ char *txt = NULL;
		size_t len;
		if (st && read_file(st, 1 << 20, &txt, &len) == 0 &&
		    strncmp(txt, "state=installed\n", 16) == 0)
			fn(tree, de->d_name, arg);
	}
	if (d)
		closedir(d);
}

struct newest {
	const struct build_job *j;
	char *ver;
};

static void find_newer(const char *tree, const char *ver, void *arg)
{
	struct newest *n = arg;
	if (strverscmp(ver, n->j->version) > 0 && (!n->ver || strverscmp(ver, n->ver) > 0)) {
		free(n->ver);
		n->ver = strdup(ver);
	}
}

void ctmod_build_refuse_older(const struct build_opts *o, struct build_plan *plan)
{
	if (!o->install || o->force)
		return;
	for (size_t i = 0; i < plan->n; i++) {
		struct build_job *j = &plan->jobs[i];
		if (j->state != BUILD_PENDING)
			continue;
		struct newest n = {.j = j};
		each_installed_other(plan->root, j, find_newer, &n);
		if (!n.ver)
			continue;
		j->state = BUILD_FAILED;
		free(j->msg);
		j->msg =
		    xasprintf("Module version %s for %s is not newer than what is already "
		              "found in kernel %s (%s): installation aborted (--force installs "
		              "it anyway)",
		              j->version, j->name, j->kver, n.ver);
		free(n.ver);
	}
}

/* the other version's record: built, its installed files no longer its own */
static void demote(const char *tree, const char *ver, void *arg)
{
	_cleanup_free_ char *st = xasprintf("%s/state", tree);
	_cleanup_free_ char *txt = NULL;
	size_t len;
	if (!st || read_file(st, 1 << 20, &txt, &len) < 0)
		return;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "state=built\n");
	for (char *l = strtok(txt + 16, "\n"); l; l = strtok(NULL, "\n"))
		if (strncmp(l, "installed=", 10) != 0)
			strbuf_printf(&sb, "%s\n", l);
	write_file_atomic(st, strbuf_str(&sb), sb.len, 0644);
	strbuf_release(&sb);
}

void ctmod_build_demote_others(const char *root, const struct build_job *j)
{
	each_installed_other(root, j, demote, NULL);
}
