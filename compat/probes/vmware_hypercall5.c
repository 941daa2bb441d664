// SPDX-License-Identifier: GPL-2.0-only
/*
 * HAVE_VMWARE_HYPERCALL5: <asm/vmware.h> provides vmware_hypercall5(), the
 * call that also passes arguments in EDX, ESI and EDI.
 *
 * Added with vmware_hypercall3() in Linux 6.12 ("x86/vmware: Introduce
 * VMware hypercall API"); probed on its own because the driver uses it for
 * a different request (a clock write), and a kernel that ever dropped one
 * helper but kept the other must not be taken for one that has both.
 */
#include <linux/kernel.h>
#include <linux/objtool.h>
#include <asm/cpufeature.h>
#include <asm/vmware.h>

unsigned long ptp_vmw_probe(void);
unsigned long ptp_vmw_probe(void)
{
	u32 ecx;

	return vmware_hypercall5(97 | 2 << 16, 0, 0, 0, 0, &ecx) + ecx;
}
