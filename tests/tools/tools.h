/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the guest's test tools: the clock id of a PTP character device,
 * times in nanoseconds, the "op=... ok=0 err=NAME" failure line the scenario
 * scripts parse, and the precision clock call made straight from user space.
 */
#ifndef PTPVMW_TOOLS_H
#define PTPVMW_TOOLS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/ptp_clock.h>

#include "../../ptp_vmw.h"	/* the backdoor protocol, as the driver has it */

/* The dynamic POSIX clock id of an open PTP character device. */
#define CLOCKFD 3
#define FD_TO_CLOCKID(fd) ((clockid_t)((((unsigned int)~(fd)) << 3) | CLOCKFD))

#define NSEC_PER_SEC	1000000000LL

static inline int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * NSEC_PER_SEC + t->tv_nsec;
}

static inline int64_t now_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return ts_ns(&t);
}

static inline int64_t pct_ns(const struct ptp_clock_time *t)
{
	return (int64_t)t->sec * NSEC_PER_SEC + t->nsec;
}

/* Print "op=WHAT ok=0 err=ERRNO_NAME" for the failed operation; returns 1. */
static inline int op_fail(const char *what)
{
	const char *name = strerrorname_np(errno);

	printf("op=%s ok=0 err=%s\n", what, name ? name : "unknown");
	return 1;
}

/*
 * One GETTIME straight to the hypervisor, no driver in between (the caller
 * needs iopl(3)). Returns the host's status word; on 0, *ns is the host's
 * time in nanoseconds since the epoch.
 */
static inline uint32_t backdoor_gettime(uint64_t *ns)
{
	uint32_t eax = PTP_VMW_BACKDOOR_MAGIC, ebx = 0,
		 ecx = PTP_VMW_PCLK(PTP_VMW_PCLK_GETTIME),
		 edx = PTP_VMW_BACKDOOR_PORT;

	asm volatile("inl (%%dx), %%eax"
		     : "+a" (eax), "+b" (ebx), "+c" (ecx), "+d" (edx)
		     : : "si", "di", "memory");
	*ns = (uint64_t)ebx << 32 | ecx;
	return eax;
}

#endif /* PTPVMW_TOOLS_H */
