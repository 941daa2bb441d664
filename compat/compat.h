/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Everything that differs between kernel versions, in one place.
 *
 * compat/probe.sh compiles one small probe per API difference against the
 * target kernel's headers and writes probed.h; this file turns its HAVE_*
 * answers into the two primitives the driver needs. The driver itself
 * contains no version checks.
 */
#ifndef PTP_VMW_COMPAT_H
#define PTP_VMW_COMPAT_H

#include <linux/kernel.h>
#include <linux/types.h>

#include "probed.h"
#include "../ptp_vmw.h"

/*
 * Every kernel the driver supports has the kernel's hypercall helpers or,
 * before them, the VMWARE_HYPERCALL asm macro (a missing <asm/vmware.h>,
 * before Linux 5.4, fails every probe). There is no fallback of our own:
 * it would be code no kernel in the test matrix compiles.
 */
#if defined(HAVE_VMWARE_HYPERCALL3) && defined(HAVE_VMWARE_HYPERCALL5)
#define PTP_VMW_HYPERCALL_HELPERS 1
#elif !defined(HAVE_VMWARE_HYPERCALL_ASM)
#error "ptp_vmw: <asm/vmware.h> offers neither vmware_hypercall3()/5() nor VMWARE_HYPERCALL"
#endif

/* <asm/vmware.h> is not self-contained in every version. */
#include <linux/objtool.h>
#include <asm/cpufeature.h>
#include <asm/vmware.h>

/*
 * ptp_vmw_backdoor() - one low-bandwidth VMware backdoor call that reads.
 * @cmd:  command in bits 15:0, subcommand in bits 31:16
 * @out1: receives EBX
 * @out2: receives ECX
 *
 * EBX, EDX, ESI and EDI go in as 0.
 *
 * Return: the host's status word (EAX).
 *
 * ptp_vmw_backdoor_arg() - one backdoor call that passes a 64-bit argument.
 * @cmd:  command in bits 15:0, subcommand in bits 31:16
 * @arg:  the argument: ESI = bits 63:32, EDI = bits 31:0
 *
 * EBX and EDX go in as 0; what the host leaves in the other registers is
 * dropped.
 *
 * Return: the host's status word (EAX).
 */
#ifdef PTP_VMW_HYPERCALL_HELPERS

/* The kernel picks port I/O, VMCALL, VMMCALL or TDX at run time. */
static __always_inline u32 ptp_vmw_backdoor(u32 cmd, u32 *out1, u32 *out2)
{
	return vmware_hypercall3(cmd, 0, out1, out2);
}

static __always_inline u32 ptp_vmw_backdoor_arg(u32 cmd, u64 arg)
{
	u32 ecx;

	return vmware_hypercall5(cmd, 0, 0, upper_32_bits(arg),
				 lower_32_bits(arg), &ecx);
}

#else /* HAVE_VMWARE_HYPERCALL_ASM */

/*
 * Port I/O, patched by alternatives to VMCALL or VMMCALL where supported.
 * The macro loads the port; the magic in EAX is ours (ptp_vmw.h), which
 * vmware_hypercall*() load themselves and before them the kernel kept
 * private to arch/x86/kernel/cpu/vmware.c.
 */
static __always_inline u32 ptp_vmw_backdoor(u32 cmd, u32 *out1, u32 *out2)
{
	u32 eax, edx;

	asm volatile(VMWARE_HYPERCALL
		     : "=a" (eax), "=b" (*out1), "=c" (*out2), "=d" (edx)
		     : "a" (PTP_VMW_BACKDOOR_MAGIC), "b" (0), "c" (cmd), "d" (0)
		     : "si", "di", "cc", "memory");
	return eax;
}

static __always_inline u32 ptp_vmw_backdoor_arg(u32 cmd, u64 arg)
{
	u32 eax, ebx, ecx, edx;
	u32 esi = upper_32_bits(arg), edi = lower_32_bits(arg);

	asm volatile(VMWARE_HYPERCALL
		     : "=a" (eax), "=b" (ebx), "=c" (ecx), "=d" (edx),
		       "+S" (esi), "+D" (edi)
		     : "a" (PTP_VMW_BACKDOOR_MAGIC), "b" (0), "c" (cmd), "d" (0)
		     : "cc", "memory");
	return eax;
}

#endif

#endif /* PTP_VMW_COMPAT_H */
