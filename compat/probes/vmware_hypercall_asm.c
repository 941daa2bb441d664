// SPDX-License-Identifier: GPL-2.0-only
/*
 * HAVE_VMWARE_HYPERCALL_ASM: <asm/vmware.h> provides the VMWARE_HYPERCALL
 * asm string, an alternative that loads the backdoor port into %dx itself
 * and is patched to VMCALL or VMMCALL where the host offers them.
 *
 * Present from Linux 5.4 ("x86/vmware: Add a header file for hypercall
 * definitions" and the VMCALL/VMMCALL support after it) until 6.12, which
 * replaced it with vmware_hypercall*() (see vmware_hypercall3.c).
 */
#include <linux/kernel.h>
#include <linux/objtool.h>
#include <asm/cpufeature.h>
#include <asm/vmware.h>

u32 ptp_vmw_probe(void);
u32 ptp_vmw_probe(void)
{
	u32 eax, ebx, ecx, edx;

	asm volatile(VMWARE_HYPERCALL
		     : "=a" (eax), "=b" (ebx), "=c" (ecx), "=d" (edx)
		     : "a" (0x564d5868U), "b" (0), "c" (97), "d" (0)
		     : "si", "di", "cc", "memory");
	return eax + ebx + ecx + edx;
}
