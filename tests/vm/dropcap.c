// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dropcap CMD...: run CMD as root without CAP_SYS_MODULE (gone from the
 * bounding, effective, permitted and inheritable sets), the way a
 * non-privileged container runs.  Busybox's setpriv cannot do this.
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

	if (argc < 2) {
		fprintf(stderr, "usage: dropcap CMD...\n");
		return 2;
	}
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE, 0, 0, 0) < 0 || syscall(SYS_capget, &h, d) < 0) {
		perror("dropcap");
		return 1;
	}
	d[0].effective &= ~(1u << CAP_SYS_MODULE);
	d[0].permitted &= ~(1u << CAP_SYS_MODULE);
	d[0].inheritable &= ~(1u << CAP_SYS_MODULE);
	if (syscall(SYS_capset, &h, d) < 0) {
		perror("dropcap: capset");
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror("dropcap: exec");
	return 127;
}
