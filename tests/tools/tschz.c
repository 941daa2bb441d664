// SPDX-License-Identifier: GPL-2.0-only
/*
 * tschz - this machine's TSC rate in Hz, measured against CLOCK_MONOTONIC_RAW.
 *
 * Runs on the host: under TCG a guest's TSC ticks at the host's rate, so the
 * guest is told that rate (QEMU -cpu tsc-frequency=, read by Linux through
 * the VMware GETHZ call) instead of calibrating it, which under TCG can go
 * wrong by a factor of 20.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

static int64_t raw_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	int64_t t0, t1, hz[5];
	uint64_t c0, c1;
	int i;

	/* Five 50 ms windows; the median resists a preempted one. */
	for (i = 0; i < 5; i++) {
		struct timespec d = { 0, 50000000 };

		t0 = raw_ns();
		c0 = __rdtsc();
		nanosleep(&d, NULL);
		c1 = __rdtsc();
		t1 = raw_ns();
		hz[i] = (int64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
	}
	qsort(hz, 5, sizeof(hz[0]), cmp);
	/* QEMU takes whole kHz. */
	printf("%lld\n", (long long)(hz[2] / 1000 * 1000));
	return 0;
}
