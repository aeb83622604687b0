// SPDX-License-Identifier: LGPL-2.1-or-later
/* One built module put in place: stripped, signed, compressed like the kernel's own */
#include "build-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"

const char *ctmod_build_compress_suffix(struct ctmod_ctx *ctx, const char *kver)
{
	/* as DKMS: the suffix of the modules already in modules.dep */
	_cleanup_free_ char *dep = ctmod_path(ctx, "/lib/modules/%s/modules.dep", kver);
	_cleanup_fclose_ FILE *f = dep ? fopen(dep, "re") : NULL;
	char line[4096];
	if (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		if (c) {
			*c = '\0';
			const struct compression *z = compression_by_suffix(line);
			return z ? z->suffix : "";
		}
	}
	/* no modules.dep yet: the kernel's configuration says */
	_cleanup_free_ char *h = ctmod_build_headers_dir(ctx, kver);
	_cleanup_free_ char *cfg = h ? xasprintf("%s/.config", h) : NULL;
	_cleanup_free_ char *txt = NULL;
	size_t len;
	const struct compression *z = NULL;
	if (cfg && read_file(cfg, 16u << 20, &txt, &len) == 0)
		z = compression_by_config(txt);
	return z ? z->suffix : "";
}

void ctmod_build_signer_release(struct ctmod_build_signer *sg)
{
	free(sg->key);
	free(sg->cert);
	free(sg->tool);
	free(sg->hash);
}

/* framework.conf is bash, like dkms.conf: bash reads it */
int ctmod_build_signer_load(struct ctmod_ctx *ctx, const char *ksrc, const char *config,
                            struct ctmod_build_signer *sg)
{
	memset(sg, 0, sizeof(*sg));
	_cleanup_free_ char *fw = ctmod_path(ctx, "/etc/dkms/framework.conf");
	if (!fw || !exists(fw))
		return 0;
	char tmpl[] = "/tmp/ctmod-sign.XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return ctmod_fail(ctx, -errno, NULL, "mkstemp: %m");
	unlink(tmpl);
	char *argv[] = {"bash",
	                "--norc",
	                "--noprofile",
	                "-c",
	                ". \"$1\" >/dev/null 2>&1; printf '%s\\n%s\\n%s\\n' "
	                "\"$mok_signing_key\" \"$mok_certificate\" \"$sign_file\" >&3",
	                "bash",
	                fw,
	                NULL};
	struct spawn_opts so = SPAWN_OPTS_INIT;
	so.fd3 = fd;
	spawn_run(argv, &so);
	char buf[3 * PATH_MAX] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	char *save = NULL, *key = strtok_r(buf, "\n", &save);
	char *cert = key ? strtok_r(NULL, "\n", &save) : NULL;
	char *tool = cert ? strtok_r(NULL, "\n", &save) : NULL;
	if (!key || !cert || !*key || !*cert)
		return 0; /* not configured: unsigned, as the kernel allows */
	sg->key = ctmod_path(ctx, "%s", key);
	sg->cert = ctmod_path(ctx, "%s", cert);
	sg->tool = tool && *tool ? strdup(tool) : xasprintf("%s/scripts/sign-file", ksrc);
	const char *h = config ? strstr(config, "\nCONFIG_MODULE_SIG_HASH=\"") : NULL;
	sg->hash = h ? strndup(h + 25, strcspn(h + 25, "\"")) : strdup("sha512");
	if (!sg->key || !sg->cert || !sg->tool || !sg->hash)
		return -ENOMEM;
	if (!exists(sg->key) || !exists(sg->cert))
		return ctmod_fail(ctx, -ENOENT, "fix mok_signing_key/mok_certificate",
		                  "%s: signing key %s or certificate %s missing", fw, sg->key,
		                  sg->cert);
	return 0;
}

/* copy, strip, sign, compress, rename: one module into dir */
int ctmod_build_install_module(struct ctmod_ctx *ctx, const char *built, const char *dir,
                               const char *live, const char *dest_name, bool strip,
                               const struct ctmod_build_signer *sg, const char *suffix, int logfd,
                               char **installed)
{
	_cleanup_free_ char *tmp = xasprintf("%s/.%s.ko.ctmod-tmp", dir, dest_name);
	_cleanup_free_ char *ztmp = xasprintf("%s/.%s.ko%s.ctmod-tmp", dir, dest_name, suffix);
	_cleanup_free_ char *final = xasprintf("%s/%s.ko%s", dir, dest_name, suffix);
	if (!tmp || !ztmp || !final)
		return -ENOMEM;
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = read_file(built, 256u << 20, &data, &len);
	if (r < 0)
		return ctmod_fail(ctx, r, "build it again", "install: cannot read %s: %s", built,
		                  strerror(-r));
	if ((r = write_file_atomic(tmp, data, len, 0644)) < 0)
		return ctmod_fail(
		    ctx, r, "free some space or fix the target; nothing was installed",
		    "install: cannot write %s/%s.ko: %s", live, dest_name, strerror(-r));
	if (strip) {
		char *st[] = {"strip", "-g", tmp, NULL};
		if (run_argv(st, NULL, -1, logfd) != 0) {
			unlink(tmp);
			return ctmod_fail(ctx, -EIO, "install binutils, or free some space there",
			                  "install: strip -g %s failed", built);
		}
	}
	if (sg && sg->key) {
		char *sf[] = {sg->tool, sg->hash, sg->key, sg->cert, tmp, NULL};
		if (run_argv(sf, NULL, -1, logfd) != 0) {
			unlink(tmp);
			return ctmod_fail(ctx, -EIO, "check the key, certificate and sign-file",
			                  "install: %s could not sign %s", sg->tool, built);
		}
	}
	const char *src = tmp;
	if (*suffix) {
		const struct compression *z = compression_by_suffix(suffix);
		_cleanup_strv_ struct strv argv = STRV_INIT;
		for (size_t i = 0; z->compress_argv[i]; i++)
			strv_push(&argv, z->compress_argv[i]);
		strv_push(&argv, tmp);
		int fd = open(ztmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return ctmod_fail(ctx, -errno, NULL, "install: %s: %m", ztmp);
		struct spawn_opts so = SPAWN_OPTS_INIT;
		so.out = fd;
		so.err = logfd;
		int st = spawn_run(argv.v, &so);
		close(fd);
		unlink(tmp);
		if (st != 0) {
			unlink(ztmp);
			return ctmod_fail(ctx, -EIO, NULL, "install: %s compression of %s failed",
			                  argv.v[0], built);
		}
		src = ztmp;
	}
	if (rename(src, final) < 0) {
		int e = -errno;
		unlink(src);
		return ctmod_fail(ctx, e, NULL, "install: rename to %s: %s", final, strerror(-e));
	}
	/* the name it has once the staged directory is in place */
	*installed = xasprintf("%s/%s.ko%s", live, dest_name, suffix);
	return *installed ? 0 : -ENOMEM;
}
