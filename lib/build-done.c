// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What is already done, as dkms autoinstall skips it: a job whose tree
 * records a good build from the same source, dkms.conf, overrides, headers
 * and signing choice (one fingerprint of their names, sizes and
 * modification times) is not built again, unless --force.
 */
#include "build-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static void fnv(uint64_t *h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		*h ^= p[i];
		*h *= FNV_PRIME;
	}
}

/* one path's name, type, size and mtime; missing paths count too (as absent) */
static void fnv_stat(uint64_t *h, int dfd, const char *name, const char *label)
{
	struct stat st;
	char rec[512];
	int n;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		n = snprintf(rec, sizeof(rec), "%s -\n", label);
	else
		n = snprintf(rec, sizeof(rec), "%s %o %lld %lld.%09ld\n", label, st.st_mode,
		             (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		             st.st_mtim.tv_nsec);
	fnv(h, rec, n > 0 ? (size_t)n : 0);
}

/* every entry under dir, in name order (readdir's order is not stable across copies) */
static void fnv_tree(uint64_t *h, int dfd, const char *prefix, int depth)
{
	DIR *d = fdopendir(dup(dfd));
	if (!d)
		return;
	struct strv names;
	strv_init(&names);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	closedir(d);
	strv_sort(&names);
	for (size_t i = 0; i < names.n; i++) {
		_cleanup_free_ char *label = xasprintf("%s/%s", prefix, names.v[i]);
		fnv_stat(h, dfd, names.v[i], label ? label : names.v[i]);
		struct stat st;
		if (depth < 32 && fstatat(dfd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, names.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub >= 0) {
				fnv_tree(h, sub, label ? label : names.v[i], depth + 1);
				close(sub);
			}
		}
	}
	strv_release(&names);
}

/* the fingerprint of what a build of j is made from */
static char *fingerprint(struct ctmod_ctx *ctx, const struct build_opts *o,
                         const struct build_job *j)
{
	uint64_t h = FNV_OFFSET;
	int sfd = open(j->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return NULL;
	fnv_tree(&h, sfd, ".", 0);
	close(sfd);
	_cleanup_free_ char *conf = xasprintf("%s/dkms.conf", j->src);
	_cleanup_free_ char *txt = NULL;
	size_t len = 0;
	if (conf && read_file(conf, 1 << 20, &txt, &len) == 0)
		fnv(&h, txt, len);
	/* the overrides and the kernel's configuration */
	_cleanup_free_ char *etc = ctmod_path(ctx, "/etc/dkms");
	_cleanup_free_ char *hd = ctmod_build_headers_dir(ctx, j->kver);
	int efd = etc ? open(etc, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (efd >= 0) {
		fnv_tree(&h, efd, "etc", 30);
		close(efd);
	}
	int hfd = hd ? open(hd, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (hfd >= 0) {
		fnv_stat(&h, hfd, ".config", "config");
		fnv_stat(&h, hfd, "Module.symvers", "symvers");
		close(hfd);
	}
	char tail[128];
	int n = snprintf(tail, sizeof(tail), "sign=%d key=%s", !o->no_sign,
	                 o->sign_cert ? o->sign_cert : "");
	fnv(&h, tail, n > 0 ? (size_t)n : 0);
	return xasprintf("%016llx", (unsigned long long)h);
}

/* the state recorded: a good build with this fingerprint; *installed: its files all there */
static bool done_before(const struct build_job *j, bool *installed)
{
	_cleanup_free_ char *p = xasprintf("%s/state", j->tree);
	_cleanup_free_ char *txt = NULL;
	size_t len;
	*installed = false;
	if (!p || !j->fingerprint || read_file(p, 1 << 20, &txt, &len) < 0)
		return false;
	_cleanup_free_ char *want = xasprintf("\nfingerprint=%s\n", j->fingerprint);
	if (!want || !strstr(txt, want) || !strstr(txt, "\nresult=ok\n"))
		return false;
	bool any = false, all = true;
	for (char *l = strtok(txt, "\n"); l; l = strtok(NULL, "\n"))
		if (strncmp(l, "installed=", 10) == 0) {
			any = true;
			all &= exists(l + 10);
		}
	*installed = any && all;
	return true;
}

void ctmod_build_skip_done(struct ctmod_ctx *ctx, const struct build_opts *o,
                           struct build_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct build_job *j = &plan->jobs[i];
		if (j->state != BUILD_PENDING)
			continue;
		free(j->fingerprint);
		j->fingerprint = fingerprint(ctx, o, j);
		bool installed;
		if (o->force || !done_before(j, &installed))
			continue;
		/* --install of one only built: build it again, then install */
		if (o->install && !installed)
			continue;
		j->state = BUILD_ALREADY;
		j->already_installed = installed;
	}
	/* a dependency that builds again rebuilds what depends on it (DKMS's BUILD_DEPENDS_REBUILD)
	 */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < plan->n; i++) {
			struct build_job *j = &plan->jobs[i];
			for (size_t d = 0; j->state == BUILD_ALREADY && d < j->depends.n; d++)
				for (size_t k = 0; k < plan->n; k++) {
					const struct build_job *dep = &plan->jobs[k];
					if (dep->state == BUILD_PENDING &&
					    !strcmp(dep->name, j->depends.v[d]) &&
					    !strcmp(dep->kver, j->kver) &&
					    !strcmp(dep->arch, j->arch)) {
						j->state = BUILD_PENDING;
						changed = true;
						break;
					}
				}
		}
	}
}
