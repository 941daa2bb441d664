/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMware precision clock: protocol constants and per-device state.
 */
#ifndef PTP_VMW_H
#define PTP_VMW_H

#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/ratelimit.h>

/*
 * The VMware backdoor: EAX = magic, ECX = command (bits 15:0) and
 * subcommand (bits 31:16), then `inl` from the backdoor port (or VMCALL /
 * VMMCALL on hosts that offer them). EAX = 0 on return means success.
 * The kernel's VMWARE_HYPERCALL loads the port itself.
 */
#define PTP_VMW_BACKDOOR_MAGIC	0x564d5868U

/*
 * Precision clock command. GETTIME answers with the host's time in
 * nanoseconds since the Unix epoch (UTC, no leap-second information):
 * EBX = high 32 bits, ECX = low 32 bits.
 */
#define PTP_VMW_CMD_PCLK	97
#define PTP_VMW_PCLK_GETTIME	0
#define PTP_VMW_PCLK(sub)	(((u32)(sub) << 16) | PTP_VMW_CMD_PCLK)

/* The device the platform driver binds: ACPI _HID, or our own when ACPI is off. */
#define PTP_VMW_ACPI_HID	"VMW0005"
#define PTP_VMW_NAME		"ptp_vmw"

/**
 * struct ptp_vmw_counts - one CPU's share of a clock's read counters
 * @successful_reads: GETTIME calls the host answered
 * @failed_reads:     GETTIME calls the host refused (reported as -EIO)
 */
struct ptp_vmw_counts {
	u64 successful_reads;
	u64 failed_reads;
};

/**
 * struct ptp_vmw - one precision clock
 * @info:             clock operations; the PTP core hands it back to every op
 * @clock:            the registered PTP clock
 * @dev:              the device the clock hangs off (VMW0005:00 or ptp_vmw)
 * @counts:           read counters, per CPU so that readers on different CPUs
 *                    never write the same cache line; the probe's self-test
 *                    counts as a successful read
 * @last_error:       the host's status word of the latest refused call,
 *                    0 if none
 * @failing:          1 while the latest call failed; drives the log lines
 *                    at the start and the end of an outage
 * @reported:         1 if the start of the current outage was logged
 * @log_limit:        bounds outage log lines however often the clock is read
 *
 * No lock is taken on the read path; readers share only @failing, which they
 * read, and write only while the clock fails.
 */
struct ptp_vmw {
	struct ptp_clock_info info;
	struct ptp_clock *clock;
	struct device *dev;
	struct ptp_vmw_counts __percpu *counts;
	atomic_t last_error;
	atomic_t failing;
	atomic_t reported;
	struct ratelimit_state log_limit;
};

#endif /* PTP_VMW_H */
