// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include "sha256.h"
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dl.h"

#ifndef CTMOD_VERSION
#define CTMOD_VERSION "0"
#endif

bool ctmod_fetch_is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) || !strncmp(s, "file://", 7);
}

char *ctmod_fetch_basename(const char *source)
{
	char *copy = NULL;
	const char *p = source;
	if (ctmod_fetch_is_url(source)) {
		CURLU *u = curl_url();
		char *path = NULL;
		if (u && curl_url_set(u, CURLUPART_URL, source, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK) {
			copy = strdup(path);
			curl_free(path);
		}
		curl_url_cleanup(u);
		if (!copy)
			return strdup("download");
		p = copy;
	}
	size_t len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		len--;
	const char *s = p + len;
	while (s > p && s[-1] != '/')
		s--;
	char *name = strndup(s, (size_t)(p + len - s));
	free(copy);
	if (name && (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))) {
		free(name);
		name = strdup("download");
	}
	return name;
}

bool ctmod_fetch_sha256_valid(const char *hex)
{
	size_t n = 0;
	for (; hex[n]; n++)
		if (!isxdigit((unsigned char)hex[n]))
			return false;
	return n == 64;
}

int ctmod_fetch_sha256(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = sha256_fd_hex(fd, hex);
	close(fd);
	return r;
}

/* --- downloads */

struct xfer {
	int fd;
	uint64_t written;
	int werr;
	const struct ctmod_fetch_opts *o;
	const char *name;
	uint64_t base; /* bytes already there when resuming */
};

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t len = size * nmemb, done = 0;
	while (done < len) {
		ssize_t n = write(x->fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			x->werr = errno;
			return 0; /* makes curl stop with CURLE_WRITE_ERROR */
		}
		done += (size_t)n;
	}
	x->written += len;
	return len;
}

static int progress_cb(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ult,
                       curl_off_t ulnow)
{
	struct xfer *x = userp;
	(void)ult;
	(void)ulnow;
	if (x->o->progress)
		x->o->progress(x->o->progress_data, x->name, x->base + (uint64_t)dlnow,
		               dltotal > 0 ? x->base + (uint64_t)dltotal : 0);
	return 0;
}

static bool transient_http(long code)
{
	return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 ||
	       code == 504;
}

static bool transient_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int curl_global(void)
{
	static int done;
	if (!done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -ENOMEM;
		done = 1;
	}
	return 0;
}

static void curl_setup(CURL *c, const char *url, const struct ctmod_fetch_opts *o, struct xfer *x,
                       char *errbuf)
{
	long timeout = o->timeout > 0 ? o->timeout : 30;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	/* a redirect must never turn a download into a read of a local file */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp,ftps");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp,ftps");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, timeout);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ctmod/" CTMOD_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (o->progress) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	}
}

/* a transfer that succeeded: the cached copy still good (304), or the
 * server's modification time on the new file */
static void transfer_done(CURL *c, int fd, bool revalidated, const struct xfer *x,
                          struct ctmod_fetched *f)
{
	long unmet = 0;
	curl_easy_getinfo(c, CURLINFO_CONDITION_UNMET, &unmet);
	if (unmet && revalidated && x->written == 0) {
		f->from_cache = true;
		return;
	}
	curl_off_t ft = -1;
	curl_easy_getinfo(c, CURLINFO_FILETIME_T, &ft);
	if (ft > 0) {
		struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = ft}};
		futimens(fd, ts);
	}
}

/* the error of a transfer that will not be tried again */
static int transfer_failed(struct ctmod_ctx *ctx, const char *url, CURLcode cc, long code,
                           const char *errbuf, bool transient)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	const char *hint = cc == CURLE_HTTP_RETURNED_ERROR
	                       ? (code == 404 ? "check the URL (and --kernel for a template)"
	                                      : "check the URL or try again later")
	                   : cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST
	                       ? "check the address, the network and the proxy settings "
	                         "(http_proxy, https_proxy, no_proxy)"
	                       : "try again; a partial download is resumed";
	if (cc == CURLE_HTTP_RETURNED_ERROR)
		return ctmod_fail(ctx, EIO, hint, "%s: HTTP %ld", url, code);
	return ctmod_fail(ctx, EIO, hint, "%s: %s%s", url, why,
	                  transient ? " (gave up after retries)" : "");
}

/* before each attempt: resume from the bytes already there; a cached copy
 * (nothing written yet) is asked for only if it changed */
static void attempt_setup(CURL *c, const struct stat *st, const struct stat *cached, struct xfer *x)
{
	x->base = (uint64_t)st->st_size;
	x->written = 0;
	curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)st->st_size);
	if (cached && st->st_size == 0) {
		curl_easy_setopt(c, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_IFMODSINCE);
		curl_easy_setopt(c, CURLOPT_TIMEVALUE_LARGE, (curl_off_t)cached->st_mtime);
	} else {
		curl_easy_setopt(c, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_NONE);
	}
}

/*
 * One URL into f->part.  A cached copy is revalidated with If-Modified-Since;
 * a partial file is resumed with a Range request; transient failures are
 * retried with exponential backoff, continuing from the bytes already there.
 */
static int download(struct ctmod_ctx *ctx, const char *url, const struct ctmod_fetch_opts *o,
                    struct ctmod_fetched *f)
{
	struct stat cst;
	bool have_cache = stat(f->cache_path, &cst) == 0 && S_ISREG(cst.st_mode);
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (have_cache ? O_TRUNC : 0);
	struct stat pst;
	f->part_was_there = !have_cache && stat(f->part, &pst) == 0 && pst.st_size > 0;
	int fd = open(f->part, flags, 0644);
	if (fd < 0)
		return ctmod_fail(ctx, errno, "check that the cache directory is writable",
		                  "%s: cannot create %s: %m", url, f->part);
	CURL *c = curl_global() < 0 ? NULL : curl_easy_init();
	if (!c) {
		close(fd);
		if (ctmod_dl_fail(ctx, &ctmod_dl_curl, url) < 0)
			return -ELIBACC;
		return ctmod_fail(ctx, ENOMEM, NULL, "%s: cannot initialise libcurl", url);
	}
	_cleanup_free_ char *name = ctmod_fetch_basename(url);
	struct xfer x = {.fd = fd, .o = o, .name = name};
	char errbuf[CURL_ERROR_SIZE];
	long delay = o->backoff_ms > 0 ? o->backoff_ms : 500;
	int r = 0;
	curl_setup(c, url, o, &x, errbuf);

	for (int attempt = 0;; attempt++) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			r = ctmod_fail(ctx, errno, NULL, "%s: %s: %m", url, f->part);
			break;
		}
		attempt_setup(c, &st, have_cache ? &cst : NULL, &x);
		errbuf[0] = '\0';
		CURLcode cc = curl_easy_perform(c);
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (o->progress)
			o->progress(o->progress_data, NULL, 0, 0); /* end of this transfer */

		if (cc == CURLE_OK) {
			transfer_done(c, fd, have_cache && st.st_size == 0, &x, f);
			break;
		}
		if (cc == CURLE_WRITE_ERROR && x.werr) {
			errno = x.werr;
			r = ctmod_fail(ctx, x.werr, "free some space, or use another --root",
			               "%s: cannot write %s: %m", url, f->part);
			break;
		}
		/* the server cannot resume (or the partial file is stale): start over */
		if ((cc == CURLE_RANGE_ERROR || (cc == CURLE_HTTP_RETURNED_ERROR && code == 416)) &&
		    st.st_size > 0) {
			if (ftruncate(fd, 0) < 0) {
				r = ctmod_fail(ctx, errno, NULL, "%s: %s: %m", url, f->part);
				break;
			}
			attempt--;
			continue;
		}
		bool transient =
		    cc == CURLE_HTTP_RETURNED_ERROR ? transient_http(code) : transient_curl(cc);
		if (transient && attempt < o->retries) {
			DBG(ctx, "%s: %s, retrying in %ld ms", url,
			    errbuf[0] ? errbuf : curl_easy_strerror(cc), delay);
			sleep_ms(delay);
			delay = delay * 2 > 8000 ? 8000 : delay * 2;
			continue;
		}
		r = transfer_failed(ctx, url, cc, code, errbuf, transient);
		break;
	}
	curl_easy_cleanup(c);
	if (close(fd) < 0 && r == 0)
		r = ctmod_fail(ctx, errno, NULL, "%s: cannot write %s: %m", url, f->part);
	return r;
}

int ctmod_fetch(struct ctmod_ctx *ctx, const char *source, const struct ctmod_fetch_opts *o,
                struct strv *created, struct ctmod_fetched *f)
{
	int r;
	memset(f, 0, sizeof(*f));
	f->source = strdup(source);
	if (!f->source)
		return -ENOMEM;

	if (!strncmp(source, "file://", 7)) {
		CURLU *u = curl_url();
		char *path = NULL;
		CURLUcode uc = u ? curl_url_set(u, CURLUPART_URL, source, 0) : CURLUE_OUT_OF_MEMORY;
		if (uc == CURLUE_OK)
			uc = curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
		if (uc == CURLUE_OK)
			f->path = strdup(path);
		curl_free(path);
		curl_url_cleanup(u);
		if (!u && ctmod_dl_fail(ctx, &ctmod_dl_curl, source) < 0)
			return -ELIBACC;
		if (uc != CURLUE_OK)
			return ctmod_fail_input(ctx, EINVAL, "write file:///absolute/path",
			                        "%s: invalid file URL: %s", source,
			                        curl_url_strerror(uc));
		if (!f->path)
			return -ENOMEM;
	} else if (ctmod_fetch_is_url(source)) {
		_cleanup_free_ char *name = ctmod_fetch_basename(source);
		_cleanup_free_ char *dir = ctmod_path(ctx, "/var/cache/ctmod");
		if (!name || !dir)
			return -ENOMEM;
		r = mkdir_tracked(dir, 0755, created);
		if (r < 0)
			return ctmod_fail(ctx, r, "check that the root is writable",
			                  "cannot create the download cache %s: %s", dir,
			                  strerror(-r));
		if (asprintf(&f->cache_path, "%s/%s", dir, name) < 0 ||
		    asprintf(&f->part, "%s/%s.part", dir, name) < 0)
			return -ENOMEM;
		f->downloaded = true;
		r = download(ctx, source, o, f);
		if (r < 0)
			return r;
		if (f->from_cache) {
			unlink(f->part);
			free(f->part);
			f->part = NULL;
			f->path = strdup(f->cache_path);
		} else {
			f->path = strdup(f->part);
		}
		if (!f->path)
			return -ENOMEM;
	} else {
		/* absolute: the archive is opened after a chdir into the staging dir */
		f->path = realpath(source, NULL);
		if (!f->path && errno != ENOMEM)
			f->path = strdup(source); /* stat() below says what is wrong */
		if (!f->path)
			return -ENOMEM;
	}

	struct stat st;
	if (stat(f->path, &st) < 0)
		return ctmod_fail(ctx, errno, "check the path", "%s: %m", source);
	if (!S_ISREG(st.st_mode))
		return ctmod_fail_input(ctx, EINVAL, "give an archive file, a .deb or a URL",
		                        "%s: not a regular file", source);
	f->size = (uint64_t)st.st_size;
	r = ctmod_fetch_sha256(f->path, f->sha256);
	if (r < 0)
		return ctmod_fail(ctx, r, NULL, "%s: cannot read: %s", source, strerror(-r));
	if (o->sha256 && strcasecmp(o->sha256, f->sha256) != 0)
		return ctmod_fail(
		    ctx, EBADMSG, "check the source and the checksum; nothing was installed",
		    "%s: SHA-256 mismatch: expected %s, got %s", source, o->sha256, f->sha256);
	return 0;
}

int ctmod_fetch_commit(struct ctmod_ctx *ctx, struct ctmod_fetched *f)
{
	if (!f->part)
		return 0;
	if (rename(f->part, f->cache_path) < 0)
		return ctmod_fail(ctx, errno, NULL, "cannot move %s to %s: %m", f->part,
		                  f->cache_path);
	free(f->part);
	f->part = NULL;
	free(f->path);
	f->path = strdup(f->cache_path);
	return f->path ? 0 : -ENOMEM;
}

void ctmod_fetched_release(struct ctmod_fetched *f)
{
	if (f->part && !f->part_was_there)
		unlink(f->part);
	free(f->source);
	free(f->path);
	free(f->cache_path);
	free(f->part);
	memset(f, 0, sizeof(*f));
}
