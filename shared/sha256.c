// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

static void to_hex(const unsigned char *d, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 0xf];
	}
	hex[64] = '\0';
}

int sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	if (EVP_Digest(data, len, d, &dl, EVP_sha256(), NULL) != 1 || dl != 32)
		return -ENOMEM;
	to_hex(d, hex);
	return 0;
}

int sha256_fd_hex(int fd, char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = 0;
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	static unsigned char buf[1 << 17];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
	}
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	if (r == 0 && (EVP_DigestFinal_ex(md, d, &dl) != 1 || dl != 32))
		r = -ENOMEM;
	if (r == 0)
		to_hex(d, hex);
	EVP_MD_CTX_free(md);
	return r;
}
