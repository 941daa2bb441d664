// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz - seeded, reproducible ioctl fuzzing of a PTP clock's character device.
 *
 *   fuzz DEV COUNT SEED [writes]
 *
 * COUNT ioctls on DEV, each with a request number from the PTP range (type
 * '='): mostly the real requests, some with their direction or size bits
 * mangled, some with random numbers. Arguments are hostile: NULL, pointers
 * into kernel space, non-canonical and unmapped user addresses, buffers that
 * run into an unmapped page, unaligned buffers, random contents, and for the
 * real requests the values that matter (n_samples 0, 25, 26 and huge, pin and
 * channel indices out of range, unknown flags, reserved fields set, random
 * clock ids). Every 16th step also tries clock_settime/clock_adjtime on the
 * clock with random contents.
 *
 * The same SEED gives the same sequence of calls (the seed is printed first):
 * "fuzz /dev/ptp0 1000000 12345" reproduces a run.
 *
 * It checks, and reports, what a caller can see go wrong:
 *   overflow      the kernel wrote outside the argument the request declares
 *   changed       a request that would change the clock (periodic output,
 *                 external timestamps, PPS, pin functions, setting or
 *                 adjusting the time) succeeded
 *   badreads      a clock_gettime between the calls failed or went backwards
 * and prints the errno of every call by request, so that a change in the
 * kernel's answers shows. Exit status: 0 when all COUNT calls were made.
 *
 * With "writes" the clock is one that may be set (ptp_vmw writable=1 on a
 * host that takes writes), and half the clock_adjtime calls carry steps and
 * frequencies the PTP core lets through (after the same random fill, so
 * without "writes" the sequence of calls is what it always was). A
 * clock_settime or clock_adjtime that succeeds is
 * then a write, not a fault, and is checked instead: the clock is read just
 * before and just after it, and must afterwards be where the call put it:
 *   settime X       the clock reads X plus at most the time the bracket took
 *   ADJ_SETOFFSET D the clock moved by D plus at most that time
 *   anything else   the clock did not jump (ADJ_FREQUENCY, a query)
 * allowing for any rate the host clock may have been given (at most 50%
 * off) and 10 ms. A write that fails must not have moved it either. The
 * clock is read as the unsigned 64-bit nanoseconds the host hands over, so
 * steps that wrap it around are followed exactly. It reports:
 *   writes        calls that succeeded and changed the clock, of which
 *   settimes, steps, freqs  clock_settime, ADJ_SETOFFSET, ADJ_FREQUENCY
 *   last_freq     the scaled ppm of the last ADJ_FREQUENCY that succeeded
 *   misplaced     calls after which the clock was not where they put it
 * and "changed" then counts only the ioctls that changed the clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include <linux/ptp_clock.h>

#include "tools.h"

/* Requests newer than the guest's UAPI headers (Linux 6.7, 6.8). */
#ifndef PTP_MASK_CLEAR_ALL
#define PTP_MASK_CLEAR_ALL	_IO(PTP_CLK_MAGIC, 19)
#endif
#ifndef PTP_MASK_EN_SINGLE
#define PTP_MASK_EN_SINGLE	_IOW(PTP_CLK_MAGIC, 20, unsigned int)
#endif

#define PAGE		4096UL
#define MAX_ERRNO	134

/* How a request's argument is passed. */
enum argtype { ARG_PTR, ARG_INT };

struct request {
	const char *name;
	unsigned long cmd;
	enum argtype arg;
	int changes_clock;	/* success would change the clock's state */
	unsigned long calls, ok, err[MAX_ERRNO];
};

#define REQ(n, c, a, ch) { .name = n, .cmd = c, .arg = a, .changes_clock = ch }

static struct request reqs[] = {
	REQ("GETCAPS", PTP_CLOCK_GETCAPS, ARG_PTR, 0),
	REQ("GETCAPS2", PTP_CLOCK_GETCAPS2, ARG_PTR, 0),
	REQ("EXTTS_REQUEST", PTP_EXTTS_REQUEST, ARG_PTR, 1),
	REQ("EXTTS_REQUEST2", PTP_EXTTS_REQUEST2, ARG_PTR, 1),
	REQ("PEROUT_REQUEST", PTP_PEROUT_REQUEST, ARG_PTR, 1),
	REQ("PEROUT_REQUEST2", PTP_PEROUT_REQUEST2, ARG_PTR, 1),
	REQ("ENABLE_PPS", PTP_ENABLE_PPS, ARG_INT, 1),
	REQ("ENABLE_PPS2", PTP_ENABLE_PPS2, ARG_INT, 1),
	REQ("SYS_OFFSET", PTP_SYS_OFFSET, ARG_PTR, 0),
	REQ("SYS_OFFSET2", PTP_SYS_OFFSET2, ARG_PTR, 0),
	REQ("PIN_GETFUNC", PTP_PIN_GETFUNC, ARG_PTR, 0),
	REQ("PIN_GETFUNC2", PTP_PIN_GETFUNC2, ARG_PTR, 0),
	REQ("PIN_SETFUNC", PTP_PIN_SETFUNC, ARG_PTR, 1),
	REQ("PIN_SETFUNC2", PTP_PIN_SETFUNC2, ARG_PTR, 1),
	REQ("SYS_OFFSET_PRECISE", PTP_SYS_OFFSET_PRECISE, ARG_PTR, 0),
	REQ("SYS_OFFSET_PRECISE2", PTP_SYS_OFFSET_PRECISE2, ARG_PTR, 0),
	REQ("SYS_OFFSET_EXTENDED", PTP_SYS_OFFSET_EXTENDED, ARG_PTR, 0),
	REQ("SYS_OFFSET_EXTENDED2", PTP_SYS_OFFSET_EXTENDED2, ARG_PTR, 0),
	REQ("MASK_CLEAR_ALL", PTP_MASK_CLEAR_ALL, ARG_INT, 0),
	REQ("MASK_EN_SINGLE", PTP_MASK_EN_SINGLE, ARG_PTR, 0),
};
#define NREQ (sizeof(reqs) / sizeof(reqs[0]))

/* Mangled and random request numbers, and the clock syscalls. */
static struct request mangled = { .name = "mangled", .arg = ARG_PTR };
static struct request randnr = { .name = "random_nr", .arg = ARG_PTR };
static struct request req_settime = { .name = "clock_settime", .changes_clock = 1 };
static struct request req_adjtime = { .name = "clock_adjtime", .changes_clock = 1 };

/* ---- the random source: splitmix64, fully determined by the seed ------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

/* A value from the edges where bugs live, or a random one. */
static uint32_t hostile_u32(void)
{
	static const uint32_t edge[] = {
		0, 1, 2, 24, 25, 26, 31, 32, 33, 64, 255, 256, 0x7fffffff,
		0x80000000, 0xfffffffe, 0xffffffff,
	};

	return below(3) ? edge[below(sizeof(edge) / sizeof(edge[0]))] : (uint32_t)rnd();
}

/* ---- memory: a data page between two unmapped pages -------------------- */

static unsigned char *arena;	/* guard | data | guard */
static unsigned char *data;	/* the data page */
static unsigned char *hole;	/* a reserved, never mapped page */

static const uintptr_t wild[] = {
	0x1, 0xfff, 0x1000, 0x7ffffffff000UL, 0x800000000000UL,
	0xdead000000000000UL, 0xffff888000000000UL, 0xffffc90000000000UL,
	0xffffffff81000000UL, 0xfffffffffffff000UL, 0xffffffffffffffffUL,
};

static void fill_random(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)rnd();
}

/* Hostile but well-formed contents for the real requests. */
static void fill_struct(unsigned long cmd, unsigned char *p, size_t size)
{
	uint32_t *w = (uint32_t *)p;	/* the data page is 4-byte aligned here */
	size_t i;

	/* Zero, random, or all-ones background, then the fields that matter. */
	switch (below(3)) {
	case 0:
		memset(p, 0, size);
		break;
	case 1:
		fill_random(p, size);
		break;
	default:
		memset(p, 0xff, size);
		break;
	}
	switch (_IOC_NR(cmd)) {
	case 5: case 14: case 9: case 18:	/* n_samples, then rsv or clockid */
		w[0] = hostile_u32();
		if (size >= 8)
			w[1] = below(2) ? (uint32_t)below(8) : hostile_u32();
		break;
	case 2: case 11:			/* extts: index, flags, rsv */
	case 3: case 12:			/* perout: start(16), period(16), index, flags */
	case 6: case 15: case 7: case 16:	/* pin_desc: name[64], index, func, chan */
	case 20:				/* mask: a channel number */
		for (i = 0; i < size / 4; i++)
			if (below(4) == 0)
				w[i] = hostile_u32();
		break;
	default:
		break;
	}
}

/* ---- one call --------------------------------------------------------- */

struct totals {
	unsigned long ioctls, clockcalls, overflow, changed, badreads;
	unsigned long writes, settimes, steps, freqs, misplaced;
	long last_freq;
	int wrote;		/* a write since the last forward-read check */
};

/* "writes": successful clock_settime/clock_adjtime are checked writes. */
static int writes_mode;

/*
 * After a call: every byte of the data page outside [arg, arg + size) must
 * still hold the pattern it was filled with.
 */
static int overflowed(const unsigned char *pattern, const unsigned char *arg, size_t size)
{
	size_t i;

	for (i = 0; i < PAGE; i++) {
		if (data + i >= arg && data + i < arg + size)
			continue;
		if (data[i] != pattern[i])
			return 1;
	}
	return 0;
}

static void count(struct request *r, long ret, int e)
{
	r->calls++;
	if (ret >= 0)
		r->ok++;
	else if (e > 0 && e < MAX_ERRNO)
		r->err[e]++;
	else
		r->err[0]++;
}

static void do_ioctl(int fd, struct totals *t)
{
	static unsigned char pattern[PAGE];
	unsigned long cmd, arg = 0;
	unsigned char *buf = NULL;
	struct request *r;
	size_t size;
	uint64_t kind = below(100);
	long ret;
	int e;

	if (kind < 80) {
		r = &reqs[below(NREQ)];
		cmd = r->cmd;
	} else if (kind < 92) {
		/* A real number with its direction and size bits mangled. */
		r = &mangled;
		cmd = _IOC(below(4), PTP_CLK_MAGIC, _IOC_NR(reqs[below(NREQ)].cmd),
			   below(2) ? below(_IOC_SIZEMASK + 1) : below(1024));
	} else {
		r = &randnr;
		cmd = _IOC(below(4), PTP_CLK_MAGIC, below(256), below(_IOC_SIZEMASK + 1));
	}
	/* A mangled or random number that happens to be a real request is one. */
	if (r == &mangled || r == &randnr) {
		size_t i;

		for (i = 0; i < NREQ; i++)
			if (reqs[i].cmd == cmd)
				r = &reqs[i];
	}
	size = _IOC_SIZE(cmd);

	fill_random(pattern, PAGE);
	memcpy(data, pattern, PAGE);
	if (r->arg == ARG_INT) {
		arg = below(2) ? below(3) : rnd();
	} else {
		kind = below(100);
		if (kind < 8) {
			arg = 0;
		} else if (kind < 18) {
			arg = wild[below(sizeof(wild) / sizeof(wild[0]))];
		} else if (kind < 22) {
			arg = (uintptr_t)(hole + below(PAGE));
		} else if (kind < 30 && size) {
			/* Runs off the end of the data page into the guard. */
			buf = data + PAGE - 1 - below(size < PAGE ? size : PAGE);
			arg = (uintptr_t)buf;
		} else {
			/* Inside the page: aligned or not, random or crafted. */
			size_t room = size < PAGE - 64 ? size : PAGE - 64;
			size_t off = below(2) ? 0 : below(64);

			buf = data + (off & ~3UL);
			if (r != &mangled && r != &randnr)
				fill_struct(cmd, buf, room);
			buf += off & 3;
			if (off & 3)
				memmove(buf, buf - (off & 3), room);
			arg = (uintptr_t)buf;
		}
		if (buf)
			memcpy(pattern, data, PAGE);
	}

	errno = 0;
	ret = ioctl(fd, cmd, arg);
	e = errno;
	t->ioctls++;
	count(r, ret, e);
	if (ret >= 0 && r->changes_clock)
		t->changed++;
	if (overflowed(pattern, buf ? buf : data + PAGE, buf ? size : 0))
		t->overflow++;
	/* Keep the pattern the next call compares with honest. */
	memcpy(pattern, data, PAGE);
}

/* The clock as the host hands it over: unsigned 64-bit ns; 0 if unread. */
static uint64_t phc_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* KTIME_SEC_MAX: seconds beyond it saturate in the kernel's conversions. */
#define KTIME_SEC_MAX	(INT64_MAX / 1000000000LL)

/* The time clock_settime asks for, as the kernel's timespec64_to_ns(). */
static uint64_t settime_ns(const struct timespec *ts)
{
	int64_t sec = ts->tv_sec;

	if (sec >= KTIME_SEC_MAX)
		return INT64_MAX;
	if (sec <= -KTIME_SEC_MAX)
		return (uint64_t)INT64_MIN;
	return (uint64_t)sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

/*
 * The step ADJ_SETOFFSET asks for, as the kernel computes it: tv_usec is
 * nanoseconds with ADJ_NANO, else microseconds; seconds at or beyond
 * KTIME_SEC_MAX saturate, the rest wraps as the kernel's 64-bit sum does.
 */
static uint64_t setoffset_ns(const struct timex *tx)
{
	int64_t sec = tx->time.tv_sec;
	uint64_t nsec = (uint64_t)tx->time.tv_usec;

	if (!(tx->modes & ADJ_NANO))
		nsec *= 1000;
	if (sec >= KTIME_SEC_MAX)
		return INT64_MAX;
	return (uint64_t)sec * 1000000000ULL + nsec;
}

/*
 * writes mode: the clock read P0 before a call and P1 after it, with the
 * monotonic clock M0 before P0 and M1 after P1, moved by WANT (a step) or
 * reads WANT (a settime, @set). Between the two readings the clock runs at
 * 0.5 to 1.5 times the real rate, so the rest must lie in
 * [-10 ms, 2 * (M1 - M0) + 10 ms].
 */
static int placed(uint64_t p0, uint64_t p1, uint64_t want, int set,
		  int64_t m0, int64_t m1)
{
	int64_t rest = (int64_t)(set ? p1 - want : p1 - p0 - want);

	return rest >= -10000000LL && rest <= 2 * (m1 - m0) + 10000000LL;
}

static void do_clockcall(int fd, struct totals *t)
{
	clockid_t clk = FD_TO_CLOCKID(fd);
	struct timespec ts;
	struct timex tx, asked;
	uint64_t p0 = 0, p1, want = 0;
	int64_t m0 = 0, m1;
	int set = 0, wrote = 0;
	long ret;
	int e;

	if (writes_mode) {
		m0 = now_ns(CLOCK_MONOTONIC);
		p0 = phc_ns(clk);
	}
	if (below(2)) {
		ts.tv_sec = (time_t)(below(2) ? rnd() : below(4000000000UL));
		ts.tv_nsec = (long)(below(2) ? rnd() : below(1000000000));
		errno = 0;
		ret = clock_settime(clk, &ts);
		e = errno;
		count(&req_settime, ret, e);
		if (!ret && writes_mode) {
			want = settime_ns(&ts);
			set = 1;
			wrote = 1;
			t->settimes++;
		} else if (!ret) {
			t->changed++;
		}
	} else {
		fill_random((unsigned char *)&tx, sizeof(tx));
		if (below(2))
			tx.modes &= ADJ_OFFSET | ADJ_FREQUENCY | ADJ_SETOFFSET | ADJ_NANO;
		/*
		 * Random steps and frequencies almost never pass the PTP
		 * core's checks; for writes, half are ones that do: a step
		 * of up to 1000 s either way or of any size, a frequency
		 * within max_adj and, half the time, beyond the range of
		 * the device model's host clock (+-500000 ppm).
		 */
		if (writes_mode && below(2)) {
			tx.time.tv_sec = below(2) ? (long)below(2001) - 1000 : (long)rnd();
			tx.time.tv_usec = (long)below(tx.modes & ADJ_NANO ? 1000000000 : 1000000);
			tx.freq = (long)below(2 * 65536000000UL + 1) - 65536000000L;
		}
		asked = tx;	/* the kernel writes the clock's state back */
		errno = 0;
		ret = clock_adjtime(clk, &tx);
		e = errno;
		count(&req_adjtime, ret, e);
		if (ret >= 0 && writes_mode) {
			/* The PTP core acts on one of these, in this order. */
			if (asked.modes & ADJ_SETOFFSET) {
				want = setoffset_ns(&asked);
				wrote = 1;
				t->steps++;
			} else if (asked.modes & ADJ_FREQUENCY) {
				t->last_freq = asked.freq;
				wrote = 1;
				t->freqs++;
			}
		} else if (ret >= 0 && tx.modes && (tx.modes & ~ADJ_NANO)) {
			/* A read-only query (modes 0) changes nothing. */
			t->changed++;
		}
	}
	t->clockcalls++;
	if (!writes_mode)
		return;
	p1 = phc_ns(clk);
	m1 = now_ns(CLOCK_MONOTONIC);
	if (!placed(p0, p1, want, set, m0, m1))
		t->misplaced++;
	if (wrote) {
		t->writes++;
		t->wrote = 1;
	}
}

static void report(const struct request *r)
{
	const char *name;
	int e;

	printf("req=%s calls=%lu ok=%lu", r->name, r->calls, r->ok);
	for (e = 0; e < MAX_ERRNO; e++) {
		if (!r->err[e])
			continue;
		name = e ? strerrorname_np(e) : NULL;
		printf(" %s=%lu", name ? name : "other", r->err[e]);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	int64_t last = 0, now;
	struct totals t;
	struct timespec ts;
	unsigned long n, i;
	uint64_t seed;
	int fds[2], nfd = 0, fd;

	if (argc == 5 && !strcmp(argv[4], "writes")) {
		writes_mode = 1;
	} else if (argc != 4) {
		fprintf(stderr, "usage: fuzz DEV COUNT SEED [writes]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 0);
	seed = strtoull(argv[3], NULL, 0);
	rng_state = seed;
	printf("seed=%llu (reproduce: fuzz %s %lu %llu)\n", (unsigned long long)seed,
	       argv[1], n, (unsigned long long)seed);
	fflush(stdout);

	/* One descriptor opened for writing if allowed, one read-only. */
	fd = open(argv[1], O_RDWR);
	if (fd >= 0)
		fds[nfd++] = fd;
	fd = open(argv[1], O_RDONLY);
	if (fd >= 0)
		fds[nfd++] = fd;
	if (!nfd) {
		printf("op=fuzz ok=0 err=%s\n", strerrorname_np(errno));
		return 1;
	}

	arena = mmap(NULL, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || hole == MAP_FAILED ||
	    mprotect(arena + PAGE, PAGE, PROT_READ | PROT_WRITE)) {
		perror("fuzz: mmap");
		return 1;
	}
	data = arena + PAGE;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < n; i++) {
		fd = fds[below(nfd)];
		do_ioctl(fd, &t);
		if ((i & 15) == 15)
			do_clockcall(fd, &t);
		/* Now and then: the clock must still read, and move forwards. */
		if ((i & 1023) == 1023) {
			if (clock_gettime(FD_TO_CLOCKID(fd), &ts)) {
				t.badreads++;
				continue;
			}
			now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
			/* Across a write the clock may have gone anywhere. */
			if (now <= last && !t.wrote)
				t.badreads++;
			last = now;
			t.wrote = 0;
		}
	}

	for (i = 0; i < NREQ; i++)
		report(&reqs[i]);
	report(&mangled);
	report(&randnr);
	report(&req_settime);
	report(&req_adjtime);
	printf("op=fuzz ok=1 seed=%llu uid=%d fds=%d ioctls=%lu clockcalls=%lu overflow=%lu changed=%lu badreads=%lu",
	       (unsigned long long)seed, (int)getuid(), nfd, t.ioctls, t.clockcalls,
	       t.overflow, t.changed, t.badreads);
	if (writes_mode)
		printf(" writes=%lu settimes=%lu steps=%lu freqs=%lu last_freq=%ld misplaced=%lu",
		       t.writes, t.settimes, t.steps, t.freqs, t.last_freq, t.misplaced);
	printf("\n");
	return 0;
}
