// SPDX-License-Identifier: GPL-2.0-only
/*
 * ptpbench - the measurements behind `make bench`, one per call, each
 * printing key=value lines for tests/bench/report.py.
 *
 *   ptpbench gettime  DEV N        N clock_gettime() calls on the PHC, each
 *                                  timed: cost distribution
 *   ptpbench sysoff   DEV CALLS S  CALLS PTP_SYS_OFFSET ioctls of S samples:
 *                                  per-sample cost and bracket width
 *   ptpbench sysoffx  DEV CALLS S  the same with PTP_SYS_OFFSET_EXTENDED
 *   ptpbench backdoor N            N bare precision-clock calls from user
 *                                  space (iopl + inl, as guestctl does):
 *                                  mean cost of a loop, then the width of a
 *                                  CLOCK_REALTIME bracket around each call
 *   ptpbench timer    N            cost of clock_gettime(CLOCK_MONOTONIC)
 *                                  alone (what timing each reading adds)
 *   ptpbench threads  DEV|backdoor|syscall|spin T MS
 *                                  T reader threads (pinned round-robin to
 *                                  the CPUs) reading for MS milliseconds:
 *                                  aggregate readings per second. Controls
 *                                  without any VM exit: "syscall" (getppid:
 *                                  the kernel entry alone), "spin" (a loop
 *                                  of arithmetic): how far the emulator and
 *                                  the host let vCPUs run in parallel at all
 *   ptpbench truth    SECONDS HZ   host minus system time straight from the
 *                                  backdoor (narrowest of 5 brackets), HZ
 *                                  times a second: one line per sample
 *   ptpbench resetfreq             kernel frequency offset 0, tick nominal
 *
 * A distribution prints two lines: a summary
 *   op=OP dist=NAME n=N min=.. p50=.. p90=.. p99=.. p999=.. max=.. mean=..
 * (nanoseconds), and its quantiles for plotting
 *   op=OP dist=NAME quantiles=PCT:NS,PCT:NS,...
 * Exit status 0 on success, 1 when a call failed (err=NAME), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
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

/* The value below which PERMILLE/1000 of the sorted values lie. */
static int64_t quantile(const int64_t *v, long n, long permille)
{
	long i = (long)((n - 1) * (double)permille / 1000.0 + 0.5);

	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* Summary and quantile lines of N values (sorted in place). */
static void report(const char *op, const char *dist, int64_t *v, long n)
{
	static const long points[] = { 1, 5, 10, 20, 50 };
	long i, p;
	double sum = 0;

	if (n <= 0) {
		printf("op=%s dist=%s n=0\n", op, dist);
		return;
	}
	for (i = 0; i < n; i++)
		sum += (double)v[i];
	qsort(v, n, sizeof(v[0]), cmp64);
	printf("op=%s dist=%s n=%ld min=%lld p50=%lld p90=%lld p99=%lld p999=%lld max=%lld mean=%.1f\n",
	       op, dist, n, (long long)v[0], (long long)quantile(v, n, 500),
	       (long long)quantile(v, n, 900), (long long)quantile(v, n, 990),
	       (long long)quantile(v, n, 999), (long long)v[n - 1], sum / n);
	/* Quantiles in per mille: 0.1 .. 5 %, every 2.5 % up to 95 %, then the tail. */
	printf("op=%s dist=%s quantiles=", op, dist);
	for (i = 0; i < 5; i++)
		printf("%.1f:%lld,", points[i] / 10.0, (long long)quantile(v, n, points[i]));
	for (p = 75; p <= 950; p += 25)
		printf("%.1f:%lld,", p / 10.0, (long long)quantile(v, n, p));
	printf("97.5:%lld,99.0:%lld,99.5:%lld,99.9:%lld,100.0:%lld\n",
	       (long long)quantile(v, n, 975), (long long)quantile(v, n, 990),
	       (long long)quantile(v, n, 995), (long long)quantile(v, n, 999),
	       (long long)v[n - 1]);
}

static int64_t *alloc_values(long n)
{
	int64_t *v = calloc(n > 0 ? n : 1, sizeof(*v));

	if (!v) {
		perror("ptpbench: calloc");
		exit(1);
	}
	return v;
}

/* N timed readings of the PHC; each cost includes one CLOCK_MONOTONIC read. */
static int do_gettime(const char *dev, long n)
{
	int64_t *cost = alloc_values(n), prev, t, start;
	struct timespec ts;
	clockid_t clk;
	long i, failed = 0;
	int fd;

	fd = open(dev, O_RDONLY);
	if (fd < 0)
		return op_fail("gettime");
	clk = FD_TO_CLOCKID(fd);
	start = prev = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		if (clock_gettime(clk, &ts))
			failed++;
		t = now_ns(CLOCK_MONOTONIC);
		cost[i] = t - prev;
		prev = t;
	}
	printf("op=gettime ok=%d reads=%ld failed=%ld elapsed_ns=%lld\n", !failed, n,
	       failed, (long long)(prev - start));
	report("gettime", "cost", cost, n);
	free(cost);
	close(fd);
	return failed ? 1 : 0;
}

/*
 * CALLS ioctls of S samples each. The per-sample cost is the distance between
 * the system timestamps taken before two consecutive samples, measured by the
 * kernel inside one ioctl; the width is post minus pre of each sample.
 */
static int do_sysoff(const char *dev, long calls, int s, int extended)
{
	const char *op = extended ? "sysoffx" : "sysoff";
	int64_t *cost = alloc_values(calls * (s - 1));
	int64_t *width = alloc_values(calls * s);
	int64_t pre[PTP_MAX_SAMPLES], post[PTP_MAX_SAMPLES], t0, total = 0;
	long c, nc = 0, nw = 0, unordered = 0;
	int fd, i;

	if (s < 2 || s > PTP_MAX_SAMPLES) {
		fprintf(stderr, "ptpbench: samples must be 2..%d\n", PTP_MAX_SAMPLES);
		return 2;
	}
	fd = open(dev, O_RDONLY);
	if (fd < 0)
		return op_fail(op);
	for (c = 0; c < calls; c++) {
		if (extended) {
			struct ptp_sys_offset_extended so;

			memset(&so, 0, sizeof(so));
			so.n_samples = s;
			t0 = now_ns(CLOCK_MONOTONIC);
			if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &so))
				return op_fail(op);
			total += now_ns(CLOCK_MONOTONIC) - t0;
			for (i = 0; i < s; i++) {
				pre[i] = pct_ns(&so.ts[i][0]);
				post[i] = pct_ns(&so.ts[i][2]);
			}
		} else {
			struct ptp_sys_offset so;

			memset(&so, 0, sizeof(so));
			so.n_samples = s;
			t0 = now_ns(CLOCK_MONOTONIC);
			if (ioctl(fd, PTP_SYS_OFFSET, &so))
				return op_fail(op);
			total += now_ns(CLOCK_MONOTONIC) - t0;
			for (i = 0; i < s; i++) {
				pre[i] = pct_ns(&so.ts[2 * i]);
				post[i] = pct_ns(&so.ts[2 * i + 2]);
			}
		}
		for (i = 0; i < s; i++) {
			if (post[i] < pre[i])
				unordered++;
			width[nw++] = post[i] - pre[i];
			if (i + 1 < s)
				cost[nc++] = pre[i + 1] - pre[i];
		}
	}
	printf("op=%s ok=1 calls=%ld samples=%ld unordered=%ld ioctl_ns_per_sample=%.1f\n",
	       op, calls, calls * s, unordered, (double)total / (calls * s));
	report(op, "cost", cost, nc);
	report(op, "width", width, nw);
	free(cost);
	free(width);
	close(fd);
	return 0;
}

/* The floor: bare backdoor calls, as a loop and one bracket at a time. */
static int do_backdoor(long n)
{
	int64_t *width = alloc_values(n), a, b;
	uint64_t ns;
	long i, failed = 0;
	double loop;

	if (iopl(3))
		return op_fail("backdoor");
	a = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++)
		failed += backdoor_gettime(&ns) != 0;
	b = now_ns(CLOCK_MONOTONIC);
	loop = (double)(b - a) / n;
	for (i = 0; i < n; i++) {
		a = now_ns(CLOCK_REALTIME);
		failed += backdoor_gettime(&ns) != 0;
		width[i] = now_ns(CLOCK_REALTIME) - a;
	}
	printf("op=backdoor ok=%d calls=%ld failed=%ld loop_ns_per_call=%.1f\n",
	       !failed, 2 * n, failed, loop);
	report("backdoor", "width", width, n);
	free(width);
	return failed ? 1 : 0;
}

static int do_timer(long n)
{
	int64_t *cost = alloc_values(n), prev, t;
	long i;

	prev = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		t = now_ns(CLOCK_MONOTONIC);
		cost[i] = t - prev;
		prev = t;
	}
	report("timer", "cost", cost, n);
	free(cost);
	return 0;
}

/* ---- threads ---- */

enum target { T_PHC, T_BACKDOOR, T_SYSCALL, T_SPIN };

static const char *const target_name[] = { "phc", "backdoor", "syscall", "spin" };

struct reader {
	pthread_t thread;
	enum target target;
	const char *dev;
	int cpu;
	long reads;
	long failed;
	int err;
};

static atomic_int go, stop;

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct timespec ts;
	clockid_t clk = 0;
	cpu_set_t set;
	uint64_t ns;
	volatile uint64_t spin = 0;
	int fd = -1;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (r->target == T_PHC) {
		fd = open(r->dev, O_RDONLY);
		if (fd < 0) {
			r->err = errno;
			return NULL;
		}
		clk = FD_TO_CLOCKID(fd);
	} else if (r->target == T_BACKDOOR && iopl(3)) {
		r->err = errno;
		return NULL;
	}
	while (!atomic_load(&go))
		;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (r->target == T_PHC)
			r->failed += clock_gettime(clk, &ts) != 0;
		else if (r->target == T_BACKDOOR)
			r->failed += backdoor_gettime(&ns) != 0;
		else if (r->target == T_SYSCALL)
			getppid();
		else
			spin += spin * 3 + 1;
		r->reads++;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int do_threads(const char *dev, int nthreads, long ms)
{
	struct reader *r = calloc(nthreads, sizeof(*r));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), total = 0, failed = 0;
	struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };
	int64_t a, b;
	int i, err = 0;

	if (!r || nthreads < 1 || ncpu < 1)
		return 2;
	for (i = 0; i < nthreads; i++) {
		r[i].dev = dev;
		r[i].target = !strcmp(dev, "backdoor") ? T_BACKDOOR :
			      !strcmp(dev, "syscall") ? T_SYSCALL :
			      !strcmp(dev, "spin") ? T_SPIN : T_PHC;
		r[i].cpu = i % ncpu;
		if (pthread_create(&r[i].thread, NULL, reader_main, &r[i])) {
			perror("ptpbench: pthread_create");
			return 1;
		}
	}
	a = now_ns(CLOCK_MONOTONIC);
	atomic_store(&go, 1);
	nanosleep(&pause, NULL);
	atomic_store(&stop, 1);
	b = now_ns(CLOCK_MONOTONIC);
	printf("op=threads target=%s threads=%d cpus=%ld per_thread=", target_name[r[0].target],
	       nthreads, ncpu);
	for (i = 0; i < nthreads; i++) {
		pthread_join(r[i].thread, NULL);
		total += r[i].reads;
		failed += r[i].failed;
		if (r[i].err)
			err = r[i].err;
		printf("%s%ld", i ? "," : "", r[i].reads);
	}
	printf(" reads=%ld failed=%ld elapsed_ns=%lld rate=%.0f ok=%d\n", total, failed,
	       (long long)(b - a), total * 1e9 / (double)(b - a), !failed && !err);
	free(r);
	return failed || err ? 1 : 0;
}

/* Square root by Newton's method: the tools link no libm. */
static double root(double x)
{
	double r = x > 1 ? x / 2 : 1;
	int i;

	if (x <= 0)
		return 0;
	for (i = 0; i < 100; i++)
		r = (r + x / r) / 2;
	return r;
}

/* Host minus system time, from the narrowest of 5 bare brackets. */
static int do_truth(long seconds, long hz)
{
	int64_t start, next, pre, post, best_w, best_off = 0, sq_n = 0, maxabs = 0;
	double sq = 0;
	uint64_t ns;
	struct timespec ts;
	long i, k, n = seconds * hz;

	if (hz < 1 || hz > 1000 || iopl(3))
		return op_fail("truth");
	start = next = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		best_w = INT64_MAX;
		for (k = 0; k < 5; k++) {
			pre = now_ns(CLOCK_REALTIME);
			if (backdoor_gettime(&ns))
				continue;
			post = now_ns(CLOCK_REALTIME);
			if (post - pre < best_w) {
				best_w = post - pre;
				best_off = (int64_t)ns - (pre + (post - pre) / 2);
			}
		}
		if (best_w != INT64_MAX) {
			printf("op=truthsample t_ms=%lld offset_ns=%lld width_ns=%lld\n",
			       (long long)((now_ns(CLOCK_MONOTONIC) - start) / 1000000),
			       (long long)best_off, (long long)best_w);
			sq += (double)best_off * best_off;
			sq_n++;
			if (llabs(best_off) > maxabs)
				maxabs = llabs(best_off);
		}
		next += 1000000000LL / hz;
		ts.tv_sec = next / 1000000000LL;
		ts.tv_nsec = next % 1000000000LL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	printf("op=truth ok=%d samples=%lld rms_ns=%.0f max_abs_ns=%lld\n", sq_n == n,
	       (long long)sq_n, sq_n ? root(sq / sq_n) : 0.0, (long long)maxabs);
	return sq_n == n ? 0 : 1;
}

static int do_resetfreq(void)
{
	struct timex tx;

	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_FREQUENCY | ADJ_TICK;
	tx.freq = 0;
	tx.tick = 1000000 / sysconf(_SC_CLK_TCK);
	if (adjtimex(&tx) < 0)
		return op_fail("resetfreq");
	printf("op=resetfreq ok=1 tick=%ld\n", tx.tick);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	long a = argc > 2 ? atol(argv[2]) : 0;
	long b = argc > 3 ? atol(argv[3]) : 0;
	long c = argc > 4 ? atol(argv[4]) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(op, "gettime") && argc == 4 && b > 0)
		return do_gettime(argv[2], b);
	if (!strcmp(op, "sysoff") && argc == 5 && b > 0)
		return do_sysoff(argv[2], b, (int)c, 0);
	if (!strcmp(op, "sysoffx") && argc == 5 && b > 0)
		return do_sysoff(argv[2], b, (int)c, 1);
	if (!strcmp(op, "backdoor") && argc == 3 && a > 0)
		return do_backdoor(a);
	if (!strcmp(op, "timer") && argc == 3 && a > 0)
		return do_timer(a);
	if (!strcmp(op, "threads") && argc == 5 && b > 0 && c > 0)
		return do_threads(argv[2], (int)b, c);
	if (!strcmp(op, "truth") && argc == 4 && a > 0)
		return do_truth(a, b);
	if (!strcmp(op, "resetfreq") && argc == 2)
		return do_resetfreq();
	fprintf(stderr, "usage: ptpbench gettime DEV N | sysoff DEV CALLS S | sysoffx DEV CALLS S |\n"
		"       backdoor N | timer N | threads DEV|backdoor|syscall|spin T MS | truth SECONDS HZ | resetfreq\n");
	return 2;
}
