/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Getting a SOURCE onto the local disk: http(s) through libcurl into the
 * cache under ROOT/var/cache/ctmod (redirects, timeouts, retries with
 * backoff, resume, conditional re-download), file:// URLs and plain paths
 * as they are, and a SHA-256 of whatever was obtained.
 *
 * A download is kept as NAME.part until the caller commits it, so a failed
 * install can drop it and leave the cache as it was.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ctx.h"
#include "util.h"

typedef void (*ctmod_progress_fn)(void *data, const char *name, uint64_t now, uint64_t total);

struct ctmod_fetch_opts {
	int retries;        /* further attempts after a transient failure */
	long timeout;       /* seconds to connect, and seconds without a byte (stall) */
	long backoff_ms;    /* first retry delay, doubled each time; 0: 500 ms */
	const char *sha256; /* expected digest (hex) or NULL */
	ctmod_progress_fn progress;
	void *progress_data;
};

struct ctmod_fetched {
	char *source;        /* as given */
	char *path;          /* the local file to read */
	char *cache_path;    /* downloads: where the file lives once committed */
	char *part;          /* downloads: the uncommitted file (== path), or NULL */
	bool downloaded;     /* fetched over the network */
	bool from_cache;     /* the server said the cached copy is current */
	bool part_was_there; /* a partial download from an interrupted run was resumed */
	uint64_t size;
	char sha256[65];
};

bool ctmod_fetch_is_url(const char *s);
/* the last path component of a source (URL or path), malloc'd */
char *ctmod_fetch_basename(const char *source);

/*
 * Obtain SOURCE.  created (may be NULL) collects directories this call
 * created, for the caller's rollback (rmdirs_created()).
 */
int ctmod_fetch(struct ctmod_ctx *ctx, const char *source, const struct ctmod_fetch_opts *o,
                struct strv *created, struct ctmod_fetched *out);
/* Move a finished download into the cache (no-op for local files). */
int ctmod_fetch_commit(struct ctmod_ctx *ctx, struct ctmod_fetched *f);
/* Free; an uncommitted download is deleted unless it resumed an older one. */
void ctmod_fetched_release(struct ctmod_fetched *f);

/* SHA-256 of a file as 64 hex digits + NUL (libcrypto). */
int ctmod_fetch_sha256(const char *path, char hex[65]);
/* valid: 64 hex digits */
bool ctmod_fetch_sha256_valid(const char *hex);
