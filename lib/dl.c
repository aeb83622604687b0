// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctx.h"

/* dlerror()'s text without the leading "SONAME: " it usually repeats */
static void set_error(struct ctmod_dl *dl, const char *why)
{
	size_t n = strlen(dl->soname);
	if (!why)
		why = "unknown error";
	if (!strncmp(why, dl->soname, n) && !strncmp(why + n, ": ", 2))
		why += n + 2;
	snprintf(dl->error, sizeof(dl->error), "%s", why);
	/* one line, whatever the loader said */
	for (char *p = dl->error; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	/* glibc frees its message buffer at the next dlerror(): now, since the
	 * text is copied (LeakSanitizer reports it otherwise) */
	(void)dlerror();
}

static int load(struct ctmod_dl *dl)
{
	void *h = dlopen(dl->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		set_error(dl, dlerror());
		return -1;
	}
	for (size_t i = 0; i < dl->n_syms; i++) {
		dlerror();
		void *p = dlsym(h, dl->syms[i].name);
		if (!p) {
			const char *why = dlerror();
			char buf[128];
			if (!why) {
				snprintf(buf, sizeof(buf), "no symbol %s", dl->syms[i].name);
				why = buf;
			}
			set_error(dl, why);
			for (size_t j = 0; j < i; j++)
				*dl->syms[j].fn = NULL;
			dlclose(h);
			return -1;
		}
		*dl->syms[i].fn = p;
	}
	dl->handle = h;
	return 1;
}

int ctmod_dl_open(struct ctmod_dl *dl)
{
	int s = atomic_load_explicit(&dl->state, memory_order_acquire);
	if (!s) {
		pthread_mutex_lock(&dl->lock);
		s = atomic_load_explicit(&dl->state, memory_order_relaxed);
		if (!s) {
			s = load(dl);
			atomic_store_explicit(&dl->state, s, memory_order_release);
		}
		pthread_mutex_unlock(&dl->lock);
	}
	return s > 0 ? 0 : -ELIBACC;
}

const char *ctmod_dl_error(struct ctmod_dl *dl)
{
	return atomic_load_explicit(&dl->state, memory_order_acquire) < 0 ? dl->error : NULL;
}

int ctmod_dl_fail(struct ctmod_ctx *ctx, struct ctmod_dl *dl, const char *what)
{
	const char *why = ctmod_dl_error(dl);
	if (!why)
		return 0;
	char hint[96];
	snprintf(hint, sizeof(hint), "install it: apt-get install %s", dl->package);
	return ctmod_fail(ctx, ELIBACC, hint, "%s%scannot load %s: %s", what ? what : "",
	                  what ? ": " : "", dl->soname, why);
}
