/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMware precision clock: the backdoor command the driver speaks.
 *
 * How a command reaches the host (magic, port, VMCALL or VMMCALL) is the
 * hypercall's business, in compat/compat.h; this header says only what is
 * asked. The two headers do not include each other.
 */
#ifndef PTP_VMW_H
#define PTP_VMW_H

#include <linux/types.h>

/*
 * Precision clock command: ECX bits 15:0 hold the command, bits 31:16 the
 * subcommand. EAX = 0 on return means success, anything else a refusal.
 *
 * GETTIME answers with the host's time in nanoseconds since the Unix epoch
 * (UTC, no leap-second information): EBX = high 32 bits, ECX = low 32 bits.
 */
#define PTP_VMW_CMD_PCLK	97
#define PTP_VMW_PCLK_GETTIME	0
#define PTP_VMW_PCLK(sub)	(((u32)(sub) << 16) | PTP_VMW_CMD_PCLK)

#endif /* PTP_VMW_H */
