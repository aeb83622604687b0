/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading and unloading modules for real: libkmod (finit_module, or
 * init_module for compressed modules), the SIOCGIFINDEX ioctl that makes the
 * kernel call its own modprobe helper, or the system's modprobe — in that
 * order when the previous way cannot work.  `ctmod load`, `autoload` and
 * `gate` all load through here.
 */
#pragma once

#include <stdbool.h>

#include "ctx.h"
#include "moddb.h"

enum ctmod_load_method {
	CTMOD_LOAD_KMOD = 1 << 0,
	CTMOD_LOAD_IOCTL = 1 << 1,
	CTMOD_LOAD_MODPROBE = 1 << 2,
	CTMOD_LOAD_ALL = 7,
};

struct ctmod_load_opts {
	unsigned methods;    /* CTMOD_LOAD_*; 0 means all */
	bool dry_run;        /* -n: record what would be done, load nothing */
	bool first_time;     /* already loaded / built-in is an error */
	bool ignore_install; /* -i */
	bool use_blacklist;  /* -b */
	const char *params;  /* extra parameters for the target ("a=1 b=2") */
};

enum ctmod_load_state {
	CTMOD_LOADED,         /* loaded by this call */
	CTMOD_ALREADY_LOADED, /* was live already */
	CTMOD_BUILTIN,        /* built into the kernel */
	CTMOD_WOULD_LOAD,     /* dry run */
	CTMOD_LOAD_FAILED,
	CTMOD_UNLOADED,     /* removed by ctmod_unload */
	CTMOD_WOULD_UNLOAD, /* dry run of ctmod_unload */
	CTMOD_BLACKLISTED,  /* not loaded: blacklisted (autoload, as systemd-modules-load) */
};

/* "loaded", "already loaded", "built-in", "would load", "failed", ... */
const char *ctmod_load_state_name(enum ctmod_load_state state);

/* What happened to one module of a resolution (target and dependencies). */
struct ctmod_load_event {
	const char *name;
	enum ctmod_load_state state;
	enum ctmod_load_method method; /* the way that worked, if loaded */
	int err;                       /* -errno when failed */
	const char *params;            /* the options given to the kernel (or that would
	                                  be, in a dry run); NULL when none or unknown */
};

typedef void (*ctmod_load_cb)(void *data, const struct ctmod_load_event *ev);

/*
 * Load NAME with its dependencies and softdeps, through db's resolution.
 * cb (may be NULL) hears about every module.  db may be NULL where there
 * is no module database (a container without /lib/modules): then only the
 * ioctl and modprobe ways, which go by name, can load it.  Returns 0, or -errno with the
 * error (and its next step) recorded in ctx.
 */
int ctmod_load(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *name,
               const struct ctmod_load_opts *opts, ctmod_load_cb cb, void *data);
/* Unload NAME and, like modprobe -r, its dependencies no longer in use. */
int ctmod_unload(struct ctmod_ctx *ctx, struct ctmod_moddb *db, const char *name,
                 const struct ctmod_load_opts *opts, ctmod_load_cb cb, void *data);
/* "kmod", "ioctl", "modprobe" */
const char *ctmod_load_method_name(enum ctmod_load_method m);
/* "kmod,ioctl" -> CTMOD_LOAD_KMOD|CTMOD_LOAD_IOCTL; -EINVAL on an unknown word */
int ctmod_load_methods_parse(const char *list, unsigned *out);
/* Whether a module is live: /sys/module/NAME/initstate says "live". */
bool ctmod_module_live(struct ctmod_ctx *ctx, const char *name);
