// SPDX-License-Identifier: LGPL-2.1-or-later
#include "diagnose.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "moddb.h"

#define CAP_SYS_MODULE_BIT 16

/* ---------- findings ---------- */

void ctmod_diagnosis_init(struct ctmod_diagnosis *d)
{
	memset(d, 0, sizeof(*d));
}

static void finding_release(struct ctmod_finding *f)
{
	free(f->id);
	free(f->module);
	free(f->what);
	free(f->why);
	strv_release(&f->fix);
	strv_release(&f->load_first);
	strv_release(&f->evidence);
}

void ctmod_diagnosis_release(struct ctmod_diagnosis *d)
{
	for (size_t i = 0; i < d->n; i++)
		finding_release(&d->f[i]);
	free(d->f);
	free(d->kver);
	free(d->log_source);
	free(d->log_error);
	ctmod_diagnosis_init(d);
}

const char *ctmod_severity_name(enum ctmod_severity s)
{
	switch (s) {
	case CTMOD_SEV_ERROR:
		return "error";
	case CTMOD_SEV_WARNING:
		return "warning";
	default:
		return "info";
	}
}

const struct ctmod_finding *ctmod_diagnosis_find(const struct ctmod_diagnosis *d, const char *id,
                                                 const char *module)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->f[i].id, id) == 0 &&
		    (!module || (d->f[i].module && modname_equal(d->f[i].module, module))))
			return &d->f[i];
	return NULL;
}

enum ctmod_severity ctmod_diagnosis_worst(const struct ctmod_diagnosis *d, size_t count[3])
{
	enum ctmod_severity worst = CTMOD_SEV_INFO;
	if (count)
		count[0] = count[1] = count[2] = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (count)
			count[d->f[i].severity]++;
		if (d->f[i].severity > worst)
			worst = d->f[i].severity;
	}
	return worst;
}

/* A new finding; what and why are printf formats joined by "\n". */
static struct ctmod_finding *add(struct ctmod_diagnosis *d, enum ctmod_severity sev, const char *id,
                                 const char *module, const char *what_fmt, ...)
    __attribute__((format(printf, 5, 6)));

static struct ctmod_finding *add(struct ctmod_diagnosis *d, enum ctmod_severity sev, const char *id,
                                 const char *module, const char *what_fmt, ...)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct ctmod_finding *v = realloc(d->f, cap * sizeof(*v));
		if (!v)
			return NULL;
		d->f = v;
		d->cap = cap;
	}
	struct ctmod_finding *f = &d->f[d->n];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	f->id = strdup(id);
	f->module = module ? strdup(module) : NULL;
	va_list ap;
	va_start(ap, what_fmt);
	if (vasprintf(&f->what, what_fmt, ap) < 0)
		f->what = NULL;
	va_end(ap);
	strv_init(&f->fix);
	strv_init(&f->load_first);
	strv_init(&f->evidence);
	if (!f->id || (module && !f->module) || !f->what) {
		finding_release(f);
		return NULL;
	}
	d->n++;
	return f;
}

static int what(struct ctmod_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int what(struct ctmod_finding *f, const char *fmt, ...)
{
	char *w;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&w, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM; /* the old text stays */
	free(f->what);
	f->what = w;
	return 0;
}

static int why(struct ctmod_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why(struct ctmod_finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(f->why);
	int r = vasprintf(&f->why, fmt, ap);
	va_end(ap);
	if (r < 0) {
		f->why = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int fix(struct ctmod_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fix(struct ctmod_finding *f, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	if (strv_contains(&f->fix, s)) {
		free(s);
		return 0;
	}
	strv_push_take(&f->fix, s);
	return 0;
}

static void evidence(struct ctmod_finding *f, const char *line)
{
	if (line && !strv_contains(&f->evidence, line) && f->evidence.n < 64)
		strv_push(&f->evidence, line);
}

/* "a, b, c and 15 more" */
static char *list_words(const struct strv *sv, size_t max)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < sv->n && i < max; i++)
		strbuf_printf(&sb, "%s%s",
		              i == 0                           ? ""
		              : i + 1 == sv->n && sv->n <= max ? " and "
		                                               : ", ",
		              sv->v[i]);
	if (sv->n > max)
		strbuf_printf(&sb, " and %zu more", sv->n - max);
	return strbuf_steal(&sb);
}

/* ---------- who exports a symbol ---------- */

struct owner_info {
	struct strv mods; /* modules of KVER exporting it (modules.symbols, Module.symvers) */
	bool in_vmlinux;  /* the kernel image exports it (Module.symvers) */
	bool gpl_only;    /* ... with EXPORT_SYMBOL_GPL */
};

/*
 * The Module.symvers of KVER's headers, if installed.  lib/modules/KVER/build
 * is an absolute link meant for the running system: follow it under the root.
 */
static char *symvers_path(struct ctmod_ctx *ctx, const char *kver)
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
	_cleanup_free_ char *path = symvers_path(ctx, kver);
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

/* ---------- the log ---------- */

struct modlog {
	char *name;
	struct strv missing; /* symbols of "Unknown symbol ... (err -2)" */
	struct strv missing_lines;
	bool any_einval;     /* "Unknown symbol (err -22)": version or namespace */
	const char *license; /* from the taint line, if any */
};

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

static int find_or_add_mod(struct modlog **mods, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*mods)[i].name, name) == 0)
			return (int)i;
	struct modlog *v = realloc(*mods, (*n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*mods = v;
	memset(&v[*n], 0, sizeof(v[*n]));
	v[*n].name = strdup(name);
	strv_init(&v[*n].missing);
	strv_init(&v[*n].missing_lines);
	if (!v[*n].name)
		return -ENOMEM;
	return (int)(*n)++;
}

static bool wanted(const char *filter, const char *module)
{
	return !filter || (module && modname_equal(filter, module));
}

/* The finding of this id for this module, created on first use. */
static struct ctmod_finding *once(struct ctmod_diagnosis *d, enum ctmod_severity sev,
                                  const char *id, const char *module, const char *what)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->f[i].id, id) == 0 &&
		    ((!module && !d->f[i].module) ||
		     (module && d->f[i].module && strcmp(module, d->f[i].module) == 0)))
			return &d->f[i];
	return add(d, sev, id, module, "%s", what);
}

static void missing_symbols(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *kver,
                            struct modlog *m, struct ctmod_diagnosis *d)
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

	struct strv cands, orphans, gpl;
	strv_init(&cands);
	strv_init(&orphans);
	strv_init(&gpl);
	uint32_t *masks = calloc(ns, sizeof(uint32_t));
	for (size_t i = 0; masks && i < ns; i++) {
		for (size_t k = 0; k < info[i].mods.n; k++) {
			const char *o = info[i].mods.v[k];
			if (modname_equal(o, m->name))
				continue;
			size_t c;
			for (c = 0; c < cands.n; c++)
				if (strcmp(cands.v[c], o) == 0)
					break;
			if (c == cands.n) {
				if (cands.n >= 32)
					continue;
				strv_push(&cands, o);
			}
			masks[i] |= 1u << c;
		}
		if (!masks[i]) {
			if (info[i].in_vmlinux && info[i].gpl_only)
				strv_push(&gpl, m->missing.v[i]);
			else
				strv_push(&orphans, m->missing.v[i]);
		}
	}

	/* the symbols some module provides */
	struct strv covered_syms;
	strv_init(&covered_syms);
	uint32_t *cmasks = calloc(ns ? ns : 1, sizeof(uint32_t));
	size_t nc = 0;
	for (size_t i = 0; masks && cmasks && i < ns; i++)
		if (masks[i]) {
			cmasks[nc++] = masks[i];
			strv_push(&covered_syms, m->missing.v[i]);
		}

	if (nc) {
		struct strv first;
		strv_init(&first);
		smallest_cover(&cands, cmasks, nc, NULL, &first);
		/* `ctmod load A` loads A's own dependencies: drop those */
		if (db && first.n > 1) {
			struct strv keep;
			strv_init(&keep);
			for (size_t i = 0; i < first.n; i++) {
				bool dep = false;
				for (size_t j = 0; j < first.n && !dep; j++) {
					if (i == j)
						continue;
					struct strv deps;
					strv_init(&deps);
					if (ctmod_moddb_depends(db, first.v[j], &deps) == 0)
						dep = strv_contains(&deps, first.v[i]);
					strv_release(&deps);
				}
				if (!dep)
					strv_push(&keep, first.v[i]);
			}
			strv_release(&first);
			first = keep;
		}
		_cleanup_free_ char *fl = list_words(&first, 8);
		_cleanup_free_ char *sl = list_words(&covered_syms, 4);
		struct ctmod_finding *f = add(d, CTMOD_SEV_ERROR, "missing-dependencies", m->name,
		                              "%s needs %s loaded first", m->name, fl ? fl : "?");
		if (f) {
			why(f,
			    "the kernel could not resolve %zu symbol%s (%s): %s %s them, and %s "
			    "not "
			    "loaded",
			    covered_syms.n, covered_syms.n == 1 ? "" : "s", sl ? sl : "",
			    fl ? fl : "", first.n == 1 ? "exports" : "export",
			    first.n == 1 ? "it was" : "they were");
			/* installed with depmod: its own load pulls them in */
			bool known = false;
			if (db) {
				struct strv deps;
				strv_init(&deps);
				if (ctmod_moddb_depends(db, m->name, &deps) == 0) {
					known = true;
					for (size_t i = 0; i < first.n && known; i++)
						known = strv_contains(&deps, first.v[i]);
				}
				strv_release(&deps);
				ctmod_ctx_clear_error(ctx);
			}
			for (size_t i = 0; i < first.n; i++) {
				strv_push(&f->load_first, first.v[i]);
				if (!known)
					fix(f, "ctmod load %s", first.v[i]);
			}
			fix(f, "ctmod load %s", m->name);
			if (known) {
				char *w = NULL;
				if (asprintf(&w,
				             "%s; it was loaded without its dependencies (insmod "
				             "does not load them; ctmod load does)",
				             f->why) >= 0) {
					free(f->why);
					f->why = w;
				}
			}
			for (size_t i = 0; i < m->missing_lines.n; i++)
				evidence(f, m->missing_lines.v[i]);
		}
		strv_release(&first);
	}
	if (gpl.n) {
		_cleanup_free_ char *sl = list_words(&gpl, 4);
		struct ctmod_finding *f =
		    add(d, CTMOD_SEV_ERROR, "gpl-only-symbols", m->name,
		        "%s uses symbols the kernel exports to GPL modules only", m->name);
		if (f) {
			why(f,
			    "%s%s%s is not GPL-compatible, so the kernel hides %s "
			    "(EXPORT_SYMBOL_GPL) "
			    "from it",
			    m->license ? "its license '" : "its license",
			    m->license ? m->license : "", m->license ? "'" : "", sl ? sl : "");
			fix(f, "build it with a GPL-compatible MODULE_LICENSE(), or without %s",
			    gpl.v[0]);
		}
	}
	if (orphans.n) {
		_cleanup_free_ char *sl = list_words(&orphans, 4);
		struct ctmod_finding *f;
		if (m->license && !is_gpl_compatible(m->license)) {
			f = add(d, CTMOD_SEV_ERROR, "gpl-only-symbols", m->name,
			        "%s uses symbols the kernel may export to GPL modules only",
			        m->name);
			if (f) {
				why(f,
				    "no module of %s exports %s, and its license '%s' is not "
				    "GPL-compatible: the kernel hides GPL-only symbols from it",
				    kver, sl ? sl : "", m->license);
				fix(f, "build it with a GPL-compatible MODULE_LICENSE()");
			}
		} else {
			f = add(d, CTMOD_SEV_ERROR, "symbols-not-exported", m->name,
			        "no module of %s exports what %s needs", kver, m->name);
			if (f) {
				why(f,
				    "nothing installed for %s exports %s: %s was built for another "
				    "kernel, or needs a module that is not installed (an "
				    "extra-modules "
				    "package)",
				    kver, sl ? sl : "", m->name);
				fix(f, "ctmod build --install %s", m->name);
				fix(f, "ctmod install <the extra modules of %s>", kver);
			}
		}
		for (size_t i = 0; f && i < m->missing_lines.n; i++)
			evidence(f, m->missing_lines.v[i]);
	}
	strv_release(&covered_syms);
	free(cmasks);
	free(masks);
	strv_release(&cands);
	strv_release(&orphans);
	strv_release(&gpl);
	for (size_t i = 0; i < ns; i++)
		strv_release(&info[i].mods);
	free(info);
}

/* The parameters a module of KVER declares (modinfo "parm"), if installed. */
static void module_params(struct ctmod_ctx *ctx, const char *name, struct strv *out)
{
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	if (!k || kmod_module_new_from_name(k, name, &mod) < 0) {
		ctmod_ctx_clear_error(ctx);
		return;
	}
	if (kmod_module_get_path(mod) && kmod_module_get_info(mod, &info) >= 0) {
		kmod_list_foreach(l, info)
		{
			if (strcmp(kmod_module_info_get_key(l), "parm") != 0)
				continue;
			const char *v = kmod_module_info_get_value(l);
			size_t n = strcspn(v, ":");
			char *pn = strndup(v, n);
			if (pn && !strv_contains(out, pn))
				strv_push_take(out, pn);
			else
				free(pn);
		}
		kmod_module_info_free_list(info);
	}
	kmod_module_unref(mod);
}

int ctmod_diagnose_log(struct ctmod_ctx *ctx, const struct ctmod_kmsg *log, const char *module,
                       struct ctmod_diagnosis *d)
{
	const char *kver = NULL;
	if (ctmod_ctx_kver(ctx, &kver) < 0)
		return -EINVAL;
	struct modlog *mods = NULL;
	size_t nmods = 0;
	int r = 0;

	/* first pass: what each module's lines add up to */
	for (size_t i = 0; i < log->n; i++) {
		const struct ctmod_kmsg_event *e = &log->ev[i];
		if (!e->module || !wanted(module, e->module))
			continue;
		int k = find_or_add_mod(&mods, &nmods, e->module);
		if (k < 0) {
			r = k;
			goto out;
		}
		struct modlog *m = &mods[k];
		if (e->kind == CTMOD_KMSG_UNKNOWN_SYMBOL) {
			if (e->err == -EINVAL)
				m->any_einval = true;
			else if (!strv_contains(&m->missing, e->symbol)) {
				strv_push(&m->missing, e->symbol);
				strv_push(&m->missing_lines, e->text);
			}
		} else if (e->kind == CTMOD_KMSG_TAINT_LICENSE) {
			m->license = e->arg;
		}
	}

	struct ctmod_moddb *db = NULL;
	for (size_t k = 0; k < nmods; k++)
		if (mods[k].missing.n && !db && ctmod_moddb_open(ctx, &db) < 0) {
			db = NULL;
			ctmod_ctx_clear_error(ctx);
			break;
		}

	/* second pass: one finding per module and kind, in the log's order */
	for (size_t k = 0; k < nmods; k++) {
		struct modlog *m = &mods[k];
		if (m->missing.n)
			missing_symbols(ctx, db, kver, m, d);
	}
	for (size_t i = 0; i < log->n; i++) {
		const struct ctmod_kmsg_event *e = &log->ev[i];
		struct ctmod_finding *f = NULL;
		const char *mn = e->module;
		if (mn && !wanted(module, mn))
			continue;
		switch (e->kind) {
		case CTMOD_KMSG_DISAGREES_VERSION:
			f = once(d, CTMOD_SEV_ERROR, "symbol-version-mismatch", mn, "");
			if (f && !f->why) {
				what(f, "%s was built against other kernel headers", mn);
				why(f,
				    "the CRC of %s recorded in %s (__versions) differs from the "
				    "running "
				    "kernel's: it was compiled for another build of the kernel "
				    "(CONFIG_MODVERSIONS)",
				    e->symbol, mn);
				fix(f, "ctmod build --install %s", mn);
			}
			break;
		case CTMOD_KMSG_NO_SYMBOL_VERSION:
			f = once(d, CTMOD_SEV_ERROR, "no-symbol-version", mn, "");
			if (f && !f->why) {
				what(f, "%s has no version for symbol %s", mn, e->symbol);
				why(f,
				    "%s was built without the kernel's Module.symvers (or its "
				    "__versions table is damaged): the kernel cannot check the "
				    "symbol and refuses it (err -22)",
				    mn);
				fix(f, "ctmod build --install %s", mn);
			}
			break;
		case CTMOD_KMSG_VERMAGIC: {
			f = once(d, CTMOD_SEV_ERROR, "version-magic", mn, "");
			if (f && !f->why) {
				char rel[128] = "";
				sscanf(e->arg, "%127s", rel);
				what(f, "%s was built for kernel %s, not this one", mn, rel);
				why(f, "its version magic is '%s'; the running kernel's is '%s'",
				    e->arg, e->arg2 ? e->arg2 : "");
				fix(f, "ctmod build --install %s", mn);
			}
			break;
		}
		case CTMOD_KMSG_NAMESPACE:
			f = once(d, CTMOD_SEV_ERROR, "namespace-not-imported", mn, "");
			if (f && !f->why) {
				what(f, "%s uses symbols of namespace %s without importing it", mn,
				     e->arg);
				why(f,
				    "%s is exported in namespace %s and the module lacks "
				    "MODULE_IMPORT_NS(%s): the kernel refuses the symbol (err -22)",
				    e->symbol, e->arg, e->arg);
				fix(f, "add MODULE_IMPORT_NS(%s); to the module's source", e->arg);
				fix(f, "ctmod build --install %s", mn);
			}
			break;
		case CTMOD_KMSG_BLACKLISTED:
			f = once(d, CTMOD_SEV_ERROR, "blacklisted", mn, "");
			if (f && !f->why) {
				what(f, "%s is blacklisted on the kernel command line", mn);
				why(f,
				    "module_blacklist=%s (or a list naming it) was passed at boot; "
				    "the kernel refuses to load it until the next boot without it",
				    mn);
				fix(f,
				    "remove %s from module_blacklist= in the boot loader "
				    "configuration, then reboot",
				    mn);
			}
			break;
		case CTMOD_KMSG_DUPLICATE_SYMBOL:
			f = once(d, CTMOD_SEV_ERROR, "duplicate-symbol", mn, "");
			if (f && !f->why) {
				what(f, "%s exports %s, which %s already exports", mn, e->symbol,
				     e->arg);
				why(f,
				    "two modules may not export the same symbol: %s is probably "
				    "another copy or version of %s",
				    mn, e->arg);
				fix(f, "ctmod load -r %s", e->arg);
				fix(f, "ctmod load %s", mn);
			}
			break;
		case CTMOD_KMSG_UNKNOWN_PARAM:
			f = once(d, e->err ? CTMOD_SEV_ERROR : CTMOD_SEV_WARNING,
			         "unknown-parameter", mn, "");
			if (f && !f->why) {
				what(f, "%s has no parameter '%s'", mn, e->symbol);
				struct strv params;
				strv_init(&params);
				module_params(ctx, mn, &params);
				const char *near = NULL;
				size_t best = 3;
				for (size_t k = 0; k < params.n; k++) {
					size_t dist = edit_distance(e->symbol, params.v[k]);
					if (dist < best)
						best = dist, near = params.v[k];
				}
				_cleanup_free_ char *pl = list_words(&params, 8);
				if (near)
					why(f,
					    "the kernel ignored %s=...; did you mean %s? (%s has: "
					    "%s)",
					    e->symbol, near, mn, pl);
				else if (params.n)
					why(f, "the kernel ignored %s=...; %s has: %s", e->symbol,
					    mn, pl);
				else
					why(f,
					    "the kernel ignored %s=...; the setting has no effect",
					    e->symbol);
				strv_release(&params);
				fix(f, "modinfo -p %s", mn);
				fix(f, "grep -rn '%s' /etc/modprobe.d /etc/modules-load.d",
				    e->symbol);
			}
			break;
		case CTMOD_KMSG_TAINT_OOT:
			f = once(d, CTMOD_SEV_INFO, "out-of-tree", mn, "");
			if (f && !f->why) {
				what(f, "%s is an out-of-tree module", mn);
				why(f, "it was not built with the kernel; the kernel is marked "
				       "tainted "
				       "(O), which is expected for DKMS modules");
			}
			break;
		case CTMOD_KMSG_SIG_MISSING:
			f = once(d, CTMOD_SEV_INFO, "unsigned", mn, "");
			if (f && !f->why) {
				what(f, "%s is not signed with a trusted key", mn);
				why(f, "signatures are checked but not enforced: it loads, and the "
				       "kernel is marked tainted (E)");
			}
			break;
		case CTMOD_KMSG_TAINT_LICENSE:
			f = once(d, CTMOD_SEV_INFO, "license-taint", mn, "");
			if (f && !f->why) {
				what(f, "%s has license '%s', which taints the kernel", mn, e->arg);
				why(f, "a license that is not GPL-compatible marks the kernel "
				       "tainted (P) and hides GPL-only symbols from the module");
			}
			break;
		case CTMOD_KMSG_TAINT_STAGING:
			f = once(d, CTMOD_SEV_INFO, "staging", mn, "");
			if (f && !f->why) {
				what(f, "%s is a staging driver", mn);
				why(f,
				    "drivers/staging modules are of unknown quality; the kernel is "
				    "marked tainted (C)");
			}
			break;
		case CTMOD_KMSG_SIG_REJECTED:
			if (module)
				break; /* the line names no module */
			f = once(d, CTMOD_SEV_ERROR, "signature-rejected", NULL,
			         "the kernel rejects modules without a valid signature");
			if (f && !f->why) {
				why(f,
				    "module signatures are enforced (module.sig_enforce=1 or "
				    "CONFIG_MODULE_SIG_FORCE): loading of %s is rejected "
				    "(\"Key was rejected by service\")",
				    e->arg);
				fix(f,
				    "sign the module with a key the kernel trusts: "
				    "/usr/src/linux-headers-%s/scripts/sign-file sha256 KEY.priv "
				    "KEY.der MODULE.ko",
				    kver);
				fix(f, "or boot without module.sig_enforce=1");
			}
			break;
		case CTMOD_KMSG_LOCKDOWN:
			if (module || !e->arg2 || !strstr(e->arg2, "module"))
				break;
			f = once(d, CTMOD_SEV_ERROR, "lockdown", NULL,
			         "kernel lockdown refuses unsigned modules");
			if (f && !f->why) {
				why(f,
				    "the kernel is locked down (Secure Boot or lockdown=): %s "
				    "tried %s",
				    e->arg, e->arg2);
				fix(f, "sign the module with a key enrolled in the machine owner "
				       "keyring: mokutil --import KEY.der, then reboot");
				fix(f, "or disable Secure Boot validation: mokutil "
				       "--disable-validation");
			}
			break;
		default:
			break;
		}
		if (f)
			evidence(f, e->text);
	}

	/* -22 without an explanation on its own line */
	for (size_t k = 0; k < nmods; k++) {
		struct modlog *m = &mods[k];
		if (!m->any_einval || ctmod_diagnosis_find(d, "symbol-version-mismatch", m->name) ||
		    ctmod_diagnosis_find(d, "no-symbol-version", m->name) ||
		    ctmod_diagnosis_find(d, "namespace-not-imported", m->name))
			continue;
		struct ctmod_finding *f =
		    add(d, CTMOD_SEV_ERROR, "symbol-rejected", m->name,
		        "the kernel refused symbols %s needs (err -22)", m->name);
		if (f) {
			why(f,
			    "err -22 means the symbol exists but its version or namespace does "
			    "not match: %s was built for another kernel build",
			    m->name);
			fix(f, "ctmod build --install %s", m->name);
		}
	}

	/* tool lines that nothing in the kernel's lines explains */
	for (size_t i = 0; i < log->n; i++) {
		const struct ctmod_kmsg_event *e = &log->ev[i];
		if ((e->kind != CTMOD_KMSG_TOOL_FAILED && e->kind != CTMOD_KMSG_TOOL_NOT_FOUND) ||
		    !wanted(module, e->module))
			continue;
		bool explained = false;
		for (size_t j = 0; j < d->n && !explained; j++)
			explained = d->f[j].severity >= CTMOD_SEV_WARNING &&
			            (!d->f[j].module || strcmp(d->f[j].module, e->module) == 0);
		if (explained)
			continue;
		struct ctmod_finding *f = NULL;
		const char *mn = e->module;
		if (e->kind == CTMOD_KMSG_TOOL_NOT_FOUND || e->err == -ENOENT) {
			if (e->kind == CTMOD_KMSG_TOOL_NOT_FOUND)
				f = once(d, CTMOD_SEV_ERROR, "not-found", mn, "");
			else
				f = once(d, CTMOD_SEV_ERROR, "load-failed", mn, "");
			if (f && !f->why) {
				if (e->kind == CTMOD_KMSG_TOOL_NOT_FOUND) {
					what(f, "%s is not installed for %s", mn, kver);
					why(f, "%s found no %s in /lib/modules/%s (modules.dep)",
					    e->arg, mn, kver);
					fix(f, "ctmod deps %s", mn);
					fix(f, "ctmod build --install %s", mn);
				} else {
					what(f, "%s could not be loaded: unknown symbols", mn);
					why(f,
					    "%s said \"%s\": a module it needs is not loaded (or a "
					    "parameter is wrong); the kernel log names the symbols",
					    e->arg, e->arg2);
					fix(f, "ctmod load %s", mn);
					fix(f, "dmesg | ctmod diagnose %s --dmesg -", mn);
				}
			}
		} else if (e->err == -EPERM || e->err == -EACCES) {
			f = once(d, CTMOD_SEV_ERROR, "not-permitted", mn, "");
			if (f && !f->why) {
				what(f, "loading %s was not permitted", mn);
				why(f,
				    "%s got \"%s\": the process lacks CAP_SYS_MODULE (a container "
				    "without --privileged, not root), module loading is disabled "
				    "(kernel.modules_disabled), lockdown refused it, or the module "
				    "is blacklisted",
				    e->arg, e->arg2);
				fix(f,
				    "ctmod diagnose %s   (on the host, or as root, to tell which)",
				    mn);
			}
		} else if (e->err == -EEXIST) {
			f = once(d, CTMOD_SEV_INFO, "already-loaded", mn, "");
			if (f && !f->why) {
				what(f, "%s is already loaded", mn);
				why(f,
				    "%s said \"%s\"; nothing to do (ctmod load counts this as "
				    "success)",
				    e->arg, e->arg2);
			}
		} else if (e->err == -ENOEXEC) {
			f = once(d, CTMOD_SEV_ERROR, "invalid-format", mn, "");
			if (f && !f->why) {
				what(f, "the kernel refused %s as invalid", mn);
				why(f,
				    "\"%s\": built for another kernel (version magic), another "
				    "architecture, or a damaged or duplicate module",
				    e->arg2);
				fix(f, "ctmod diagnose %s", mn);
				fix(f, "ctmod build --install %s", mn);
			}
		} else if (e->err == -EKEYREJECTED) {
			f = once(d, CTMOD_SEV_ERROR, "signature-rejected", mn, "");
			if (f && !f->why) {
				what(f, "the kernel rejected %s's signature", mn);
				why(f,
				    "\"%s\": it is unsigned while signatures are enforced, or its "
				    "signature is damaged or made with an untrusted key",
				    e->arg2);
				fix(f,
				    "sign it with a key the kernel trusts (scripts/sign-file), or "
				    "boot without module.sig_enforce=1");
			}
		} else {
			f = once(d, CTMOD_SEV_ERROR, "load-failed", mn, "");
			if (f && !f->why) {
				what(f, "%s could not be loaded", mn);
				why(f, "%s said \"%s\"", e->arg, e->arg2 ? e->arg2 : "");
				fix(f, "dmesg | ctmod diagnose %s --dmesg -", mn);
			}
		}
		if (f)
			evidence(f, e->text);
	}
	if (db)
		ctmod_moddb_free(db);
out:
	for (size_t k = 0; k < nmods; k++) {
		free(mods[k].name);
		strv_release(&mods[k].missing);
		strv_release(&mods[k].missing_lines);
	}
	free(mods);
	for (size_t i = 0; i < d->n; i++)
		if (!d->f[i].what)
			return -ENOMEM;
	return r;
}

/* ---------- the system ---------- */

static char *read_small(struct ctmod_ctx *ctx, const char *fmt, const char *arg)
{
	_cleanup_free_ char *p = ctmod_path(ctx, fmt, arg);
	char *buf = NULL;
	size_t len;
	if (!p || read_file(p, 1 << 20, &buf, &len) < 0)
		return NULL;
	return buf;
}

static bool exists(struct ctmod_ctx *ctx, const char *fmt, const char *arg)
{
	_cleanup_free_ char *p = ctmod_path(ctx, fmt, arg);
	struct stat st;
	return p && stat(p, &st) == 0;
}

/* hex capability mask of "Name:\t0000..." in /proc/self/status */
static bool cap_field(const char *status, const char *name, unsigned long long *mask)
{
	const char *p = status;
	size_t n = strlen(name);
	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return sscanf(p + n + 1, "%llx", mask) == 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static const char *container_kind(struct ctmod_ctx *ctx)
{
	if (exists(ctx, "/.dockerenv%s", ""))
		return "docker";
	if (exists(ctx, "/run/.containerenv%s", ""))
		return "podman";
	_cleanup_free_ char *cg = read_small(ctx, "/proc/1/cgroup%s", "");
	if (cg) {
		static const char *const kinds[][2] = {{"kubepods", "kubernetes"},
		                                       {"docker", "docker"},
		                                       {"libpod", "podman"},
		                                       {"containerd", "containerd"},
		                                       {"lxc", "lxc"}};
		for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
			if (strstr(cg, kinds[i][0]))
				return kinds[i][1];
	}
	return NULL;
}

static void check_caps(struct ctmod_ctx *ctx, const char *container, const char *module,
                       struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *status = read_small(ctx, "/proc/self/status%s", "");
	unsigned long long eff, bnd;
	if (!status || !cap_field(status, "CapEff", &eff) || !cap_field(status, "CapBnd", &bnd))
		return;
	bool in_eff = eff & (1ULL << CAP_SYS_MODULE_BIT);
	bool in_bnd = bnd & (1ULL << CAP_SYS_MODULE_BIT);
	if (in_eff)
		return;
	struct ctmod_finding *f =
	    add(d, CTMOD_SEV_ERROR, "no-cap-sys-module", NULL,
	        "this process may not load modules: CAP_SYS_MODULE is missing");
	if (!f)
		return;
	if (!in_bnd)
		why(f,
		    "CAP_SYS_MODULE is not in the bounding set (CapBnd %016llx) of this %s, so "
		    "no process in it can load a module, not even root",
		    bnd, container ? "container" : "process");
	else
		why(f,
		    "CAP_SYS_MODULE is not in the effective set (CapEff %016llx): the process "
		    "does not run as root",
		    eff);
	if (container || !in_bnd) {
		fix(f, "run the container privileged, with the host's modules and headers: "
		       "docker run --privileged -v /lib/modules:/lib/modules -v /usr/src:/usr/src "
		       "IMAGE");
		fix(f, "or grant only this capability: docker run --cap-add SYS_MODULE "
		       "-v /lib/modules:/lib/modules IMAGE");
	} else {
		fix(f, "sudo ctmod load %s", module && !strchr(module, '/') ? module : "MODULE");
	}
	evidence(f, "/proc/self/status");
}

static void check_kernel_switches(struct ctmod_ctx *ctx, struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *dis = read_small(ctx, "/proc/sys/kernel/modules_disabled%s", "");
	if (dis && dis[0] == '1') {
		struct ctmod_finding *f = add(d, CTMOD_SEV_ERROR, "modules-disabled", NULL,
		                              "module loading is disabled until the next boot");
		if (f) {
			why(f, "kernel.modules_disabled is 1: once set it cannot be cleared, every "
			       "load fails with \"Operation not permitted\"");
			fix(f, "find what sets it: grep -rn modules_disabled /etc/sysctl.conf "
			       "/etc/sysctl.d /usr/lib/sysctl.d");
			fix(f, "load the modules you need before it is set (ctmod autoload), or "
			       "reboot without it");
			evidence(f, "/proc/sys/kernel/modules_disabled");
		}
	}
	_cleanup_free_ char *ld = read_small(ctx, "/sys/kernel/security/lockdown%s", "");
	if (ld) {
		const char *open = strchr(ld, '['), *close = open ? strchr(open, ']') : NULL;
		if (open && close && strncmp(open + 1, "none", 4) != 0) {
			char mode[32] = "";
			size_t n = (size_t)(close - open - 1);
			snprintf(mode, sizeof(mode), "%.*s", (int)(n < 31 ? n : 31), open + 1);
			struct ctmod_finding *f =
			    add(d, CTMOD_SEV_WARNING, "lockdown-active", NULL,
			        "the kernel is locked down (%s): only signed modules load", mode);
			if (f) {
				why(f,
				    "/sys/kernel/security/lockdown is '%s' (Secure Boot or "
				    "lockdown=): modules built here (DKMS) must be signed with "
				    "an enrolled key",
				    mode);
				fix(f,
				    "sign built modules with a key enrolled via mokutil --import "
				    "KEY.der");
				evidence(f, "/sys/kernel/security/lockdown");
			}
		}
	}
	_cleanup_free_ char *se =
	    read_small(ctx, "/sys/module/module/parameters/sig_enforce%s", "");
	if (se && se[0] == 'Y') {
		struct ctmod_finding *f =
		    add(d, CTMOD_SEV_INFO, "sig-enforce", NULL, "module signatures are enforced");
		if (f) {
			why(f, "module.sig_enforce is on: unsigned modules (DKMS builds) are "
			       "rejected with \"Key was rejected by service\"");
			evidence(f, "/sys/module/module/parameters/sig_enforce");
		}
	}
}

struct stale_walk {
	time_t dep_mtime;
	size_t newer;
	char newest[512];
	time_t newest_mtime;
};
static struct stale_walk *walk_state;

static int stale_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || !strstr(path, ".ko"))
		return 0;
	if (st->st_mtime > walk_state->dep_mtime) {
		walk_state->newer++;
		if (st->st_mtime >= walk_state->newest_mtime) {
			walk_state->newest_mtime = st->st_mtime;
			snprintf(walk_state->newest, sizeof(walk_state->newest), "%s", path);
		}
	}
	return 0;
}

static void depmod_cmd(struct ctmod_ctx *ctx, const char *kver, struct ctmod_finding *f)
{
	if (ctmod_ctx_has_root(ctx))
		fix(f, "depmod -b %s %s", ctmod_ctx_root(ctx), kver);
	else
		fix(f, "depmod %s", kver);
}

static void check_tree(struct ctmod_ctx *ctx, const char *kver, struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *dir = ctmod_path(ctx, "/lib/modules/%s", kver);
	struct stat st;
	if (!dir)
		return;
	if (stat(dir, &st) < 0) {
		struct ctmod_finding *f =
		    add(d, CTMOD_SEV_ERROR, "no-modules", NULL,
		        "there are no modules for kernel %s: %s does not exist", kver, dir);
		if (f) {
			why(f,
			    "modules are looked up in /lib/modules/%s; in a container that is "
			    "the host's directory only when it is mounted",
			    kver);
			fix(f, "docker run -v /lib/modules:/lib/modules ... (mount the host's "
			       "modules)");
			fix(f, "ctmod install <the kernel image package of %s>", kver);
		}
		return;
	}
	_cleanup_free_ char *dep = ctmod_path(ctx, "/lib/modules/%s/modules.dep", kver);
	struct stat dst;
	if (!dep || stat(dep, &dst) < 0) {
		struct ctmod_finding *f =
		    add(d, CTMOD_SEV_ERROR, "no-modules-dep", NULL, "%s has no modules.dep", dir);
		if (f) {
			why(f, "depmod has not been run for %s: no module can be found by name",
			    kver);
			depmod_cmd(ctx, kver, f);
		}
	} else {
		struct stale_walk w = {.dep_mtime = dst.st_mtime};
		walk_state = &w;
		nftw(dir, stale_cb, 16, FTW_PHYS);
		walk_state = NULL;
		if (w.newer) {
			struct ctmod_finding *f = add(d, CTMOD_SEV_WARNING, "depmod-stale", NULL,
			                              "modules.dep is older than %zu module file%s",
			                              w.newer, w.newer == 1 ? "" : "s");
			if (f) {
				why(f,
				    "%s changed after depmod last ran: modprobe and ctmod load "
				    "do not know its dependencies (or that it exists)",
				    w.newest);
				depmod_cmd(ctx, kver, f);
				evidence(f, w.newest);
			}
		}
	}
	_cleanup_free_ char *sv = symvers_path(ctx, kver);
	if (!sv && !exists(ctx, "/usr/src/linux-headers-%s/Makefile", kver)) {
		struct ctmod_finding *f = add(d, CTMOD_SEV_INFO, "no-headers", NULL,
		                              "the headers of %s are not installed", kver);
		if (f) {
			why(f,
			    "building modules (DKMS) needs /usr/src/linux-headers-%s and "
			    "/lib/modules/%s/build; loading does not",
			    kver, kver);
			fix(f, "ctmod install <linux-headers-%s package or tarball>", kver);
		}
	}
}

/* "vermagic" of a module file, malloc'd, via libkmod's modinfo */
static char *module_vermagic(struct ctmod_ctx *ctx, const char *path)
{
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	char *vm = NULL;
	if (!k || kmod_module_new_from_path(k, path, &mod) < 0)
		return NULL;
	if (kmod_module_get_info(mod, &info) >= 0) {
		kmod_list_foreach(l, info)
		{
			if (strcmp(kmod_module_info_get_key(l), "vermagic") == 0) {
				vm = strdup(kmod_module_info_get_value(l));
				break;
			}
		}
		kmod_module_info_free_list(info);
	}
	kmod_module_unref(mod);
	return vm;
}

/* The kernel's own vermagic: that of a module shipped with it. */
static char *kernel_vermagic(struct ctmod_ctx *ctx, const char *kver)
{
	static const char *const probes[] = {"kernel/lib/libcrc32c", "kernel/fs/fat/fat",
	                                     "kernel/drivers/net/dummy", "kernel/lib/crc16"};
	size_t nz;
	const struct compression *z = compression_table(&nz);
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		for (size_t j = 0; j <= nz; j++) {
			char rel[128];
			snprintf(rel, sizeof(rel), "%s.ko%s", probes[i], j ? z[j - 1].suffix : "");
			_cleanup_free_ char *p = ctmod_path(ctx, "/lib/modules/%s/%s", kver, rel);
			if (p && access(p, R_OK) == 0) {
				char *vm = module_vermagic(ctx, p);
				if (vm)
					return vm;
			}
		}
	return NULL;
}

static void vermagic_check(struct ctmod_ctx *ctx, const char *kver, const char *kvm,
                           const char *name, const char *path, struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *vm = module_vermagic(ctx, path);
	if (!vm)
		return;
	char rel[128] = "";
	sscanf(vm, "%127s", rel);
	const char *rest = vm + strcspn(vm, " ");
	const char *krest = kvm ? kvm + strcspn(kvm, " ") : NULL;
	bool rel_ok = strcmp(rel, kver) == 0;
	bool rest_ok = !krest || strcmp(rest, krest) == 0;
	if (rel_ok && rest_ok)
		return;
	if (ctmod_diagnosis_find(d, "version-magic", name))
		return;
	struct ctmod_finding *f = add(d, CTMOD_SEV_ERROR, "version-magic", name,
	                              "%s was built for kernel %s, not %s", name, rel, kver);
	if (!f)
		return;
	if (!rel_ok)
		why(f,
		    "%s has version magic '%s'; modules for this kernel have '%s': it was "
		    "compiled against another kernel's headers",
		    path, vm, kvm ? kvm : kver);
	else
		why(f, "%s has version magic '%s' but the kernel's is '%s' (other build options)",
		    path, vm, kvm);
	fix(f, "ctmod build --install %s", name);
	evidence(f, path);
}

/*
 * A module's "depends" (written by modpost): each must be installed for
 * KVER, else its load can only fail with unknown symbols.
 */
static void depends_check(struct ctmod_ctx *ctx, const char *kver, const char *name,
                          const char *path, struct ctmod_diagnosis *d)
{
	struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	if (!k || kmod_module_new_from_path(k, path, &mod) < 0)
		return;
	struct strv missing;
	strv_init(&missing);
	struct ctmod_moddb *db = NULL;
	if (ctmod_moddb_open(ctx, &db) < 0)
		db = NULL;
	ctmod_ctx_clear_error(ctx);
	if (kmod_module_get_info(mod, &info) >= 0) {
		kmod_list_foreach(l, info)
		{
			if (strcmp(kmod_module_info_get_key(l), "depends") != 0)
				continue;
			_cleanup_free_ char *deps = strdup(kmod_module_info_get_value(l));
			char *save = NULL;
			for (char *t = deps ? strtok_r(deps, ",", &save) : NULL; t;
			     t = strtok_r(NULL, ",", &save)) {
				/* installed, built in, or live (under the root) */
				struct kmod_module *dm = NULL;
				bool have = kmod_module_new_from_name(k, t, &dm) >= 0 &&
				            kmod_module_get_path(dm);
				if (dm)
					kmod_module_unref(dm);
				if (!have && db)
					have = ctmod_moddb_is_builtin(db, t);
				if (!have) {
					_cleanup_free_ char *st =
					    read_small(ctx, "/sys/module/%s/initstate", t);
					have = st && strncmp(st, "live", 4) == 0;
				}
				if (!have)
					strv_push(&missing, t);
			}
		}
		kmod_module_info_free_list(info);
	}
	kmod_module_unref(mod);
	if (db)
		ctmod_moddb_free(db);
	if (missing.n) {
		_cleanup_free_ char *ml = list_words(&missing, 8);
		struct ctmod_finding *f = add(d, CTMOD_SEV_ERROR, "dependency-not-installed", name,
		                              "%s needs %s, which %s not installed for %s", name,
		                              ml ? ml : "", missing.n == 1 ? "is" : "are", kver);
		if (f) {
			why(f,
			    "%s lists %s in its depends= (modinfo): without %s its symbols "
			    "cannot be resolved",
			    path, ml ? ml : "", missing.n == 1 ? "it" : "them");
			for (size_t i = 0; i < missing.n; i++)
				fix(f, "ctmod install <the package of %s that holds %s>", kver,
				    missing.v[i]);
			evidence(f, path);
		}
	}
	strv_release(&missing);
	ctmod_ctx_clear_error(ctx);
}

struct oot_walk {
	struct strv paths;
};
static struct oot_walk *oot_state;
static int oot_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F && strstr(path, ".ko") && oot_state->paths.n < 256)
		strv_push(&oot_state->paths, path);
	return 0;
}

static void module_name_of(const char *path, char *out, size_t outsz)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	char raw[128];
	snprintf(raw, sizeof(raw), "%s", b);
	char *dot = strstr(raw, ".ko");
	if (dot)
		*dot = '\0';
	modname_normalize(raw, out, outsz);
}

static void check_modules(struct ctmod_ctx *ctx, const char *kver, const char *module,
                          struct ctmod_diagnosis *d)
{
	_cleanup_free_ char *kvm = kernel_vermagic(ctx, kver);
	struct strv paths;
	strv_init(&paths);
	if (module) {
		struct kmod_ctx *k = ctmod_ctx_kmod(ctx);
		struct kmod_module *mod = NULL;
		if (strchr(module, '/') || strstr(module, ".ko")) {
			strv_push(&paths, module);
		} else if (k && kmod_module_new_from_name(k, module, &mod) >= 0) {
			const char *p = kmod_module_get_path(mod);
			if (p)
				strv_push(&paths, p);
			kmod_module_unref(mod);
		}
	} else {
		/* out-of-tree modules are the ones built apart from the kernel */
		static const char *const dirs[] = {"updates", "extra"};
		struct oot_walk w;
		strv_init(&w.paths);
		oot_state = &w;
		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
			_cleanup_free_ char *dir =
			    ctmod_path(ctx, "/lib/modules/%s/%s", kver, dirs[i]);
			if (dir)
				nftw(dir, oot_cb, 16, FTW_PHYS);
		}
		oot_state = NULL;
		paths = w.paths;
	}
	for (size_t i = 0; i < paths.n; i++) {
		char name[64];
		module_name_of(paths.v[i], name, sizeof(name));
		vermagic_check(ctx, kver, kvm, name, paths.v[i], d);
		depends_check(ctx, kver, name, paths.v[i], d);
	}
	strv_release(&paths);
}

/*
 * modprobe.d lines that keep MODULE from loading without any kernel
 * message: "blacklist NAME" (skipped when loaded by alias, as udev does) and
 * "install NAME /bin/true" (the usual way to disable a module).
 */
static void check_modprobe_d(struct ctmod_ctx *ctx, const char *module, struct ctmod_diagnosis *d)
{
	for (size_t i = 0; ctmod_modprobe_dirs[i]; i++) {
		_cleanup_free_ char *dir = ctmod_path(ctx, "%s", ctmod_modprobe_dirs[i]);
		DIR *dh = dir ? opendir(dir) : NULL;
		if (!dh)
			continue;
		struct dirent *de;
		while ((de = readdir(dh))) {
			size_t n = strlen(de->d_name);
			if (n < 6 || strcmp(de->d_name + n - 5, ".conf") != 0)
				continue;
			_cleanup_free_ char *p = NULL;
			if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
				continue;
			_cleanup_fclose_ FILE *f = fopen(p, "re");
			char line[1024];
			unsigned lineno = 0;
			while (f && fgets(line, sizeof(line), f)) {
				lineno++;
				char cmd[32], name[128];
				int used = 0;
				if (sscanf(line, " %31s %127s %n", cmd, name, &used) < 2 ||
				    !modname_equal(name, module))
					continue;
				char *rest = rstrip(line + used);
				struct ctmod_finding *fd = NULL;
				if (strcmp(cmd, "blacklist") == 0) {
					fd = add(d, CTMOD_SEV_WARNING, "modprobe-blacklist", module,
					         "%s is blacklisted in %s:%u", module, p, lineno);
					if (fd) {
						why(fd,
						    "modprobe skips blacklisted modules when they "
						    "are asked for by alias (udev, request_module) "
						    "or with -b; by name they still load");
						fix(fd, "sed -i '%us/^/# /' %s", lineno, p);
					}
				} else if (strcmp(cmd, "install") == 0 &&
				           (strstr(rest, "/bin/true") ||
				            strstr(rest, "/bin/false"))) {
					fd = add(d, CTMOD_SEV_ERROR, "modprobe-install-disabled",
					         module,
					         "modprobe never loads %s: %s:%u runs '%s' instead",
					         module, p, lineno, rest);
					if (fd) {
						why(fd, "an install command replaces loading the "
						        "module; "
						        "'/bin/true' or '/bin/false' is how a "
						        "module is "
						        "disabled (often by hardening baselines)");
						fix(fd, "sed -i '%us/^/# /' %s", lineno, p);
						fix(fd, "ctmod load %s", module);
					}
				}
				if (fd)
					evidence(fd, p);
			}
		}
		closedir(dh);
	}
}

int ctmod_diagnose_system(struct ctmod_ctx *ctx, const char *module, struct ctmod_diagnosis *d)
{
	const char *kver;
	int r = ctmod_ctx_kver(ctx, &kver);
	if (r < 0)
		return r;
	const char *container = container_kind(ctx);
	check_caps(ctx, container, module, d);
	if (container) {
		struct ctmod_finding *f = add(d, CTMOD_SEV_INFO, "container", NULL,
		                              "running in a container (%s)", container);
		if (f) {
			why(f, "modules are the host kernel's: a container loads them only when "
			       "privileged and with the host's /lib/modules (and /usr/src to "
			       "build) mounted");
			fix(f, "docker run --privileged -v /lib/modules:/lib/modules "
			       "-v /usr/src:/usr/src IMAGE");
		}
	}
	/* /proc is there but /proc/modules is not: CONFIG_MODULES=n */
	if (exists(ctx, "/proc/self/status%s", "") && !exists(ctx, "/proc/modules%s", "")) {
		struct ctmod_finding *f = add(d, CTMOD_SEV_ERROR, "no-module-support", NULL,
		                              "the running kernel cannot load modules at all");
		if (f) {
			why(f, "/proc/modules does not exist: the kernel was built without "
			       "module support (CONFIG_MODULES=n); everything must be built in");
			fix(f, "boot a kernel with module support, or one with the needed drivers "
			       "built in");
			evidence(f, "/proc/modules");
		}
	}
	check_kernel_switches(ctx, d);
	check_tree(ctx, kver, d);
	check_modules(ctx, kver, module, d);
	if (module && !strchr(module, '/'))
		check_modprobe_d(ctx, module, d);
	return 0;
}

/*
 * The kernel's log holds every failure since boot.  A module that failed
 * and was loaded afterwards (the fix was run) is history, not a problem.
 */
static void settle_history(struct ctmod_ctx *ctx, struct ctmod_diagnosis *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct ctmod_finding *f = &d->f[i];
		if (!f->module || f->severity != CTMOD_SEV_ERROR)
			continue;
		_cleanup_free_ char *st = read_small(ctx, "/sys/module/%s/initstate", f->module);
		if (!st || strncmp(st, "live", 4) != 0)
			continue;
		char *w = NULL;
		if (asprintf(&w, "%s (earlier; it is loaded now)", f->what) < 0)
			continue;
		free(f->what);
		f->what = w;
		f->severity = CTMOD_SEV_INFO;
		strv_release(&f->fix);
		strv_init(&f->fix);
	}
}

int ctmod_diagnose(struct ctmod_ctx *ctx, const struct ctmod_diagnose_opts *opts,
                   struct ctmod_diagnosis *d)
{
	const char *kver;
	int r = ctmod_ctx_kver(ctx, &kver);
	if (r < 0)
		return r;
	d->kver = strdup(kver);
	const char *module = opts->module;
	char name[64];
	if (module && (strchr(module, '/') || strstr(module, ".ko"))) {
		struct stat st;
		if (stat(module, &st) < 0 || !S_ISREG(st.st_mode))
			return ctmod_fail_input(ctx, -ENOENT, "give a module name or a .ko file",
			                        "%s: no such module file", module);
		module_name_of(module, name, sizeof(name));
	} else if (module) {
		if (!modname_valid(module))
			return ctmod_fail_input(ctx, -EINVAL, "give a module name such as btrfs",
			                        "'%s' is not a module name", module);
		modname_normalize(module, name, sizeof(name));
	}

	struct ctmod_kmsg log;
	ctmod_kmsg_init(&log);
	if (opts->dmesg) {
		r = ctmod_kmsg_read_file(ctx, opts->dmesg, &log);
		if (r < 0) {
			ctmod_kmsg_release(&log);
			return r;
		}
		d->log_source = strdup(strcmp(opts->dmesg, "-") ? opts->dmesg : "standard input");
	} else {
		r = ctmod_kmsg_read_kernel(ctx, &log);
		if (r < 0) {
			const char *h = ctmod_ctx_hint(ctx);
			if (asprintf(&d->log_error, "%s%s%s", ctmod_ctx_error(ctx), h ? ": " : "",
			             h ? h : "") < 0)
				d->log_error = NULL;
			ctmod_ctx_clear_error(ctx);
		} else {
			d->log_source = ctmod_path(ctx, "/dev/kmsg");
		}
	}
	d->log_lines = log.lines;
	d->log_events = log.n;
	r = ctmod_diagnose_log(ctx, &log, module ? name : NULL, d);
	ctmod_kmsg_release(&log);
	if (r < 0)
		return r;
	if (!opts->dmesg)
		settle_history(ctx, d);
	if (!opts->no_system)
		r = ctmod_diagnose_system(
		    ctx,
		    module ? (opts->module[0] && strstr(opts->module, ".ko") ? opts->module : name)
		           : NULL,
		    d);
	return r;
}
