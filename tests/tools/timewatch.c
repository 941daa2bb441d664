// SPDX-License-Identifier: GPL-2.0-only
/*
 * timewatch - the guest's clock against the host's, over time.
 *
 *   timewatch SECONDS PERIOD_MS
 *
 * Every PERIOD_MS for SECONDS, one line:
 *
 *   t_ms=T host_ns=H sys_ns=S diff_ns=H-S half_ns=B state=N
 *
 * H is the host's time straight from the backdoor (no driver in between:
 * what is measured does not depend on what measures it), S the middle of
 * two reads of the guest's CLOCK_REALTIME, one right before the call and
 * one right after it, and B half the time between those two: the host read
 * its clock somewhere in that bracket, so H - S is exact to within B. Of
 * TRIES such bracketed readings back to back, the narrowest counts (the
 * first after a sleep is the slowest, under emulation by far). N the
 * kernel's time state from adjtimex (0 TIME_OK, 1 TIME_INS, 2 TIME_DEL, 3
 * TIME_OOP, 4 TIME_WAIT, 5 TIME_ERROR): what the guest's kernel does around
 * a leap second. T counts from the first sample on CLOCK_MONOTONIC, which
 * no step moves. A sample whose host calls all fail says host_ns=fail.
 * Ends with
 * "op=timewatch samples=N failed=F".
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <sys/timex.h>
#include <time.h>

#include "tools.h"

/* Readings per sample; the one with the narrowest bracket counts. */
#define TRIES 5

int main(int argc, char **argv)
{
	long seconds, period_ms, samples = 0, failed = 0;
	int64_t start, next, end;

	if (argc != 3) {
		fprintf(stderr, "usage: timewatch SECONDS PERIOD_MS\n");
		return 2;
	}
	seconds = strtol(argv[1], NULL, 0);
	period_ms = strtol(argv[2], NULL, 0);
	if (seconds <= 0 || period_ms <= 0) {
		fprintf(stderr, "timewatch: SECONDS and PERIOD_MS must be positive\n");
		return 2;
	}
	if (iopl(3)) {
		perror("timewatch: iopl");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	start = now_ns(CLOCK_MONOTONIC);
	end = start + seconds * NSEC_PER_SEC;
	for (next = start; next < end; next += period_ms * 1000000LL) {
		struct timespec wake = { next / NSEC_PER_SEC, next % NSEC_PER_SEC };
		struct timex tx = { 0 };
		uint64_t host = 0;
		int64_t sys, before = 0, after = 0;
		int state, got = 0, i;

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL);
		for (i = 0; i < TRIES; i++) {
			int64_t b = now_ns(CLOCK_REALTIME);
			uint64_t h;
			uint32_t st = backdoor_gettime(&h);
			int64_t a = now_ns(CLOCK_REALTIME);

			if (st)
				continue;
			if (!got || a - b < after - before) {
				got = 1;
				host = h;
				before = b;
				after = a;
			}
		}
		sys = got ? before + (after - before) / 2 : now_ns(CLOCK_REALTIME);
		state = adjtimex(&tx);
		samples++;
		if (!got) {
			failed++;
			printf("t_ms=%lld host_ns=fail sys_ns=%lld state=%d\n",
			       (long long)((now_ns(CLOCK_MONOTONIC) - start) / 1000000),
			       (long long)sys, state);
			continue;
		}
		printf("t_ms=%lld host_ns=%llu sys_ns=%lld diff_ns=%lld half_ns=%lld state=%d\n",
		       (long long)((now_ns(CLOCK_MONOTONIC) - start) / 1000000),
		       (unsigned long long)host, (long long)sys,
		       (long long)((int64_t)host - sys),
		       (long long)((after - before + 1) / 2), state);
	}
	printf("op=timewatch samples=%ld failed=%ld\n", samples, failed);
	return failed ? 1 : 0;
}
