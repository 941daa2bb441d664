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
 *
 * The writes take one 64-bit argument, ESI = high 32 bits, EDI = low 32
 * bits, with EBX = EDX = 0. Only some hosts implement them; the others
 * refuse them like any unknown subcommand.
 *   SETTIME  the new time, nanoseconds since the Unix epoch
 *   ADJTIME  a signed step in nanoseconds
 *   ADJFREQ  a signed frequency offset in the PTP core's scaled ppm
 *            (parts per million with a 16-bit binary fraction)
 */
#define PTP_VMW_CMD_PCLK	97
#define PTP_VMW_PCLK_GETTIME	0
#define PTP_VMW_PCLK_SETTIME	1
#define PTP_VMW_PCLK_ADJTIME	2
#define PTP_VMW_PCLK_ADJFREQ	3
#define PTP_VMW_PCLK(sub)	(((u32)(sub) << 16) | PTP_VMW_CMD_PCLK)

/* The largest frequency offset, in ppb, a host that takes writes accepts. */
#define PTP_VMW_MAX_ADJ		999999999

#endif /* PTP_VMW_H */
