// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libcurl functions libctmod calls (lib/fetch.c), each loading
 * libcurl.so.4 on first use (lib/dl.h).  Only `ctmod install` of a URL gets
 * here, so no other process loads libcurl and the TLS, Kerberos, LDAP, ...
 * libraries behind it.
 */
/* the definitions below must not be taken for curl's type-checking macros */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>

#include "dl.h"

static __typeof__(curl_global_init) *sym_curl_global_init;
static __typeof__(curl_easy_init) *sym_curl_easy_init;
static __typeof__(curl_easy_setopt) *sym_curl_easy_setopt;
static __typeof__(curl_easy_perform) *sym_curl_easy_perform;
static __typeof__(curl_easy_getinfo) *sym_curl_easy_getinfo;
static __typeof__(curl_easy_cleanup) *sym_curl_easy_cleanup;
static __typeof__(curl_easy_strerror) *sym_curl_easy_strerror;
static __typeof__(curl_free) *sym_curl_free;
static __typeof__(curl_url) *sym_curl_url;
static __typeof__(curl_url_cleanup) *sym_curl_url_cleanup;
static __typeof__(curl_url_set) *sym_curl_url_set;
static __typeof__(curl_url_get) *sym_curl_url_get;
static __typeof__(curl_url_strerror) *sym_curl_url_strerror;

static const struct ctmod_dl_sym curl_syms[] = {
    CTMOD_DL_SYM(curl_global_init),   CTMOD_DL_SYM(curl_easy_init),
    CTMOD_DL_SYM(curl_easy_setopt),   CTMOD_DL_SYM(curl_easy_perform),
    CTMOD_DL_SYM(curl_easy_getinfo),  CTMOD_DL_SYM(curl_easy_cleanup),
    CTMOD_DL_SYM(curl_easy_strerror), CTMOD_DL_SYM(curl_free),
    CTMOD_DL_SYM(curl_url),           CTMOD_DL_SYM(curl_url_cleanup),
    CTMOD_DL_SYM(curl_url_set),       CTMOD_DL_SYM(curl_url_get),
    CTMOD_DL_SYM(curl_url_strerror),
};

struct ctmod_dl ctmod_dl_curl = CTMOD_DL_INIT("libcurl.so.4", "libcurl4", curl_syms);

static inline int loaded(void)
{
	return ctmod_dl_open(&ctmod_dl_curl) == 0;
}

static const char *why_not(void)
{
	const char *e = ctmod_dl_error(&ctmod_dl_curl);
	return e ? e : "libcurl is not loaded";
}

/*
 * Without the library: NULL for a new handle, CURLE_FAILED_INIT or
 * CURLUE_BAD_HANDLE for a call, and the loader's reason for an error string.
 */
CURLcode curl_global_init(long flags)
{
	return loaded() ? sym_curl_global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return loaded() ? sym_curl_easy_init() : NULL;
}

/* the option number says the type of the argument (curl.h, CURLOPTTYPE_*) */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	if (!loaded())
		return CURLE_FAILED_INIT;
	long type = (long)option;
	CURLcode r;
	va_list ap;
	va_start(ap, option);
	if (type < CURLOPTTYPE_OBJECTPOINT)
		r = sym_curl_easy_setopt(curl, option, va_arg(ap, long));
	else if (type < CURLOPTTYPE_FUNCTIONPOINT)
		r = sym_curl_easy_setopt(curl, option, va_arg(ap, void *));
	else if (type < CURLOPTTYPE_OFF_T)
		r = sym_curl_easy_setopt(curl, option, va_arg(ap, void (*)(void)));
	else if (type < CURLOPTTYPE_BLOB)
		r = sym_curl_easy_setopt(curl, option, va_arg(ap, curl_off_t));
	else
		r = sym_curl_easy_setopt(curl, option, va_arg(ap, struct curl_blob *));
	va_end(ap);
	return r;
}

CURLcode curl_easy_perform(CURL *curl)
{
	return loaded() ? sym_curl_easy_perform(curl) : CURLE_FAILED_INIT;
}

/* every CURLINFO_* takes a pointer to where the answer goes */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	if (!loaded())
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, info);
	CURLcode r = sym_curl_easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return r;
}

void curl_easy_cleanup(CURL *curl)
{
	if (loaded())
		sym_curl_easy_cleanup(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
	return loaded() ? sym_curl_easy_strerror(code) : why_not();
}

void curl_free(void *p)
{
	if (loaded())
		sym_curl_free(p);
}

CURLU *curl_url(void)
{
	return loaded() ? sym_curl_url() : NULL;
}

void curl_url_cleanup(CURLU *handle)
{
	if (loaded())
		sym_curl_url_cleanup(handle);
}

CURLUcode curl_url_set(CURLU *handle, CURLUPart what, const char *part, unsigned int flags)
{
	return loaded() ? sym_curl_url_set(handle, what, part, flags) : CURLUE_BAD_HANDLE;
}

CURLUcode curl_url_get(CURLU *handle, CURLUPart what, char **part, unsigned int flags)
{
	return loaded() ? sym_curl_url_get(handle, what, part, flags) : CURLUE_BAD_HANDLE;
}

const char *curl_url_strerror(CURLUcode code)
{
	return loaded() ? sym_curl_url_strerror(code) : why_not();
}
