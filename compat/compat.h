/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Everything that differs between kernel versions, in one place.
 *
 * compat/probe.sh compiles one small probe per API difference against the
 * target kernel's headers and writes probed.h; this file turns its HAVE_*
 * answers into the one primitive the driver needs. The driver itself contains
 * no version checks.
 */
#ifndef PTP_VMW_COMPAT_H
#define PTP_VMW_COMPAT_H

#include <linux/types.h>

#include "probed.h"

/*
 * Every kernel the driver supports has one of the two hypercall primitives
 * below (a missing <asm/vmware.h>, before Linux 5.4, fails both probes).
 * There is no fallback of our own: it would be code no kernel in the test
 * matrix compiles.
 */
#if !defined(HAVE_VMWARE_HYPERCALL3) && !defined(HAVE_VMWARE_HYPERCALL_ASM)
#error "ptp_vmw: <asm/vmware.h> offers neither vmware_hypercall3() nor VMWARE_HYPERCALL"
#endif

/* <asm/vmware.h> is not self-contained in every version. */
#include <linux/objtool.h>
#include <asm/cpufeature.h>
#include <asm/vmware.h>

/*
 * ptp_vmw_backdoor() - one low-bandwidth VMware backdoor call.
 * @cmd:  command in bits 15:0, subcommand in bits 31:16
 * @out1: receives EBX
 * @out2: receives ECX
 *
 * Return: the host's status word (EAX).
 */
#if defined(HAVE_VMWARE_HYPERCALL3)

/* The kernel picks port I/O, VMCALL, VMMCALL or TDX at run time. */
static __always_inline u32 ptp_vmw_backdoor(u32 cmd, u32 *out1, u32 *out2)
{
	return vmware_hypercall3(cmd, 0, out1, out2);
}

#else /* HAVE_VMWARE_HYPERCALL_ASM */

/*
 * The backdoor's magic in EAX, which vmware_hypercall*() load themselves;
 * before them the kernel kept it private to arch/x86/kernel/cpu/vmware.c.
 */
#define PTP_VMW_BACKDOOR_MAGIC	0x564d5868U

/* Port I/O, patched by alternatives to VMCALL or VMMCALL where supported. */
static __always_inline u32 ptp_vmw_backdoor(u32 cmd, u32 *out1, u32 *out2)
{
	u32 eax, edx;

	asm volatile(VMWARE_HYPERCALL
		     : "=a" (eax), "=b" (*out1), "=c" (*out2), "=d" (edx)
		     : "a" (PTP_VMW_BACKDOOR_MAGIC), "b" (0), "c" (cmd), "d" (0)
		     : "si", "di", "cc", "memory");
	return eax;
}

#endif

#endif /* PTP_VMW_COMPAT_H */
