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
 * Deterministic mode (the guest under -icount shift=0,sleep=off, the device
 * model's pclk-timebase=virtual; tests/bench/det.sh): guest time advances by
 * one nanosecond per instruction, the TSC reads that time (1 GHz), and the
 * host clock answers H(T) = START + T + trunc(T * RATE / 10^12) for a call
 * made at TSC T (RATE in parts per 10^12; the model's time base starts at 0
 * with the guest's TSC). So an rdtsc difference is an instruction count, and
 * every answer can be placed on the guest's TSC to the instruction:
 *
 *   ptpbench insns    DEV|backdoor|timer N
 *                                  N clock_gettime(PHC) calls (or bare
 *                                  calls, or clock_gettime(CLOCK_MONOTONIC)
 *                                  calls), each between two rdtsc: its cost
 *                                  in instructions, net of the rdtsc pair
 *   ptpbench bracket  DEV|backdoor CALLS S sysoff|sysoffx START RATE
 *                                  CALLS ioctls of S samples (backdoor: CALLS
 *                                  x S bare calls between two vDSO
 *                                  CLOCK_REALTIME reads): per sample the
 *                                  cost, the bracket's width, and where the
 *                                  answer lands in it: "lead" instructions
 *                                  from the system clock's read before to
 *                                  the call, "lag" from the call to the read
 *                                  after. An estimator taking the bracket's
 *                                  middle is off by (lead - lag) / 2 ns.
 *   ptpbench model    N START RATE N bare calls between two rdtsc: checks
 *                                  that every answer maps back into its own
 *                                  rdtsc pair (the shared time base)
 *   ptpbench truth    SECONDS HZ START RATE
 *                                  host minus system time, exact: the
 *                                  system time at a known TSC value (see
 *                                  realtime_at()) against H of that value
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
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/timex.h>
#include <time.h>
#include <ucontext.h>
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

/* ---- deterministic mode ---- */

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	return (uint64_t)hi << 32 | lo;
}

/* The device model's host clock in deterministic mode (see the top). */
struct hostclock {
	int64_t start;	/* ns since the epoch at TSC 0 */
	int64_t rate;	/* parts per 10^12 fast */
};

#define RATE_ONE 1000000000000LL

/* The answer of a call made at TSC t: the model's own arithmetic. */
static int64_t host_at(const struct hostclock *h, int64_t t)
{
	return h->start + t + (int64_t)((__int128)t * h->rate / RATE_ONE);
}

/* The TSC value of the call that answered ns (host_at is strictly increasing). */
static int64_t tsc_of(const struct hostclock *h, int64_t ns)
{
	int64_t e = ns - h->start;
	int64_t t = e - (int64_t)((__int128)e * h->rate / (RATE_ONE + h->rate));

	while (host_at(h, t) > ns)
		t--;
	while (host_at(h, t + 1) <= ns)
		t++;
	return t;
}

static int parse_hostclock(const char *start, const char *rate, struct hostclock *h)
{
	char *end;

	h->start = strtoll(start, &end, 10);
	if (*end || h->start <= 0)
		return -1;
	h->rate = strtoll(rate, &end, 10);
	if (*end || h->rate <= -RATE_ONE / 2 || h->rate >= RATE_ONE / 2)
		return -1;
	return 0;
}

static volatile sig_atomic_t tsc_traps;
static volatile uint64_t trapped_tsc;

/*
 * SIGSEGV while rdtsc faults (PR_TSC_SIGSEGV): if the faulting instruction
 * is rdtsc or rdtscp, read the TSC with the fault switched off for a moment
 * and hand that value over as the instruction's result.
 */
static void tsc_trap(int sig, siginfo_t *si, void *ctx)
{
	greg_t *r = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	const unsigned char *ip = (const unsigned char *)r[REG_RIP];
	uint64_t t;
	int len = 0;

	(void)sig;
	(void)si;
	if (ip[0] == 0x0f && ip[1] == 0x31)
		len = 2;
	else if (ip[0] == 0x0f && ip[1] == 0x01 && ip[2] == 0xf9)
		len = 3;
	if (!len) {
		/* A real fault: returning re-runs it, now fatal. */
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
	t = rdtsc();
	prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
	trapped_tsc = t;
	tsc_traps = tsc_traps + 1;
	r[REG_RAX] = (uint32_t)t;
	r[REG_RDX] = (uint32_t)(t >> 32);
	if (len == 3)
		r[REG_RCX] = 0;
	r[REG_RIP] += len;
}

/*
 * realtime_at() - the system time (CLOCK_REALTIME) at one TSC value, exactly.
 * With rdtsc made to fault, the vDSO's own read of the TSC traps into
 * tsc_trap(), which supplies the TSC value; the vDSO then computes the
 * system time for exactly that value, with the kernel's arithmetic (should a
 * clock update come in between, the vDSO's seqlock retries, which traps
 * again: the last value counts). No bracket, no estimate.
 */
static int realtime_at(uint64_t *tsc, int64_t *real)
{
	struct sigaction sa, old;
	struct timespec ts;
	int traps;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = tsc_trap;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old))
		return -1;
	tsc_traps = 0;
	if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0))
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
	traps = tsc_traps;
	sigaction(SIGSEGV, &old, NULL);
	if (!traps) {
		/* The vDSO did not read the TSC: no exact pairing possible. */
		errno = ENOTSUP;
		return -1;
	}
	*tsc = trapped_tsc;
	*real = ts_ns(&ts);
	return 0;
}

/* The smallest difference of two back-to-back rdtsc: what a pair adds. */
static uint64_t rdtsc_pair(void)
{
	uint64_t t0, t1, min = UINT64_MAX;
	int i;

	for (i = 0; i < 1000; i++) {
		t0 = rdtsc();
		t1 = rdtsc();
		if (t1 - t0 < min)
			min = t1 - t0;
	}
	return min;
}

/* N readings of DEV, bare calls or CLOCK_MONOTONIC, each between two rdtsc. */
static int do_insns(const char *target, long n)
{
	int64_t *cost = alloc_values(n);
	const char *what = "phc";
	clockid_t clk = CLOCK_MONOTONIC;
	struct timespec ts;
	uint64_t t0, t1, pair, ns;
	long i, failed = 0;
	int fd = -1;

	if (!strcmp(target, "backdoor")) {
		what = "backdoor";
		if (iopl(3))
			return op_fail("insns");
	} else if (!strcmp(target, "timer")) {
		what = "timer";
	} else {
		fd = open(target, O_RDONLY);
		if (fd < 0)
			return op_fail("insns");
		clk = FD_TO_CLOCKID(fd);
	}
	pair = rdtsc_pair();
	for (i = 0; i < n; i++) {
		if (*what == 'b') {
			t0 = rdtsc();
			failed += backdoor_gettime(&ns) != 0;
			t1 = rdtsc();
		} else {
			t0 = rdtsc();
			failed += clock_gettime(clk, &ts) != 0;
			t1 = rdtsc();
		}
		cost[i] = (int64_t)(t1 - t0 - pair);
	}
	printf("op=insns target=%s ok=%d reads=%ld failed=%ld rdtsc_pair=%llu\n", what, !failed,
	       n, failed, (unsigned long long)pair);
	report("insns", what, cost, n);
	free(cost);
	if (fd >= 0)
		close(fd);
	return failed ? 1 : 0;
}

/* One sample's system time before and after, and the answer between. */
struct sample {
	int64_t pre, phc, post;
};

/* S samples of one kind: one ioctl, or S bare calls between vDSO reads. */
static int take_samples(int fd, const char *kind, int s, struct sample *out)
{
	uint64_t ns;
	int i;

	if (!strcmp(kind, "sysoffx")) {
		struct ptp_sys_offset_extended so;

		memset(&so, 0, sizeof(so));
		so.n_samples = s;
		if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &so))
			return -1;
		for (i = 0; i < s; i++) {
			out[i].pre = pct_ns(&so.ts[i][0]);
			out[i].phc = pct_ns(&so.ts[i][1]);
			out[i].post = pct_ns(&so.ts[i][2]);
		}
	} else if (!strcmp(kind, "sysoff")) {
		struct ptp_sys_offset so;

		memset(&so, 0, sizeof(so));
		so.n_samples = s;
		if (ioctl(fd, PTP_SYS_OFFSET, &so))
			return -1;
		for (i = 0; i < s; i++) {
			out[i].pre = pct_ns(&so.ts[2 * i]);
			out[i].phc = pct_ns(&so.ts[2 * i + 1]);
			out[i].post = pct_ns(&so.ts[2 * i + 2]);
		}
	} else {
		for (i = 0; i < s; i++) {
			out[i].pre = now_ns(CLOCK_REALTIME);
			if (backdoor_gettime(&ns))
				return -1;
			out[i].post = now_ns(CLOCK_REALTIME);
			out[i].phc = (int64_t)ns;
		}
	}
	return 0;
}

/*
 * CALLS x S samples of KIND (sysoff, sysoffx on DEV; bare: bare calls), each
 * placed on the TSC: the system times through the offset C between system
 * time and TSC (realtime_at(), before and after: the two must agree, i.e.
 * nothing slewed the system clock meanwhile), the answer through tsc_of().
 */
static int do_bracket(const char *dev, long calls, int s, const char *kind,
		      const struct hostclock *h)
{
	int64_t *cost = alloc_values(calls * (s - 1)), *width = alloc_values(calls * s);
	int64_t *lead = alloc_values(calls * s), *lag = alloc_values(calls * s);
	int64_t *skew = alloc_values(calls * s);
	struct sample smp[PTP_MAX_SAMPLES];
	int64_t c0, c1, r, call;
	long c, nc = 0, nw = 0, outside = 0;
	char op[32];
	uint64_t t;
	int fd = -1, i;

	snprintf(op, sizeof(op), "bracket-%s", kind);
	if (s < 2 || s > PTP_MAX_SAMPLES) {
		fprintf(stderr, "ptpbench: samples must be 2..%d\n", PTP_MAX_SAMPLES);
		return 2;
	}
	if (!strcmp(kind, "bare") ? iopl(3) : (fd = open(dev, O_RDONLY)) < 0)
		return op_fail(op);
	if (realtime_at(&t, &r))
		return op_fail(op);
	c0 = r - (int64_t)t;
	for (c = 0; c < calls; c++) {
		if (take_samples(fd, kind, s, smp))
			return op_fail(op);
		for (i = 0; i < s; i++) {
			call = tsc_of(h, smp[i].phc);
			lead[nw] = call - (smp[i].pre - c0);
			lag[nw] = (smp[i].post - c0) - call;
			width[nw] = smp[i].post - smp[i].pre;
			skew[nw] = lead[nw] - lag[nw];
			outside += lead[nw] < 0 || lag[nw] < 0;
			nw++;
			if (i + 1 < s)
				cost[nc++] = smp[i + 1].pre - smp[i].pre;
		}
	}
	if (realtime_at(&t, &r))
		return op_fail(op);
	c1 = r - (int64_t)t;
	printf("op=%s ok=%d calls=%ld samples=%ld outside=%ld sys_minus_tsc=%lld steady=%d\n",
	       op, !outside && c0 == c1, calls, calls * s, outside, (long long)c0, c0 == c1);
	report(op, "cost", cost, nc);
	report(op, "width", width, nw);
	report(op, "lead", lead, nw);
	report(op, "lag", lag, nw);
	report(op, "skew", skew, nw);
	free(cost);
	free(width);
	free(lead);
	free(lag);
	free(skew);
	if (fd >= 0)
		close(fd);
	return !outside && c0 == c1 ? 0 : 1;
}

/* Every bare call's answer maps back between the rdtsc before and after. */
static int do_model(long n, const struct hostclock *h)
{
	int64_t *lead = alloc_values(n), call;
	uint64_t t0, t1, ns, pair;
	long i, outside = 0, failed = 0;

	if (iopl(3))
		return op_fail("model");
	pair = rdtsc_pair();
	for (i = 0; i < n; i++) {
		t0 = rdtsc();
		failed += backdoor_gettime(&ns) != 0;
		t1 = rdtsc();
		call = tsc_of(h, (int64_t)ns);
		outside += call < (int64_t)t0 || call > (int64_t)t1;
		lead[i] = call - (int64_t)t0;
	}
	printf("op=model ok=%d calls=%ld failed=%ld outside=%ld rdtsc_pair=%llu\n",
	       !failed && !outside, n, failed, outside, (unsigned long long)pair);
	report("model", "lead", lead, n);
	free(lead);
	return !failed && !outside ? 0 : 1;
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

/*
 * Host minus system time, HZ times a second for SECONDS: without a host
 * clock model from the narrowest of 5 bare brackets; with one (H, the
 * deterministic mode) exactly, as H(T) - system time at T.
 */
static int do_truth(long seconds, long hz, const struct hostclock *h)
{
	int64_t start, next, pre, post, best_w, best_off = 0, sq_n = 0, maxabs = 0, sum = 0;
	double sq = 0;
	uint64_t ns, t;
	struct timespec ts;
	long i, k, n = seconds * hz;

	if (hz < 1 || hz > 1000 || (!h && iopl(3)))
		return op_fail("truth");
	start = next = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		best_w = INT64_MAX;
		if (h) {
			if (!realtime_at(&t, &pre)) {
				best_w = 0;
				best_off = host_at(h, (int64_t)t) - pre;
			}
		}
		for (k = 0; !h && k < 5; k++) {
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
			sum += best_off;
			sq_n++;
			if (llabs(best_off) > maxabs)
				maxabs = llabs(best_off);
		}
		next += 1000000000LL / hz;
		ts.tv_sec = next / 1000000000LL;
		ts.tv_nsec = next % 1000000000LL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	printf("op=truth ok=%d exact=%d samples=%lld rms_ns=%.0f max_abs_ns=%lld mean_ns=%.1f\n",
	       sq_n == n, !!h, (long long)sq_n, sq_n ? root(sq / sq_n) : 0.0, (long long)maxabs,
	       sq_n ? (double)sum / sq_n : 0.0);
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
	struct hostclock h;

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
		return do_truth(a, b, NULL);
	if (!strcmp(op, "truth") && argc == 6 && a > 0 && !parse_hostclock(argv[4], argv[5], &h))
		return do_truth(a, b, &h);
	if (!strcmp(op, "insns") && argc == 4 && b > 0)
		return do_insns(argv[2], b);
	if (!strcmp(op, "bracket") && argc == 8 && b > 0 &&
	    (!strcmp(argv[5], "sysoff") || !strcmp(argv[5], "sysoffx")) &&
	    !parse_hostclock(argv[6], argv[7], &h))
		return do_bracket(argv[2], b, (int)c,
				  !strcmp(argv[2], "backdoor") ? "bare" : argv[5], &h);
	if (!strcmp(op, "model") && argc == 5 && a > 0 && !parse_hostclock(argv[3], argv[4], &h))
		return do_model(a, &h);
	if (!strcmp(op, "resetfreq") && argc == 2)
		return do_resetfreq();
	fprintf(stderr, "usage: ptpbench gettime DEV N | sysoff DEV CALLS S | sysoffx DEV CALLS S |\n"
		"       backdoor N | timer N | threads DEV|backdoor|syscall|spin T MS | truth SECONDS HZ |\n"
		"       resetfreq | insns DEV|backdoor|timer N | model N START RATE |\n"
		"       bracket DEV|backdoor CALLS S sysoff|sysoffx START RATE | truth SECONDS HZ START RATE\n");
	return 2;
}
