// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nocap PROG ARGS...: run PROG as root but without CAP_SYS_MODULE in the
 * bounding, permitted, effective and inheritable sets, the way a container
 * runtime starts an unprivileged container.  Static, for the test guest.
 */
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	int word = CAP_SYS_MODULE / 32;
	unsigned bit = 1u << (CAP_SYS_MODULE % 32);

	if (argc < 2) {
		fprintf(stderr, "usage: nocap PROG ARGS...\n");
		return 2;
	}
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE, 0, 0, 0) < 0 || syscall(SYS_capget, &h, d) < 0) {
		perror("nocap");
		return 1;
	}
	d[word].effective &= ~bit;
	d[word].permitted &= ~bit;
	d[word].inheritable &= ~bit;
	if (syscall(SYS_capset, &h, d) < 0) {
		perror("nocap: capset");
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
