// SPDX-License-Identifier: GPL-2.0-or-later
/* ctmod gate: run a command whose finit_module() calls load allowlisted host modules. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/gate.h"
#include "util.h"
#include "builtin.h"

enum {
	OPT_ALLOW = 256,
	OPT_FILE,
	OPT_INIT,
	OPT_PARAMS,
	OPT_TIMEOUT,
	OPT_EVENTS,
	OPT_LISTEN,
	OPT_POLICY,
	OPT_MODE,
	OPT_GROUP,
	OPT_REQUIRE_CAP,
	OPT_METADATA,
	OPT_BASE,
	OPT_FORMAT,
};

static const struct cli_option options[] = {
    {OPT_ALLOW, "allow", "LIST",
     "module names or aliases, comma-separated; repeatable.\nTheir dependencies and softdeps are allowed too."},
    {OPT_FILE, "allow-file", "FILE", "more names, one or more a line, # starts a comment"},
    {OPT_INIT, "allow-init-module", NULL, "serve init_module() the same way (default: EPERM)"},
    {OPT_PARAMS, "allow-params", NULL, "apply module parameters the caller passes"},
    {OPT_TIMEOUT, "timeout", "SECONDS", "limit for reading one caller's module (default 10)"},
    {OPT_EVENTS, "events", "FILE", "with --json, append the events to FILE, not stdout"},
    {OPT_LISTEN, "listen", "SOCKET",
     "serve containers as the agent on this unix socket\n(made 0600; a stale one is replaced)"},
    {OPT_POLICY, "policy", "FILE",
     "named policies, 'NAME module,module ...' a line;\n'default' serves containers without metadata"},
    {OPT_MODE, "socket-mode", "MODE", "octal mode of the socket (default 0600)"},
    {OPT_GROUP, "socket-group", "GROUP", "group of the socket"},
    {OPT_REQUIRE_CAP, "require-cap", NULL,
     "the caller needs CAP_SYS_MODULE in its own user\nnamespace (default: the policy alone decides)"},
    {OPT_METADATA, "metadata", "STR", "profile: listenerMetadata (e.g. allow=overlay)"},
    {OPT_BASE, "base", "FILE",
     "profile: start from this profile (or config.json)\ninstead of allowing every other call"},
    {OPT_FORMAT, "format", "oci|docker",
     "profile: OCI linux.seccomp (runc, crun; default) or\nthe docker/podman/Kubernetes profile format"},
    {0},
};

static const char synopsis[] =
    "[--allow LIST] [--allow-file FILE] [OPTIONS] -- COMMAND [ARGS...]\n"
    "--listen SOCKET [--allow LIST] [--allow-file FILE] [--policy FILE] [OPTIONS]\n"
    "profile [--listen SOCKET] [--metadata STR] [--base FILE] [--format oci|docker]";

static const char about[] =
    "Run COMMAND (a shell, a container runtime) so that its finit_module() calls,\n"
    "and those of all its descendants, load the host's own module of the same\n"
    "name if that name is allowlisted.  The caller's module bytes are never\n"
    "loaded; they are only read, by a sandboxed helper, for the name= in .modinfo.\n"
    "\n"
    "Agent (--listen): serve the containers that OCI runtimes (runc, crun; podman,\n"
    "containerd, CRI-O above them) hand over through linux.seccomp.listenerPath,\n"
    "until SIGTERM.  The allowlist is the ceiling; a container's listenerMetadata\n"
    "(allow=a,b or policy=NAME) narrows it, never widens it.\n"
    "\n"
    "profile: print a seccomp profile that sends finit_module() to the agent.\n";

static const char footer[] =
    "Every decision is logged on stderr; with --json also as one JSON object a\n"
    "line on stdout.  The caller gets 0, EEXIST when the module is already loaded,\n"
    "EPERM when it is not allowed, or the load's error.\n"
    "Exit status: COMMAND's (128+N if killed by signal N); 127/126 when it cannot\n"
    "be run; 1 or 2 when the gate cannot start.  The agent exits 0 on SIGTERM.\n";

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

static struct json_object *container_json(const struct ctmod_gate_container *c)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(c->id ? c->id : "?"));
	json_object_object_add(o, "pid", json_object_new_int(c->pid));
	json_object_object_add(o, "bundle", c->bundle ? json_object_new_string(c->bundle) : NULL);
	json_object_object_add(o, "policy", c->policy ? json_object_new_string(c->policy) : NULL);
	return o;
}

static void emit(struct printer *p, struct json_object *o)
{
	FILE *out = p->events ? p->events : stdout;
	fprintf(out, "%s\n",
	        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(out);
	json_object_put(o);
}

static void on_event(void *data, const struct ctmod_gate_event *ev)
{
	struct printer *p = data;
	const struct ctmod_gate_container *c = ev->container;
	if (!p->cli->quiet) {
		char where[512] = "";
		if (c)
			snprintf(where, sizeof(where), "container %.64s (pid %d%s%s%s%s) ", c->id,
			         (int)c->pid, c->bundle ? ", bundle " : "",
			         c->bundle ? c->bundle : "", c->policy ? ", " : "",
			         c->policy ? c->policy : "");
		fprintf(stderr, "ctmod: gate: %spid %d (%s) %s %s: %s%s%s%s: %s\n", where,
		        (int)ev->pid, ev->comm, ev->syscall, ev->module ? ev->module : "-",
		        ctmod_gate_verdict_name(ev->verdict), ev->err ? " (" : "",
		        ev->err ? errno_name(ev->err) : "", ev->err ? ")" : "", ev->reason);
	}
	if (!p->cli->json)
		return;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("gate"));
	if (c)
		json_object_object_add(o, "container", container_json(c));
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
	emit(p, o);
}

static void on_container(void *data, const struct ctmod_gate_container *c, const char *what,
                         const char *detail)
{
	struct printer *p = data;
	if (!p->cli->quiet) {
		if (strcmp(what, "listen") == 0 || strcmp(what, "stop") == 0)
			fprintf(stderr, "ctmod: gate: %s\n", detail);
		else
			fprintf(stderr, "ctmod: gate: container %.64s (pid %d%s%s%s%s): %s: %s\n",
			        c->id, (int)c->pid, c->bundle ? ", bundle " : "",
			        c->bundle ? c->bundle : "", c->policy ? ", " : "",
			        c->policy ? c->policy : "", what, detail);
	}
	if (!p->cli->json)
		return;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string(what));
	if (strcmp(what, "listen") != 0 && strcmp(what, "stop") != 0)
		json_object_object_add(o, "container", container_json(c));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	emit(p, o);
}

static int add_file(struct strv *sv, const char *path)
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
		ctmod_gate_names_add(sv, line);
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

/* Everything the options say, for all three forms. */
struct args {
	struct strv *allow; /* the caller's, also opts.allow */
	bool have_allow;
	struct ctmod_gate_opts go;
	struct ctmod_gate_listen_opts lo;
	struct ctmod_gate_profile_opts po;
	const char *events, *format;
};

static int parse_mode(struct cli *cli, const char *s, int *mode)
{
	char *end;
	long m = strtol(s, &end, 8);
	if (*end || end == s || m <= 0 || m > 0777)
		return cli_usage(cli, "--socket-mode takes an octal mode (e.g. 0660), not '%s'", s);
	*mode = (int)m;
	return EXIT_OK;
}

static int parse_group(struct cli *cli, const char *s, long *gid)
{
	struct group *gr = getgrnam(s);
	char *end;
	long n = strtol(s, &end, 10);
	if (gr)
		*gid = (long)gr->gr_gid;
	else if (!*end && end != s && n >= 0)
		*gid = n;
	else
		return cli_usage(cli, "--socket-group: no group '%s'", s);
	return EXIT_OK;
}

/* one option into a: EXIT_OK or an exit code */
static int take_option(struct cli *cli, struct args *a, int c, const char *arg)
{
	char *end;
	switch (c) {
	case OPT_ALLOW:
		a->have_allow = true;
		ctmod_gate_names_add(a->allow, arg);
		return EXIT_OK;
	case OPT_FILE:
		a->have_allow = true;
		return add_file(a->allow, arg);
	case OPT_INIT:
		a->go.allow_init_module = a->po.allow_init_module = true;
		return EXIT_OK;
	case OPT_PARAMS:
		a->go.allow_params = true;
		return EXIT_OK;
	case OPT_TIMEOUT:
		a->go.timeout = strtod(arg, &end);
		if (*end || end == arg || !(a->go.timeout > 0 && a->go.timeout <= 3600))
			return cli_usage(cli, "--timeout takes seconds (0 < s <= 3600), not '%s'",
			                 arg);
		return EXIT_OK;
	case OPT_EVENTS:
		a->events = arg;
		return EXIT_OK;
	case OPT_LISTEN:
		a->lo.path = a->po.listen = arg;
		return EXIT_OK;
	case OPT_POLICY:
		a->lo.policy = arg;
		return EXIT_OK;
	case OPT_MODE:
		return parse_mode(cli, arg, &a->lo.mode);
	case OPT_GROUP:
		return parse_group(cli, arg, &a->lo.gid);
	case OPT_REQUIRE_CAP:
		a->go.require_cap = true;
		return EXIT_OK;
	case OPT_METADATA:
		a->po.metadata = arg;
		return EXIT_OK;
	case OPT_BASE:
		a->po.base = arg;
		return EXIT_OK;
	case OPT_FORMAT:
		a->format = arg;
		return EXIT_OK;
	}
	return cli_usage(cli, "unknown option");
}

static int parse(struct cli *cli, int argc, char **argv, struct args *a)
{
	int c, rc = EXIT_OK;
	while (rc == EXIT_OK && (c = cli_getopt(cli, argc, argv)) >= 0)
		rc = take_option(cli, a, c, optarg);
	if (rc == EXIT_OK && c == CLI_OPT_EXIT)
		return cli_status(cli) == EXIT_OK ? -1 : cli_status(cli);
	const struct strv *allow = a->go.allow;
	for (size_t i = 0; rc == EXIT_OK && i < allow->n; i++)
		if (!modname_valid(allow->v[i]) && !strchr(allow->v[i], ':'))
			rc = cli_usage(cli, "--allow: invalid module name '%s'", allow->v[i]);
	return rc;
}

static int open_events(struct args *a, struct printer *p)
{
	if (!a->events || !p->cli->json)
		return EXIT_OK;
	p->events = fopen(a->events, "ae");
	if (p->events)
		return EXIT_OK;
	fprintf(stderr, "ctmod: gate: --events %s: %s: give a writable path\n", a->events,
	        strerror(errno));
	return EXIT_USAGE;
}

static int run_command(struct cli *cli, struct args *a, char **cmd)
{
	struct ctmod_gate_result res;
	int r = ctmod_gate_run(cli->ctx, &a->go, cmd, &res);
	if (r < 0)
		return cli_error(cli, r);
	if (res.exec_err) {
		cli_error(cli, -res.exec_err);
		return res.exec_err == ENOENT ? 127 : 126;
	}
	return exit_code(&res);
}

/*
 * Socket activation (sd_listen_fds(3)): one socket at fd 3 for this
 * process.  The variables go, so that no child sees them.
 */
static int listen_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int fd = -1;
	if (pid && fds && strtol(pid, NULL, 10) == (long)getpid() && strtol(fds, NULL, 10) == 1)
		fd = 3;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}

static int run_agent(struct cli *cli, struct args *a)
{
	a->lo.fd = listen_fd();
	if (!a->have_allow && !a->lo.policy)
		return cli_usage(cli, "--listen needs --allow, --allow-file or --policy");
	if (!a->have_allow)
		a->go.allow = NULL; /* the policies' union is the ceiling */
	a->lo.on_container = on_container;
	int r = ctmod_gate_listen(cli->ctx, &a->go, &a->lo);
	return r < 0 ? cli_error(cli, r) : EXIT_OK;
}

static int run_profile(struct cli *cli, struct args *a)
{
	if (a->format && strcmp(a->format, "oci") != 0 && strcmp(a->format, "docker") != 0)
		return cli_usage(cli, "--format is oci or docker, not '%s'", a->format);
	a->po.docker = a->format && strcmp(a->format, "docker") == 0;
	char *text;
	int r = ctmod_gate_profile(cli->ctx, &a->po, &text);
	if (r < 0)
		return cli_error(cli, r);
	printf("%s\n", text);
	free(text);
	return EXIT_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	bool profile = argc > 1 && strcmp(argv[1], "profile") == 0;
	_cleanup_strv_ struct strv allow = STRV_INIT;
	struct args a = {.allow = &allow, .go = {.allow = &allow}, .lo = {.gid = -1}};
	int rc = parse(cli, argc - profile, argv + profile, &a);
	int first = optind + profile;
	struct printer p = {.cli = cli};
	if (rc == EXIT_OK && !profile && !a.lo.path && first >= argc)
		rc = cli_usage(cli,
		               "no command given: ctmod gate --allow LIST -- COMMAND [ARGS...]");
	else if (rc == EXIT_OK && (profile || a.lo.path) && first < argc)
		rc = cli_usage(cli, "unexpected argument '%s'", argv[first]);
	if (rc == EXIT_OK)
		rc = open_events(&a, &p);
	a.go.cb = on_event;
	a.go.data = &p;
	if (rc == EXIT_OK)
		rc = profile     ? run_profile(cli, &a)
		     : a.lo.path ? run_agent(cli, &a)
		                 : run_command(cli, &a, argv + first);
	if (p.events)
		fclose(p.events);
	return rc < 0 ? EXIT_OK : rc;
}

const struct ctmod_cmd cmd_gate = {
    .name = "gate",
    .run = run,
    .summary =
        "run a command, or serve containers, whose finit_module() loads allowlisted host modules",
    .synopsis = synopsis,
    .about = about,
    .options = options,
    .footer = footer,
    /* COMMAND's own options are its own; --json streams the events */
    .flags = CLI_CMD_STOP_AT_OPERAND | CLI_CMD_JSON_LINES,
};
