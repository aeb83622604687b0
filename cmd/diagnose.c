// SPDX-License-Identifier: GPL-2.0-or-later
/* ctmod diagnose: why a module does not load, and the command that fixes it. */
#include <getopt.h> /* optarg, optind */
#include <stdio.h>
#include <string.h>

#include "../lib/diagnose.h"
#include "builtin.h"

enum { OPT_NO_SYSTEM = 256 };

static const struct cli_option options[] = {
    {'D', "dmesg", "FILE|-",
     "read this dmesg output (or standard input) instead of\n"
     "/dev/kmsg; timestamps, syslog prefixes and pasted\n"
     "modprobe/insmod error lines are understood"},
    {OPT_NO_SYSTEM, "no-system", NULL, "only the log: skip the checks of this system"},
    {0},
};

static const char about[] =
    "Reads the kernel log (/dev/kmsg, without waiting) and the system, and prints\n"
    "what keeps modules from loading: severity, what is wrong, why, and the\n"
    "commands that fix it.  MODULE limits the log to that module and checks its\n"
    "file (version magic).\n";

static const char footer[] =
    "Exit status: 0 nothing wrong (notes only), 1 something wrong, 2 bad input.\n";

static struct json_object *strv_json(const struct strv *sv)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < sv->n; i++)
		json_object_array_add(a, json_object_new_string(sv->v[i]));
	return a;
}

static void print_json(const struct ctmod_diagnosis *d, const char *module)
{
	size_t count[3];
	enum ctmod_severity worst = ctmod_diagnosis_worst(d, count);
	struct json_object *doc = json_object_new_object();
	json_object_object_add(doc, "kernel", json_object_new_string(d->kver ? d->kver : ""));
	json_object_object_add(doc, "module", module ? json_object_new_string(module) : NULL);
	struct json_object *log = json_object_new_object();
	json_object_object_add(log, "source",
	                       d->log_source ? json_object_new_string(d->log_source) : NULL);
	json_object_object_add(log, "error",
	                       d->log_error ? json_object_new_string(d->log_error) : NULL);
	json_object_object_add(log, "lines", json_object_new_int64((int64_t)d->log_lines));
	json_object_object_add(log, "events", json_object_new_int64((int64_t)d->log_events));
	json_object_object_add(doc, "log", log);
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < d->n; i++) {
		const struct ctmod_finding *f = &d->f[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(
		    o, "severity",
		    json_object_new_string(ctmod_diagnosis_severity_name(f->severity)));
		json_object_object_add(o, "class", json_object_new_string(f->id));
		json_object_object_add(o, "id", json_object_new_string(f->id));
		json_object_object_add(o, "module",
		                       f->module ? json_object_new_string(f->module) : NULL);
		json_object_object_add(o, "what", json_object_new_string(f->what));
		json_object_object_add(o, "why", json_object_new_string(f->why ? f->why : ""));
		json_object_object_add(o, "fix", strv_json(&f->fix));
		json_object_object_add(o, "notes", strv_json(&f->notes));
		if (f->load_first.n)
			json_object_object_add(o, "load_first", strv_json(&f->load_first));
		json_object_object_add(o, "evidence", strv_json(&f->evidence));
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "findings", arr);
	struct json_object *sum = json_object_new_object();
	json_object_object_add(sum, "errors", json_object_new_int64((int64_t)count[2]));
	json_object_object_add(sum, "warnings", json_object_new_int64((int64_t)count[1]));
	json_object_object_add(sum, "info", json_object_new_int64((int64_t)count[0]));
	json_object_object_add(doc, "summary", sum);
	json_object_object_add(doc, "ok", json_object_new_boolean(worst < CTMOD_SEV_WARNING));
	cli_json_print(doc);
}

static void print_finding(struct cli *cli, const struct ctmod_finding *f)
{
	static const char *const label[] = {"NOTE ", "WARN ", "ERROR"};
	static const char *const color[] = {"36", "33", "1;31"};
	printf("  %s%s%s  %s\n", cli_color_on(cli, color[f->severity]), label[f->severity],
	       cli_color_off(cli), f->what);
	if (f->why)
		printf("         why: %s\n", f->why);
	/* every command on a line of its own with its label: sed -n 's/^ *fix: //p' runs them */
	for (size_t i = 0; i < f->fix.n; i++)
		printf("         fix: %s%s%s\n", cli_color_on(cli, "1"), f->fix.v[i],
		       cli_color_off(cli));
	for (size_t i = 0; i < f->notes.n; i++)
		printf("         note: %s\n", f->notes.v[i]);
	if (cli->verbose > 0)
		for (size_t i = 0; i < f->evidence.n; i++)
			printf("         %s %s\n", i ? "    " : "log:", f->evidence.v[i]);
}

static void print_human(struct cli *cli, const struct ctmod_diagnosis *d, const char *module)
{
	size_t count[3];
	enum ctmod_severity worst = ctmod_diagnosis_worst(d, count);

	if (d->log_source)
		printf("Kernel %s; read %zu line%s of %s, %zu about module loading.\n", d->kver,
		       d->log_lines, d->log_lines == 1 ? "" : "s", d->log_source, d->log_events);
	else
		printf("Kernel %s; the kernel log was not read: %s\n", d->kver,
		       d->log_error ? d->log_error : "unknown reason");

	/* per module, in the order the modules first appear; then the system */
	for (size_t i = 0; i < d->n; i++) {
		const char *m = d->f[i].module;
		if (!m)
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = d->f[j].module && strcmp(d->f[j].module, m) == 0;
		if (seen)
			continue;
		printf("\n%s%s%s\n", cli_color_on(cli, "1"), m, cli_color_off(cli));
		for (size_t j = i; j < d->n; j++)
			if (d->f[j].module && strcmp(d->f[j].module, m) == 0)
				print_finding(cli, &d->f[j]);
	}
	bool sys = false;
	for (size_t i = 0; i < d->n; i++) {
		if (d->f[i].module)
			continue;
		if (!sys)
			printf("\n%sthis system%s\n", cli_color_on(cli, "1"), cli_color_off(cli));
		sys = true;
		print_finding(cli, &d->f[i]);
	}
	if (worst < CTMOD_SEV_WARNING)
		printf("\nNothing wrong found%s%s%s.\n", module ? " for " : "",
		       module ? module : "", count[0] ? " (see the notes above)" : "");
	else
		printf("\n%zu error%s, %zu warning%s, %zu note%s: run the fix lines in order.\n",
		       count[2], count[2] == 1 ? "" : "s", count[1], count[1] == 1 ? "" : "s",
		       count[0], count[0] == 1 ? "" : "s");
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct ctmod_diagnose_opts o = {0};
	int c;
	while ((c = cli_getopt(cli, argc, argv)) >= 0) {
		if (c == 'D')
			o.dmesg = optarg;
		else if (c == OPT_NO_SYSTEM)
			o.no_system = true;
	}
	if (c == CLI_OPT_EXIT)
		return cli_status(cli);
	if (argc - optind > 1)
		return cli_usage(cli, "one module at most, got '%s' and '%s'", argv[optind],
		                 argv[optind + 1]);
	o.module = optind < argc ? argv[optind] : NULL;

	struct ctmod_diagnosis d;
	ctmod_diagnosis_init(&d);
	int r = ctmod_diagnose(cli->ctx, &o, &d);
	if (r < 0) {
		ctmod_diagnosis_release(&d);
		return cli_error(cli, r); /* with --json, cli_finish() makes it the document */
	}
	if (d.log_error && !cli->json)
		cli_verbose(cli, "%s", d.log_error);
	if (cli->json)
		print_json(&d, o.module);
	else if (!cli->quiet)
		print_human(cli, &d, o.module);
	int st = ctmod_diagnosis_worst(&d, NULL) >= CTMOD_SEV_WARNING ? EXIT_FAILED : EXIT_OK;
	ctmod_diagnosis_release(&d);
	return st;
}

const struct ctmod_cmd cmd_diagnose = {
    .name = "diagnose",
    .run = run,
    .summary = "say why a module does not load, and the command that fixes it",
    .synopsis = "[MODULE|FILE.ko] [--dmesg FILE|-] [--no-system]",
    .about = about,
    .options = options,
    .footer = footer,
};
