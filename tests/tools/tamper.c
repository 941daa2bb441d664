// SPDX-License-Identifier: GPL-2.0-only
/*
 * tamper - try every way a caller could change a PTP clock through its
 * character device, and say how each attempt ended.
 *
 *   tamper DEV
 *
 * Opens DEV read-write if allowed (read-only otherwise) and tries, in order:
 *   settime   clock_settime to the clock's own time
 *   step      clock_adjtime ADJ_SETOFFSET by +1 s
 *   freq0     clock_adjtime ADJ_FREQUENCY 0
 *   freq      clock_adjtime ADJ_FREQUENCY +100 ppb
 *   offset    clock_adjtime ADJ_OFFSET (phase) +1 us
 *   pps       PTP_ENABLE_PPS 1
 *   extts     PTP_EXTTS_REQUEST channel 0, enable
 *   perout    PTP_PEROUT_REQUEST channel 0, 1 s period
 *   pin       PTP_PIN_SETFUNC pin 0 to external timestamping
 * and prints one line: op=tamper open=rw|ro|ERRNO, then NAME=ok or
 * NAME=ERRNO for each attempt, and changed=N, the attempts that succeeded.
 * Exit status: 0 when nothing succeeded, 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include <linux/ptp_clock.h>

#include "tools.h"

static int changed;

/* Print how one attempt ended: ret < 0 means failure with errno. */
static void outcome(const char *name, long ret)
{
	const char *e;

	if (ret >= 0) {
		printf(" %s=ok", name);
		changed++;
		return;
	}
	e = strerrorname_np(errno);
	printf(" %s=%s", name, e ? e : "unknown");
}

static long adj(clockid_t clk, unsigned int modes, long value)
{
	struct timex tx;

	memset(&tx, 0, sizeof(tx));
	tx.modes = modes;
	if (modes & ADJ_SETOFFSET) {
		tx.modes |= ADJ_NANO;
		tx.time.tv_sec = value;
	} else if (modes & ADJ_FREQUENCY) {
		tx.freq = value * 65536 / 1000;		/* ppb to scaled ppm */
	} else {
		tx.modes |= ADJ_NANO;
		tx.offset = value;
	}
	return clock_adjtime(clk, &tx);
}

int main(int argc, char **argv)
{
	struct ptp_extts_request extts;
	struct ptp_perout_request perout;
	struct ptp_pin_desc pin;
	struct timespec ts = { 0, 0 };
	clockid_t clk;
	const char *mode = "rw";
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: tamper DEV\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0 && errno == EACCES) {
		fd = open(argv[1], O_RDONLY);
		mode = "ro";
	}
	if (fd < 0) {
		printf("op=tamper open=%s changed=0\n", strerrorname_np(errno));
		return 0;
	}
	clk = FD_TO_CLOCKID(fd);
	printf("op=tamper open=%s", mode);

	clock_gettime(clk, &ts);
	outcome("settime", clock_settime(clk, &ts));
	outcome("step", adj(clk, ADJ_SETOFFSET, 1));
	outcome("freq0", adj(clk, ADJ_FREQUENCY, 0));
	outcome("freq", adj(clk, ADJ_FREQUENCY, 100));
	outcome("offset", adj(clk, ADJ_OFFSET, 1000));
	outcome("pps", ioctl(fd, PTP_ENABLE_PPS, 1));

	memset(&extts, 0, sizeof(extts));
	extts.index = 0;
	extts.flags = PTP_ENABLE_FEATURE;
	outcome("extts", ioctl(fd, PTP_EXTTS_REQUEST, &extts));

	memset(&perout, 0, sizeof(perout));
	perout.index = 0;
	perout.period.sec = 1;
	outcome("perout", ioctl(fd, PTP_PEROUT_REQUEST, &perout));

	memset(&pin, 0, sizeof(pin));
	pin.index = 0;
	pin.func = PTP_PF_EXTTS;
	outcome("pin", ioctl(fd, PTP_PIN_SETFUNC, &pin));

	printf(" changed=%d\n", changed);
	close(fd);
	return changed ? 1 : 0;
}
