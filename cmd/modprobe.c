// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The `modprobe` personality: ctmod invoked through a link named modprobe
 * is kmod 30's modprobe, option for option, with its output, messages and
 * exit codes (the kernel's request_module helper and scripts rely on them).
 *
 * Why libkmod and not lib/moddb: kmod's modprobe is a thin shell around
 * libkmod's walk (kmod_module_new_from_lookup, then
 * kmod_module_probe_insert_module with a print callback), so answering
 * through the same library gives the same answers, from the same .bin
 * indexes, at the same speed; this file only parses options, prints and
 * picks exit codes.  Where kmod 30 reads the running system (/proc/cmdline,
 * /sys/module, the config directories when no -C is given, whatever -d
 * says), so does this personality: `modprobe -d ROOT` means what kmod means.
 * Other ctmod commands take the whole system from --root (lib/moddb).
 *
 * kmod 30 predates `weakdep` (kmod 33): libkmod 30 reports such a line as a
 * bad line and ignores it, and so does this personality.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../lib/probe.h"
#include "util.h"
#include "builtin.h"

/* What the options set; libkmod's print callback has no data pointer. */
static struct {
	int verbose;       /* the log threshold: LOG_WARNING, -v raises, -q LOG_EMERG */
	int threshold;     /* what mp_log prints: LOG_WARNING until libkmod is set up */
	int notfound_prio; /* "not found": LOG_CRIT (fatal), LOG_WARNING with -a */
	bool syslog, show, dry_run, ignore_loaded, lookup_only, first_time;
	bool ignore_commands, use_blacklist, force, strip_modversion, strip_vermagic;
	bool remove_holders;
	unsigned long long wait_msec;
} mp;

static const char *prio_name(int prio, char buf[static 16])
{
	static const char *const names[] = {
	    [LOG_CRIT] = "FATAL",    [LOG_ERR] = "ERROR", [LOG_WARNING] = "WARNING",
	    [LOG_NOTICE] = "NOTICE", [LOG_INFO] = "INFO", [LOG_DEBUG] = "DEBUG",
	};
	if (prio >= 0 && prio < (int)ARRAY_SIZE(names) && names[prio])
		return names[prio];
	snprintf(buf, 16, "LOG-%03d", prio);
	return buf;
}

static void vemit(int prio, const char *fmt, va_list ap)
{
	char buf[16], *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	if (mp.syslog)
		syslog(prio, "%s: %s", prio_name(prio, buf), msg);
	else
		fprintf(stderr, "%s: %s: %s", program_invocation_short_name, prio_name(prio, buf),
		        msg);
	free(msg);
}

/* kmod's log_printf: a FATAL message ends the program with status 1. */
__attribute__((format(printf, 2, 3))) static void mp_log(int prio, const char *fmt, ...)
{
	if (prio > mp.threshold)
		return;
	va_list ap;
	va_start(ap, fmt);
	vemit(prio, fmt, ap);
	va_end(ap);
	if (prio <= LOG_CRIT)
		exit(EXIT_FAILURE);
}

/* libkmod's messages: Debian builds kmod 30 with --enable-debug, so its
 * modprobe puts libkmod's file:line and function before each. */
static void kmod_log(void *data, int prio, const char *file, int line, const char *fn,
                     const char *fmt, va_list ap)
{
	(void)data;
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	char buf[16];
	if (mp.syslog)
		syslog(prio, "%s: %s:%d %s() %s", prio_name(prio, buf), file, line, fn, msg);
	else
		fprintf(stderr, "%s: %s: %s:%d %s() %s", program_invocation_short_name,
		        prio_name(prio, buf), file, line, fn, msg);
	free(msg);
}

/* Lines of -n/-D/-v: stdout, flushed, so they interleave with install commands. */
__attribute__((format(printf, 1, 2))) static void show(const char *fmt, ...)
{
	if (!mp.show && mp.verbose <= LOG_WARNING)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static const char short_opts[] = "arw:RibfDcnC:d:S:sqvVh";
enum {
	OPT_FORCE_VERMAGIC = 1,
	OPT_FORCE_MODVERSION,
	OPT_FIRST_TIME,
	OPT_SHOW_MODVERSIONS,
	OPT_REMOVE_HOLDERS,
	OPT_SHOW_EXPORTS,
};
static const struct option long_opts[] = {
    {"all", no_argument, NULL, 'a'},
    {"remove", no_argument, NULL, 'r'},
    {"remove-dependencies", no_argument, NULL, OPT_REMOVE_HOLDERS},
    {"remove-holders", no_argument, NULL, OPT_REMOVE_HOLDERS},
    {"wait", required_argument, NULL, 'w'},
    {"resolve-alias", no_argument, NULL, 'R'},
    {"first-time", no_argument, NULL, OPT_FIRST_TIME},
    {"ignore-install", no_argument, NULL, 'i'},
    {"ignore-remove", no_argument, NULL, 'i'},
    {"use-blacklist", no_argument, NULL, 'b'},
    {"force", no_argument, NULL, 'f'},
    {"force-modversion", no_argument, NULL, OPT_FORCE_MODVERSION},
    {"force-vermagic", no_argument, NULL, OPT_FORCE_VERMAGIC},
    {"show-depends", no_argument, NULL, 'D'},
    {"showconfig", no_argument, NULL, 'c'},
    {"show-config", no_argument, NULL, 'c'},
    {"show-modversions", no_argument, NULL, OPT_SHOW_MODVERSIONS},
    {"dump-modversions", no_argument, NULL, OPT_SHOW_MODVERSIONS},
    {"show-exports", no_argument, NULL, OPT_SHOW_EXPORTS},
    {"dry-run", no_argument, NULL, 'n'},
    {"show", no_argument, NULL, 'n'},
    {"config", required_argument, NULL, 'C'},
    {"dirname", required_argument, NULL, 'd'},
    {"set-version", required_argument, NULL, 'S'},
    {"syslog", no_argument, NULL, 's'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {0},
};

static void help(void)
{
	const char *p = program_invocation_short_name;
	printf("Usage:\n"
	       "\t%s [options] [-i] [-b] modulename\n"
	       "\t%s [options] -a [-i] [-b] modulename [modulename...]\n"
	       "\t%s [options] -r [-i] modulename\n"
	       "\t%s [options] -r -a [-i] modulename [modulename...]\n"
	       "\t%s [options] -c\n"
	       "\t%s [options] --dump-modversions filename\n",
	       p, p, p, p, p, p);
	fputs("Management Options:\n"
	      "\t-a, --all                   Consider every non-argument to\n"
	      "\t                            be a module name to be inserted\n"
	      "\t                            or removed (-r)\n"
	      "\t-r, --remove                Remove modules instead of inserting\n"
	      "\t    --remove-dependencies   Deprecated: use --remove-holders\n"
	      "\t    --remove-holders        Also remove module holders (use together with -r)\n"
	      "\t-w, --wait <MSEC>           When removing a module, wait up to MSEC for\n"
	      "\t                            module's refcount to become 0 so it can be\n"
	      "\t                            removed (use together with -r)\n"
	      "\t    --first-time            Fail if module already inserted or removed\n"
	      "\t-i, --ignore-install        Ignore install commands\n"
	      "\t-i, --ignore-remove         Ignore remove commands\n"
	      "\t-b, --use-blacklist         Apply blacklist to resolved alias.\n"
	      "\t-f, --force                 Force module insertion or removal.\n"
	      "\t                            implies --force-modversions and\n"
	      "\t                            --force-vermagic\n"
	      "\t    --force-modversion      Ignore module's version\n"
	      "\t    --force-vermagic        Ignore module's version magic\n"
	      "\n"
	      "Query Options:\n"
	      "\t-R, --resolve-alias         Only lookup and print alias and exit\n"
	      "\t-D, --show-depends          Only print module dependencies and exit\n"
	      "\t-c, --showconfig            Print out known configuration and exit\n"
	      "\t-c, --show-config           Same as --showconfig\n"
	      "\t    --show-modversions      Dump module symbol version and exit\n"
	      "\t    --dump-modversions      Same as --show-modversions\n"
	      "\t    --show-exports          Only print module exported symbol versions and exit\n"
	      "\n"
	      "General Options:\n"
	      "\t-n, --dry-run               Do not execute operations, just print out\n"
	      "\t-n, --show                  Same as --dry-run\n"
	      "\t-C, --config=FILE           Use FILE instead of default search paths\n"
	      "\t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules\n"
	      "\t-S, --set-version=VERSION   Use VERSION instead of `uname -r`\n"
	      "\t-s, --syslog                print to syslog, not stderr\n"
	      "\t-q, --quiet                 disable messages\n"
	      "\t-v, --verbose               enables more messages\n"
	      "\t-V, --version               show version\n"
	      "\t-h, --help                  show this help\n",
	      stdout);
}

/* ---- queries: -c, --show-modversions, --show-exports ---- */

static int show_config(struct kmod_ctx *k)
{
	static const struct {
		const char *name;
		struct kmod_config_iter *(*iter)(const struct kmod_ctx *);
	} kinds[] = {
	    {"blacklist", kmod_config_get_blacklists},
	    {"install", kmod_config_get_install_commands},
	    {"remove", kmod_config_get_remove_commands},
	    {"alias", kmod_config_get_aliases},
	    {"options", kmod_config_get_options},
	    {"softdep", kmod_config_get_softdeps},
	};
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		struct kmod_config_iter *it = kinds[i].iter(k);
		if (!it)
			continue;
		while (kmod_config_iter_next(it)) {
			const char *val = kmod_config_iter_get_value(it);
			printf("%s %s", kinds[i].name, kmod_config_iter_get_key(it));
			if (val)
				printf(" %s\n", val);
			else
				putchar('\n');
		}
		kmod_config_iter_free_iter(it);
	}
	puts("\n# End of configuration files. Dumping indexes now:\n");
	fflush(stdout);
	kmod_dump_index(k, KMOD_INDEX_MODULES_ALIAS, STDOUT_FILENO);
	kmod_dump_index(k, KMOD_INDEX_MODULES_SYMBOL, STDOUT_FILENO);
	return 0;
}

/* --show-modversions (the __versions a module needs) or --show-exports
 * (the symbols it exports, with their CRCs): one "0xCRC\tSYMBOL" a line. */
static int show_symbols(struct kmod_ctx *k, const char *file, bool exports)
{
	struct kmod_module *mod;
	struct kmod_list *list = NULL, *l;
	int err = kmod_module_new_from_path(k, file, &mod);
	if (err < 0) {
		mp_log(mp.notfound_prio, "Module %s not found.\n", file);
		return err;
	}
	err = exports ? kmod_module_get_symbols(mod, &list) : kmod_module_get_versions(mod, &list);
	if (err < 0) {
		mp_log(mp.notfound_prio, "could not get %s of %s: %s\n",
		       exports ? "symbols" : "modversions", file, strerror(-err));
		kmod_module_unref(mod);
		return err;
	}
	kmod_list_foreach(l, list)
	{
		if (exports)
			printf("0x%08" PRIx64 "\t%s\n", kmod_module_symbol_get_crc(l),
			       kmod_module_symbol_get_symbol(l));
		else
			printf("0x%08" PRIx64 "\t%s\n", kmod_module_version_get_crc(l),
			       kmod_module_version_get_symbol(l));
	}
	if (exports)
		kmod_module_symbols_free_list(list);
	else
		kmod_module_versions_free_list(list);
	kmod_module_unref(mod);
	return 0;
}

/* ---- insertion ---- */

/* The probe walk's callback: what -n -v and -D print. */
static void print_action(struct kmod_module *m, bool install, const char *options)
{
	if (install) {
		printf("install %s %s\n", kmod_module_get_install_commands(m), options);
		return;
	}
	const char *path = kmod_module_get_path(m);
	if (path)
		printf("insmod %s %s\n", path, options);
	else if (kmod_module_get_initstate(m) == KMOD_MODULE_BUILTIN)
		printf("builtin %s\n", kmod_module_get_name(m)); /* an alias prints nothing */
}

static int probe_flags(void)
{
	int flags = KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY;
	if (mp.strip_modversion || mp.force)
		flags |= KMOD_PROBE_FORCE_MODVERSION;
	if (mp.strip_vermagic || mp.force)
		flags |= KMOD_PROBE_FORCE_VERMAGIC;
	if (mp.ignore_commands)
		flags |= KMOD_PROBE_IGNORE_COMMAND;
	if (mp.ignore_loaded)
		flags |= KMOD_PROBE_IGNORE_LOADED;
	if (mp.dry_run)
		flags |= KMOD_PROBE_DRY_RUN;
	if (mp.use_blacklist)
		flags |= KMOD_PROBE_APPLY_BLACKLIST;
	if (mp.first_time)
		flags |= KMOD_PROBE_FAIL_ON_LOADED;
	return flags;
}

static void insert_error(struct kmod_module *mod, int err)
{
	const char *name = kmod_module_get_name(mod);
	if (err == -EEXIST)
		mp_log(LOG_ERR, "could not insert '%s': Module already in kernel\n", name);
	else if (err == -ENOENT)
		mp_log(
		    LOG_ERR,
		    "could not insert '%s': Unknown symbol in module, or unknown parameter (see dmesg)\n",
		    name);
	else
		mp_log(LOG_ERR, "could not insert '%s': %s\n", name, strerror(-err));
}

/* One name (module or alias): every module it resolves to, as kmod does,
 * the last result deciding. */
static int insert(struct kmod_ctx *k, const char *name, const char *extra)
{
	struct kmod_list *list = NULL, *l;
	int err = kmod_module_new_from_lookup(k, name, &list);
	if (!list || err < 0) {
		mp_log(mp.notfound_prio, "Module %s not found in directory %s\n", name,
		       kmod_get_dirname(k));
		return -ENOENT;
	}
	bool shows = mp.show || mp.verbose > LOG_WARNING;
	kmod_list_foreach(l, list)
	{
		struct kmod_module *mod = kmod_module_get_module(l);
		if (mp.lookup_only)
			printf("%s\n", kmod_module_get_name(mod));
		else
			err = kmod_module_probe_insert_module(mod, probe_flags(), extra, NULL, NULL,
			                                      shows ? print_action : NULL);
		if (err >= 0)
			err = 0; /* a blacklisted module is no failure */
		else
			insert_error(mod, err);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return err;
}

/* The words after MODULE as one option string; a value with a space and
 * no quote of its own gets double quotes, so the kernel sees one value. */
static char *join_params(char **args, int n)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (int i = 1; i < n; i++) {
		const char *eq = strchr(args[i], '=');
		bool quote = eq && eq[1] != '"' && eq[1] != '\'' && strchr(eq + 1, ' ');
		if (i > 1)
			strbuf_printf(&sb, " ");
		if (quote)
			strbuf_printf(&sb, "%.*s\"%s\"", (int)(eq + 1 - args[i]), args[i], eq + 1);
		else
			strbuf_printf(&sb, "%s", args[i]);
	}
	if (n <= 1) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_steal(&sb);
}

/* ---- removal ---- */

/* A remove command of modprobe.d, $CMDLINE_OPTS replaced (by nothing:
 * removal takes no options), run by the shell with MODPROBE_MODULE set. */
static int run_remove_command(struct kmod_module *mod, const char *command)
{
	const char *name = kmod_module_get_name(mod);
	struct strbuf sb;
	strbuf_init(&sb);
	for (const char *p = command, *v; *p; p = v + strlen("$CMDLINE_OPTS")) {
		v = strstr(p, "$CMDLINE_OPTS");
		if (!v) {
			strbuf_printf(&sb, "%s", p);
			break;
		}
		strbuf_printf(&sb, "%.*s", (int)(v - p), p);
	}
	show("remove %s\n", strbuf_str(&sb));
	int ret = 0;
	if (!mp.dry_run) {
		setenv("MODPROBE_MODULE", name, 1);
		ret = system(strbuf_str(&sb));
		unsetenv("MODPROBE_MODULE");
		if (ret == -1 || WEXITSTATUS(ret)) {
			mp_log(LOG_ERR, "Error running remove command for %s\n", name);
			if (ret != -1)
				ret = -WEXITSTATUS(ret);
		}
	}
	strbuf_release(&sb);
	return ret;
}

static unsigned long long now_msec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

/* The removal itself; with -w MSEC a busy module is retried, the pause
 * doubling, until the deadline. */
static int remove_one(struct kmod_module *mod)
{
	const char *name = kmod_module_get_name(mod);
	show("rmmod %s\n", name);
	if (mp.dry_run)
		return 0;
	int flags = (mp.force ? KMOD_REMOVE_FORCE : 0) | (mp.wait_msec ? KMOD_REMOVE_NOLOG : 0);
	unsigned long long end = now_msec() + mp.wait_msec, pause = 1;
	int err;
	for (;;) {
		err = kmod_module_remove_module(mod, flags);
		if (err == -EEXIST) {
			if (!mp.first_time)
				err = 0;
			else
				mp_log(mp.notfound_prio, "Module %s is not in kernel.\n", name);
			break;
		}
		unsigned long long now = now_msec();
		if (err != -EAGAIN || !mp.wait_msec || now >= end)
			break;
		if (pause > end - now)
			pause = end - now;
		struct timespec ts = {(time_t)(pause / 1000), (long)(pause % 1000) * 1000000};
		nanosleep(&ts, NULL);
		pause *= 2;
	}
	if (err < 0 && mp.wait_msec)
		mp_log(LOG_ERR, "could not remove '%s': %s\n", name, strerror(-err));
	return err;
}

enum { RM_HOLDERS = 1, RM_IGNORE_BUILTIN = 2 };
static int remove_module(struct kmod_module *mod, int flags);

/* A list (softdeps, holders) removed last to first. */
static int remove_list(struct kmod_list *list, bool stop_on_error)
{
	struct kmod_list *l;
	kmod_list_foreach_reverse(l, list)
	{
		struct kmod_module *m = kmod_module_get_module(l);
		int r = remove_module(m, RM_IGNORE_BUILTIN);
		kmod_module_unref(m);
		if (r < 0 && stop_on_error)
			return r;
	}
	return 0;
}

/* Whether MOD needs removing at all: 0 nothing to do, 1 go on, <0 error. */
static int remove_needed(struct kmod_module *mod, int flags)
{
	const char *name = kmod_module_get_name(mod);
	int state = kmod_module_get_initstate(mod);
	if (state < 0) {
		if (!mp.first_time)
			return 0;
		mp_log(mp.notfound_prio, "Module %s is not in kernel.\n", name);
		return -ENOENT;
	}
	if (state == KMOD_MODULE_BUILTIN) {
		if (flags & RM_IGNORE_BUILTIN)
			return 0;
		mp_log(mp.notfound_prio, "Module %s is builtin.\n", name);
		return -ENOENT;
	}
	return 1;
}

/* Dependencies that MOD's removal left unused go too; failures do not count. */
static void remove_unused_deps(struct kmod_module *mod)
{
	struct kmod_list *deps = kmod_module_get_dependencies(mod), *l;
	kmod_list_foreach(l, deps)
	{
		struct kmod_module *dep = kmod_module_get_module(l);
		if (kmod_module_get_refcnt(dep) == 0)
			remove_one(dep);
		kmod_module_unref(dep);
	}
	kmod_module_unref_list(deps);
}

/* kmod's order: post softdeps, holders (--remove-holders), the module (or
 * its remove command), its unused dependencies, pre softdeps. */
static int remove_module(struct kmod_module *mod, int flags)
{
	struct kmod_list *pre = NULL, *post = NULL;
	const char *cmd = NULL;
	int err = 0;
	if (!mp.ignore_commands) {
		err = kmod_module_get_softdeps(mod, &pre, &post);
		if (err < 0) {
			mp_log(LOG_WARNING, "could not get softdeps of '%s': %s\n",
			       kmod_module_get_name(mod), strerror(-err));
			return err;
		}
		cmd = kmod_module_get_remove_commands(mod);
	}
	if (!cmd && !mp.ignore_loaded && (err = remove_needed(mod, flags)) <= 0)
		goto out;
	remove_list(post, false);
	if (flags & RM_HOLDERS) {
		struct kmod_list *holders = kmod_module_get_holders(mod);
		err = remove_list(holders, true);
		kmod_module_unref_list(holders);
		if (err < 0)
			goto out;
	}
	if (!cmd && !mp.ignore_loaded && !mp.wait_msec && kmod_module_get_refcnt(mod) > 0) {
		mp_log(mp.notfound_prio, "Module %s is in use.\n", kmod_module_get_name(mod));
		err = -EBUSY;
		goto out;
	}
	err = cmd ? run_remove_command(mod, cmd) : remove_one(mod);
	if (err < 0)
		goto out;
	if (!cmd)
		remove_unused_deps(mod);
	remove_list(pre, false);
out:
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
	return err;
}

static int remove_name(struct kmod_ctx *k, const char *name)
{
	struct kmod_list *list = NULL, *l;
	int err = kmod_module_new_from_lookup(k, name, &list);
	if (err < 0)
		return err;
	if (!list) {
		mp_log(mp.notfound_prio, "Module %s not found.\n", name);
		err = -ENOENT;
	}
	kmod_list_foreach(l, list)
	{
		struct kmod_module *mod = kmod_module_get_module(l);
		err = remove_module(mod, mp.remove_holders ? RM_HOLDERS : 0);
		kmod_module_unref(mod);
		if (err < 0)
			break;
	}
	kmod_module_unref_list(list);
	return err;
}

/* ---- the command line ---- */

/* -C, -s, -q, -v are passed on to the modprobe calls of install commands
 * through $MODPROBE_OPTIONS. */
static void env_append(const char *word)
{
	const char *old = getenv("MODPROBE_OPTIONS");
	if (!old) {
		setenv("MODPROBE_OPTIONS", word, 1);
		return;
	}
	char *v = NULL;
	if (asprintf(&v, "%s %s", old, word) < 0) {
		mp_log(LOG_ERR, "could not append value to $MODPROBE_OPTIONS\n");
		return;
	}
	if (setenv("MODPROBE_OPTIONS", v, 1) < 0)
		mp_log(LOG_ERR, "could not setenv(MODPROBE_OPTIONS, \"%s\")\n", v);
	free(v);
}

static void word_end(struct strbuf *w, struct strv *out)
{
	strv_push(out, strbuf_str(w));
	w->len = 0;
	if (w->buf)
		w->buf[0] = '\0';
}

/* $MODPROBE_OPTIONS split into words, as kmod splits it: at every space
 * (two spaces make an empty word); a quoted word that starts a word ends
 * it, quotes inside a word are dropped; an unclosed quote is kept. */
static void env_words(const char *env, struct strv *out)
{
	struct strbuf w;
	strbuf_init(&w);
	char quote = 0;
	size_t qpos = 0;
	for (const char *s = env; *s; s++) {
		if (!quote && *s == ' ') {
			word_end(&w, out);
		} else if (!quote && (*s == '"' || *s == '\'')) {
			quote = *s;
			qpos = w.len;
			strbuf_putc(&w, *s);
		} else if (quote && *s == quote) {
			quote = 0;
			memmove(w.buf + qpos, w.buf + qpos + 1,
			        w.len - qpos); /* drop the open quote */
			w.len--;
			if (qpos == 0)
				word_end(&w, out);
		} else {
			strbuf_putc(&w, *s);
		}
	}
	if (w.len)
		strv_push(out, strbuf_str(&w));
	strbuf_release(&w);
}

struct mp_args {
	struct strv config; /* -C */
	const char *root, *kver;
	bool all, remove, show_config, show_modversions, show_exports;
};

/* The options that only switch a flag on */
static const struct {
	int opt;
	bool *flag;
} flag_opts[] = {
    {OPT_REMOVE_HOLDERS, &mp.remove_holders},
    {OPT_FIRST_TIME, &mp.first_time},
    {'i', &mp.ignore_commands},
    {'b', &mp.use_blacklist},
    {'f', &mp.force},
    {OPT_FORCE_MODVERSION, &mp.strip_modversion},
    {OPT_FORCE_VERMAGIC, &mp.strip_vermagic},
    {'R', &mp.lookup_only},
    {'n', &mp.dry_run},
};

/* One option; returns -1 to go on, else the exit status. */
static int parse_opt(int c, struct mp_args *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(flag_opts); i++)
		if (flag_opts[i].opt == c) {
			*flag_opts[i].flag = true;
			return -1;
		}
	char *end = NULL;
	switch (c) {
	case 'a':
		mp.notfound_prio = LOG_WARNING;
		a->all = true;
		break;
	case 'r':
		a->remove = true;
		break;
	case 'w':
		mp.wait_msec = strtoul(optarg, &end, 0);
		if (!*optarg || *end) {
			mp_log(LOG_ERR, "unexpected wait value '%s'.\n", optarg);
			return EXIT_FAILURE;
		}
		break;
	case 'D':
		mp.ignore_loaded = mp.dry_run = mp.show = true;
		break;
	case 'c':
		a->show_config = true;
		break;
	case OPT_SHOW_MODVERSIONS:
		a->show_modversions = true;
		break;
	case OPT_SHOW_EXPORTS:
		a->show_exports = true;
		break;
	case 'C':
		strv_push(&a->config, optarg);
		env_append("-C");
		env_append(optarg);
		break;
	case 'd':
		a->root = optarg;
		break;
	case 'S':
		a->kver = optarg;
		break;
	case 's':
		env_append("-s");
		mp.syslog = true;
		break;
	case 'q':
		env_append("-q");
		mp.verbose = LOG_EMERG;
		break;
	case 'v':
		env_append("-v");
		mp.verbose++;
		break;
	case 'V':
		/* the interface implemented is kmod 30's, through its libkmod */
		puts("kmod version 30");
		puts("+ZSTD +XZ -ZLIB +LIBCRYPTO -EXPERIMENTAL");
		return EXIT_SUCCESS;
	case 'h':
		help();
		return EXIT_SUCCESS;
	default: /* getopt has said what is wrong, naming this program */
		return EXIT_FAILURE;
	}
	return -1;
}

/* The action the options chose, on the libkmod context. */
static int run_action(struct kmod_ctx *k, struct mp_args *a, char **args, int n)
{
	if (a->show_config)
		return show_config(k);
	if (a->show_modversions || a->show_exports)
		return show_symbols(k, args[0], a->show_exports);
	int err = 0;
	if (a->remove || a->all) {
		for (int i = 0; i < n; i++) {
			int r = a->remove ? remove_name(k, args[i]) : insert(k, args[i], NULL);
			if (r < 0)
				err = r;
		}
		return err;
	}
	char *opts = join_params(args, n);
	err = insert(k, args[0], opts);
	free(opts);
	return err;
}

/* ROOT/lib/modules/KVER as kmod builds it from -d and -S: "" (libkmod's
 * default) when neither is given.  false when uname() fails. */
static bool mp_dirname(struct mp_args *a, char dir[static 4096])
{
	dir[0] = '\0';
	if (!a->root && !a->kver)
		return true;
	struct utsname u;
	if (!a->kver) {
		if (uname(&u) < 0) {
			mp_log(LOG_ERR, "uname() failed: %m\n");
			return false;
		}
		a->kver = u.release;
	}
	snprintf(dir, 4096, "%s/lib/modules/%s", a->root ? a->root : "", a->kver);
	return true;
}

static struct kmod_ctx *open_kmod(struct mp_args *a, const char *dirname)
{
	struct kmod_ctx *k = kmod_new(*dirname ? dirname : NULL,
	                              a->config.n ? (const char *const *)a->config.v : NULL);
	if (!k) {
		mp_log(LOG_ERR, "kmod_new() failed!\n");
		return NULL;
	}
	mp.threshold = mp.verbose;
	kmod_set_log_priority(k, mp.verbose);
	kmod_set_log_fn(k, kmod_log, NULL);
	kmod_load_resources(k);
	return k;
}

struct mp_run {
	struct mp_args *a;
	char **args;
	int n;
	char dirname[4096];
};

/* In a child (lib/probe.h says why): libkmod's context, the action. */
static int mp_child(void *data)
{
	struct mp_run *run = data;
	struct kmod_ctx *k = open_kmod(run->a, run->dirname);
	if (!k)
		return EXIT_FAILURE;
	int st = run_action(k, run->a, run->args, run->n) >= 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	kmod_unref(k);
	return st;
}

/* The action, in a child: a libkmod that crashes on a damaged index (kmod
 * 30's own modprobe does) becomes an error that says so. */
static int run_isolated(struct mp_args *a, char **args, int n)
{
	static struct mp_run run; /* 4 KiB of path: not on the stack */
	run = (struct mp_run){.a = a, .args = args, .n = n};
	if (!mp_dirname(a, run.dirname))
		return EXIT_FAILURE;
	int sig = 0;
	int st = ctmod_probe_isolated(run.dirname, args, n, mp_child, &run, &sig);
	if (st == -EFAULT) {
		mp_log(
		    LOG_ERR,
		    "libkmod died (%s) reading the indexes of %s: they look truncated or corrupt, run depmod\n",
		    strsignal(sig), *run.dirname ? run.dirname : "/lib/modules");
		return EXIT_FAILURE;
	}
	if (st < 0) {
		mp_log(LOG_ERR, "fork: %s\n", strerror(-st));
		return EXIT_FAILURE;
	}
	return st;
}

static int modprobe(int argc, char **argv)
{
	struct mp_args a = {0};
	int c, st = -1;
	mp.verbose = mp.threshold = LOG_WARNING;
	mp.notfound_prio = LOG_CRIT;
	strv_init(&a.config);
	optind = 1;
	opterr = 1;
	while (st < 0 && (c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1)
		st = parse_opt(c, &a);
	if (st < 0) {
		int n = argc - optind;
		if (mp.syslog)
			openlog(program_invocation_short_name, LOG_CONS, LOG_DAEMON);
		if (!a.show_config && n == 0) {
			mp_log(LOG_ERR, "missing parameters. See -h.\n");
			st = EXIT_FAILURE;
		} else {
			st = run_isolated(&a, argv + optind, n);
		}
		if (mp.syslog)
			closelog();
	}
	strv_release(&a.config);
	return st;
}

int cmd_modprobe_main(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	const char *env = getenv("MODPROBE_OPTIONS");
	if (!env)
		return modprobe(argc, argv);
	/* $MODPROBE_OPTIONS goes before the arguments */
	struct strv args;
	strv_init(&args);
	strv_push(&args, argv[0]);
	env_words(env, &args);
	for (int i = 1; i < argc; i++)
		strv_push(&args, argv[i]);
	int st = modprobe((int)args.n, args.v);
	strv_release(&args);
	return st;
}
