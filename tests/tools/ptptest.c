// SPDX-License-Identifier: GPL-2.0-only
/*
 * ptptest - what phc_ctl cannot tell: one PTP clock operation per call,
 * results as key=value pairs on one line, for the guest's scenario scripts.
 *
 *   ptptest caps     DEV          PTP_CLOCK_GETCAPS
 *   ptptest get      DEV          clock_gettime on the PHC
 *   ptptest sysoff   DEV N        PTP_SYS_OFFSET with N samples
 *   ptptest sysoffx  DEV N        PTP_SYS_OFFSET_EXTENDED with N samples
 *   ptptest precise  DEV          PTP_SYS_OFFSET_PRECISE
 *   ptptest readloop DEV N        N clock_gettime calls; counts by outcome
 *   ptptest settime  DEV          try to set the PHC (to its own time)
 *   ptptest adjtime  DEV          try to step the PHC by +1 s
 *   ptptest adjfreq  DEV PPB      try to change the PHC's frequency
 *
 * Exit status: 0 when the operation succeeded, 1 when it failed (the errno
 * name is printed as err=NAME), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include <linux/ptp_clock.h>

#include "tools.h"

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Summarise N brackets [pre, post] around PHC readings: width statistics,
 * whether every bracket is ordered, and, for the narrowest bracket, the PHC
 * reading, the system time at the bracket's midpoint and their difference.
 */
static void brackets(const char *op, int n, const int64_t *pre,
		     const int64_t *phc, const int64_t *post)
{
	int64_t w[PTP_MAX_SAMPLES], best = 0;
	int i, ordered = 1, ibest = 0;

	for (i = 0; i < n; i++) {
		w[i] = post[i] - pre[i];
		if (w[i] < 0)
			ordered = 0;
		if (i == 0 || w[i] < w[ibest])
			ibest = i;
	}
	best = phc[ibest] - (pre[ibest] + w[ibest] / 2);
	qsort(w, n, sizeof(w[0]), cmp64);
	printf("op=%s ok=1 samples=%d ordered=%d width_min_ns=%lld width_median_ns=%lld width_max_ns=%lld phc_minus_sys_ns=%lld phc_ns=%lld sys_ns=%lld\n",
	       op, n, ordered, (long long)w[0], (long long)w[n / 2],
	       (long long)w[n - 1], (long long)best, (long long)phc[ibest],
	       (long long)(phc[ibest] - best));
}

static int do_sysoff(int fd, int n)
{
	struct ptp_sys_offset so;
	int64_t pre[PTP_MAX_SAMPLES], phc[PTP_MAX_SAMPLES], post[PTP_MAX_SAMPLES];
	int i;

	memset(&so, 0, sizeof(so));
	so.n_samples = n;
	if (ioctl(fd, PTP_SYS_OFFSET, &so))
		return op_fail("sysoff");
	for (i = 0; i < n; i++) {
		pre[i] = pct_ns(&so.ts[2 * i]);
		phc[i] = pct_ns(&so.ts[2 * i + 1]);
		post[i] = pct_ns(&so.ts[2 * i + 2]);
	}
	brackets("sysoff", n, pre, phc, post);
	return 0;
}

static int do_sysoffx(int fd, int n)
{
	struct ptp_sys_offset_extended so;
	int64_t pre[PTP_MAX_SAMPLES], phc[PTP_MAX_SAMPLES], post[PTP_MAX_SAMPLES];
	int i;

	memset(&so, 0, sizeof(so));
	so.n_samples = n;
	if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &so))
		return op_fail("sysoffx");
	for (i = 0; i < n; i++) {
		pre[i] = pct_ns(&so.ts[i][0]);
		phc[i] = pct_ns(&so.ts[i][1]);
		post[i] = pct_ns(&so.ts[i][2]);
	}
	brackets("sysoffx", n, pre, phc, post);
	return 0;
}

static int do_readloop(clockid_t clk, long n)
{
	long ok = 0, eio = 0, enodev = 0, other = 0, i;
	struct timespec t, a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		if (!clock_gettime(clk, &t))
			ok++;
		else if (errno == EIO)
			eio++;
		else if (errno == ENODEV)
			enodev++;
		else
			other++;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("op=readloop ok=%d reads=%ld success=%ld eio=%ld enodev=%ld other=%ld elapsed_ns=%lld\n",
	       ok == n, n, ok, eio, enodev, other, (long long)(ts_ns(&b) - ts_ns(&a)));
	return ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct ptp_clock_caps caps;
	struct timespec t;
	struct timex tx;
	clockid_t clk;
	int fd, n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: ptptest caps|get|sysoff|sysoffx|precise|readloop|settime|adjtime|adjfreq DEV [N]\n");
		return 2;
	}
	fd = open(argv[2], strcmp(argv[1], "settime") && strcmp(argv[1], "adjtime") &&
		  strcmp(argv[1], "adjfreq") ? O_RDONLY : O_RDWR);
	if (fd < 0)
		return op_fail("open");
	clk = FD_TO_CLOCKID(fd);
	if (argc > 3)
		n = atoi(argv[3]);

	if (!strcmp(argv[1], "caps")) {
		memset(&caps, 0, sizeof(caps));
		if (ioctl(fd, PTP_CLOCK_GETCAPS, &caps))
			return op_fail("caps");
		printf("op=caps ok=1 max_adj=%d n_alarm=%d n_ext_ts=%d n_per_out=%d pps=%d n_pins=%d cross_timestamping=%d adjust_phase=%d\n",
		       caps.max_adj, caps.n_alarm, caps.n_ext_ts, caps.n_per_out,
		       caps.pps, caps.n_pins, caps.cross_timestamping,
		       caps.adjust_phase);
		return 0;
	}
	if (!strcmp(argv[1], "get")) {
		if (clock_gettime(clk, &t))
			return op_fail("get");
		printf("op=get ok=1 ns=%lld\n", (long long)ts_ns(&t));
		return 0;
	}
	if (!strcmp(argv[1], "sysoff"))
		return do_sysoff(fd, n);
	if (!strcmp(argv[1], "sysoffx"))
		return do_sysoffx(fd, n);
	if (!strcmp(argv[1], "precise")) {
		struct ptp_sys_offset_precise sp;

		memset(&sp, 0, sizeof(sp));
		if (ioctl(fd, PTP_SYS_OFFSET_PRECISE, &sp))
			return op_fail("precise");
		printf("op=precise ok=1 device_ns=%lld\n", (long long)pct_ns(&sp.device));
		return 0;
	}
	if (!strcmp(argv[1], "readloop"))
		return do_readloop(clk, n);
	if (!strcmp(argv[1], "settime")) {
		if (clock_gettime(clk, &t) || clock_settime(clk, &t))
			return op_fail("settime");
		printf("op=settime ok=1\n");
		return 0;
	}
	if (!strcmp(argv[1], "adjtime")) {
		memset(&tx, 0, sizeof(tx));
		tx.modes = ADJ_SETOFFSET | ADJ_NANO;
		tx.time.tv_sec = 1;
		if (clock_adjtime(clk, &tx) < 0)
			return op_fail("adjtime");
		printf("op=adjtime ok=1\n");
		return 0;
	}
	if (!strcmp(argv[1], "adjfreq")) {
		memset(&tx, 0, sizeof(tx));
		tx.modes = ADJ_FREQUENCY;
		/* scaled ppm: ppb * 65536 / 1000 */
		tx.freq = (long)((long long)n * 65536 / 1000);
		if (clock_adjtime(clk, &tx) < 0)
			return op_fail("adjfreq");
		printf("op=adjfreq ok=1\n");
		return 0;
	}
	fprintf(stderr, "ptptest: unknown operation %s\n", argv[1]);
	return 2;
}
