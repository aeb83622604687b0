// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel command line as libkmod 30 reads it for modules
 * (kmod_config_parse_kcmdline): `mod.param=value` and `mod.param` give
 * options for mod, `modprobe.blacklist=a,b` blacklists (repeatable), and
 * everything else is ignored.  A value may hold quoted spaces; a whole token
 * in double quotes, as grub passes `"parport.dyndbg=file x.c +p"`, is
 * re-quoted around its value: `dyndbg="file x.c +p"`.  A token with a quote
 * elsewhere, a space outside a value, a second dot in the parameter, or an
 * '=' before any dot is ignored, as libkmod ignores it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "moddb-internal.h"

#define KCMDLINE_MAX 4096 /* libkmod reads at most this much, NUL included */

enum kstate { K_IGNORE, K_MODNAME, K_PARAM, K_VALUE };

/* libkmod's underscores(): '-' becomes '_', "[...]" is kept, a lone ']'
 * or an unclosed '[' makes the name bad. */
static bool modname_fix(char *s)
{
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '-') {
			s[i] = '_';
		} else if (s[i] == ']') {
			return false;
		} else if (s[i] == '[') {
			i += strcspn(s + i, "]");
			if (!s[i])
				return false;
		}
	}
	return true;
}

static int token_done(struct ctmod_moddb *db, char *modname, char *param, char *value)
{
	if (strcmp(modname, "modprobe") == 0 && strncmp(param, "blacklist=", 10) == 0) {
		for (char *t; (t = strsep(&value, ","));) {
			strv_push(&db->blacklist, t);
			strv_push(&db->blacklist_from,
			          "modprobe.blacklist= on the kernel command line");
		}
		return 0;
	}
	if (!modname_fix(modname)) {
		WARN(db->ctx, "ignoring bad option on the kernel command line: module name '%s'",
		     modname);
		return 0;
	}
	return moddb_add_options(db, modname, param);
}

/* One token, [start, end) with *end the whitespace or NUL after it. */
struct ktok {
	char *modname, *param, *value, *quote;
	enum kstate st;
	bool quoted;
};

static void tok_char(struct ktok *t, char *p)
{
	switch (*p) {
	case '"':
		t->quoted = !t->quoted;
		if (t->quoted && t->st == K_MODNAME && p == t->modname) {
			t->quote = p; /* a quote that opens the whole token */
			t->modname = p + 1;
		} else if (t->st != K_VALUE) {
			t->st = K_IGNORE;
		}
		break;
	case '.':
		if (t->st == K_MODNAME) {
			*p = '\0';
			t->param = p + 1;
			t->st = K_PARAM;
		} else if (t->st == K_PARAM) {
			t->st = K_IGNORE;
		}
		break;
	case '=':
		if (t->st == K_PARAM) {
			t->value = p + 1;
			t->st = K_VALUE;
		} else if (t->st == K_MODNAME) {
			t->st = K_IGNORE;
		}
		break;
	}
}

/* The token meets a space (or the end): 1 it is complete, 0 drop it, -1
 * it goes on (a space inside quotes; outside a value that spoils it). */
static int tok_end(struct ktok *t)
{
	if (t->quoted) {
		if (t->st != K_VALUE)
			t->st = K_IGNORE;
		return -1;
	}
	return t->st == K_VALUE || t->st == K_PARAM;
}

static int tok_emit(struct ctmod_moddb *db, struct ktok *t)
{
	if (t->quote && t->value) {
		/* "mod.param=value" -> mod.param="value": the name and the
		 * parameter move one left over the opening quote */
		memmove(t->quote, t->modname, (size_t)(t->value - t->modname));
		t->value--, t->modname--, t->param--;
		*t->value = '"';
	}
	return token_done(db, t->modname, t->param, t->value);
}

int moddb_parse_cmdline(struct ctmod_moddb *db, char *buf)
{
	if (strlen(buf) >= KCMDLINE_MAX)
		buf[KCMDLINE_MAX - 1] = '\0';
	struct ktok t = {.modname = buf, .st = K_MODNAME};
	for (char *p = buf;; p++) {
		bool end = *p == '\0';
		if (!end && !strchr(" \n\t\v\f\r", *p)) {
			tok_char(&t, p);
			continue;
		}
		int done = tok_end(&t);
		if (done > 0) {
			*p = '\0';
			int r = tok_emit(db, &t);
			if (r < 0)
				return r;
		}
		if (end)
			break; /* a value still in quotes at the end is dropped */
		if (done >= 0)
			t = (struct ktok){.modname = p + 1, .st = K_MODNAME};
	}
	return 0;
}
