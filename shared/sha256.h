/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SHA-256 as 64 lowercase hex digits (libcrypto's EVP digest). */
#pragma once

#include <stddef.h>

/* 0, or -ENOMEM when libcrypto could not set up the digest */
int sha256_hex(const void *data, size_t len, char hex[65]);
/* the digest of what is left to read on fd: 0 or -errno */
int sha256_fd_hex(int fd, char hex[65]);
