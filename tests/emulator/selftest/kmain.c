// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmport self-test kernel: makes VMware backdoor calls as the multiboot
 * command line says and prints every result on QEMU's debug console, then
 * exits QEMU through isa-debug-exit.
 *
 * Command line tokens, run in order (anything else is ignored):
 *   gettime=N    N precision clock GETTIME calls (ECX = 97)
 *   ecx=V[*N]    N calls (default 1) with ECX = V, e.g. ecx=0x10061 is
 *                precision clock subcommand 1, ecx=10 is GETVERSION
 *   ebx=V        EBX input of the calls that follow (default 0)
 *   end=HOW      how to stop once all calls are done: exit (the default:
 *                isa-debug-exit), poweroff (ACPI S5 through the PIIX4 PM
 *                block SeaBIOS maps at 0x600), reset (port 0xcf9; QEMU exits
 *                with -no-reboot) or hang (wait for a signal to QEMU)
 * Numbers are decimal or 0x-prefixed hex, 32 bits.
 *
 * Output, one line per call on the debug console:
 *   PCLKTEST call=K in_ebx=X in_ecx=X eax=X ebx=X ecx=X
 * then "PCLKTEST done calls=N". With end=exit, the last act is writing
 * EXIT_VALUE to the isa-debug-exit port, which makes QEMU exit with status
 * (EXIT_VALUE << 1) | 1.
 */
#include <stdint.h>

#define DEBUGCON_PORT	0xe9
#define DEBUG_EXIT_PORT	0xf4
#define EXIT_VALUE	0x20	/* QEMU exit status 65 */

#define PM1A_CNT_PORT	0x604	/* SeaBIOS: PIIX4 PM base 0x600, +4 */
#define PM1_SLP_EN	(1u << 13)	/* SLP_TYP 0 is S5 in QEMU's DSDT */
#define RCR_PORT	0xcf9
#define RCR_SYS_RST	0x02
#define RCR_RST_CPU	0x04

enum end_how { END_EXIT, END_POWEROFF, END_RESET, END_HANG };

#define BDOOR_MAGIC	0x564D5868
#define BDOOR_PORT	0x5658
#define BDOOR_CMD_PCLK	97

#define MB_BOOT_MAGIC	0x2BADB002
#define MB_INFO_CMDLINE	(1u << 2)

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
};

static inline void outb(uint16_t port, uint8_t val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t val)
{
	asm volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t val)
{
	asm volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static void putc(char c)
{
	outb(DEBUGCON_PORT, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void puthex(uint32_t v)
{
	int shift;

	puts("0x");
	for (shift = 28; shift >= 0; shift -= 4)
		putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void putdec(uint32_t v)
{
	char buf[11];
	int i = sizeof(buf);

	buf[--i] = '\0';
	do {
		buf[--i] = '0' + v % 10;	/* 32-bit division: no libgcc */
		v /= 10;
	} while (v);
	puts(&buf[i]);
}

static int isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static int hexval(char c)
{
	if (isdigit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses a number at *p, advances *p past it. */
static uint32_t getnum(const char **p)
{
	const char *s = *p;
	uint32_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		while (hexval(*s) >= 0)
			v = v * 16 + hexval(*s++);
	} else {
		while (isdigit(*s))
			v = v * 10 + (*s++ - '0');
	}
	*p = s;
	return v;
}

/* Does the token at s start with key? Then returns what follows it. */
static const char *match(const char *s, const char *key)
{
	while (*key)
		if (*s++ != *key++)
			return 0;
	return s;
}

static uint32_t ncalls;
static uint32_t in_ebx;
static enum end_how end_how = END_EXIT;

static void backdoor_call(uint32_t in_ecx)
{
	uint32_t eax = BDOOR_MAGIC, ebx = in_ebx, ecx = in_ecx;
	uint32_t edx = BDOOR_PORT, esi = 0, edi = 0;

	asm volatile("inl %%dx, %%eax"
		     : "+a"(eax), "+b"(ebx), "+c"(ecx), "+d"(edx),
		       "+S"(esi), "+D"(edi)
		     : : "memory");

	puts("PCLKTEST call=");
	putdec(++ncalls);
	puts(" in_ebx=");
	puthex(in_ebx);
	puts(" in_ecx=");
	puthex(in_ecx);
	puts(" eax=");
	puthex(eax);
	puts(" ebx=");
	puthex(ebx);
	puts(" ecx=");
	puthex(ecx);
	putc('\n');
}

static void run(const char *s)
{
	const char *v;
	uint32_t val, n;

	while (*s) {
		while (*s == ' ')
			s++;
		if ((v = match(s, "gettime="))) {
			for (n = getnum(&v); n; n--)
				backdoor_call(BDOOR_CMD_PCLK);
		} else if ((v = match(s, "ecx="))) {
			val = getnum(&v);
			n = 1;
			if (*v == '*') {
				v++;
				n = getnum(&v);
			}
			while (n--)
				backdoor_call(val);
		} else if ((v = match(s, "ebx="))) {
			in_ebx = getnum(&v);
		} else if ((v = match(s, "end=poweroff"))) {
			end_how = END_POWEROFF;
		} else if ((v = match(s, "end=reset"))) {
			end_how = END_RESET;
		} else if ((v = match(s, "end=hang"))) {
			end_how = END_HANG;
		} else if ((v = match(s, "end=exit"))) {
			end_how = END_EXIT;
		} else {
			v = s;
		}
		/* Skip the rest of the token, including anything malformed. */
		while (*v && *v != ' ')
			v++;
		s = v;
	}
}

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
	const char *cmdline = "";

	if (magic == MB_BOOT_MAGIC && (mbi->flags & MB_INFO_CMDLINE))
		cmdline = (const char *)mbi->cmdline;

	puts("PCLKTEST start cmdline=");
	puts(cmdline);
	putc('\n');
	run(cmdline);
	puts("PCLKTEST done calls=");
	putdec(ncalls);
	putc('\n');

	switch (end_how) {
	case END_EXIT:
		outl(DEBUG_EXIT_PORT, EXIT_VALUE);
		break;
	case END_POWEROFF:
		outw(PM1A_CNT_PORT, PM1_SLP_EN);
		break;
	case END_RESET:
		outb(RCR_PORT, RCR_SYS_RST);
		outb(RCR_PORT, RCR_SYS_RST | RCR_RST_CPU);
		break;
	case END_HANG:
		break;
	}
	/* Still here: end=hang, or the way out failed. boot.S halts. */
	if (end_how != END_HANG)
		puts("PCLKTEST end failed\n");
}
