// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Who exports the symbols a module could not resolve: modules.symbols, the
 * headers' Module.symvers, the Module.symvers of what `ctmod build` built;
 * the smallest set of modules that covers them (the ones to load first),
 * the GPL-only exports a module's license hides from it, and the symbols no
 * one exports (built for another kernel, or an uninstalled package).
 */
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diagnose-internal.h"

struct owner_info {
	struct strv mods; /* modules of KVER exporting it (modules.symbols, Module.symvers) */
	bool in_vmlinux;  /* the kernel image exports it (Module.symvers) */
	bool gpl_only;    /* ... with EXPORT_SYMBOL_GPL */
};

/*
 * The Module.symvers of KVER's headers, if installed.  lib/modules/KVER/build
 * is an absolute link meant for the running system: follow it under the root.
 */
char *ctmod_diagnose_symvers_path(struct ctmod_ctx *ctx, const char *kver)
{
	_cleanup_free_ char *build = ctmod_path(ctx, "/lib/modules/%s/build", kver);
	char target[4096];
	ssize_t n = build ? readlink(build, target, sizeof(target) - 1) : -1;
	char *p = NULL;
	if (n > 0 && target[0] == '/') {
		target[n] = '\0';
		p = ctmod_path(ctx, "%s/Module.symvers", target);
	} else if (build) {
		p = ctmod_path(ctx, "/lib/modules/%s/build/Module.symvers", kver);
	}
	if (p && access(p, R_OK) == 0)
		return p;
	free(p);
	p = ctmod_path(ctx, "/usr/src/linux-headers-%s/Module.symvers", kver);
	if (p && access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/*
 * One pass over Module.symvers ("crc\tsymbol\tpath\tEXPORT_SYMBOL[_GPL]\tns")
 * for all the symbols asked about.
 */
static void symvers_scan(const char *path, const struct strv *syms, struct owner_info *info);

/*
 * The headers' Module.symvers, and those of the modules `ctmod build` built
 * for KVER (ROOT/var/lib/ctmod/NAME/VERSION/KVER/ARCH/build/), which may
 * export what another out-of-tree module needs.
 */
static void symvers_owners(struct ctmod_ctx *ctx, const char *kver, const struct strv *syms,
                           struct owner_info *info)
{
	_cleanup_free_ char *path = ctmod_diagnose_symvers_path(ctx, kver);
	if (path)
		symvers_scan(path, syms, info);
	_cleanup_free_ char *pat =
	    ctmod_path(ctx, "/var/lib/ctmod/*/*/%s/*/build/Module.symvers", kver);
	glob_t g;
	if (pat && glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && i < 256; i++)
			symvers_scan(g.gl_pathv[i], syms, info);
		globfree(&g);
	}
}

static void symvers_scan(const char *path, const struct strv *syms, struct owner_info *info)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL;
		strtok_r(line, "\t\n", &save);
		char *sym = strtok_r(NULL, "\t\n", &save);
		char *mod = strtok_r(NULL, "\t\n", &save);
		char *kind = strtok_r(NULL, "\t\n", &save);
		if (!sym || !mod)
			continue;
		for (size_t i = 0; i < syms->n; i++) {
			if (strcmp(syms->v[i], sym) != 0)
				continue;
			const char *base = strrchr(mod, '/');
			base = base ? base + 1 : mod;
			if (strcmp(base, "vmlinux") == 0) {
				info[i].in_vmlinux = true;
				info[i].gpl_only = kind && strstr(kind, "_GPL");
			} else {
				char norm[64];
				modname_normalize(base, norm, sizeof(norm));
				if (!strv_contains(&info[i].mods, norm))
					strv_push(&info[i].mods, norm);
			}
		}
	}
	free(line);
}

/*
 * The smallest set of candidate modules that covers every symbol: exact
 * over up to 16 candidates (a failed load rarely has more), greedy beyond.
 */
static void smallest_cover(const struct strv *cands, const uint32_t *need_masks, size_t nsyms,
                           const struct strv *owners_of_cand_unused, struct strv *out)
{
	(void)owners_of_cand_unused;
	size_t nc = cands->n;
	if (nc == 0)
		return;
	if (nc <= 16) {
		uint32_t best = 0;
		int best_bits = 99;
		for (uint32_t set = 1; set < (1u << nc); set++) {
			int bits = __builtin_popcount(set);
			if (bits >= best_bits)
				continue;
			bool ok = true;
			for (size_t s = 0; s < nsyms && ok; s++)
				ok = (need_masks[s] & set) != 0;
			if (ok) {
				best = set;
				best_bits = bits;
			}
		}
		for (size_t c = 0; c < nc; c++)
			if (best & (1u << c))
				strv_push(out, cands->v[c]);
		return;
	}
	/* greedy: the candidate covering most uncovered symbols */
	bool *covered = calloc(nsyms, sizeof(bool));
	if (!covered)
		return;
	for (;;) {
		size_t best = SIZE_MAX, best_n = 0;
		for (size_t c = 0; c < nc && c < 32; c++) {
			size_t k = 0;
			for (size_t s = 0; s < nsyms; s++)
				if (!covered[s] && (need_masks[s] & (1u << c)))
					k++;
			if (k > best_n)
				best = c, best_n = k;
		}
		if (best == SIZE_MAX)
			break;
		strv_push(out, cands->v[best]);
		for (size_t s = 0; s < nsyms; s++)
			if (need_masks[s] & (1u << best))
				covered[s] = true;
	}
	free(covered);
}

static bool is_gpl_compatible(const char *lic)
{
	static const char *const ok[] = {
	    "GPL",          "GPL v2",       "GPL and additional rights",
	    "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (strcmp(lic, ok[i]) == 0)
			return true;
	return false;
}

/* The symbols of one failed load, sorted by who could provide them. */
struct sym_sets {
	struct strv cands;        /* modules exporting some of them (at most 32) */
	struct strv covered_syms; /* the symbols some candidate exports */
	uint32_t *cmasks;         /* per covered symbol: the candidates exporting it */
	size_t nc;
	struct strv gpl;     /* exported by vmlinux to GPL modules only */
	struct strv orphans; /* exported by nothing installed */
};

static void sym_sets_release(struct sym_sets *s)
{
	strv_release(&s->cands);
	strv_release(&s->covered_syms);
	free(s->cmasks);
	strv_release(&s->gpl);
	strv_release(&s->orphans);
}

/* The candidate bit mask of one symbol, adding its owners to s->cands. */
static uint32_t owner_mask(const struct ctmod_modlog *m, const struct owner_info *info,
                           struct sym_sets *s)
{
	uint32_t mask = 0;
	for (size_t k = 0; k < info->mods.n; k++) {
		const char *o = info->mods.v[k];
		if (modname_equal(o, m->name))
			continue;
		size_t c;
		for (c = 0; c < s->cands.n; c++)
			if (strcmp(s->cands.v[c], o) == 0)
				break;
		if (c == s->cands.n) {
			if (s->cands.n >= 32)
				continue;
			strv_push(&s->cands, o);
		}
		mask |= 1u << c;
	}
	return mask;
}

static void classify(const struct ctmod_modlog *m, const struct owner_info *info,
                     struct sym_sets *s)
{
	size_t ns = m->missing.n;
	s->cmasks = calloc(ns ? ns : 1, sizeof(uint32_t));
	if (!s->cmasks)
		return;
	for (size_t i = 0; i < ns; i++) {
		uint32_t mask = owner_mask(m, &info[i], s);
		if (mask) {
			s->cmasks[s->nc++] = mask;
			strv_push(&s->covered_syms, m->missing.v[i]);
		} else if (info[i].in_vmlinux && info[i].gpl_only) {
			strv_push(&s->gpl, m->missing.v[i]);
		} else {
			strv_push(&s->orphans, m->missing.v[i]);
		}
	}
}

/* `ctmod load A` loads A's own dependencies: drop those from first. */
static void drop_implied(struct ctmod_moddb *db, struct strv *first)
{
	if (!db || first->n <= 1)
		return;
	struct strv keep;
	strv_init(&keep);
	for (size_t i = 0; i < first->n; i++) {
		bool dep = false;
		for (size_t j = 0; j < first->n && !dep; j++) {
			if (i == j)
				continue;
			struct strv deps;
			strv_init(&deps);
			if (ctmod_moddb_depends(db, first->v[j], &deps) == 0)
				dep = strv_contains(&deps, first->v[i]);
			strv_release(&deps);
		}
		if (!dep)
			strv_push(&keep, first->v[i]);
	}
	strv_release(first);
	*first = keep;
}

/* Installed with depmod and depending on all of first: its own load pulls them in. */
static bool deps_known(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *name,
                       const struct strv *first)
{
	if (!db)
		return false;
	bool known = false;
	struct strv deps;
	strv_init(&deps);
	if (ctmod_moddb_depends(db, name, &deps) == 0) {
		known = true;
		for (size_t i = 0; i < first->n && known; i++)
			known = strv_contains(&deps, first->v[i]);
	}
	strv_release(&deps);
	ctmod_ctx_clear_error(ctx);
	return known;
}

static void report_load_first(struct ctmod_ctx *ctx, struct ctmod_moddb *db,
                              const struct ctmod_modlog *m, const struct sym_sets *s,
                              struct ctmod_diagnosis *d)
{
	struct strv first;
	strv_init(&first);
	smallest_cover(&s->cands, s->cmasks, s->nc, NULL, &first);
	drop_implied(db, &first);
	_cleanup_free_ char *fl = ctmod_diagnose_list_words(&first, 8);
	_cleanup_free_ char *sl = ctmod_diagnose_list_words(&s->covered_syms, 4);
	struct ctmod_finding *f =
	    ctmod_finding_add(d, CTMOD_SEV_ERROR, "missing-dependencies", m->name,
	                      "%s needs %s loaded first", m->name, fl ? fl : "?");
	if (!f) {
		strv_release(&first);
		return;
	}
	bool known = deps_known(ctx, db, m->name, &first);
	ctmod_finding_why(
	    f, "the kernel could not resolve %zu symbol%s (%s): %s %s them, and %s not loaded%s",
	    s->covered_syms.n, s->covered_syms.n == 1 ? "" : "s", sl ? sl : "", fl ? fl : "",
	    first.n == 1 ? "exports" : "export", first.n == 1 ? "it was" : "they were",
	    known
	        ? "; it was loaded without its dependencies (insmod does not load them; ctmod load does)"
	        : "");
	for (size_t i = 0; i < first.n; i++) {
		strv_push(&f->load_first, first.v[i]);
		if (!known)
			ctmod_finding_fix(f, "ctmod load %s", first.v[i]);
	}
	ctmod_finding_fix(f, "ctmod load %s", m->name);
	for (size_t i = 0; i < m->missing_lines.n; i++)
		ctmod_finding_evidence(f, m->missing_lines.v[i]);
	strv_release(&first);
}

static void report_gpl(const struct ctmod_modlog *m, const struct strv *gpl,
                       struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *sl = ctmod_diagnose_list_words(gpl, 4);
	struct ctmod_finding *f =
	    ctmod_finding_add(d, CTMOD_SEV_ERROR, "gpl-only-symbols", m->name,
	                      "%s uses symbols the kernel exports to GPL modules only", m->name);
	if (!f)
		return;
	ctmod_finding_why(
	    f, "%s%s%s is not GPL-compatible, so the kernel hides %s (EXPORT_SYMBOL_GPL) from it",
	    m->license ? "its license '" : "its license", m->license ? m->license : "",
	    m->license ? "'" : "", sl ? sl : "");
	ctmod_finding_note(
	    f,
	    "rebuild it with a GPL-compatible MODULE_LICENSE(), or without %s: no command here can change its license",
	    gpl->v[0]);
}

static void report_orphans(struct ctmod_ctx *ctx, const char *kver, const struct ctmod_modlog *m,
                           const struct strv *orphans, struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *sl = ctmod_diagnose_list_words(orphans, 4);
	struct ctmod_finding *f;
	if (m->license && !is_gpl_compatible(m->license)) {
		f = ctmod_finding_add(d, CTMOD_SEV_ERROR, "gpl-only-symbols", m->name,
		                      "%s uses symbols the kernel may export to GPL modules only",
		                      m->name);
		if (f) {
			ctmod_finding_why(
			    f,
			    "no module of %s exports %s, and its license '%s' is not GPL-compatible: the kernel hides GPL-only symbols from it",
			    kver, sl ? sl : "", m->license);
			ctmod_finding_note(
			    f,
			    "rebuild it with a GPL-compatible MODULE_LICENSE(): no command here can change its license");
		}
	} else {
		f = ctmod_finding_add(d, CTMOD_SEV_ERROR, "symbols-not-exported", m->name,
		                      "no module of %s exports what %s needs", kver, m->name);
		if (f) {
			ctmod_finding_why(
			    f,
			    "nothing installed for %s exports %s: %s was built for another kernel, or needs a module that is not installed (an extra-modules package)",
			    kver, sl ? sl : "", m->name);
			ctmod_diagnose_fix_rebuild(ctx, kver, m->name, f);
			ctmod_finding_note(
			    f,
			    "or install the package of %s that holds the module exporting them (an extra-modules package)",
			    kver);
		}
	}
	for (size_t i = 0; f && i < m->missing_lines.n; i++)
		ctmod_finding_evidence(f, m->missing_lines.v[i]);
}

void ctmod_diagnose_missing_symbols(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *kver,
                                    const struct ctmod_modlog *m, struct ctmod_diagnosis *d)
{
	size_t ns = m->missing.n;
	struct owner_info *info = calloc(ns, sizeof(*info));
	if (!info)
		return;
	for (size_t i = 0; i < ns; i++) {
		strv_init(&info[i].mods);
		if (db)
			ctmod_moddb_symbol_owners(db, m->missing.v[i], &info[i].mods);
	}
	symvers_owners(ctx, kver, &m->missing, info);

	struct sym_sets s = {0};
	strv_init(&s.cands);
	strv_init(&s.covered_syms);
	strv_init(&s.gpl);
	strv_init(&s.orphans);
	classify(m, info, &s);
	if (s.nc)
		report_load_first(ctx, db, m, &s, d);
	if (s.gpl.n)
		report_gpl(m, &s.gpl, d);
	if (s.orphans.n)
		report_orphans(ctx, kver, m, &s.orphans, d);
	sym_sets_release(&s);
	for (size_t i = 0; i < ns; i++)
		strv_release(&info[i].mods);
	free(info);
}
