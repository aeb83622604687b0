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
	memset(sg, 0, sizeof(*sg));
}

/*
 * framework.conf and framework.conf.d/ *.conf are bash, like dkms.conf:
 * bash reads them, in DKMS's order, and prints the four signing values.
 */
static int read_framework(struct ctmod_ctx *ctx, char out[4][PATH_MAX])
{
	_cleanup_free_ char *etc = ctmod_path(ctx, "/etc/dkms");
	if (!etc)
		return -ENOMEM;
	char tmpl[] = "/tmp/ctmod-sign.XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return ctmod_fail(ctx, -errno, NULL, "mkstemp: %m");
	unlink(tmpl);
	char *argv[] = {"bash",
	                "--norc",
	                "--noprofile",
	                "-c",
	                "for f in \"$1/framework.conf\" \"$1\"/framework.conf.d/*.conf; do "
	                "[ -f \"$f\" ] && . \"$f\" >/dev/null 2>&1; done; "
	                "printf '%s\\n%s\\n%s\\n%s\\n' \"$mok_signing_key\" \"$mok_certificate\" "
	                "\"$sign_file\" \"$try_sign_modules\" >&2",
	                "bash",
	                etc,
	                NULL};
	int st = run_process(argv, NULL, -1, -1, fd);
	char buf[4 * PATH_MAX + 8] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	char *p = buf;
	for (int i = 0; i < 4; i++) {
		size_t l = strcspn(p, "\n");
		snprintf(out[i], PATH_MAX, "%.*s", (int)l, p);
		p += l + (p[l] == '\n');
	}
	return st == 0
	           ? 0
	           : ctmod_fail(ctx, -EIO, "install bash", "cannot read %s/framework.conf", etc);
}

/* DKMS's own pair, made once with openssl as DKMS makes it (never replaced once both exist) */
static int make_key(struct ctmod_ctx *ctx, const char *key, const char *cert)
{
	if (exists(key) && exists(cert))
		return 0;
	_cleanup_free_ char *kdir = strdup(key), *cdir = strdup(cert);
	if (!kdir || !cdir)
		return -ENOMEM;
	char *s1 = strrchr(kdir, '/'), *s2 = strrchr(cdir, '/');
	if (s1)
		*s1 = '\0';
	if (s2)
		*s2 = '\0';
	mkdir_p(kdir, 0755);
	mkdir_p(cdir, 0755);
	char *argv[] = {"openssl",   "req",        "-new",
	                "-x509",     "-nodes",     "-days",
	                "36500",     "-subj",      "/CN=DKMS module signing key",
	                "-newkey",   "rsa:2048",   "-keyout",
	                (char *)key, "-outform",   "DER",
	                "-out",      (char *)cert, NULL};
	mode_t old = umask(077);
	int st = run_process(argv, NULL, -1, -1, -1);
	umask(old);
	if (st != 0 || !exists(key) || !exists(cert))
		return ctmod_fail(
		    ctx, -EIO,
		    "install openssl, or set mok_signing_key/mok_certificate in /etc/dkms/framework.conf (or build --no-sign)",
		    "cannot create the module signing key %s and certificate %s", key, cert);
	chmod(cert, 0644);
	return 0;
}

int ctmod_build_signing_prepare(struct ctmod_ctx *ctx, struct build_opts *o)
{
	char fw[4][PATH_MAX];
	if (o->no_sign)
		return 0;
	int r = read_framework(ctx, fw);
	if (r < 0)
		return r;
	if (strcmp(fw[3], "false") == 0)
		return 0; /* "Module signing is disabled by policy" */
	free(o->sign_key);
	free(o->sign_cert);
	free(o->sign_file);
	o->sign_key = ctmod_path(ctx, "%s", *fw[0] ? fw[0] : DKMS_TREE "/mok.key");
	o->sign_cert = ctmod_path(ctx, "%s", *fw[1] ? fw[1] : DKMS_TREE "/mok.pub");
	o->sign_file = *fw[2] ? strdup(fw[2]) : NULL;
	if (!o->sign_key || !o->sign_cert)
		return -ENOMEM;
	if (*fw[0] || *fw[1]) {
		if (!exists(o->sign_key) || !exists(o->sign_cert))
			return ctmod_fail(
			    ctx, -ENOENT,
			    "fix mok_signing_key/mok_certificate in /etc/dkms/framework.conf",
			    "signing key %s or certificate %s missing", o->sign_key, o->sign_cert);
	} else if ((r = make_key(ctx, o->sign_key, o->sign_cert)) < 0)
		return r;
	o->sign_fds[0] = open(o->sign_key, O_RDONLY | O_CLOEXEC);
	o->sign_fds[1] = open(o->sign_cert, O_RDONLY | O_CLOEXEC);
	if (o->sign_fds[0] < 0 || o->sign_fds[1] < 0)
		return ctmod_fail(ctx, -errno, NULL, "cannot open %s or %s: %m", o->sign_key,
		                  o->sign_cert);
	return 0;
}

int ctmod_build_signer_load(struct ctmod_ctx *ctx, const struct build_opts *o, const char *kver,
                            const char *config, struct ctmod_build_signer *sg, char **why_not)
{
	memset(sg, 0, sizeof(*sg));
	*why_not = NULL;
	if (o->no_sign || !o->sign_key) {
		*why_not = strdup(o->no_sign ? "--no-sign: modules won't be signed"
		                             : "module signing is disabled by policy");
		return 0;
	}
	const char *h = config ? strstr(config, "\nCONFIG_MODULE_SIG_HASH=\"") : NULL;
	if (!h) {
		*why_not = strdup("the kernel is built without module signing facility, modules "
		                  "won't be signed");
		return 0;
	}
	_cleanup_free_ char *hd = ctmod_build_headers_dir(ctx, kver);
	sg->hash = strndup(h + 25, strcspn(h + 25, "\""));
	sg->tool = o->sign_file ? strdup(o->sign_file)
	           : hd         ? xasprintf("%s/scripts/sign-file", hd)
	                        : NULL;
	/* through the descriptors the parent holds: the namespace may hide the paths */
	sg->key = o->sign_fds[0] > 0 ? xasprintf("/proc/self/fd/%d", o->sign_fds[0])
	                             : strdup(o->sign_key);
	sg->cert = o->sign_fds[1] > 0 ? xasprintf("/proc/self/fd/%d", o->sign_fds[1])
	                              : strdup(o->sign_cert);
	sg->fds[0] = o->sign_fds[0];
	sg->fds[1] = o->sign_fds[1];
	if (!sg->hash || !sg->tool || !sg->key || !sg->cert) {
		ctmod_build_signer_release(sg);
		return -ENOMEM;
	}
	if (access(sg->tool, X_OK) < 0) {
		*why_not = xasprintf("binary %s not found, modules won't be signed", sg->tool);
		ctmod_build_signer_release(sg);
	}
	return 0;
}

/* strip -g (unless STRIP[#]=no) and sign one kept module in place, as DKMS 3 does at build */
int ctmod_build_finish_module(struct ctmod_ctx *ctx, const char *ko, bool strip,
                              const struct ctmod_build_signer *sg, int logfd)
{
	if (strip) {
		char *st[] = {"strip", "-g", (char *)ko, NULL};
		if (run_argv(st, NULL, -1, logfd) != 0)
			return ctmod_fail(ctx, -EIO, "install binutils", "strip -g %s failed", ko);
	}
	if (sg && sg->key) {
		dprintf(logfd, "Signing module %s\n", ko);
		char *sf[] = {sg->tool, sg->hash, sg->key, sg->cert, (char *)ko, NULL};
		/* sign-file inherits the two descriptors, and only sign-file */
		for (int i = 0; i < 2; i++)
			if (sg->fds[i] > 0)
				fcntl(sg->fds[i], F_SETFD, 0);
		int st = run_argv(sf, NULL, -1, logfd);
		for (int i = 0; i < 2; i++)
			if (sg->fds[i] > 0)
				fcntl(sg->fds[i], F_SETFD, FD_CLOEXEC);
		if (st != 0)
			return ctmod_fail(ctx, -EIO, "check the key, certificate and sign-file",
			                  "%s could not sign %s", sg->tool, ko);
	}
	return 0;
}

/* copy (already stripped and signed), compress, rename: one module into dir */
int ctmod_build_install_module(struct ctmod_ctx *ctx, const char *built, const char *dir,
                               const char *live, const char *dest_name, const char *suffix,
                               int logfd, char **installed)
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
