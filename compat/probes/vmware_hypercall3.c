// SPDX-License-Identifier: GPL-2.0-only
/*
 * HAVE_VMWARE_HYPERCALL3: <asm/vmware.h> provides vmware_hypercall3().
 *
 * Linux 6.12 ("x86/vmware: Introduce VMware hypercall API") replaced the
 * open-coded VMWARE_HYPERCALL asm with inline helpers that choose port I/O,
 * VMCALL, VMMCALL or a TDX call at run time, and #undef'd the old macro.
 */
#include <linux/kernel.h>
#include <linux/objtool.h>
#include <asm/cpufeature.h>
#include <asm/vmware.h>

unsigned long ptp_vmw_probe(void);
unsigned long ptp_vmw_probe(void)
{
	u32 hi, lo;

	return vmware_hypercall3(97, 0, &hi, &lo) + hi + lo;
}
