// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The option rules of every command: global options before or after the
 * command, one getopt driven by the command's table, one way to word a
 * missing or unknown option, and the usage text written from the table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "builtin.h"
#include "cli.h"

/* ---- the global options ---- */

/* What an option's argument is, for "--root needs a directory". */
static const char *arg_words(const char *arg)
{
	static const struct {
		const char *arg, *words;
	} tab[] = {
	    {"DIR", "a directory"},
	    {"FILE", "a file"},
	    {"FILE|-", "a file, or - for standard input"},
	    {"KVER", "a kernel release"},
	    {"N", "a number"},
	    {"SECONDS", "seconds"},
	    {"HEX", "64 hex digits"},
	    {"LIST", "a comma-separated list"},
	    {"TEMPLATE", "a URL template"},
	    {"SOCKET", "a socket path"},
	    {"ARCH", "an architecture"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (strcmp(arg, tab[i].arg) == 0)
			return tab[i].words;
	return arg;
}

static int missing_arg(struct cli *cli, const char *opt, const char *arg)
{
	_cleanup_free_ char *hint = NULL;
	if (asprintf(&hint, "%s needs %s", opt, arg_words(arg)) < 0)
		abort();
	return cli_usage_hint(cli, hint, "option '%s' needs an argument", opt);
}

struct global {
	const char *name;
	char short_name;
	const char *arg; /* NULL: a flag; "" : an optional =VALUE */
};

static const struct global globals[] = {
    {"verbose", 'v', NULL}, {"quiet", 'q', NULL}, {"json", 0, NULL},       {"color", 0, ""},
    {"colour", 0, ""},      {"root", 'd', "DIR"}, {"kernel", 'S', "KVER"},
};

static void set_global(struct cli *cli, const struct global *g, const char *val)
{
	switch (g->short_name ? g->short_name : g->name[0]) {
	case 'v':
		cli->verbose++;
		break;
	case 'q':
		cli->quiet = true;
		break;
	case 'j':
		cli->json = true;
		break;
	case 'c':
		cli->color_when = val ? val : "always";
		break;
	case 'd':
		cli->root = val;
		break;
	case 'S':
		cli->kver = val;
		break;
	}
}

/* The global option a word names: "--root", "--root=X", "-d", "-dX", "-vv" */
static const struct global *match_global(const char *w, const char **inl, int *count)
{
	*inl = NULL;
	*count = 1;
	if (w[0] != '-' || !w[1])
		return NULL;
	if (w[1] == '-') {
		const char *eq = strchr(w, '=');
		size_t n = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
		for (size_t i = 0; i < ARRAY_SIZE(globals); i++) {
			if (strlen(globals[i].name) != n || strncmp(w + 2, globals[i].name, n) != 0)
				continue;
			if (eq && !globals[i].arg)
				return NULL; /* --json=x: not ours to take; getopt complains */
			*inl = eq ? eq + 1 : NULL;
			return &globals[i];
		}
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(globals); i++) {
		const struct global *g = &globals[i];
		if (!g->short_name || w[1] != g->short_name)
			continue;
		if (g->arg) {
			*inl = w[2] ? w + 2 : NULL;
			return g;
		}
		/* -v, -vv: only the flag itself, repeated */
		if (strspn(w + 1, (char[]){g->short_name, 0}) != strlen(w + 1))
			return NULL;
		*count = (int)strlen(w + 1);
		return g;
	}
	return NULL;
}

int cli_take_global(struct cli *cli, int argc, char **argv, int *i)
{
	const char *w = argv[*i], *val;
	int count;
	const struct global *g = match_global(w, &val, &count);
	if (!g)
		return 0;
	char opt[16];
	if (w[1] == '-')
		snprintf(opt, sizeof(opt), "--%s", g->name);
	else
		snprintf(opt, sizeof(opt), "-%c", g->short_name);
	(*i)++;
	if (g->arg && *g->arg && !val) {
		if (*i >= argc)
			return -missing_arg(cli, opt, g->arg);
		val = argv[(*i)++];
	}
	if (g->arg && *g->arg && !*val)
		return -missing_arg(cli, opt, g->arg);
	while (count-- > 0)
		set_global(cli, g, val);
	return 1;
}

/* Does the command's own table take this word (and its argument)? */
static const struct cli_option *own_option(const struct ctmod_cmd *cmd, const char *w)
{
	if (!cmd->options || w[0] != '-' || !w[1])
		return NULL;
	for (const struct cli_option *o = cmd->options; o->id; o++) {
		if (w[1] == '-' && o->name) {
			size_t n = strcspn(w + 2, "=");
			if (strlen(o->name) == n && strncmp(w + 2, o->name, n) == 0)
				return o;
		} else if (w[1] != '-' && o->id < 256 && w[1] == o->id) {
			return o;
		}
	}
	return NULL;
}

int cli_take_globals(struct cli *cli, const struct ctmod_cmd *cmd, int *argc, char **argv)
{
	int out = 1, i = 1;
	while (i < *argc) {
		const char *w = argv[i];
		if (strcmp(w, "--") == 0)
			break;
		if (w[0] != '-' || !w[1]) {
			if (cmd->flags & CLI_CMD_STOP_AT_OPERAND)
				break;
			argv[out++] = argv[i++];
			continue;
		}
		const struct cli_option *o = own_option(cmd, w);
		if (o) {
			argv[out++] = argv[i++];
			/* its argument as a separate word is not an option */
			bool inl = w[1] == '-' ? strchr(w, '=') != NULL : w[2] != '\0';
			if (o->arg && !inl && i < *argc)
				argv[out++] = argv[i++];
			continue;
		}
		int r = cli_take_global(cli, *argc, argv, &i);
		if (r < 0)
			return -r;
		if (r == 0)
			argv[out++] = argv[i++];
	}
	while (i < *argc)
		argv[out++] = argv[i++];
	argv[out] = NULL;
	*argc = out;
	return EXIT_OK;
}

int cli_check_root(struct cli *cli, bool allow_missing)
{
	struct stat st;
	if (!cli->root)
		return EXIT_OK;
	if (stat(cli->root, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return EXIT_OK;
		return cli_usage_hint(cli, "give the directory of a system image",
		                      "--root %s: not a directory", cli->root);
	}
	if (errno == ENOENT && allow_missing)
		return EXIT_OK; /* the command makes it (and removes it if it fails) */
	if (errno == ENOENT)
		return cli_usage_hint(cli,
		                      "give an existing directory (ctmod install --create-root "
		                      "makes a new image root)",
		                      "--root %s: no such directory", cli->root);
	return cli_usage_hint(cli, "give a directory you can read", "--root %s: %s", cli->root,
	                      strerror(errno));
}

int cli_check_globals(struct cli *cli)
{
	const char *c = cli->color_when;
	if (strcmp(c, "always") == 0)
		cli->color = true;
	else if (strcmp(c, "never") == 0)
		cli->color = false;
	else if (strcmp(c, "auto") == 0)
		cli->color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	else
		return cli_usage(cli, "--color takes auto, always or never, not '%s'", c);
	if (cli->kver && (!*cli->kver || strchr(cli->kver, '/')))
		return cli_usage(cli, "invalid kernel release '%s'", cli->kver);
	if (cli->command && (cli->command->flags & CLI_CMD_OWN_ROOT_CHECK))
		return EXIT_OK;
	return cli_check_root(cli, false);
}

/* ---- a command's options ---- */

static struct {
	const struct ctmod_cmd *cmd;
	struct option lo[48];
	char so[128];
} gopt;

static bool shadowed(const struct ctmod_cmd *cmd, const char *name, int short_name)
{
	for (const struct cli_option *o = cmd->options; o && o->id; o++)
		if ((name && o->name && strcmp(o->name, name) == 0) ||
		    (short_name && o->id == short_name))
			return true;
	return false;
}

/* getopt's tables from the command's: its options, -h/--help, -v and -q. */
static void build_tables(const struct ctmod_cmd *cmd)
{
	size_t nl = 0, ns = 0;
	gopt.cmd = cmd;
	gopt.so[ns++] = cmd->flags & CLI_CMD_STOP_AT_OPERAND ? '+' : '-';
	if (gopt.so[0] == '-')
		ns = 0; /* permute: operands may come between options */
	gopt.so[ns++] = ':';
	for (const struct cli_option *o = cmd->options; o && o->id; o++) {
		if (o->name && nl + 4 < ARRAY_SIZE(gopt.lo))
			gopt.lo[nl++] = (struct option){
			    o->name, o->arg ? required_argument : no_argument, NULL, o->id};
		if (o->id < 256 && ns + 4 < sizeof(gopt.so)) {
			gopt.so[ns++] = (char)o->id;
			if (o->arg)
				gopt.so[ns++] = ':';
		}
	}
	static const struct {
		const char *name;
		int id;
	} extra[] = {{"help", 'h'}, {"verbose", 'v'}, {"quiet", 'q'}};
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		if (shadowed(cmd, extra[i].name, extra[i].id))
			continue;
		gopt.lo[nl++] = (struct option){extra[i].name, no_argument, NULL, extra[i].id};
		gopt.so[ns++] = (char)extra[i].id;
	}
	gopt.lo[nl] = (struct option){0};
	gopt.so[ns] = '\0';
}

static const struct cli_option *find_option(const struct ctmod_cmd *cmd, int id)
{
	for (const struct cli_option *o = cmd->options; o && o->id; o++)
		if (o->id == id)
			return o;
	return NULL;
}

/* The option as the user wrote it: "--timeout" or "-j". */
static void option_word(const struct cli_option *o, int id, const char *word, char *buf,
                        size_t size)
{
	if (word && strncmp(word, "--", 2) == 0) {
		if (o && o->name)
			snprintf(buf, size, "--%s", o->name);
		else
			snprintf(buf, size, "%.*s", (int)strcspn(word, "="), word);
	} else {
		snprintf(buf, size, "-%c", id > 0 && id < 256 ? id : '?');
	}
}

int cli_exit(struct cli *cli, int status)
{
	cli->status = status;
	return CLI_OPT_EXIT;
}

int cli_getopt(struct cli *cli, int argc, char **argv)
{
	const struct ctmod_cmd *cmd = cli->command;
	if (gopt.cmd != cmd) {
		build_tables(cmd);
		optind = 0;
	}
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, gopt.so, gopt.lo, NULL);
		const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
		char buf[64];
		if (c == -1)
			return CLI_OPT_END;
		if (c == ':') {
			const struct cli_option *o = find_option(cmd, optopt);
			option_word(o, optopt, word, buf, sizeof(buf));
			return cli_exit(cli, missing_arg(cli, buf, o && o->arg ? o->arg : "VALUE"));
		}
		if (c == '?') {
			option_word(NULL, optopt, optopt ? NULL : word, buf, sizeof(buf));
			return cli_exit(cli, cli_usage(cli, "unknown option '%s'", buf));
		}
		if (find_option(cmd, c))
			return c;
		if (c == 'h') {
			cli_print_usage(cli, cmd, stdout);
			return cli_exit(cli, EXIT_OK);
		}
		if (c == 'v')
			cli->verbose++;
		else if (c == 'q')
			cli->quiet = true;
		if (cli->ctx)
			ctmod_ctx_set_log_level(cli->ctx, cli->quiet          ? CTMOD_LOG_ERR - 1
			                                  : cli->verbose > 1  ? CTMOD_LOG_DEBUG
			                                  : cli->verbose == 1 ? CTMOD_LOG_INFO
			                                                      : CTMOD_LOG_WARNING);
	}
}

int cli_status(const struct cli *cli)
{
	return cli->status;
}

int cli_number(struct cli *cli, const char *opt, const char *arg, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < min || n > max)
		return cli_usage(cli, "%s takes a number from %ld to %ld, not '%s'", opt, min, max,
		                 arg);
	*out = n;
	return EXIT_OK;
}

/* ---- the usage text ---- */

static int option_left(const struct cli_option *o, char *buf, size_t size)
{
	char sh[8] = "    ";
	if (o->id < 256)
		snprintf(sh, sizeof(sh), "-%c%s", o->id, o->name ? ", " : "");
	return snprintf(buf, size, "  %s%s%s%s%s", sh, o->name ? "--" : "", o->name ? o->name : "",
	                o->arg ? " " : "", o->arg ? o->arg : "");
}

static void print_options(const struct cli_option *opts, FILE *out)
{
	char left[96];
	int col = 0;
	for (const struct cli_option *o = opts; o->id; o++) {
		if (!o->help)
			continue;
		int n = option_left(o, left, sizeof(left));
		if (n + 2 > col && n + 2 <= 30)
			col = n + 2;
	}
	for (const struct cli_option *o = opts; o->id; o++) {
		if (!o->help)
			continue;
		int n = option_left(o, left, sizeof(left));
		fputs(left, out);
		const char *h = o->help;
		if (n + 2 > col)
			fprintf(out, "\n%*s", col, "");
		else
			fprintf(out, "%*s", col - n, "");
		for (;;) {
			size_t len = strcspn(h, "\n");
			fprintf(out, "%.*s\n", (int)len, h);
			if (!h[len])
				break;
			h += len + 1;
			fprintf(out, "%*s", col, "");
		}
	}
}

static void print_table_usage(const struct ctmod_cmd *cmd, FILE *out)
{
	const char *s = cmd->synopsis ? cmd->synopsis : "[OPTIONS]";
	for (bool first = true; *s; first = false) {
		size_t len = strcspn(s, "\n");
		fprintf(out, "%s ctmod %s %.*s\n", first ? "Usage:" : "      ", cmd->name, (int)len,
		        s);
		s += len + (s[len] == '\n');
	}
	if (cmd->about)
		fprintf(out, "\n%s", cmd->about);
	if (cmd->options && cmd->options->id) {
		fputs("\nOptions:\n", out);
		print_options(cmd->options, out);
	}
	fputs("\nGlobal options, before or after the command: -v, -q, --json, --color=WHEN,\n"
	      "--root DIR, --kernel KVER (see 'ctmod --help').\n",
	      out);
	if (cmd->footer)
		fprintf(out, "\n%s", cmd->footer);
}

void cli_print_usage(struct cli *cli, const struct ctmod_cmd *cmd, FILE *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	print_table_usage(cmd, f);
	fclose(f);
	if (cli->json && out == stdout) {
		struct json_object *doc = json_object_new_object();
		json_object_object_add(doc, "usage", json_object_new_string(text));
		cli_json_print(doc);
	} else {
		fputs(text, out);
	}
	free(text);
}
