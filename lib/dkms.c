// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dkms.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every variable DKMS reads from dkms.conf. */
static const char *const dkms_vars[] = {
    "PACKAGE_NAME",
    "PACKAGE_VERSION",
    "MAKE",
    "MAKE_MATCH",
    "CLEAN",
    "BUILT_MODULE_NAME",
    "BUILT_MODULE_LOCATION",
    "DEST_MODULE_NAME",
    "DEST_MODULE_LOCATION",
    "STRIP",
    "PATCH",
    "PATCH_MATCH",
    "PRE_BUILD",
    "POST_BUILD",
    "PRE_INSTALL",
    "POST_INSTALL",
    "POST_ADD",
    "POST_REMOVE",
    "BUILD_EXCLUSIVE_KERNEL",
    "BUILD_EXCLUSIVE_ARCH",
    "BUILD_EXCLUSIVE_CONFIG",
    "BUILD_EXCLUSIVE_KERNEL_MIN",
    "BUILD_EXCLUSIVE_KERNEL_MAX",
    "BUILD_DEPENDS",
    "AUTOINSTALL",
    "OBSOLETE_BY",
    "NO_WEAK_MODULES",
    "REMAKE_INITRD",
    "MODULES_CONF",
    "MODULES_CONF_OBSOLETES",
    "MODULES_CONF_ALIAS_TYPE",
    "MODULES_CONF_OBSOLETE_ONLY",
};
enum {
	V_PACKAGE_NAME,
	V_PACKAGE_VERSION,
	V_MAKE,
	V_MAKE_MATCH,
	V_CLEAN,
	V_BUILT_MODULE_NAME,
	V_BUILT_MODULE_LOCATION,
	V_DEST_MODULE_NAME,
	V_DEST_MODULE_LOCATION,
	V_STRIP,
	V_PATCH,
	V_PATCH_MATCH,
	V_PRE_BUILD,
	V_POST_BUILD,
	V_PRE_INSTALL,
	V_POST_INSTALL,
	V_POST_ADD,
	V_POST_REMOVE,
	V_EXCL_KERNEL,
	V_EXCL_ARCH,
	V_EXCL_CONFIG,
	V_EXCL_KMIN,
	V_EXCL_KMAX,
	V_BUILD_DEPENDS,
	V_AUTOINSTALL,
	V_OBSOLETE_BY,
	V_NO_WEAK_MODULES,
	V_REMAKE_INITRD,
	V_MODULES_CONF,
	V_MODULES_CONF_OBSOLETES,
	V_MODULES_CONF_ALIAS_TYPE,
	V_MODULES_CONF_OBSOLETE_ONLY,
	N_VARS,
};

/*
 * The evaluator.  $1 the file, $2 the root prefix for /etc/dkms, then the
 * presets.  Records go to fd 3 (the file's own stdout is discarded, as DKMS
 * does; a value's trailing CR is dropped, as upstream DKMS does for CR/LF
 * files); a syntax error is reported as one __ERROR record, found by
 * `bash -n` before anything runs.
 */
static const char evaluator[] =
    "exec 3>&1 >/dev/null\n"
    "__f=$1 __r=$2\n"
    "if ! __m=$(LC_ALL=C bash -n -- \"$__f\" 2>&1); then\n"
    "  printf '%s\\0%s\\0%s\\0' __ERROR 0 \"$__m\" >&3; exit 3\n"
    "fi\n"
    "unset __VARS__\n"
    "kernelver=$3 arch=$4 kernel_source_dir=$5 dkms_tree=$6 source_tree=$7\n"
    "install_tree=/lib/modules module=$8 module_version=$9\n"
    "kernel_config=$kernel_source_dir/.config\n"
    "shift 9\n"
    ". \"$__f\"\n"
    "for __o in \"$__r/etc/dkms/$module.conf\" \"$__r/etc/dkms/$module-$module_version.conf\" \\\n"
    "  \"$__r/etc/dkms/$module-$module_version-$kernelver.conf\" \\\n"
    "  \"$__r/etc/dkms/$module-$module_version-$kernelver-$arch.conf\"; do\n"
    "  [ -e \"$__o\" ] && . \"$__o\"\n"
    "done\n"
    "for __v in __VARS__; do\n"
    "  declare -n __a=$__v\n"
    "  for __i in \"${!__a[@]}\"; do\n"
    "    printf '%s\\0%s\\0%s\\0' \"$__v\" \"$__i\" \"${__a[$__i]%$'\\r'}\" >&3\n"
    "  done\n"
    "  unset -n __a\n"
    "done\n"
    "exit 0\n";

bool ctmod_dkms_yes(const char *s)
{
	return s && strcasecmp(s, "yes") == 0;
}

static char *build_script(void)
{
	struct strbuf names, out;
	strbuf_init(&names);
	strbuf_init(&out);
	for (size_t i = 0; i < ARRAY_SIZE(dkms_vars); i++)
		strbuf_printf(&names, "%s%s", i ? " " : "", dkms_vars[i]);
	for (const char *p = evaluator; *p;) {
		const char *q = strstr(p, "__VARS__");
		if (!q) {
			strbuf_puts(&out, p);
			break;
		}
		strbuf_putn(&out, p, (size_t)(q - p));
		strbuf_puts(&out, strbuf_str(&names));
		p = q + strlen("__VARS__");
	}
	strbuf_release(&names);
	return strbuf_steal(&out);
}

int ctmod_dkms_conf_eval(struct ctmod_ctx *ctx, const struct dkms_env *env, const char *conf,
                         const char *cwd, int errfd, struct dkms_conf *out)
{
	_cleanup_free_ char *script = build_script();
	int pfd[2];
	if (!script)
		return -ENOMEM;
	if (access(conf, R_OK) < 0)
		return ctmod_fail_input(ctx, -errno, "give a directory holding a dkms.conf",
		                        "%s: %s", conf, strerror(errno));
	if (cwd && access(cwd, X_OK) < 0)
		return ctmod_fail(ctx, -ENOENT, NULL, "%s: cannot enter %s", conf, cwd);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return ctmod_fail(ctx, -errno, NULL, "pipe: %m");
	char *argv[] = {"bash",
	                "--norc",
	                "--noprofile",
	                "-c",
	                script,
	                "bash",
	                (char *)conf,
	                (char *)(env->root ? env->root : ""),
	                (char *)env->kernelver,
	                (char *)env->arch,
	                (char *)env->kernel_source_dir,
	                (char *)(env->dkms_tree ? env->dkms_tree : DKMS_TREE),
	                (char *)(env->source_tree ? env->source_tree : SOURCE_TREE),
	                (char *)(env->name ? env->name : ""),
	                (char *)(env->version ? env->version : ""),
	                NULL};
	struct spawn_opts so = SPAWN_OPTS_INIT;
	so.cwd = cwd;
	so.out = pfd[1];
	so.err = errfd;
	pid_t pid;
	int sr = spawn_start(argv, &so, &pid);
	close(pfd[1]);
	if (sr < 0) {
		close(pfd[0]);
		if (sr == -ENOENT)
			return ctmod_fail(ctx, -ENOENT, "install bash", "%s: cannot run bash",
			                  conf);
		return ctmod_fail(ctx, sr, NULL, "%s: cannot run bash: %s", conf, strerror(-sr));
	}
	struct strbuf sb;
	strbuf_init(&sb);
	char buf[8192];
	ssize_t n;
	while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sb.len + (size_t)n > (4u << 20))
			break; /* a runaway file; the parse will complain */
		strbuf_putn(&sb, buf, (size_t)n);
	}
	close(pfd[0]);
	spawn_wait(pid);
	int r = ctmod_dkms_conf_parse(ctx, conf, sb.buf ? sb.buf : "", sb.len, env->kernelver, out);
	strbuf_release(&sb);
	return r;
}

/* bash's `array` values for one variable: sparse indexes kept in order */
struct rawvar {
	struct strv vals; /* by index; NULL entries for holes */
	size_t count;     /* set elements, what ${#A[@]} says */
};

static const char *raw_get(struct rawvar *raw, int v, size_t i)
{
	return i < raw[v].vals.n ? raw[v].vals.v[i] : NULL;
}

static int raw_set(struct rawvar *raw, int v, size_t idx, const char *val)
{
	struct strv *sv = &raw[v].vals;
	while (sv->n <= idx) {
		/* holes: push a placeholder then clear it */
		strv_push(sv, "");
		free(sv->v[sv->n - 1]);
		sv->v[sv->n - 1] = NULL;
	}
	if (!sv->v[idx])
		raw[v].count++;
	free(sv->v[idx]);
	sv->v[idx] = strdup(val);
	return sv->v[idx] ? 0 : -ENOMEM;
}

static char *dup_nonempty(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

#define ERE_MAX_COST 4096

/* a + b and a * b, saturating just above the limit */
static size_t cost_add(size_t a, size_t b)
{
	return a + b > ERE_MAX_COST ? ERE_MAX_COST + 1 : a + b;
}

static size_t cost_mul(size_t a, size_t b)
{
	return a && b > ERE_MAX_COST / a ? ERE_MAX_COST + 1 : a * b;
}

/*
 * About how many nodes glibc's regcomp() makes of an ERE, or more than
 * ERE_MAX_COST for one it would take too long or too much memory over.
 * It copies the operand of '+' (x x*) and of {m,n} (n copies), so stacked
 * repetitions grow exponentially ("0+++...+" of 40 bytes takes gigabytes),
 * and repeating an operand that can match the empty string ("a*+",
 * "(x|)+", "a*{0,5}{3,}{3,}") makes its epsilon closures explode even when
 * the nodes are few: that is refused outright, as are back-references.
 * bash's [[ =~ ]] would hang or crash on these too.
 */
struct ere {
	struct {
		size_t cur;
		bool seq_null, alt_null;
	} stack[32];
	size_t depth, cur, last; /* last: the cost of the operand */
	/* whether "" matches: the operand, the branch before it, the branch
	 * with it, one of the branches before this one */
	bool last_null, seq_prev, seq_null, alt_null;
};

/* What one step of the ERE is: an atom (a character, a group closing, a
 * bracket expression), a repetition of the operand before it, or nothing
 * more to count (a group opening, a branch). */
struct ere_tok {
	size_t atom;   /* its cost: 1 unless a group */
	size_t copies; /* a repetition: the operand's copies; 0 for an atom */
	bool null;     /* the atom matches "" */
	bool opt;      /* the repetition may match none */
	bool done;
};

/* A step's handler: it may move *p over the step's last character;
 * -1 refuses the ERE outright. */
typedef int ere_fn(struct ere *e, const char **p, struct ere_tok *t);

static int ere_open(struct ere *e, const char **p, struct ere_tok *t)
{
	if (e->depth == ARRAY_SIZE(e->stack))
		return -1;
	e->stack[e->depth].cur = e->cur;
	e->stack[e->depth].seq_null = e->seq_null;
	e->stack[e->depth].alt_null = e->alt_null;
	e->depth++;
	e->cur = e->last = 0;
	e->last_null = e->seq_prev = e->seq_null = true;
	e->alt_null = false;
	t->done = true;
	return 0;
}

static int ere_close(struct ere *e, const char **p, struct ere_tok *t)
{
	if (!e->depth)
		return 0; /* a literal ')' */
	t->atom = cost_add(e->cur, 1);
	t->null = e->alt_null || e->seq_null;
	e->depth--;
	e->cur = e->stack[e->depth].cur;
	e->seq_null = e->stack[e->depth].seq_null;
	e->alt_null = e->stack[e->depth].alt_null;
	return 0;
}

static int ere_alt(struct ere *e, const char **p, struct ere_tok *t)
{
	e->cur = cost_add(e->cur, 1);
	e->alt_null = e->alt_null || e->seq_null;
	e->last = 0;
	e->last_null = e->seq_prev = e->seq_null = true;
	t->done = true;
	return 0;
}

static int ere_anchor(struct ere *e, const char **p, struct ere_tok *t)
{
	t->null = true;
	return 0;
}

static int ere_star(struct ere *e, const char **p, struct ere_tok *t)
{
	t->copies = 1;
	t->opt = true;
	return 0;
}

static int ere_plus(struct ere *e, const char **p, struct ere_tok *t)
{
	t->copies = 2;
	return 0;
}

/* {m}, {m,}, {m,n}; anything else is a literal '{' */
static int ere_braces(struct ere *e, const char **p, struct ere_tok *t)
{
	if (!isdigit((unsigned char)(*p)[1]))
		return 0;
	char *end;
	unsigned long m = strtoul(*p + 1, &end, 10), n = m;
	if (*end == ',' && end[1] == '}') {
		n = m + 1; /* {m,}: m copies and a star */
		end++;
	} else if (*end == ',' && isdigit((unsigned char)end[1])) {
		n = strtoul(end + 1, &end, 10);
	}
	if (*end != '}')
		return 0;
	t->copies = n > m ? n : m ? m : 1;
	t->opt = m == 0;
	*p = end;
	return 0;
}

/* a bracket expression is one atom */
static int ere_bracket(struct ere *e, const char **p, struct ere_tok *t)
{
	const char *q = *p;
	q += q[1] == '^';
	q += q[1] == ']';
	while (q[1] && q[1] != ']') {
		q++;
		if (*q == '[' && q[1] && strchr(":.=", q[1])) {
			const char close[] = {q[1], ']', '\0'};
			const char *c = strstr(q + 2, close);
			if (c)
				q = c + 1;
		}
	}
	if (q[1])
		q++;
	*p = q;
	return 0;
}

static int ere_escape(struct ere *e, const char **p, struct ere_tok *t)
{
	/* a back-reference is no ERE (a GNU extension), and "(|)(\1\1)*"
	 * overflows glibc's stack in regexec() */
	if ((*p)[1] >= '1' && (*p)[1] <= '9')
		return -1;
	if ((*p)[1])
		(*p)++;
	return 0;
}

/* the characters that are more than a one-node atom */
static ere_fn *const ere_fns[256] = {
    ['('] = ere_open,   [')'] = ere_close,   ['|'] = ere_alt,     ['^'] = ere_anchor,
    ['$'] = ere_anchor, ['*'] = ere_star,    ['?'] = ere_star,    ['+'] = ere_plus,
    ['{'] = ere_braces, ['['] = ere_bracket, ['\\'] = ere_escape,
};

/* the operand repeated: copies of it, each its own nodes */
static int ere_repeat(struct ere *e, const struct ere_tok *t)
{
	if (t->copies > 1 && e->last && e->last_null)
		return -1;
	e->cur = cost_add(e->cur, cost_add(cost_mul(e->last, t->copies - 1), 1));
	e->last = cost_add(cost_mul(e->last, t->copies), 1);
	e->last_null = e->last_null || t->opt;
	e->seq_null = e->seq_prev && e->last_null;
	return 0;
}

static void ere_atom(struct ere *e, const struct ere_tok *t)
{
	e->cur = cost_add(e->cur, t->atom);
	e->last = t->atom;
	e->last_null = t->null;
	e->seq_prev = e->seq_null;
	e->seq_null = e->seq_prev && t->null;
}

static size_t ere_cost(const char *re)
{
	struct ere e = {.last_null = true, .seq_prev = true, .seq_null = true};
	for (const char *p = re; *p && e.cur <= ERE_MAX_COST; p++) {
		struct ere_tok t = {.atom = 1};
		ere_fn *fn = ere_fns[(unsigned char)*p];
		if (fn && fn(&e, &p, &t) < 0)
			return ERE_MAX_COST + 1;
		if (t.done)
			continue;
		if (t.copies && ere_repeat(&e, &t) < 0)
			return ERE_MAX_COST + 1;
		if (!t.copies)
			ere_atom(&e, &t);
	}
	while (e.depth)
		e.cur = cost_add(e.cur, e.stack[--e.depth].cur);
	return e.cur;
}

/* bash's [[ s =~ re ]]: POSIX ERE, unanchored; a bad regex does not match,
 * nor does one too costly to compile */
static bool ere_match(const char *re, const char *s)
{
	regex_t rx;
	if (ere_cost(re) > ERE_MAX_COST || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool m = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

/* a relative path that stays inside the build tree */
static bool path_inside(const char *p)
{
	if (p[0] == '/')
		return false;
	for (const char *s = p; *s;) {
		if (s[0] == '.' && s[1] == '.' && (s[2] == '/' || s[2] == '\0'))
			return false;
		const char *n = strchr(s, '/');
		if (!n)
			break;
		s = n + 1;
	}
	return true;
}

static char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *out;
	va_start(ap, fmt);
	int r = vasprintf(&out, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : out;
}

static bool bad_mod_name(const char *s)
{
	size_t n = strlen(s);
	return !modname_valid(s) || (n > 2 && strcmp(s + n - 2, ".o") == 0) ||
	       (n > 3 && strcmp(s + n - 3, ".ko") == 0);
}

/* records: name \0 index \0 value \0 */
static int parse_records(struct ctmod_ctx *ctx, const char *file, const char *buf, size_t len,
                         struct rawvar *raw)
{
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *f[3];
		for (int k = 0; k < 3; k++) {
			const char *z = memchr(p, '\0', (size_t)(end - p));
			if (!z)
				return ctmod_fail_input(ctx, -EINVAL, "check the file with bash -n",
				                        "%s: evaluation ended early", file);
			f[k] = p;
			p = z + 1;
		}
		if (strcmp(f[0], "__ERROR") == 0) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", f[2]);
			for (char *c = msg; *c; c++)
				if (*c == '\n')
					*c = ' ';
			return ctmod_fail_input(ctx, -EINVAL, "fix the file", "%s: %s", file,
			                        rstrip(msg));
		}
		int v = -1;
		for (int k = 0; k < N_VARS; k++)
			if (strcmp(f[0], dkms_vars[k]) == 0)
				v = k;
		char *e;
		errno = 0;
		unsigned long idx = strtoul(f[1], &e, 10);
		if (v < 0 || *e || e == f[1] || idx > 1023 || errno)
			return ctmod_fail_input(ctx, -EINVAL, "use plain indexed arrays (0..1023)",
			                        "%s: bad value %s[%s]", file, f[0], f[1]);
		int r = raw_set(raw, v, idx, f[2]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The package-wide values: names, MAKE[#] by MAKE_MATCH[#], scripts, [0] of BUILD_EXCLUSIVE_* */
static int parse_package(struct ctmod_ctx *ctx, const char *file, struct rawvar *raw,
                         const char *kver, struct dkms_conf *out)
{
	out->name = dup_nonempty(raw_get(raw, V_PACKAGE_NAME, 0));
	out->version = dup_nonempty(raw_get(raw, V_PACKAGE_VERSION, 0));
	if (!out->name || !out->version)
		return ctmod_fail_input(ctx, -EINVAL, "set both in dkms.conf",
		                        "%s: no PACKAGE_NAME or PACKAGE_VERSION", file);
	if (strchr(out->name, '/') || strchr(out->version, '/') || out->name[0] == '.' ||
	    out->version[0] == '.')
		return ctmod_fail_input(ctx, -EINVAL, NULL, "%s: bad PACKAGE_NAME/VERSION '%s/%s'",
		                        file, out->name, out->version);
	/* as DKMS's read_conf: a MAKE_MATCH[0] set means MAKE[0] is not the default */
	const char *mk = raw_get(raw, V_MAKE_MATCH, 0) && *raw_get(raw, V_MAKE_MATCH, 0)
	                     ? NULL
	                     : raw_get(raw, V_MAKE, 0);
	for (size_t i = 0; i < raw[V_MAKE].vals.n; i++) {
		const char *m = raw_get(raw, V_MAKE, i), *mm = raw_get(raw, V_MAKE_MATCH, i);
		if (m && *m && mm && *mm && ere_match(mm, kver))
			mk = m;
	}
	out->make = dup_nonempty(mk);
	out->make_given = out->make != NULL;
	out->clean = dup_nonempty(raw_get(raw, V_CLEAN, 0));
	out->pre_build = dup_nonempty(raw_get(raw, V_PRE_BUILD, 0));
	out->post_build = dup_nonempty(raw_get(raw, V_POST_BUILD, 0));
	out->pre_install = dup_nonempty(raw_get(raw, V_PRE_INSTALL, 0));
	out->post_install = dup_nonempty(raw_get(raw, V_POST_INSTALL, 0));
	out->post_remove = dup_nonempty(raw_get(raw, V_POST_REMOVE, 0));
	out->excl_kernel = dup_nonempty(raw_get(raw, V_EXCL_KERNEL, 0));
	out->excl_arch = dup_nonempty(raw_get(raw, V_EXCL_ARCH, 0));
	out->excl_kernel_min = dup_nonempty(raw_get(raw, V_EXCL_KMIN, 0));
	out->excl_kernel_max = dup_nonempty(raw_get(raw, V_EXCL_KMAX, 0));
	out->obsolete_by = dup_nonempty(raw_get(raw, V_OBSOLETE_BY, 0));
	out->autoinstall = ctmod_dkms_yes(raw_get(raw, V_AUTOINSTALL, 0));
	return 0;
}

/*
 * PATCH[#] whose PATCH_MATCH[#] matches.  A path that leaves patches/ is
 * recorded in bad_patch, not refused here: the package is still `added`
 * (as DKMS's status says); only its build is refused.
 */
static void parse_patches(const char *file, struct rawvar *raw, const char *kver,
                          struct dkms_conf *out)
{
	for (size_t i = 0; i < raw[V_PATCH].vals.n; i++) {
		const char *pt = raw_get(raw, V_PATCH, i), *pm = raw_get(raw, V_PATCH_MATCH, i);
		if (!pt || !*pt || (pm && *pm && !ere_match(pm, kver)))
			continue;
		if (!path_inside(pt) && !out->bad_patch) {
			if (asprintf(&out->bad_patch,
			             "%s: patch '%s' as specified in dkms.conf contains '..' path "
			             "component (PATCH[%zu] leaves patches/)",
			             file, pt, i) < 0)
				out->bad_patch = NULL;
			continue;
		}
		strv_push(&out->patches, pt);
	}
}

static void split_words(const char *s, struct strv *dst)
{
	if (!s)
		return;
	_cleanup_free_ char *cp = strdup(s);
	char *save = NULL;
	for (char *w = cp ? strtok_r(cp, " \t\n", &save) : NULL; w;
	     w = strtok_r(NULL, " \t\n", &save))
		strv_push(dst, w);
}

/* record i's module: names, locations, STRIP, and its own BUILD_EXCLUSIVE_*[i] */
static int parse_module(struct ctmod_ctx *ctx, const char *file, struct rawvar *raw, size_t i,
                        struct dkms_conf *out)
{
	struct dkms_module *m = &out->mods[i];
	strv_init(&m->excl_config);
	const char *bn = raw_get(raw, V_BUILT_MODULE_NAME, i);
	if ((!bn || !*bn) && raw[V_DEST_MODULE_LOCATION].count == 1)
		bn = out->name;
	if (!bn || !*bn)
		return ctmod_fail_input(ctx, -EINVAL, NULL, "%s: no BUILT_MODULE_NAME[%zu]", file,
		                        i);
	const char *dn = raw_get(raw, V_DEST_MODULE_NAME, i);
	if (!dn || !*dn)
		dn = bn;
	if (bad_mod_name(bn) || bad_mod_name(dn))
		return ctmod_fail_input(ctx, -EINVAL, "give the name without .ko or /",
		                        "%s: bad module name in record %zu", file, i);
	const char *bl = raw_get(raw, V_BUILT_MODULE_LOCATION, i);
	if (bl && !path_inside(bl))
		return ctmod_fail_input(ctx, -EINVAL, NULL,
		                        "%s: BUILT_MODULE_LOCATION[%zu] '%s' leaves the build tree",
		                        file, i, bl);
	const char *dl = raw_get(raw, V_DEST_MODULE_LOCATION, i);
	if (!dl || !*dl)
		return ctmod_fail_input(ctx, -EINVAL, NULL, "%s: no DEST_MODULE_LOCATION[%zu]",
		                        file, i);
	const char *sp = raw_get(raw, V_STRIP, i);
	if (sp && (*sp == 'n' || *sp == 'N'))
		m->strip = false;
	else if (sp && (*sp == 'y' || *sp == 'Y'))
		m->strip = true;
	else
		m->strip = i > 0 ? out->mods[0].strip : true;
	m->built_name = strdup(bn);
	m->dest_name = strdup(dn);
	m->dest_location = strdup(dl);
	if (bl && *bl && bl[strlen(bl) - 1] != '/') {
		if (asprintf(&m->built_location, "%s/", bl) < 0)
			m->built_location = NULL;
	} else
		m->built_location = strdup(bl ? bl : "");
	if (i > 0) { /* [0] is the package's value, checked for every module */
		m->excl_kernel = dup_nonempty(raw_get(raw, V_EXCL_KERNEL, i));
		m->excl_arch = dup_nonempty(raw_get(raw, V_EXCL_ARCH, i));
		m->excl_kernel_min = dup_nonempty(raw_get(raw, V_EXCL_KMIN, i));
		m->excl_kernel_max = dup_nonempty(raw_get(raw, V_EXCL_KMAX, i));
		split_words(raw_get(raw, V_EXCL_CONFIG, i), &m->excl_config);
	}
	if (!m->built_name || !m->dest_name || !m->dest_location || !m->built_location)
		return -ENOMEM;
	return 0;
}

/* DKMS's read_conf_strict: two records may not build or install the same module */
static int check_duplicates(struct ctmod_ctx *ctx, const char *file, const struct dkms_conf *c)
{
	for (size_t i = 1; i < c->n_mods; i++)
		for (size_t k = 0; k < i; k++) {
			const struct dkms_module *a = &c->mods[k], *b = &c->mods[i];
			if (!strcmp(a->built_location, b->built_location) &&
			    !strcmp(a->built_name, b->built_name))
				return ctmod_fail_input(
				    ctx, -EINVAL, "give each record its own module",
				    "%s: Duplicate module '%s%s' in 'BUILT_MODULE_NAME[%zu]'", file,
				    b->built_location, b->built_name, i);
		}
	for (size_t i = 1; i < c->n_mods; i++)
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->mods[k].dest_name, c->mods[i].dest_name))
				return ctmod_fail_input(
				    ctx, -EINVAL, "give each record its own DEST_MODULE_NAME",
				    "%s: Duplicate module '%s' in 'DEST_MODULE_NAME[%zu]'", file,
				    c->mods[i].dest_name, i);
	return 0;
}

/* modules: as many as the longest of the four arrays; zero is a warning, as DKMS says */
static int parse_modules(struct ctmod_ctx *ctx, const char *file, struct rawvar *raw,
                         struct dkms_conf *out)
{
	size_t nm = 0;
	const int arrs[] = {V_BUILT_MODULE_NAME, V_BUILT_MODULE_LOCATION, V_DEST_MODULE_NAME,
	                    V_DEST_MODULE_LOCATION};
	for (size_t i = 0; i < ARRAY_SIZE(arrs); i++)
		if (raw[arrs[i]].count > nm)
			nm = raw[arrs[i]].count;
	if (nm == 0) {
		strv_push(&out->warnings, "dkms.conf: Warning! Zero modules specified.");
		return 0;
	}
	out->mods = calloc(nm, sizeof(*out->mods));
	if (!out->mods)
		return -ENOMEM;
	out->n_mods = nm;
	for (size_t i = 0; i < nm; i++) {
		int r = parse_module(ctx, file, raw, i, out);
		if (r < 0)
			return r;
	}
	return check_duplicates(ctx, file, out);
}

/* DKMS's "Deprecated feature:" lines, for the directives it no longer honours */
static void deprecations(const char *file, struct rawvar *raw, struct dkms_conf *out)
{
	static const struct {
		int v;
		const char *name, *extra;
	} dep[] = {
	    {V_REMAKE_INITRD, "REMAKE_INITRD", ""},
	    {V_MODULES_CONF, "MODULES_CONF", ""},
	    {V_MODULES_CONF_OBSOLETES, "MODULES_CONF_OBSOLETES", ""},
	    {V_MODULES_CONF_ALIAS_TYPE, "MODULES_CONF_ALIAS_TYPE", ""},
	    {V_MODULES_CONF_OBSOLETE_ONLY, "MODULES_CONF_OBSOLETE_ONLY", ""},
	    {V_OBSOLETE_BY, "OBSOLETE_BY", ": use BUILD_EXCLUSIVE_KERNEL_MAX instead"},
	};
	const char *clean = raw_get(raw, V_CLEAN, 0);
	if (raw[V_CLEAN].count && clean && strcmp(clean, "true") && strcmp(clean, "/bin/true") &&
	    strcmp(clean, "/usr/bin/true"))
		strv_push_take(&out->warnings,
		               strdup_printf("Deprecated feature: CLEAN (%s)", file));
	for (size_t i = 0; i < ARRAY_SIZE(dep); i++)
		if (raw[dep[i].v].count)
			strv_push_take(&out->warnings,
			               strdup_printf("Deprecated feature: %s (%s)%s", dep[i].name,
			                             file, dep[i].extra));
}

int ctmod_dkms_conf_parse(struct ctmod_ctx *ctx, const char *file, const char *buf, size_t len,
                          const char *kver, struct dkms_conf *out)
{
	struct rawvar raw[N_VARS];
	memset(raw, 0, sizeof(raw));
	memset(out, 0, sizeof(*out));
	strv_init(&out->patches);
	strv_init(&out->excl_config);
	strv_init(&out->build_depends);
	strv_init(&out->warnings);
	out->file = strdup(file);

	int r = parse_records(ctx, file, buf, len, raw);
	if (r == 0)
		r = parse_package(ctx, file, raw, kver, out);
	if (r == 0) {
		parse_patches(file, raw, kver, out);
		split_words(raw_get(raw, V_EXCL_CONFIG, 0), &out->excl_config);
		for (size_t i = 0; i < raw[V_BUILD_DEPENDS].vals.n; i++)
			split_words(raw_get(raw, V_BUILD_DEPENDS, i), &out->build_depends);
		deprecations(file, raw, out);
		r = parse_modules(ctx, file, raw, out);
	}
	for (int k = 0; k < N_VARS; k++)
		strv_release(&raw[k].vals);
	if (r < 0)
		ctmod_dkms_conf_release(out);
	return r;
}

void ctmod_dkms_conf_release(struct dkms_conf *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->name);
	free(c->version);
	free(c->make);
	free(c->clean);
	free(c->pre_build);
	free(c->post_build);
	free(c->pre_install);
	free(c->post_install);
	free(c->post_remove);
	free(c->bad_patch);
	strv_release(&c->warnings);
	free(c->excl_kernel);
	free(c->excl_arch);
	free(c->excl_kernel_min);
	free(c->excl_kernel_max);
	free(c->obsolete_by);
	strv_release(&c->patches);
	strv_release(&c->excl_config);
	strv_release(&c->build_depends);
	for (size_t i = 0; i < c->n_mods; i++) {
		free(c->mods[i].built_name);
		free(c->mods[i].built_location);
		free(c->mods[i].dest_name);
		free(c->mods[i].dest_location);
		free(c->mods[i].excl_kernel);
		free(c->mods[i].excl_arch);
		free(c->mods[i].excl_kernel_min);
		free(c->mods[i].excl_kernel_max);
		strv_release(&c->mods[i].excl_config);
	}
	free(c->mods);
	memset(c, 0, sizeof(*c));
}

/* CONFIG_X=y or =m in the .config text */
static bool config_set(const char *config, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *l = config; l && *l;) {
		if (strncmp(l, opt, n) == 0 && l[n] == '=' && (l[n + 1] == 'y' || l[n + 1] == 'm'))
			return true;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return false;
}

/* One set of BUILD_EXCLUSIVE_* values (the package's [0], or a module's [i]) */
static int excluded_by(const char *kernel, const char *arch_re, const char *kmin, const char *kmax,
                       const struct strv *cfg, const char *kver, const char *arch,
                       const char *config, char **why)
{
	int r = 0;
	if (kernel && !ere_match(kernel, kver))
		r = asprintf(why, "BUILD_EXCLUSIVE_KERNEL '%s' does not match %s", kernel, kver);
	else if (arch_re && !ere_match(arch_re, arch))
		r = asprintf(why, "BUILD_EXCLUSIVE_ARCH '%s' does not match %s", arch_re, arch);
	else if (kmin && strverscmp(kver, kmin) < 0)
		r = asprintf(why, "kernel %s is older than BUILD_EXCLUSIVE_KERNEL_MIN %s", kver,
		             kmin);
	else if (kmax && strverscmp(kver, kmax) > 0)
		r = asprintf(why, "kernel %s is newer than BUILD_EXCLUSIVE_KERNEL_MAX %s", kver,
		             kmax);
	else if (config) {
		/* DKMS skips the CONFIG test when the kernel has no .config */
		for (size_t i = 0; i < cfg->n; i++) {
			const char *k = cfg->v[i];
			bool neg = k[0] == '!';
			if (config_set(config, k + neg) == neg) {
				r = asprintf(why, "BUILD_EXCLUSIVE_CONFIG: %s is %s in %s", k + neg,
				             neg ? "set" : "not set", kver);
				break;
			}
		}
	}
	if (r < 0)
		return -ENOMEM;
	return *why ? 1 : 0;
}

int ctmod_dkms_excluded(const struct dkms_conf *c, const char *kver, const char *arch,
                        const char *config, char **why)
{
	*why = NULL;
	if (c->obsolete_by && strverscmp(kver, c->obsolete_by) >= 0)
		return asprintf(why, "OBSOLETE_BY %s: kernel %s has it built in", c->obsolete_by,
		                kver) < 0
		           ? -ENOMEM
		           : 1;
	int r = excluded_by(c->excl_kernel, c->excl_arch, c->excl_kernel_min, c->excl_kernel_max,
	                    &c->excl_config, kver, arch, config, why);
	if (r != 0 || c->n_mods == 0)
		return r;
	/* every module ruled out by its own BUILD_EXCLUSIVE_*[i]: the package is */
	for (size_t i = 0; i < c->n_mods; i++) {
		char *w = NULL;
		r = ctmod_dkms_module_excluded(c, i, kver, arch, config, &w);
		if (r <= 0) {
			free(w);
			return r;
		}
		free(*why);
		*why = w;
	}
	return 1;
}

int ctmod_dkms_module_excluded(const struct dkms_conf *c, size_t i, const char *kver,
                               const char *arch, const char *config, char **why)
{
	const struct dkms_module *m = &c->mods[i];
	*why = NULL;
	return excluded_by(m->excl_kernel, m->excl_arch, m->excl_kernel_min, m->excl_kernel_max,
	                   &m->excl_config, kver, arch, config, why);
}

char *ctmod_dkms_make_command(const struct dkms_conf *c, const struct dkms_env *env, int jobs)
{
	char *base = NULL, *out = NULL;
	if (c->make)
		base = strdup(c->make);
	else if (asprintf(&base, "make -C %s M=%s/%s/%s/build", env->kernel_source_dir,
	                  env->dkms_tree ? env->dkms_tree : DKMS_TREE, c->name, c->version) < 0)
		base = NULL;
	if (!base)
		return NULL;
	/* bash's ${make_command/#make/...}: a prefix "make", even of "makefoo" */
	if (strncmp(base, "make", 4) == 0) {
		char j[32] = "";
		if (jobs > 0)
			snprintf(j, sizeof(j), " -j%d", jobs);
		if (asprintf(&out, "make%s KERNELRELEASE=%s%s", j, env->kernelver, base + 4) < 0)
			out = NULL;
		free(base);
		return out;
	}
	return base;
}
