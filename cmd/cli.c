// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

int cli_error(struct cli *cli, int r)
{
	const char *msg = ctmod_ctx_error(cli->ctx);
	const char *hint = ctmod_ctx_hint(cli->ctx);
	enum ctmod_err_class cls = ctmod_ctx_err_class(cli->ctx);

	if (r >= 0 && !msg)
		return EXIT_OK;
	fprintf(stderr, "ctmod: %s%s%s%s%s\n", cli->cmd ? cli->cmd : "", cli->cmd ? ": " : "",
	        msg ? msg : "failed", hint ? ": " : "", hint ? hint : "");
	return cls == CTMOD_ERR_BAD_INPUT ? EXIT_USAGE : EXIT_FAILED;
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ctmod: %s%s", cli->cmd ? cli->cmd : "", cli->cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'ctmod help%s%s')\n", cli->cmd ? " " : "", cli->cmd ? cli->cmd : "");
	return EXIT_USAGE;
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

void cli_json_print(struct json_object *doc)
{
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
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
