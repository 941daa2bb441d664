// SPDX-License-Identifier: GPL-2.0-only
/*
 * hammer - read a PTP clock hard and count every outcome, for the
 * reliability scenarios. Results are key=value pairs on one line.
 *
 *   hammer check DEV N [TOL_MS [RATE]]
 *        N readings, alternately clock_gettime and PTP_SYS_OFFSET_EXTENDED
 *        with one sample (each exactly one hypercall), optionally paced to
 *        RATE readings a second. Every success is judged: it must be newer
 *        than the previous one (never stale) and within TOL_MS (default
 *        500) of where the first reading put the clock against the system
 *        time (never made up). Counts outcomes by errno, and the longest
 *        run of consecutive EIO.
 *
 *   hammer readers NPROC MAX_S STOPFILE [NAP_US [eager]]
 *        NPROC reader processes, each finding the clock named ptp_vmw in
 *        /sys/class/ptp once its driver has finished registering it (the
 *        driver's statistics directory, which the driver core adds only
 *        after probe has returned, is there), opening it and reading it
 *        (clock_gettime and
 *        PTP_SYS_OFFSET_EXTENDED with 1-5 samples, alternately) until
 *        STOPFILE exists or MAX_S seconds have passed. A reader whose clock
 *        vanishes (ENODEV) closes it and looks for the clock again. Counts
 *        readings by outcome (success, ENODEV, EIO, anything else) and open
 *        attempts by outcome. NAP_US (default 0) paces each reader: it sleeps
 *        that long after every reading. "eager" opens the clock as soon as
 *        its /dev node exists, even while it is still being registered:
 *        Linux 6.1 and 6.12 publish the node before posix_clock_register()
 *        has set the clock's device, and an open in that window takes no
 *        reference that its close then drops (refcount underflow, then a
 *        use-after-free); "eager" reproduces that kernel bug.
 *
 *   hammer steps DEV N
 *        N triples: host time straight from the backdoor, the driver's
 *        reading, the backdoor again (root only: iopl). A driver that says
 *        exactly what the host says reads between the two backdoor answers
 *        ("consistent"); a triple the host stepped its clock in the middle of
 *        is "straddled"; anything else is "inconsistent". Also reports the
 *        clock's offset from the system time at the end.
 *
 * Exit status: 0 when the run completed (judging the counts is the
 * scenario's business), 1 when it could not run, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/ptp_clock.h>

#include "tools.h"

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "unknown";
}

/*
 * read_once() - one reading of the clock, one hypercall.
 * @fd:    the open clock
 * @ext:   0: clock_gettime; 1: PTP_SYS_OFFSET_EXTENDED, one sample
 * @phc:   receives the clock's time
 * @sys:   receives the system time (CLOCK_REALTIME) at the reading
 *
 * Return: 0 or the errno of the failed call.
 */
static int read_once(int fd, int ext, int64_t *phc, int64_t *sys)
{
	if (ext) {
		struct ptp_sys_offset_extended so;

		memset(&so, 0, sizeof(so));
		so.n_samples = 1;
		if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &so))
			return errno;
		*phc = pct_ns(&so.ts[0][1]);
		*sys = pct_ns(&so.ts[0][0]) / 2 + pct_ns(&so.ts[0][2]) / 2;
	} else {
		struct timespec t;
		int64_t pre, post;

		pre = now_ns(CLOCK_REALTIME);
		if (clock_gettime(FD_TO_CLOCKID(fd), &t))
			return errno;
		post = now_ns(CLOCK_REALTIME);
		*phc = ts_ns(&t);
		*sys = pre / 2 + post / 2;
	}
	return 0;
}

/* ---- check ------------------------------------------------------------ */

static int do_check(const char *dev, long n, int64_t tol_ns, long rate)
{
	long i, ok = 0, eio = 0, enodev = 0, other = 0, stale = 0, wild = 0;
	long run = 0, longest = 0, first_eio = 0;
	int64_t phc, sys, off0 = 0, dev_max = 0, last = INT64_MIN, d;
	int64_t start, gap = rate > 0 ? NSEC_PER_SEC / rate : 0;
	int fd, e, other_errno = 0;

	fd = open(dev, O_RDONLY);
	if (fd < 0) {
		printf("op=check ok=0 err=%s\n", errname(errno));
		return 1;
	}
	start = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		if (gap) {
			int64_t due = start + i * gap, now = now_ns(CLOCK_MONOTONIC);

			if (due > now) {
				struct timespec s = { (due - now) / NSEC_PER_SEC,
						      (due - now) % NSEC_PER_SEC };

				nanosleep(&s, NULL);
			}
		}
		e = read_once(fd, i & 1, &phc, &sys);
		if (e) {
			if (e == EIO) {
				eio++;
				if (!first_eio)
					first_eio = i + 1;
				if (++run > longest)
					longest = run;
			} else if (e == ENODEV) {
				enodev++;
			} else {
				other++;
				other_errno = e;
			}
			continue;
		}
		run = 0;
		ok++;
		if (phc <= last)
			stale++;
		last = phc;
		if (ok == 1)
			off0 = phc - sys;
		d = llabs(phc - sys - off0);
		if (d > dev_max)
			dev_max = d;
		if (d > tol_ns)
			wild++;
	}
	close(fd);
	printf("op=check reads=%ld success=%ld eio=%ld enodev=%ld other=%ld other_err=%s stale=%ld wild=%ld max_dev_ns=%lld first_eio_at=%ld eio_longest_run=%ld elapsed_ms=%lld\n",
	       n, ok, eio, enodev, other, other ? errname(other_errno) : "none",
	       stale, wild, (long long)dev_max, first_eio, longest,
	       (long long)((now_ns(CLOCK_MONOTONIC) - start) / 1000000));
	return 0;
}

/* ---- readers ---------------------------------------------------------- */

/* What one reader counted; the children share them with the parent. */
struct tally {
	long reads, success, enodev, eio, other;
	long opens, open_ok, open_enoent, open_enodev, open_enxio, open_other;
	int other_errno, open_other_errno;
};

/*
 * The /dev node of the clock named ptp_vmw, or "" if there is none (or, unless
 * eager, if the driver's probe has not returned yet).
 */
static void find_clock(char *path, size_t len, int eager)
{
	char name[64], file[300];
	struct dirent *de;
	DIR *d;
	FILE *f;

	path[0] = '\0';
	d = opendir("/sys/class/ptp");
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "ptp", 3))
			continue;
		snprintf(file, sizeof(file), "/sys/class/ptp/%s/clock_name", de->d_name);
		f = fopen(file, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && !strcmp(name, "ptp_vmw\n")) {
			snprintf(file, sizeof(file), "/sys/class/ptp/%s/device/statistics",
				 de->d_name);
			if (eager || !access(file, F_OK))
				snprintf(path, len, "/dev/%s", de->d_name);
		}
		fclose(f);
		if (path[0])
			break;
	}
	closedir(d);
}

static void reader(struct tally *t, int64_t deadline, const char *stopfile,
		   long nap_us, int eager)
{
	struct ptp_sys_offset_extended so;
	struct timespec ts, nap = { 0, 1000000 };
	struct timespec pace = { nap_us / 1000000, nap_us % 1000000 * 1000 };
	char path[300];
	unsigned int k = 0;
	int fd = -1, r;

	while (now_ns(CLOCK_MONOTONIC) < deadline) {
		if ((k++ & 63) == 0 && !access(stopfile, F_OK))
			break;
		if (fd < 0) {
			find_clock(path, sizeof(path), eager);
			if (!path[0]) {
				nanosleep(&nap, NULL);
				continue;
			}
			t->opens++;
			fd = open(path, O_RDONLY);
			if (fd < 0) {
				if (errno == ENOENT)
					t->open_enoent++;
				else if (errno == ENODEV)
					t->open_enodev++;
				else if (errno == ENXIO)
					t->open_enxio++;
				else {
					t->open_other++;
					t->open_other_errno = errno;
				}
				nanosleep(&nap, NULL);
				continue;
			}
			t->open_ok++;
		}
		if (k & 1) {
			r = clock_gettime(FD_TO_CLOCKID(fd), &ts);
		} else {
			memset(&so, 0, sizeof(so));
			so.n_samples = 1 + k % 5;
			r = ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &so);
		}
		t->reads++;
		if (!r) {
			t->success++;
		} else if (errno == ENODEV) {
			t->enodev++;
			close(fd);
			fd = -1;
		} else if (errno == EIO) {
			t->eio++;
		} else {
			t->other++;
			t->other_errno = errno;
		}
		if (nap_us)
			nanosleep(&pace, NULL);
	}
	if (fd >= 0)
		close(fd);
}

static int do_readers(int nproc, long max_s, const char *stopfile, long nap_us,
		      int eager)
{
	struct tally *t, sum;
	int i, status, crashed = 0;
	pid_t pid;

	t = mmap(NULL, sizeof(*t) * nproc, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		perror("hammer readers: mmap");
		return 1;
	}
	memset(t, 0, sizeof(*t) * nproc);
	for (i = 0; i < nproc; i++) {
		pid = fork();
		if (pid < 0) {
			perror("hammer readers: fork");
			return 1;
		}
		if (pid == 0) {
			reader(&t[i], now_ns(CLOCK_MONOTONIC) + max_s * NSEC_PER_SEC,
			       stopfile, nap_us, eager);
			_exit(0);
		}
	}
	for (i = 0; i < nproc; i++) {
		if (wait(&status) < 0)
			break;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			crashed++;
	}
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < nproc; i++) {
		sum.reads += t[i].reads;
		sum.success += t[i].success;
		sum.enodev += t[i].enodev;
		sum.eio += t[i].eio;
		sum.other += t[i].other;
		sum.opens += t[i].opens;
		sum.open_ok += t[i].open_ok;
		sum.open_enoent += t[i].open_enoent;
		sum.open_enodev += t[i].open_enodev;
		sum.open_enxio += t[i].open_enxio;
		sum.open_other += t[i].open_other;
		if (t[i].other)
			sum.other_errno = t[i].other_errno;
		if (t[i].open_other)
			sum.open_other_errno = t[i].open_other_errno;
	}
	printf("op=readers procs=%d eager=%d crashed=%d reads=%ld success=%ld enodev=%ld eio=%ld other=%ld other_err=%s opens=%ld open_ok=%ld open_enoent=%ld open_enodev=%ld open_enxio=%ld open_other=%ld open_other_err=%s\n",
	       nproc, eager, crashed, sum.reads, sum.success, sum.enodev, sum.eio,
	       sum.other, sum.other ? errname(sum.other_errno) : "none",
	       sum.opens, sum.open_ok, sum.open_enoent, sum.open_enodev,
	       sum.open_enxio, sum.open_other,
	       sum.open_other ? errname(sum.open_other_errno) : "none");
	return 0;
}

/* ---- steps ------------------------------------------------------------ */

/* The host's time straight from the backdoor; 0 if the host refused. */
static int64_t backdoor_ns(void)
{
	uint64_t ns;

	return backdoor_gettime(&ns) ? 0 : (int64_t)ns;
}

static int do_steps(const char *dev, long n)
{
	long i, consistent = 0, straddled = 0, inconsistent = 0, failed = 0;
	int64_t b1, b2, phc = 0, sys = 0;
	int fd;

	if (iopl(3)) {
		perror("hammer steps: iopl");
		return 1;
	}
	fd = open(dev, O_RDONLY);
	if (fd < 0) {
		printf("op=steps ok=0 err=%s\n", errname(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		b1 = backdoor_ns();
		if (read_once(fd, i & 1, &phc, &sys)) {
			failed++;
			continue;
		}
		b2 = backdoor_ns();
		if (!b1 || !b2)
			failed++;
		else if (b1 <= phc && phc <= b2)
			consistent++;
		else if (llabs(b2 - b1) > NSEC_PER_SEC)
			straddled++;
		else
			inconsistent++;
	}
	close(fd);
	printf("op=steps triples=%ld consistent=%ld straddled=%ld inconsistent=%ld failed=%ld phc_minus_sys_ns=%lld\n",
	       n, consistent, straddled, inconsistent, failed, (long long)(phc - sys));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "check"))
		return do_check(argv[2], atol(argv[3]),
				(argc > 4 ? atoll(argv[4]) : 500) * 1000000LL,
				argc > 5 ? atol(argv[5]) : 0);
	if (argc >= 5 && !strcmp(argv[1], "readers"))
		return do_readers(atoi(argv[2]), atol(argv[3]), argv[4],
				  argc > 5 ? atol(argv[5]) : 0,
				  argc > 6 && !strcmp(argv[6], "eager"));
	if (argc >= 4 && !strcmp(argv[1], "steps"))
		return do_steps(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: hammer check DEV N [TOL_MS [RATE]] | readers NPROC MAX_S STOPFILE [NAP_US [eager]] | steps DEV N\n");
	return 2;
}
