// SPDX-License-Identifier: GPL-2.0-only
/*
 * PTP hardware clock for the VMware precision clock.
 *
 * A VMware guest with a "Precision Clock" device (ACPI _HID VMW0005) reads the
 * ESXi host's time through one backdoor hypercall. This driver exposes it as
 * /dev/ptpN so that chrony (refclock PHC) or phc2sys can keep the guest's
 * system clock on the host's.
 *
 * The file reads top to bottom: the per-device state, the protocol (one
 * hypercall), the clock operations, the operator counters, the device glue,
 * module init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/platform_device.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/sysfs.h>
#include <linux/time64.h>
#include <asm/hypervisor.h>

#include "ptp_vmw.h"
#include "compat/compat.h"

#if !IS_REACHABLE(CONFIG_PTP_1588_CLOCK)
#error "ptp_vmw needs a kernel with CONFIG_PTP_1588_CLOCK"
#endif

/* ---- Per-device state ------------------------------------------------ */

/* The device the platform driver binds: ACPI _HID, or our own when ACPI is off. */
#define PTP_VMW_ACPI_HID	"VMW0005"
#define PTP_VMW_NAME		"ptp_vmw"

/*
 * Writes are opt-in: the host owns the clock, and a guest that steps it
 * moves the time every other reader of the host's clock sees, every other
 * VM on the host included. Even then a write needs what setting the
 * guest's own time needs, CAP_SYS_TIME, whatever the mode of /dev/ptpN.
 */
static bool writable;
module_param(writable, bool, 0444);
MODULE_PARM_DESC(writable,
		 "Let root set, step and slew the clock (clock_settime, clock_adjtime, phc2sys -c) if the host accepts writes; checked once, at probe, without changing the clock. This sets the whole ESXi host's clock; each write needs CAP_SYS_TIME. Never steer (phc2sys -c) the clock chrony reads. Default: N, read-only.");

/**
 * struct ptp_vmw_counts - one CPU's share of a clock's counters
 * @successful_reads:  GETTIME calls the host answered
 * @failed_reads:      GETTIME calls the host refused (reported as -EIO)
 * @successful_writes: SETTIME, ADJTIME and ADJFREQ calls the host accepted
 * @failed_writes:     write calls the host refused (reported as -EIO)
 * @denied_writes:     writes refused before the host was asked, because
 *                     the caller lacked CAP_SYS_TIME (reported as -EPERM)
 */
struct ptp_vmw_counts {
	u64 successful_reads;
	u64 failed_reads;
	u64 successful_writes;
	u64 failed_writes;
	u64 denied_writes;
};

/**
 * struct ptp_vmw - one precision clock
 * @info:             clock operations; the PTP core hands it back to every op
 * @clock:            the registered PTP clock
 * @dev:              the device the clock hangs off (VMW0005:00 or ptp_vmw)
 * @counts:           call counters, per CPU so that readers on different CPUs
 *                    never write the same cache line; the probe's self-test
 *                    counts as a read, its write test (if any) as a write
 * @last_error:       the host's status word of the latest refused call,
 *                    0 if none
 * @failing:          1 while the latest call failed; drives the log lines
 *                    at the start and the end of an outage
 * @reported:         1 if the start of the current outage was logged
 * @log_limit:        bounds outage log lines however often the clock is read
 * @write_log_limit:  bounds log lines about refused writes
 * @denied_log_limit: bounds log lines about callers without CAP_SYS_TIME,
 *                    apart from @write_log_limit so that a flood of them
 *                    cannot hide the host refusing root's writes
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
	struct ratelimit_state write_log_limit;
	struct ratelimit_state denied_log_limit;
};

/* ---- Protocol ---------------------------------------------------------- */

/* GETTIME's answer, EBX:ECX, as nanoseconds since the Unix epoch. */
static __always_inline u64 ptp_vmw_ns(u32 hi, u32 lo)
{
	return (u64)hi << 32 | lo;
}

/*
 * ptp_vmw_gettime_raw() - ask the host for its time: exactly one hypercall.
 * @ns: receives nanoseconds since the Unix epoch when the host answers
 *
 * Return: the host's status word, 0 on success.
 */
static __always_inline u32 ptp_vmw_gettime_raw(u64 *ns)
{
	u32 hi, lo, status;

	status = ptp_vmw_backdoor(PTP_VMW_PCLK(PTP_VMW_PCLK_GETTIME), &hi, &lo);
	*ns = ptp_vmw_ns(hi, lo);
	return status;
}

/*
 * ptp_vmw_write_raw() - one clock write: exactly one hypercall.
 * @sub: PTP_VMW_PCLK_SETTIME, _ADJTIME or _ADJFREQ
 * @arg: its 64-bit argument
 *
 * Return: the host's status word, 0 if the host took the write.
 */
static u32 ptp_vmw_write_raw(u32 sub, u64 arg)
{
	return ptp_vmw_backdoor_arg(PTP_VMW_PCLK(sub), arg);
}

/* ---- Counters and log lines ------------------------------------------- */

static void ptp_vmw_totals(struct ptp_vmw *vmw, struct ptp_vmw_counts *sum)
{
	const struct ptp_vmw_counts *c;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(vmw->counts, cpu);
		sum->successful_reads += READ_ONCE(c->successful_reads);
		sum->failed_reads += READ_ONCE(c->failed_reads);
		sum->successful_writes += READ_ONCE(c->successful_writes);
		sum->failed_writes += READ_ONCE(c->failed_writes);
		sum->denied_writes += READ_ONCE(c->denied_writes);
	}
}

/*
 * The first success after a failure: end the outage, and say so if its start
 * was logged. Out of line: the read path pays only for the test of @failing.
 */
static noinline void ptp_vmw_recovered(struct ptp_vmw *vmw)
{
	struct ptp_vmw_counts sum;

	if (atomic_xchg(&vmw->failing, 0) && atomic_xchg(&vmw->reported, 0)) {
		ptp_vmw_totals(vmw, &sum);
		dev_info(vmw->dev, "clock answering again (%llu failed reads in all)\n",
			 sum.failed_reads);
	}
}

static void ptp_vmw_count_success(struct ptp_vmw *vmw)
{
	this_cpu_inc(vmw->counts->successful_reads);
	if (unlikely(atomic_read(&vmw->failing)))
		ptp_vmw_recovered(vmw);
}

static int ptp_vmw_count_failure(struct ptp_vmw *vmw, u32 status)
{
	this_cpu_inc(vmw->counts->failed_reads);
	atomic_set(&vmw->last_error, status);
	if (!atomic_xchg(&vmw->failing, 1) && __ratelimit(&vmw->log_limit)) {
		atomic_set(&vmw->reported, 1);
		dev_warn(vmw->dev,
			 "clock stopped answering (host status %#x); reads fail with EIO until it recovers\n",
			 status);
	}
	return -EIO;
}

/* One write call, counted; returns the host's status word. */
static u32 ptp_vmw_write_counted(struct ptp_vmw *vmw, u32 sub, u64 arg)
{
	u32 status = ptp_vmw_write_raw(sub, arg);

	if (unlikely(status)) {
		this_cpu_inc(vmw->counts->failed_writes);
		atomic_set(&vmw->last_error, status);
	} else {
		this_cpu_inc(vmw->counts->successful_writes);
	}
	return status;
}

/* ---- Clock operations -------------------------------------------------- */

static inline struct ptp_vmw *to_ptp_vmw(struct ptp_clock_info *info)
{
	return container_of(info, struct ptp_vmw, info);
}

/*
 * A reading's end: count it, and hand the answer over as a timespec. The
 * division by a constant is a multiplication on 64-bit kernels, where
 * ns_to_timespec64() would be a call that also handles negative times (the
 * host's answer is unsigned).
 */
static __always_inline int ptp_vmw_reading(struct ptp_vmw *vmw, u32 status,
					   u64 ns, struct timespec64 *ts)
{
	u32 nsec;

	if (unlikely(status))
		return ptp_vmw_count_failure(vmw, status);
	ptp_vmw_count_success(vmw);
	ts->tv_sec = div_u64_rem(ns, NSEC_PER_SEC, &nsec);
	ts->tv_nsec = nsec;
	return 0;
}

/*
 * A reading with the system time around it (PTP_SYS_OFFSET_EXTENDED): the
 * timestamps sit immediately around the hypercall with interrupts off, so
 * that nothing but the VM exit widens the bracket; the answer's halves are
 * put together after the second one. Out of line, so that a plain reading
 * pays nothing for it, not even the registers it needs.
 */
static noinline int ptp_vmw_gettime_bracketed(struct ptp_vmw *vmw,
					      struct timespec64 *ts,
					      struct ptp_system_timestamp *sts)
{
	unsigned long flags;
	u32 status, hi, lo;

	local_irq_save(flags);
	ptp_read_system_prets(sts);
	status = ptp_vmw_backdoor(PTP_VMW_PCLK(PTP_VMW_PCLK_GETTIME), &hi, &lo);
	ptp_read_system_postts(sts);
	local_irq_restore(flags);
	return ptp_vmw_reading(vmw, status, ptp_vmw_ns(hi, lo), ts);
}

/*
 * One reading, one hypercall. The PTP core calls this for plain reads too
 * (clock_gettime, PTP_SYS_OFFSET, virtual clocks), with @sts NULL, so there
 * is no separate gettime64.
 */
static int ptp_vmw_gettimex64(struct ptp_clock_info *info,
			      struct timespec64 *ts,
			      struct ptp_system_timestamp *sts)
{
	struct ptp_vmw *vmw = to_ptp_vmw(info);
	u32 status;
	u64 ns;

	if (sts)
		return ptp_vmw_gettime_bracketed(vmw, ts, sts);
	status = ptp_vmw_gettime_raw(&ns);
	return ptp_vmw_reading(vmw, status, ns, ts);
}

/*
 * Read-only (the default): the host owns the clock, and the driver never
 * asks it to change. The operation is not offered, hence EOPNOTSUPP.
 */
static int ptp_vmw_ro_settime64(struct ptp_clock_info *info,
				const struct timespec64 *ts)
{
	return -EOPNOTSUPP;
}

static int ptp_vmw_ro_adjtime(struct ptp_clock_info *info, s64 delta)
{
	return -EOPNOTSUPP;
}

static int ptp_vmw_ro_adjfine(struct ptp_clock_info *info, long scaled_ppm)
{
	return -EOPNOTSUPP;
}

/*
 * A write from a caller without CAP_SYS_TIME: refused before the host is
 * asked. Out of line, so that root's writes pay only for the test.
 */
static noinline int ptp_vmw_write_denied(struct ptp_vmw *vmw, u32 sub)
{
	this_cpu_inc(vmw->counts->denied_writes);
	if (__ratelimit(&vmw->denied_log_limit))
		dev_notice(vmw->dev,
			   "refused a clock write (subcommand %u) from %s[%d], uid %u: it needs CAP_SYS_TIME\n",
			   sub, current->comm, task_pid_nr(current),
			   from_kuid_munged(&init_user_ns, current_uid()));
	return -EPERM;
}

/*
 * Writable (writable=1 and a host that took the probe's test write): one
 * hypercall per operation. A write the host refuses now returns EIO, not
 * EOPNOTSUPP: the host did take writes at probe, so this is a failure of
 * the call, like a refused reading, which the caller may retry; EOPNOTSUPP
 * would tell phc2sys or chrony that the operation can never work.
 *
 * Setting this clock sets the whole host's, which every VM on it reads: a
 * write needs CAP_SYS_TIME in the initial user namespace, as setting the
 * guest's own clock does. The PTP core asks only that /dev/ptpN be open for
 * writing, and sites give PTP nodes to a group so that ptp4l and phc2sys run
 * unprivileged; such a group must not be able to steer a host. The PTP core
 * calls these operations from clock_settime() and clock_adjtime(), in the
 * caller's context, so the test is of the caller at the time of the write,
 * not of whoever opened the node.
 */
static int ptp_vmw_write(struct ptp_clock_info *info, u32 sub, u64 arg)
{
	struct ptp_vmw *vmw = to_ptp_vmw(info);
	u32 status;

	if (unlikely(!capable(CAP_SYS_TIME)))
		return ptp_vmw_write_denied(vmw, sub);
	status = ptp_vmw_write_counted(vmw, sub, arg);
	if (likely(!status))
		return 0;
	if (__ratelimit(&vmw->write_log_limit))
		dev_warn(vmw->dev,
			 "host refused a clock write (subcommand %u, host status %#x); the caller gets EIO\n",
			 sub, status);
	return -EIO;
}

static int ptp_vmw_settime64(struct ptp_clock_info *info,
			     const struct timespec64 *ts)
{
	return ptp_vmw_write(info, PTP_VMW_PCLK_SETTIME, timespec64_to_ns(ts));
}

static int ptp_vmw_adjtime(struct ptp_clock_info *info, s64 delta)
{
	return ptp_vmw_write(info, PTP_VMW_PCLK_ADJTIME, (u64)delta);
}

/* scaled_ppm goes to the host as it is, sign-extended to 64 bits. */
static int ptp_vmw_adjfine(struct ptp_clock_info *info, long scaled_ppm)
{
	return ptp_vmw_write(info, PTP_VMW_PCLK_ADJFREQ, (u64)(s64)scaled_ppm);
}

static int ptp_vmw_enable(struct ptp_clock_info *info,
			  struct ptp_clock_request *rq, int on)
{
	return -EOPNOTSUPP;
}

/*
 * No getcrosststamp: GETTIME returns no counter value paired with the host
 * time, so PTP_SYS_OFFSET_PRECISE fails with EOPNOTSUPP in the PTP core.
 * With max_adj 0 the PTP core refuses any non-zero frequency with ERANGE
 * before the driver is asked.
 */
static const struct ptp_clock_info ptp_vmw_clock_info = {
	.owner		= THIS_MODULE,
	.name		= PTP_VMW_NAME,
	.max_adj	= 0,
	.gettimex64	= ptp_vmw_gettimex64,
	.settime64	= ptp_vmw_ro_settime64,
	.adjtime	= ptp_vmw_ro_adjtime,
	.adjfine	= ptp_vmw_ro_adjfine,
	.enable		= ptp_vmw_enable,
};

static const struct ptp_clock_info ptp_vmw_writable_clock_info = {
	.owner		= THIS_MODULE,
	.name		= PTP_VMW_NAME,
	.max_adj	= PTP_VMW_MAX_ADJ,
	.gettimex64	= ptp_vmw_gettimex64,
	.settime64	= ptp_vmw_settime64,
	.adjtime	= ptp_vmw_adjtime,
	.adjfine	= ptp_vmw_adjfine,
	.enable		= ptp_vmw_enable,
};

/* ---- Operator counters: /sys/class/ptp/ptpN/device/statistics/ -------- */

static ssize_t successful_reads_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct ptp_vmw_counts sum;

	ptp_vmw_totals(dev_get_drvdata(dev), &sum);
	return sysfs_emit(buf, "%llu\n", sum.successful_reads);
}
static DEVICE_ATTR_RO(successful_reads);

static ssize_t failed_reads_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct ptp_vmw_counts sum;

	ptp_vmw_totals(dev_get_drvdata(dev), &sum);
	return sysfs_emit(buf, "%llu\n", sum.failed_reads);
}
static DEVICE_ATTR_RO(failed_reads);

static ssize_t successful_writes_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	struct ptp_vmw_counts sum;

	ptp_vmw_totals(dev_get_drvdata(dev), &sum);
	return sysfs_emit(buf, "%llu\n", sum.successful_writes);
}
static DEVICE_ATTR_RO(successful_writes);

static ssize_t failed_writes_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct ptp_vmw_counts sum;

	ptp_vmw_totals(dev_get_drvdata(dev), &sum);
	return sysfs_emit(buf, "%llu\n", sum.failed_writes);
}
static DEVICE_ATTR_RO(failed_writes);

static ssize_t denied_writes_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct ptp_vmw_counts sum;

	ptp_vmw_totals(dev_get_drvdata(dev), &sum);
	return sysfs_emit(buf, "%llu\n", sum.denied_writes);
}
static DEVICE_ATTR_RO(denied_writes);

static ssize_t last_error_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct ptp_vmw *vmw = dev_get_drvdata(dev);

	return sysfs_emit(buf, "0x%08x\n", (u32)atomic_read(&vmw->last_error));
}
static DEVICE_ATTR_RO(last_error);

static struct attribute *ptp_vmw_stat_attrs[] = {
	&dev_attr_successful_reads.attr,
	&dev_attr_failed_reads.attr,
	&dev_attr_successful_writes.attr,
	&dev_attr_failed_writes.attr,
	&dev_attr_denied_writes.attr,
	&dev_attr_last_error.attr,
	NULL
};

static const struct attribute_group ptp_vmw_stat_group = {
	.name	= "statistics",
	.attrs	= ptp_vmw_stat_attrs,
};

static const struct attribute_group *ptp_vmw_groups[] = {
	&ptp_vmw_stat_group,
	NULL
};

/* ---- Device glue ------------------------------------------------------- */

static void ptp_vmw_unregister(void *clock)
{
	ptp_clock_unregister(clock);
}

/*
 * ptp_vmw_host_takes_writes() - with writable=1: does the host take writes?
 *
 * Asked without changing the clock: the test write is an ADJTIME of 0 ns,
 * which a host that takes writes carries out as a step by nothing, and one
 * that does not refuses like any unknown subcommand. The other writes
 * would change something: ADJFREQ has no "keep the current rate" value (0
 * would reset a frequency offset the host clock carries, from an earlier
 * load of this driver, say), and SETTIME could only write back a time read
 * a moment before, setting the clock back by the time in between. The test
 * write is counted like any other.
 *
 * Return: true if the host took it. If it did not, one log line says so.
 */
static bool ptp_vmw_host_takes_writes(struct ptp_vmw *vmw)
{
	u32 status;

	status = ptp_vmw_write_counted(vmw, PTP_VMW_PCLK_ADJTIME, 0);
	if (status)
		dev_warn(vmw->dev,
			 "writable=1, but the host refuses clock writes (host status %#x); the clock stays read-only\n",
			 status);
	return !status;
}

static int ptp_vmw_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	bool writes = false;
	struct ptp_vmw *vmw;
	u32 status;
	u64 ns;
	int err;

	vmw = devm_kzalloc(dev, sizeof(*vmw), GFP_KERNEL);
	if (!vmw)
		return -ENOMEM;
	vmw->counts = devm_alloc_percpu(dev, struct ptp_vmw_counts);
	if (!vmw->counts)
		return -ENOMEM;

	/* Self-test: a device whose clock never answers gets no /dev/ptp. */
	status = ptp_vmw_gettime_raw(&ns);
	if (status) {
		dev_err(dev, "precision clock device present, but the clock does not answer (host status %#x); no PTP clock registered\n",
			status);
		return -ENODEV;
	}

	vmw->dev = dev;
	this_cpu_inc(vmw->counts->successful_reads);
	/* At most two outage reports a minute, however often chrony polls. */
	ratelimit_state_init(&vmw->log_limit, 60 * HZ, 2);
	/* The same for refused writes, however often phc2sys steers. */
	ratelimit_state_init(&vmw->write_log_limit, 60 * HZ, 2);
	/* And for writes without CAP_SYS_TIME, however often they come. */
	ratelimit_state_init(&vmw->denied_log_limit, 60 * HZ, 2);
	platform_set_drvdata(pdev, vmw);

	if (writable)
		writes = ptp_vmw_host_takes_writes(vmw);
	vmw->info = writes ? ptp_vmw_writable_clock_info : ptp_vmw_clock_info;

	vmw->clock = ptp_clock_register(&vmw->info, dev);
	if (IS_ERR(vmw->clock))
		return dev_err_probe(dev, PTR_ERR(vmw->clock),
				     "cannot register the PTP clock\n");
	err = devm_add_action_or_reset(dev, ptp_vmw_unregister, vmw->clock);
	if (err)
		return err;

	dev_info(dev, "VMware precision clock registered as ptp%d (%s)\n",
		 ptp_clock_index(vmw->clock), writes ? "writable" : "read-only");
	return 0;
}

static const struct acpi_device_id ptp_vmw_acpi_ids[] = {
	{ PTP_VMW_ACPI_HID, 0 },
	{ }
};
MODULE_DEVICE_TABLE(acpi, ptp_vmw_acpi_ids);

/*
 * No remove callback: everything probe set up is device-managed and undone,
 * in reverse order, when the device is unbound.
 */
static struct platform_driver ptp_vmw_driver = {
	.probe	= ptp_vmw_probe,
	.driver	= {
		.name			= PTP_VMW_NAME,
		.acpi_match_table	= ptp_vmw_acpi_ids,
		.dev_groups		= ptp_vmw_groups,
	},
};

/*
 * With ACPI disabled (acpi=off) there is no VMW0005 device to bind. Ask the
 * hypervisor directly; if the clock answers, create the device ourselves,
 * named like the driver so that the two match. The module keeps the device
 * it created, and removes exactly that one at exit: another platform device
 * that happens to be called ptp_vmw is none of its business.
 */
static struct platform_device *ptp_vmw_direct_pdev;

static int ptp_vmw_add_direct_device(void)
{
	struct platform_device *pdev;
	u32 status;
	u64 ns;

	status = ptp_vmw_gettime_raw(&ns);
	if (status) {
		pr_warn("ACPI is disabled and the precision clock does not answer (host status %#x); not loading\n",
			status);
		return -ENODEV;
	}
	pdev = platform_device_register_simple(PTP_VMW_NAME, PLATFORM_DEVID_NONE,
					       NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	ptp_vmw_direct_pdev = pdev;
	return 0;
}

/* ---- Module ------------------------------------------------------------ */

static int __init ptp_vmw_init(void)
{
	int err;

	if (!hypervisor_is_type(X86_HYPER_VMWARE)) {
		pr_warn("not a VMware guest; the VMware precision clock exists only there\n");
		return -ENODEV;
	}

	err = platform_driver_register(&ptp_vmw_driver);
	if (err || !acpi_disabled)
		return err;

	err = ptp_vmw_add_direct_device();
	if (err)
		platform_driver_unregister(&ptp_vmw_driver);
	return err;
}
module_init(ptp_vmw_init);

static void __exit ptp_vmw_exit(void)
{
	if (ptp_vmw_direct_pdev)
		platform_device_unregister(ptp_vmw_direct_pdev);
	platform_driver_unregister(&ptp_vmw_driver);
}
module_exit(ptp_vmw_exit);

MODULE_DESCRIPTION("PTP clock for the VMware precision clock device");
MODULE_AUTHOR("The ptp_vmw developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(PTP_VMW_VERSION);
