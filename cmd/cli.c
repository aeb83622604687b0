// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "builtin.h"

static struct cli *current; /* the process's one cli, for cli_json_print */

static char *dup_str(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort(); /* out of memory: the house rule is to abort */
	return d;
}

void cli_init(struct cli *cli)
{
	current = cli;
	cli->color_when = "auto";
}

/* ---- errors ---- */

static void record(struct cli *cli, const char *msg, const char *hint)
{
	if (cli->err_msg)
		return; /* the first error is the cause; later ones follow from it */
	cli->err_msg = dup_str(msg ? msg : "failed");
	cli->err_hint = hint ? dup_str(hint) : NULL;
}

static void print_line(struct cli *cli, const char *msg, const char *hint, const char *tail)
{
	fprintf(stderr, "ctmod: %s%s%s%s%s%s\n", cli->cmd ? cli->cmd : "", cli->cmd ? ": " : "",
	        msg, hint ? ": " : "", hint ? hint : "", tail);
}

int cli_error(struct cli *cli, int r)
{
	const char *msg = ctmod_ctx_error(cli->ctx);
	const char *hint = ctmod_ctx_hint(cli->ctx);
	enum ctmod_err_class cls = ctmod_ctx_err_class(cli->ctx);

	if (r >= 0 && !msg)
		return EXIT_OK;
	if (!msg && r < 0)
		msg = strerror(-r);
	print_line(cli, msg ? msg : "failed", hint, "");
	record(cli, msg, hint);
	return cls == CTMOD_ERR_BAD_INPUT ? EXIT_USAGE : EXIT_FAILED;
}

/* A usage error with an optional hint, and the pointer to the help. */
static int usage_error(struct cli *cli, const char *hint, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL, *see = NULL, *tail = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	if (asprintf(&see, "see 'ctmod help%s%s'", cli->cmd ? " " : "", cli->cmd ? cli->cmd : "") <
	        0 ||
	    asprintf(&tail, " (%s)", see) < 0)
		abort();
	print_line(cli, msg, hint, tail);
	record(cli, msg, hint ? hint : see);
	return EXIT_USAGE;
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = usage_error(cli, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int cli_usage_hint(struct cli *cli, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = usage_error(cli, hint, fmt, ap);
	va_end(ap);
	return r;
}

int cli_err(struct cli *cli, int status, const char *hint, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	print_line(cli, msg, hint, "");
	record(cli, msg, hint);
	return status;
}

void cli_info(struct cli *cli, const char *fmt, ...)
{
	if (cli->quiet || cli->json)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void cli_verbose(struct cli *cli, const char *fmt, ...)
{
	if (cli->verbose <= 0)
		return;
	va_list ap;
	fprintf(stderr, "ctmod: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the JSON document ---- */

void cli_json_print(struct json_object *doc)
{
	if (!current || !doc) {
		json_object_put(doc);
		return;
	}
	if (!current->doc) {
		current->doc = doc;
		return;
	}
	json_object_object_foreach(doc, k, v)
	    json_object_object_add(current->doc, k, json_object_get(v));
	json_object_put(doc);
}

static struct json_object *error_json(struct cli *cli, int status)
{
	struct json_object *e = json_object_new_object();
	char buf[128];
	const char *msg = cli->err_msg;
	if (!msg) {
		snprintf(buf, sizeof(buf), "%s%sfailed (exit status %d)", cli->cmd ? cli->cmd : "",
		         cli->cmd ? " " : "", status);
		msg = buf;
	}
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "hint",
	                       cli->err_hint ? json_object_new_string(cli->err_hint) : NULL);
	return e;
}

int cli_finish(struct cli *cli, int status)
{
	bool lines = cli->command && (cli->command->flags & CLI_CMD_JSON_LINES);
	/* a streaming command's own exit status (gate's COMMAND's) is no error of ours */
	if (cli->json && !(lines && !cli->err_msg)) {
		struct json_object *out = json_object_new_object();
		json_object_object_add(out, "ok", json_object_new_boolean(status == 0));
		if (cli->doc) {
			json_object_object_foreach(cli->doc, k, v)
			{
				if (strcmp(k, "ok") != 0 && strcmp(k, "error") != 0)
					json_object_object_add(out, k, json_object_get(v));
			}
		}
		if (status != 0)
			json_object_object_add(out, "error", error_json(cli, status));
		puts(json_object_to_json_string_ext(
		    out, (lines ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY) |
		             JSON_C_TO_STRING_NOSLASHESCAPE));
		fflush(stdout);
		json_object_put(out);
	}
	json_object_put(cli->doc);
	cli->doc = NULL;
	free(cli->err_msg);
	free(cli->err_hint);
	cli->err_msg = cli->err_hint = NULL;
	return status;
}

const char *cli_color_on(const struct cli *cli, const char *sgr)
{
	static char buf[32];
	if (!cli->color)
		return "";
	snprintf(buf, sizeof(buf), "\033[%sm", sgr);
	return buf;
}

const char *cli_color_off(const struct cli *cli)
{
	return cli->color ? "\033[0m" : "";
}
