// SPDX-License-Identifier: GPL-2.0-only
/*
 * nocap - run a command as root, but without CAP_SYS_TIME.
 *
 *   nocap CMD [ARG...]
 *
 * Drops CAP_SYS_TIME from the capability bounding set, so that the exec of
 * CMD (still uid 0) cannot get it back, and from this process's own sets,
 * then execs CMD. It is what a service gets with systemd's
 * CapabilityBoundingSet=~CAP_SYS_TIME, or a container's root: uid 0 and
 * write access to every node, but not the right to set the time. Busybox
 * has no capsh or setpriv that can do this.
 *
 * Exit status: CMD's; 126 when the capability cannot be dropped or CMD
 * cannot be run (with one line on stderr saying why), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

/* Clear CAP_SYS_TIME in the effective, permitted and inheritable sets. */
static int drop_from_own_sets(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned int word = CAP_TO_INDEX(CAP_SYS_TIME);
	unsigned int bit = CAP_TO_MASK(CAP_SYS_TIME);

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[word].effective &= ~bit;
	data[word].permitted &= ~bit;
	data[word].inheritable &= ~bit;
	return syscall(SYS_capset, &hdr, data);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: nocap CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0)) {
		fprintf(stderr, "nocap: PR_CAPBSET_DROP: %s\n", strerror(errno));
		return 126;
	}
	/* The ambient set cannot hold what the inheritable set lacks. */
	if (drop_from_own_sets()) {
		fprintf(stderr, "nocap: capset: %s\n", strerror(errno));
		return 126;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "nocap: %s: %s\n", argv[1], strerror(errno));
	return 126;
}
