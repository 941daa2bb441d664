/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMware precision clock: the backdoor protocol the driver speaks.
 *
 * The one definition of the protocol's numbers, shared by the driver and the
 * test tools that call the host straight from user space (tests/tools): so
 * plain integer constants only, no types and no includes.
 */
#ifndef PTP_VMW_H
#define PTP_VMW_H

/*
 * The backdoor: EAX carries the magic and the low-bandwidth call is an IN
 * from the I/O port in DX (or VMCALL/VMMCALL in its place). The driver never
 * names the port: the kernel's hypercall code loads it (compat/compat.h).
 */
#define PTP_VMW_BACKDOOR_MAGIC	0x564d5868U
#define PTP_VMW_BACKDOOR_PORT	0x5658U

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
#define PTP_VMW_CMD_PCLK	97U
#define PTP_VMW_PCLK_GETTIME	0U
#define PTP_VMW_PCLK_SETTIME	1U
#define PTP_VMW_PCLK_ADJTIME	2U
#define PTP_VMW_PCLK_ADJFREQ	3U
/* ECX for subcommand @sub, an unsigned 32-bit value. */
#define PTP_VMW_PCLK(sub)	(((sub) << 16) | PTP_VMW_CMD_PCLK)

/* The largest frequency offset, in ppb, a host that takes writes accepts. */
#define PTP_VMW_MAX_ADJ		999999999

#endif /* PTP_VMW_H */
