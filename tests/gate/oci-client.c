// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What runc and crun do with linux.seccomp.listenerPath, reduced to what
 * the agent sees, for tests that start hundreds of "containers" quickly:
 * install a filter with finit_module() as SCMP_ACT_NOTIFY (init_module
 * EPERM), connect to SOCKET, send the notify fd (SCM_RIGHTS) and a
 * container process state JSON (ociVersion, fds, pid, metadata, state),
 * keep the connection open as runc does, and exec COMMAND under the filter.
 *
 *   oci-client [-m METADATA] [-i ID] [-s] [-x] SOCKET COMMAND [ARGS...]
 *     -s   send the JSON in two writes, the fd with the second (a runtime
 *          may split its message)
 *     -x   send garbage instead of the state (a broken runtime)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_with_fd(int s, const char *buf, size_t len, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {(void *)buf, len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.b;
		msg.msg_controllen = sizeof(u.b);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(s, &msg, 0) == (ssize_t)len ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *md = NULL, *id = "oci-client";
	int c, split = 0, garbage = 0;
	while ((c = getopt(argc, argv, "+m:i:sx")) != -1) {
		if (c == 'm')
			md = optarg;
		else if (c == 'i')
			id = optarg;
		else if (c == 's')
			split = 1;
		else if (c == 'x')
			garbage = 1;
		else
			return 2;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: oci-client [-m MD] [-i ID] [-s] [-x] SOCKET COMMAND...\n");
		return 2;
	}
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f || seccomp_rule_add(f, SCMP_ACT_NOTIFY, SCMP_SYS(finit_module), 0) < 0 ||
	    seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(init_module), 0) < 0 ||
	    seccomp_load(f) < 0) {
		fprintf(stderr, "oci-client: seccomp: %s\n", strerror(errno));
		return 125;
	}
	int nfd = seccomp_notify_fd(f);
	int s = socket(AF_UNIX, SOCK_STREAM, 0); /* open in COMMAND, as runc keeps it */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[optind]);
	if (nfd < 0 || s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "oci-client: connect %s: %s\n", argv[optind], strerror(errno));
		return 125;
	}
	char msg[2048];
	int n;
	if (garbage)
		n = snprintf(msg, sizeof(msg), "{\"ociVersion\": [1, 2, ");
	else
		n = snprintf(msg, sizeof(msg),
		             "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":%d,%s%s%s"
		             "\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"%s\",\"status\":"
		             "\"creating\",\"pid\":%d,\"bundle\":\"/tmp/oci-client\"}}",
		             (int)getpid(), md ? "\"metadata\":\"" : "", md ? md : "",
		             md ? "\"," : "", id, (int)getpid());
	int r = split ? send_with_fd(s, msg, 10, -1) || send_with_fd(s, msg + 10, n - 10, nfd)
	              : send_with_fd(s, msg, n, nfd);
	if (r < 0) {
		fprintf(stderr, "oci-client: send: %s\n", strerror(errno));
		return 125;
	}
	close(nfd);
	/* the connection stays open, as runc's does, until COMMAND exits */
	execvp(argv[optind + 1], argv + optind + 1);
	fprintf(stderr, "oci-client: %s: %s\n", argv[optind + 1], strerror(errno));
	return 127;
}
