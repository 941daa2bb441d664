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
#include <linux/device.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/platform_device.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/ratelimit.h>
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

/* ---- Protocol ---------------------------------------------------------- */

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
	*ns = (u64)hi << 32 | lo;
	return status;
}

/* ---- Counters and log lines ------------------------------------------- */

static void ptp_vmw_totals(struct ptp_vmw *vmw, struct ptp_vmw_counts *sum)
{
	const struct ptp_vmw_counts *c;
	int cpu;

	sum->successful_reads = 0;
	sum->failed_reads = 0;
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(vmw->counts, cpu);
		sum->successful_reads += READ_ONCE(c->successful_reads);
		sum->failed_reads += READ_ONCE(c->failed_reads);
	}
}

static void ptp_vmw_count_success(struct ptp_vmw *vmw)
{
	struct ptp_vmw_counts sum;

	this_cpu_inc(vmw->counts->successful_reads);
	if (unlikely(atomic_read(&vmw->failing)) &&
	    atomic_xchg(&vmw->failing, 0) && atomic_xchg(&vmw->reported, 0)) {
		ptp_vmw_totals(vmw, &sum);
		dev_info(vmw->dev, "clock answering again (%llu failed reads in all)\n",
			 sum.failed_reads);
	}
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

/* ---- Clock operations -------------------------------------------------- */

static inline struct ptp_vmw *to_ptp_vmw(struct ptp_clock_info *info)
{
	return container_of(info, struct ptp_vmw, info);
}

/*
 * One reading, one hypercall. When the caller wants the system time around
 * it (PTP_SYS_OFFSET_EXTENDED), the timestamps sit immediately around the
 * hypercall with interrupts off, so that nothing but the VM exit widens the
 * bracket; a plain reading pays for neither. The PTP core calls this for
 * plain reads too (clock_gettime, PTP_SYS_OFFSET, virtual clocks), with
 * @sts NULL, so there is no separate gettime64.
 */
static int ptp_vmw_gettimex64(struct ptp_clock_info *info,
			      struct timespec64 *ts,
			      struct ptp_system_timestamp *sts)
{
	struct ptp_vmw *vmw = to_ptp_vmw(info);
	unsigned long flags;
	u32 status;
	u64 ns;

	if (sts) {
		local_irq_save(flags);
		ptp_read_system_prets(sts);
		status = ptp_vmw_gettime_raw(&ns);
		ptp_read_system_postts(sts);
		local_irq_restore(flags);
	} else {
		status = ptp_vmw_gettime_raw(&ns);
	}

	if (unlikely(status))
		return ptp_vmw_count_failure(vmw, status);
	ptp_vmw_count_success(vmw);
	*ts = ns_to_timespec64(ns);
	return 0;
}

/* The host owns the clock: the guest can read it, never steer it. */
static int ptp_vmw_settime64(struct ptp_clock_info *info,
			     const struct timespec64 *ts)
{
	return -EOPNOTSUPP;
}

static int ptp_vmw_adjtime(struct ptp_clock_info *info, s64 delta)
{
	return -EOPNOTSUPP;
}

static int ptp_vmw_adjfine(struct ptp_clock_info *info, long scaled_ppm)
{
	return -EOPNOTSUPP;
}

static int ptp_vmw_enable(struct ptp_clock_info *info,
			  struct ptp_clock_request *rq, int on)
{
	return -EOPNOTSUPP;
}

/*
 * No getcrosststamp: GETTIME returns no counter value paired with the host
 * time, so PTP_SYS_OFFSET_PRECISE fails with EOPNOTSUPP in the PTP core.
 */
static const struct ptp_clock_info ptp_vmw_clock_info = {
	.owner		= THIS_MODULE,
	.name		= PTP_VMW_NAME,
	.max_adj	= 0,
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

static int ptp_vmw_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
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
	vmw->info = ptp_vmw_clock_info;
	this_cpu_inc(vmw->counts->successful_reads);
	/* At most two outage reports a minute, however often chrony polls. */
	ratelimit_state_init(&vmw->log_limit, 60 * HZ, 2);
	platform_set_drvdata(pdev, vmw);

	vmw->clock = ptp_clock_register(&vmw->info, dev);
	if (IS_ERR(vmw->clock))
		return dev_err_probe(dev, PTR_ERR(vmw->clock),
				     "cannot register the PTP clock\n");
	err = devm_add_action_or_reset(dev, ptp_vmw_unregister, vmw->clock);
	if (err)
		return err;

	dev_info(dev, "VMware precision clock registered as ptp%d\n",
		 ptp_clock_index(vmw->clock));
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
