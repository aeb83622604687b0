// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modlist.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "dl.h"

/* cloud-configs and lists are small; anything bigger is not one */
#define MODLIST_MAX_INPUT (8u << 20)

void ctmod_modlist_init(struct ctmod_modlist *list)
{
	memset(list, 0, sizeof(*list));
	strv_init(&list->problems);
}

static void entry_release(struct ctmod_modlist_entry *e)
{
	free(e->name);
	free(e->params);
	for (size_t i = 0; i < e->n_origins; i++)
		free(e->origins[i].file);
	free(e->origins);
}

void ctmod_modlist_release(struct ctmod_modlist *list)
{
	for (size_t i = 0; i < list->n; i++)
		entry_release(&list->v[i]);
	free(list->v);
	strv_release(&list->problems);
	ctmod_modlist_init(list);
}

int ctmod_modlist_problem(struct ctmod_modlist *list, const char *file, unsigned line,
                          const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	if (line)
		strbuf_printf(&sb, "%s:%u: ", file, line);
	else
		strbuf_printf(&sb, "%s: ", file);
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	strv_push_take(&list->problems, strbuf_steal(&sb));
	return 0;
}

static void add_origin(struct ctmod_modlist_entry *e, const struct ctmod_modlist_origin *o)
{
	struct ctmod_modlist_origin *n = ARRAY_PUSH(e->origins, e->n_origins, e->cap_origins);
	*n = *o;
	n->file = xstrdup(o->file);
}

void ctmod_modlist_join_params(char **params, const char *more)
{
	if (!more || !*more || strcmp(*params, more) == 0)
		return;
	char *p = xasprintf("%s%s%s", *params, **params ? " " : "", more);
	free(*params);
	*params = p;
}

/* A short, printable rendering of untrusted text for a message. */
static const char *shown(const char *s, char *buf, size_t sz)
{
	size_t j = 0;
	for (size_t i = 0; s[i] && j + 5 < sz; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < ' ' || c == 0x7f)
			j += (size_t)snprintf(buf + j, sz - j, "\\x%02x", c);
		else
			buf[j++] = (char)c;
	}
	buf[j] = '\0';
	return buf;
}

int ctmod_modlist_add(struct ctmod_modlist *list, const char *name, const char *params,
                      const struct ctmod_modlist_origin *origin)
{
	if (!modname_valid(name)) {
		char buf[96];
		const char *key = origin->key ? origin->key : "", *sep = origin->key ? ": " : "";
		if (!*name)
			return ctmod_modlist_problem(list, origin->file, origin->line,
			                             "%s%sempty module name", key, sep);
		const char *why = strchr(name, '/')    ? "a name, not a path"
		                  : strlen(name) >= 56 ? "longer than 55 bytes"
		                                       : "a space or control character in it";
		return ctmod_modlist_problem(list, origin->file, origin->line,
		                             "%s%s'%s' is not a valid module name (%s)", key, sep,
		                             shown(name, buf, sizeof(buf)), why);
	}
	if (!params)
		params = "";
	for (size_t i = 0; i < list->n; i++) {
		struct ctmod_modlist_entry *e = &list->v[i];
		if (!modname_equal(e->name, name))
			continue;
		add_origin(e, origin);
		ctmod_modlist_join_params(&e->params, params);
		return 0;
	}
	struct ctmod_modlist_entry *e = ARRAY_PUSH(list->v, list->n, list->cap);
	e->name = xstrdup(name);
	e->params = xstrdup(params);
	add_origin(e, origin);
	return 0;
}

/* "NAME PARAM=V ...": the name up to the first blank, the rest parameters. */
static int add_split(struct ctmod_modlist *list, const char *entry,
                     const struct ctmod_modlist_origin *origin)
{
	const char *s = entry + strspn(entry, " \t\r\n");
	size_t n = strcspn(s, " \t\r\n");
	_cleanup_free_ char *name = xstrndup(s, n);
	const char *p = s + n;
	p += strspn(p, " \t\r\n");
	_cleanup_free_ char *params = xstrdup(p);
	rstrip(params);
	return ctmod_modlist_add(list, name, params, origin);
}

/* ---- cloud-config ---- */

struct yaml_walk {
	struct ctmod_modlist *list;
	yaml_document_t *doc;
	const char *file;
	bool bad;
};

static int walk_problem(struct yaml_walk *w, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int walk_problem(struct yaml_walk *w, const yaml_node_t *node, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf msg = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&msg, fmt, ap);
	va_end(ap);
	w->bad = true;
	return ctmod_modlist_problem(w->list, w->file, (unsigned)node->start_mark.line + 1, "%s",
	                             strbuf_str(&msg));
}

/* The scalar's text, or NULL when NODE is not a scalar or holds a NUL. */
static const char *scalar(const yaml_node_t *node)
{
	if (!node || node->type != YAML_SCALAR_NODE)
		return NULL;
	const char *v = (const char *)node->data.scalar.value;
	if (strlen(v) != node->data.scalar.length)
		return NULL;
	return v;
}

static bool is_null(const yaml_node_t *node)
{
	if (!node || node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)node->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static struct ctmod_modlist_origin node_origin(struct yaml_walk *w, const yaml_node_t *node,
                                               const char *key)
{
	return (struct ctmod_modlist_origin){
	    .source = CTMOD_SRC_CLOUD_CONFIG,
	    .file = (char *)w->file,
	    .line = (unsigned)node->start_mark.line + 1,
	    .key = key,
	};
}

/* ctmod.modules: {name: N, parameters: [P, ...] or "P ..."} */
static int walk_ctmod_mapping(struct yaml_walk *w, yaml_node_t *item)
{
	yaml_node_t *name = NULL, *params = NULL;
	for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *ks = scalar(k);
		if (ks && strcmp(ks, "name") == 0)
			name = v;
		else if (ks && strcmp(ks, "parameters") == 0)
			params = v;
		else {
			char buf[64];
			int r =
			    walk_problem(w, k, "ctmod.modules: unknown key '%s' (name, parameters)",
			                 ks ? shown(ks, buf, sizeof(buf)) : "(not a string)");
			if (r < 0)
				return r;
		}
	}
	const char *n = scalar(name);
	if (!n)
		return walk_problem(w, item,
		                    "ctmod.modules: entry without a name (want {name: MODULE, "
		                    "parameters: [P=V, ...]})");

	struct strbuf sb;
	strbuf_init(&sb);
	int r = 0;
	if (params && !is_null(params)) {
		if (params->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *i = params->data.sequence.items.start;
			     i < params->data.sequence.items.top; i++) {
				yaml_node_t *pn = yaml_document_get_node(w->doc, *i);
				const char *pv = scalar(pn);
				if (!pv) {
					r = walk_problem(
					    w, pn ? pn : params,
					    "ctmod.modules: %s: a parameter is not a string", n);
					if (r < 0)
						goto out;
					continue;
				}
				if (sb.len)
					strbuf_putc(&sb, ' ');
				strbuf_puts(&sb, pv);
			}
		} else if (scalar(params)) {
			strbuf_puts(&sb, scalar(params));
		} else {
			r = walk_problem(w, params, "ctmod.modules: %s: parameters is not a list",
			                 n);
			if (r < 0)
				goto out;
		}
	}
	struct ctmod_modlist_origin o = node_origin(w, item, "ctmod.modules");
	size_t before = w->list->problems.n;
	r = ctmod_modlist_add(w->list, n, strbuf_str(&sb), &o);
	if (w->list->problems.n != before)
		w->bad = true;
out:
	strbuf_release(&sb);
	return r;
}

static int walk_modules(struct yaml_walk *w, const char *section, bool mappings)
{
	yaml_node_t *root = yaml_document_get_root_node(w->doc);
	yaml_node_t *sec = map_get(w->doc, root, section);
	if (!sec || is_null(sec))
		return 0;
	if (sec->type != YAML_MAPPING_NODE)
		return walk_problem(w, sec, "%s: is not a mapping (want %s: {modules: [...]})",
		                    section, section);
	yaml_node_t *mods = map_get(w->doc, sec, "modules");
	if (!mods || is_null(mods))
		return 0;
	const char *key = mappings ? "ctmod.modules" : "rancher.modules";
	if (mods->type != YAML_SEQUENCE_NODE)
		return walk_problem(w, mods, "%s: is not a list (want modules: [NAME, ...])", key);

	for (yaml_node_item_t *i = mods->data.sequence.items.start;
	     i < mods->data.sequence.items.top; i++) {
		yaml_node_t *item = yaml_document_get_node(w->doc, *i);
		int r = 0;
		if (!item)
			continue;
		const char *s = scalar(item);
		if (s) {
			struct ctmod_modlist_origin o = node_origin(w, item, key);
			size_t before = w->list->problems.n;
			r = add_split(w->list, s, &o);
			if (w->list->problems.n != before)
				w->bad = true;
		} else if (mappings && item->type == YAML_MAPPING_NODE) {
			r = walk_ctmod_mapping(w, item);
		} else {
			r = walk_problem(w, item, "%s: an entry is not a string%s", key,
			                 mappings ? " or a {name, parameters} mapping" : "");
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* -ELIBACC when libyaml cannot be loaded (lib/dl-yaml.c): parse_file says so */
static int yaml_start(yaml_parser_t *parser)
{
	if (ctmod_dl_open(&ctmod_dl_yaml) < 0)
		return -ELIBACC;
	return yaml_parser_initialize(parser) ? 0 : -ENOMEM;
}

int ctmod_modlist_parse_cloud_config(struct ctmod_modlist *list, const char *data, size_t len,
                                     const char *file)
{
	/* cloud-config.d may hold user-data scripts too: not ours to read */
	if (len >= 2 && data[0] == '#' && data[1] == '!')
		return 0;

	yaml_parser_t parser;
	yaml_document_t doc;
	int lr = yaml_start(&parser);
	if (lr < 0)
		return lr;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		int r = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		if (r == -EINVAL) {
			const yaml_mark_t *m = &parser.problem_mark;
			char ctxbuf[128] = "";
			if (parser.context)
				snprintf(ctxbuf, sizeof(ctxbuf), " (%s)", parser.context);
			if (ctmod_modlist_problem(
			        list, file, (unsigned)m->line + 1, "malformed YAML: %s%s",
			        parser.problem ? parser.problem : "syntax error", ctxbuf) < 0)
				r = -ENOMEM;
		}
		yaml_parser_delete(&parser);
		return r;
	}
	struct yaml_walk w = {.list = list, .doc = &doc, .file = file};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int r = 0;
	if (root && root->type != YAML_MAPPING_NODE && !is_null(root))
		r = walk_problem(&w, root, "a cloud-config is a mapping (rancher:, ctmod:, ...)");
	if (r == 0)
		r = walk_modules(&w, "rancher", false);
	if (r == 0)
		r = walk_modules(&w, "ctmod", true);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (r < 0)
		return r;
	return w.bad ? -EINVAL : 0;
}

/* ---- kernel command line ---- */

/*
 * Key names compare as the kernel and systemd compare them: '-' and '_'
 * are the same.
 */
static bool key_equal(const char *a, size_t alen, const char *b)
{
	size_t i = 0;
	for (; i < alen && b[i]; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
		if (x != y)
			return false;
	}
	return i == alen && !b[i];
}

/* rancher.modules=VALUE: RancherOS reads rancher.* values as YAML. */
static int cmdline_rancher(struct ctmod_modlist *list, const char *value, const char *file,
                           bool *bad)
{
	struct ctmod_modlist_origin o = {
	    .source = CTMOD_SRC_CMDLINE, .file = (char *)file, .key = "rancher.modules"};
	yaml_parser_t parser;
	yaml_document_t doc;
	char buf[96];
	int r = 0;

	r = yaml_start(&parser);
	if (r < 0)
		return r;
	yaml_parser_set_input_string(&parser, (const unsigned char *)value, strlen(value));
	if (!yaml_parser_load(&parser, &doc)) {
		r = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : 0;
		if (r == 0) {
			*bad = true;
			r = ctmod_modlist_problem(list, file, 0,
			                          "rancher.modules=%s: not a YAML list: %s (want "
			                          "rancher.modules=[a,b])",
			                          shown(value, buf, sizeof(buf)),
			                          parser.problem ? parser.problem : "syntax error");
		}
		yaml_parser_delete(&parser);
		return r;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	size_t before = list->problems.n;
	if (!root || is_null(root)) {
		r = ctmod_modlist_add(list, "", NULL, &o);
	} else if (scalar(root)) {
		r = add_split(list, scalar(root), &o);
	} else if (root->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = root->data.sequence.items.start;
		     r == 0 && i < root->data.sequence.items.top; i++) {
			const char *s = scalar(yaml_document_get_node(&doc, *i));
			if (s)
				r = add_split(list, s, &o);
			else
				r = ctmod_modlist_problem(
				    list, file, 0, "rancher.modules=%s: an entry is not a string",
				    shown(value, buf, sizeof(buf)));
		}
	} else {
		r = ctmod_modlist_problem(list, file, 0, "rancher.modules=%s: not a list",
		                          shown(value, buf, sizeof(buf)));
	}
	if (list->problems.n != before)
		*bad = true;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

/* modules_load=a,b and friends: comma-separated names. */
static int cmdline_commas(struct ctmod_modlist *list, const char *value, const char *key,
                          const char *file, bool *bad)
{
	struct ctmod_modlist_origin o = {
	    .source = CTMOD_SRC_CMDLINE, .file = (char *)file, .key = key};
	size_t before = list->problems.n;
	const char *p = value;
	for (;;) {
		size_t n = strcspn(p, ",");
		_cleanup_free_ char *name = strndup(p, n);
		if (!name)
			return -ENOMEM;
		int r = ctmod_modlist_add(list, name, NULL, &o);
		if (r < 0)
			return r;
		if (!p[n])
			break;
		p += n + 1;
	}
	if (list->problems.n != before)
		*bad = true;
	return 0;
}

static const struct {
	const char *key;
	bool yaml;
} cmdline_keys[] = {
    {"rancher.modules", true},
    {"modules_load", false},
    {"rd.modules_load", false},
    {"ctmod.modules", false},
};

/* One "key=value" word, its quotes still on (as the kernel leaves them). */
static int cmdline_word(struct ctmod_modlist *list, char *word, const char *file, bool *bad)
{
	/* the kernel lets a whole word be quoted: "key=a b" */
	size_t wl = strlen(word);
	if (word[0] == '"') {
		word++;
		wl--;
		if (wl && word[wl - 1] == '"')
			word[--wl] = '\0';
	}
	char *eq = strchr(word, '=');
	if (!eq)
		return 0;
	size_t klen = (size_t)(eq - word);
	char *value = eq + 1;
	size_t vl = strlen(value);
	if (value[0] == '"') {
		value++;
		vl--;
		if (vl && value[vl - 1] == '"')
			value[--vl] = '\0';
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmdline_keys); i++) {
		if (!key_equal(word, klen, cmdline_keys[i].key))
			continue;
		if (cmdline_keys[i].yaml)
			return cmdline_rancher(list, value, file, bad);
		return cmdline_commas(list, value, cmdline_keys[i].key, file, bad);
	}
	return 0;
}

int ctmod_modlist_parse_cmdline(struct ctmod_modlist *list, const char *data, size_t len,
                                const char *file)
{
	/* a NUL ends the command line, as it does in /proc/cmdline */
	size_t n = strnlen(data, len);
	_cleanup_free_ char *buf = strndup(data, n);
	if (!buf)
		return -ENOMEM;
	bool bad = false;
	char *p = buf;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		/*
		 * A word ends at a blank outside quotes (the kernel's rule)
		 * and outside brackets (RancherOS's: rancher.modules=[a b, c]).
		 */
		char *start = p;
		bool quoted = false;
		int depth = 0;
		for (; *p; p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (!quoted && *p == '[')
				depth++;
			else if (!quoted && *p == ']' && depth > 0)
				depth--;
			else if (!quoted && depth == 0 &&
			         (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
				break;
		}
		bool last = !*p;
		*p = '\0';
		int r = cmdline_word(list, start, file, &bad);
		if (r < 0)
			return r;
		if (last)
			break;
		p++;
	}
	return bad ? -EINVAL : 0;
}

/* ---- line-based lists ---- */

typedef int (*line_fn)(struct ctmod_modlist *list, char *line, const char *file, unsigned lineno);

static int each_line(struct ctmod_modlist *list, const char *data, size_t len, const char *file,
                     line_fn fn)
{
	bool bad = false;
	unsigned lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
		lineno++;
		size_t before = list->problems.n;
		if (memchr(data + pos, '\0', n)) {
			int r = ctmod_modlist_problem(list, file, lineno,
			                              "a NUL byte (not a text file?)");
			if (r < 0)
				return r;
		} else {
			_cleanup_free_ char *line = strndup(data + pos, n);
			if (!line)
				return -ENOMEM;
			rstrip(line);
			char *s = line + strspn(line, " \t\r");
			int r = *s ? fn(list, s, file, lineno) : 0;
			if (r < 0)
				return r;
		}
		if (list->problems.n != before)
			bad = true;
		pos += n + 1;
	}
	return bad ? -EINVAL : 0;
}

static int modules_load_line(struct ctmod_modlist *list, char *line, const char *file,
                             unsigned lineno)
{
	if (*line == '#' || *line == ';')
		return 0;
	struct ctmod_modlist_origin o = {
	    .source = CTMOD_SRC_MODULES_LOAD, .file = (char *)file, .line = lineno};
	if (strpbrk(line, " \t")) {
		char buf[96];
		return ctmod_modlist_problem(list, file, lineno,
		                             "'%s': one module name a line (parameters go in "
		                             "modprobe.d: options NAME P=V)",
		                             shown(line, buf, sizeof(buf)));
	}
	return ctmod_modlist_add(list, line, NULL, &o);
}

int ctmod_modlist_parse_modules_load(struct ctmod_modlist *list, const char *data, size_t len,
                                     const char *file)
{
	return each_line(list, data, len, file, modules_load_line);
}

static int etc_modules_line(struct ctmod_modlist *list, char *line, const char *file,
                            unsigned lineno)
{
	if (*line == '#')
		return 0;
	struct ctmod_modlist_origin o = {
	    .source = CTMOD_SRC_MODULES_LOAD, .file = (char *)file, .line = lineno};
	return add_split(list, line, &o);
}

int ctmod_modlist_parse_etc_modules(struct ctmod_modlist *list, const char *data, size_t len,
                                    const char *file)
{
	return each_line(list, data, len, file, etc_modules_line);
}

/* ---- gathering ---- */

typedef int (*parse_fn)(struct ctmod_modlist *list, const char *data, size_t len, const char *file);

/* Parse one file; a missing one is fine unless it was named explicitly. */
static int parse_file(struct ctmod_ctx *ctx, struct ctmod_modlist *list, const char *path,
                      parse_fn fn, bool explicit)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = read_file(path, MODLIST_MAX_INPUT, &data, &len);
	if (r == -ENOENT && !explicit)
		return 0;
	if (r == -ENOMEM)
		return ctmod_fail(ctx, r, NULL, "out of memory reading %s", path);
	if (r < 0 && explicit)
		return ctmod_fail_input(ctx, r, "check the path", "%s: %s", path,
		                        r == -EFBIG ? "too large" : strerror(-r));
	if (r < 0)
		return ctmod_modlist_problem(list, path, 0, "cannot read: %s",
		                             r == -EFBIG ? "too large" : strerror(-r));
	r = fn(list, data, len, path);
	if (r == -ELIBACC)
		return ctmod_dl_fail(ctx, &ctmod_dl_yaml, path);
	if (r == -ENOMEM)
		return ctmod_fail(ctx, r, NULL, "out of memory parsing %s", path);
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The names of DIR's files ending in SUFFIX, sorted. */
static int list_dir(const char *dir, const char *suffix, struct strv *names)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !has_suffix(de->d_name, suffix))
			continue;
		strv_push(names, de->d_name);
	}
	closedir(d);
	strv_sort(names);
	return r;
}

static int parse_dir(struct ctmod_ctx *ctx, struct ctmod_modlist *list, const char *rel,
                     const char *suffix, parse_fn fn)
{
	_cleanup_free_ char *dir = ctmod_path(ctx, "%s", rel);
	_cleanup_strv_ struct strv names = STRV_INIT;
	int r = list_dir(dir, suffix, &names);
	if (r < 0)
		r = ctmod_modlist_problem(list, dir, 0, "cannot read the directory: %s",
		                          strerror(-r));
	for (size_t i = 0; r == 0 && i < names.n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, names.v[i]);
		r = parse_file(ctx, list, p, fn, false);
	}
	return r;
}

/*
 * systemd's rules: every *.conf of these directories, sorted by file name;
 * of several files with the same name only the one in the earliest
 * directory counts, and one linked to /dev/null masks the name.
 */
static const char *const modules_load_dirs[] = {
    "/etc/modules-load.d",     "/run/modules-load.d", "/usr/local/lib/modules-load.d",
    "/usr/lib/modules-load.d", "/lib/modules-load.d",
};

static int gather_modules_load(struct ctmod_ctx *ctx, struct ctmod_modlist *list)
{
	_cleanup_strv_ struct strv names = STRV_INIT, paths = STRV_INIT;
	int r = 0;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(modules_load_dirs); i++) {
		_cleanup_free_ char *dir = ctmod_path(ctx, "%s", modules_load_dirs[i]);
		_cleanup_strv_ struct strv here = STRV_INIT;
		r = list_dir(dir, ".conf", &here);
		if (r < 0)
			r = ctmod_modlist_problem(list, dir, 0, "cannot read the directory: %s",
			                          strerror(-r));
		for (size_t j = 0; r == 0 && j < here.n; j++) {
			if (strv_contains(&names, here.v[j]))
				continue;
			strv_push(&names, here.v[j]);
			strv_push_take(&paths, xasprintf("%s/%s", dir, here.v[j]));
		}
	}
	/* the winners in file name order */
	strv_sort_with(&names, &paths);
	for (size_t i = 0; r == 0 && i < paths.n; i++) {
		char target[64];
		ssize_t n = readlink(paths.v[i], target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strcmp(target, "/dev/null") == 0)
				continue;
		}
		r = parse_file(ctx, list, paths.v[i], ctmod_modlist_parse_modules_load, false);
	}
	if (r == 0) {
		_cleanup_free_ char *p = ctmod_path(ctx, "/etc/modules");
		r = parse_file(ctx, list, p, ctmod_modlist_parse_etc_modules, false);
	}
	return r;
}

int ctmod_modlist_gather(struct ctmod_ctx *ctx, const struct ctmod_modlist_opts *opts,
                         struct ctmod_modlist *list)
{
	unsigned src = opts && opts->sources ? opts->sources : CTMOD_SRC_ALL;
	int r = 0;

	/* the command line first: it is the earliest word on what to load */
	if (src & CTMOD_SRC_CMDLINE) {
		if (opts && opts->cmdline) {
			r = parse_file(ctx, list, opts->cmdline, ctmod_modlist_parse_cmdline, true);
		} else {
			_cleanup_free_ char *p = ctmod_path(ctx, "/proc/cmdline");
			r = p ? parse_file(ctx, list, p, ctmod_modlist_parse_cmdline, false)
			      : -ENOMEM;
		}
		if (r < 0)
			return r;
	}
	if (src & CTMOD_SRC_CLOUD_CONFIG) {
		_cleanup_free_ char *p = ctmod_path(ctx, "/var/lib/rancher/conf/cloud-config.yml");
		if (!p)
			return -ENOMEM;
		r = parse_file(ctx, list, p, ctmod_modlist_parse_cloud_config, false);
		if (r == 0)
			r = parse_dir(ctx, list, "/var/lib/rancher/conf/cloud-config.d", ".yml",
			              ctmod_modlist_parse_cloud_config);
		if (r == 0)
			r = parse_dir(ctx, list, "/etc/ctmod/cloud-config.d", ".yml",
			              ctmod_modlist_parse_cloud_config);
		for (size_t i = 0; r == 0 && opts && opts->cloud_config && opts->cloud_config[i];
		     i++)
			r = parse_file(ctx, list, opts->cloud_config[i],
			               ctmod_modlist_parse_cloud_config, true);
		if (r < 0)
			return r;
	}
	if (src & CTMOD_SRC_MODULES_LOAD) {
		r = gather_modules_load(ctx, list);
		if (r < 0)
			return r == -ENOMEM ? ctmod_fail(ctx, r, NULL, "out of memory") : r;
	}
	return 0;
}

static const struct {
	const char *name;
	enum ctmod_modlist_source src;
} source_names[] = {
    {"cmdline", CTMOD_SRC_CMDLINE},
    {"cloud-config", CTMOD_SRC_CLOUD_CONFIG},
    {"modules-load.d", CTMOD_SRC_MODULES_LOAD},
};

const char *ctmod_modlist_source_name(enum ctmod_modlist_source src)
{
	for (size_t i = 0; i < ARRAY_SIZE(source_names); i++)
		if (source_names[i].src == src)
			return source_names[i].name;
	return "?";
}

int ctmod_modlist_parse_sources(const char *s, unsigned *out)
{
	unsigned bits = 0;
	const char *p = s;
	for (;;) {
		size_t n = strcspn(p, ",");
		bool found = false;
		if (n == 3 && strncmp(p, "all", 3) == 0) {
			bits |= CTMOD_SRC_ALL;
			found = true;
		}
		for (size_t i = 0; !found && i < ARRAY_SIZE(source_names); i++)
			if (strlen(source_names[i].name) == n &&
			    strncmp(p, source_names[i].name, n) == 0) {
				bits |= source_names[i].src;
				found = true;
			}
		if (!found)
			return -EINVAL;
		if (!p[n])
			break;
		p += n + 1;
	}
	*out = bits;
	return 0;
}
