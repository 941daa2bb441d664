// SPDX-License-Identifier: GPL-2.0-only
/*
 * guestctl - small things the guest's busybox cannot do.
 *
 *   guestctl now                 CLOCK_REALTIME in ns (busybox date has no %N)
 *   guestctl shift NS            step the system clock by NS nanoseconds
 *   guestctl backdoor N          N precision-clock GETTIME calls straight from
 *                                user space (iopl + inl): the cost floor of a
 *                                reading, and the host's answer without any
 *                                driver in between
 *   guestctl exit CODE           leave QEMU through isa-debug-exit (port 0xf4)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <time.h>

#include "tools.h"


int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "now")) {
		printf("%lld\n", (long long)now_ns(CLOCK_REALTIME));
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "shift")) {
		int64_t t = now_ns(CLOCK_REALTIME) + strtoll(argv[2], NULL, 0);
		struct timespec ts = { t / 1000000000LL, t % 1000000000LL };

		if (clock_settime(CLOCK_REALTIME, &ts)) {
			perror("guestctl shift");
			return 1;
		}
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "backdoor")) {
		long n = strtol(argv[2], NULL, 0), i, failed = 0;
		uint32_t status = 0;
		uint64_t ns = 0;
		int64_t a, b, host = 0, sys;

		if (iopl(3)) {
			perror("guestctl backdoor: iopl");
			return 1;
		}
		a = now_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			status = backdoor_gettime(&ns);
			if (status)
				failed++;
		}
		b = now_ns(CLOCK_MONOTONIC);
		sys = now_ns(CLOCK_REALTIME);
		if (!status)
			host = (int64_t)ns;
		printf("op=backdoor calls=%ld failed=%ld last_status=0x%08x host_ns=%lld sys_ns=%lld ns_per_call=%lld\n",
		       n, failed, status, (long long)host, (long long)sys,
		       (long long)(n ? (b - a) / n : 0));
		return failed ? 1 : 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "exit")) {
		if (ioperm(0xf4, 4, 1)) {
			perror("guestctl exit: ioperm");
			return 1;
		}
		outb((unsigned char)atoi(argv[2]), 0xf4);
		return 1;	/* not reached when the device is there */
	}
	fprintf(stderr, "usage: guestctl now | shift NS | backdoor N | exit CODE\n");
	return 2;
}
