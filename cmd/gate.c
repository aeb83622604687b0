// SPDX-License-Identifier: GPL-2.0-or-later
/* ctmod gate: run a command whose finit_module() calls load allowlisted host modules. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../lib/gate.h"
#include "util.h"
#include "builtin.h"

static const char usage[] =
    "Usage: ctmod gate [--allow LIST] [--allow-file FILE] [--allow-init-module]\n"
    "                  [--allow-params] [--timeout SECONDS] [--events FILE]\n"
    "                  -- COMMAND [ARGS...]\n"
    "\n"
    "Run COMMAND (a shell, a container runtime) so that its finit_module() calls,\n"
    "and those of all its descendants, load the host's own module of the same\n"
    "name if that name is allowlisted.  The caller's module bytes are never\n"
    "loaded; they are only read, by a sandboxed helper, for the name= in .modinfo.\n"
    "\n"
    "  --allow LIST          module names or aliases, comma-separated; repeatable.\n"
    "                        Their dependencies and softdeps are allowed too.\n"
    "  --allow-file FILE     more names, one or more a line, # starts a comment\n"
    "  --allow-init-module   serve init_module() the same way (default: EPERM)\n"
    "  --allow-params        apply module parameters the caller passes\n"
    "  --timeout SECONDS     limit for reading one caller's module (default 10)\n"
    "  --events FILE         with --json, append the events to FILE, not stdout\n"
    "\n"
    "Every decision is logged on stderr; with --json also as one JSON object a\n"
    "line on stdout.  The caller gets 0, EEXIST when the module is already loaded,\n"
    "EPERM when it is not allowed, or the load's error.\n"
    "Exit status: COMMAND's (128+N if killed by signal N); 127/126 when it cannot\n"
    "be run; 1 or 2 when the gate cannot start.\n";

struct printer {
	struct cli *cli;
	FILE *events;
};

static const char *errno_name(int err)
{
	if (err == 0)
		return "0";
	const char *n = strerrorname_np(err);
	return n ? n : "?";
}

static void on_event(void *data, const struct ctmod_gate_event *ev)
{
	struct printer *p = data;
	if (!p->cli->quiet)
		fprintf(stderr, "ctmod: gate: pid %d (%s) %s %s: %s%s%s%s: %s\n", (int)ev->pid,
		        ev->comm, ev->syscall, ev->module ? ev->module : "-",
		        ctmod_gate_verdict_name(ev->verdict), ev->err ? " (" : "",
		        ev->err ? errno_name(ev->err) : "", ev->err ? ")" : "", ev->reason);
	if (!p->cli->json)
		return;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("gate"));
	json_object_object_add(o, "pid", json_object_new_int(ev->pid));
	json_object_object_add(o, "comm", json_object_new_string(ev->comm));
	json_object_object_add(o, "syscall", json_object_new_string(ev->syscall));
	json_object_object_add(o, "module", ev->module ? json_object_new_string(ev->module) : NULL);
	json_object_object_add(o, "verdict",
	                       json_object_new_string(ctmod_gate_verdict_name(ev->verdict)));
	json_object_object_add(o, "errno", json_object_new_int(ev->err));
	json_object_object_add(o, "error",
	                       ev->err ? json_object_new_string(errno_name(ev->err)) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(ev->reason));
	json_object_object_add(o, "seconds", json_object_new_double(ev->seconds));
	FILE *out = p->events ? p->events : stdout;
	fprintf(out, "%s\n",
	        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(out);
	json_object_put(o);
}

/* "a,b c" -> a, b, c */
static int add_names(struct strv *sv, const char *list)
{
	const char *sep = ", \t\r\n";
	for (const char *p = list; *p;) {
		p += strspn(p, sep);
		size_t n = strcspn(p, sep);
		if (n == 0)
			break;
		strv_push_take(sv, xstrndup(p, n));
		p += n;
	}
	return 0;
}

static int add_file(struct cli *cli, struct strv *sv, const char *path)
{
	char *buf;
	size_t len;
	int r = read_file(path, 1 << 20, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "ctmod: gate: --allow-file %s: %s: give a readable file\n", path,
		        strerror(-r));
		return EXIT_USAGE;
	}
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (add_names(sv, line) < 0) {
			free(buf);
			return cli_usage(cli, "out of memory");
		}
	}
	free(buf);
	return EXIT_OK;
}

static int exit_code(const struct ctmod_gate_result *res)
{
	if (WIFEXITED(res->wstatus))
		return WEXITSTATUS(res->wstatus);
	if (WIFSIGNALED(res->wstatus))
		return 128 + WTERMSIG(res->wstatus);
	return EXIT_FAILED;
}

static int run(struct cli *cli, int argc, char **argv)
{
	enum { OPT_ALLOW = 256, OPT_FILE, OPT_INIT, OPT_PARAMS, OPT_TIMEOUT, OPT_EVENTS };
	static const struct option opts[] = {
	    {"allow", required_argument, NULL, OPT_ALLOW},
	    {"allow-file", required_argument, NULL, OPT_FILE},
	    {"allow-init-module", no_argument, NULL, OPT_INIT},
	    {"allow-params", no_argument, NULL, OPT_PARAMS},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"events", required_argument, NULL, OPT_EVENTS},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct strv allow;
	strv_init(&allow);
	struct ctmod_gate_opts go = {.allow = &allow};
	const char *events = NULL;
	int rc = EXIT_OK, c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ALLOW:
			if (add_names(&allow, optarg) < 0)
				rc = cli_usage(cli, "out of memory");
			break;
		case OPT_FILE:
			rc = add_file(cli, &allow, optarg);
			break;
		case OPT_INIT:
			go.allow_init_module = true;
			break;
		case OPT_PARAMS:
			go.allow_params = true;
			break;
		case OPT_TIMEOUT: {
			char *end;
			go.timeout = strtod(optarg, &end);
			if (*end || end == optarg || !(go.timeout > 0 && go.timeout <= 3600))
				rc = cli_usage(cli,
				               "--timeout takes seconds (0 < s <= 3600), not '%s'",
				               optarg);
			break;
		}
		case OPT_EVENTS:
			events = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			strv_release(&allow);
			return EXIT_OK;
		default:
			if (optopt && optopt >= OPT_ALLOW)
				rc = cli_usage(cli, "option '%s' needs an argument",
				               argv[optind - 1]);
			else
				rc = cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
		}
		if (rc != EXIT_OK) {
			strv_release(&allow);
			return rc;
		}
	}
	if (optind >= argc) {
		strv_release(&allow);
		return cli_usage(cli,
		                 "no command given: ctmod gate --allow LIST -- COMMAND [ARGS...]");
	}
	for (size_t i = 0; i < allow.n; i++) {
		if (!modname_valid(allow.v[i]) && !strchr(allow.v[i], ':')) {
			rc = cli_usage(cli, "--allow: invalid module name '%s'", allow.v[i]);
			strv_release(&allow);
			return rc;
		}
	}

	struct printer p = {.cli = cli};
	if (events && cli->json) {
		p.events = fopen(events, "ae");
		if (!p.events) {
			fprintf(stderr, "ctmod: gate: --events %s: %s: give a writable path\n",
			        events, strerror(errno));
			strv_release(&allow);
			return EXIT_USAGE;
		}
	}
	go.cb = on_event;
	go.data = &p;

	struct ctmod_gate_result res;
	int r = ctmod_gate_run(cli->ctx, &go, argv + optind, &res);
	if (r < 0)
		rc = cli_error(cli, r);
	else if (res.exec_err) {
		cli_error(cli, -res.exec_err);
		rc = res.exec_err == ENOENT ? 127 : 126;
	} else
		rc = exit_code(&res);
	if (p.events)
		fclose(p.events);
	strv_release(&allow);
	return rc;
}

const struct ctmod_cmd cmd_gate = {
    .name = "gate",
    .run = run,
    .summary = "run a command whose finit_module() loads allowlisted host modules",
    .usage = usage,
};
