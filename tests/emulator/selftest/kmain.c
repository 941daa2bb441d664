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
 *   ebx=V, esi=V, edi=V
 *                EBX, ESI, EDI input of the calls that follow (default 0);
 *                a precision clock write takes its 64-bit argument in
 *                ESI (high half) and EDI (low half)
 *   tsc=1|0      from now on, read the TSC right before each call and add
 *                " tsc=0x<16 hex digits>" to its line
 *   pm=1|0       from now on, read the ACPI PM timer (3.579545 MHz, on
 *                QEMU_CLOCK_VIRTUAL) right before and right after each call
 *                and add " pm0=0x<8 hex digits> pm1=0x<8 hex digits>" to
 *                its line: the ticks counted since the first read (24-bit
 *                wraps are only seen if reads are less than 4.6 s apart, as
 *                in waitms and watchms). Far apart, they show that the host
 *                stalled QEMU during the call.
 *   spin=N       a busy loop of N iterations, no calls
 *   waitms=MS    wait MS ms by the PM timer, no calls
 *   watchms=MS[,EVERY]
 *                GETTIME calls for MS ms by the PM timer, printing only the
 *                first and the last call, any call that failed or whose
 *                answer lies below the previous one or more than 50 ms above
 *                it (with the call before it), and one call every EVERY ms
 *   smp=N        start the second CPU; both then make N GETTIME calls at
 *                the same time, and one line sums up what each saw:
 *                PCLKTEST smp n=N ap_started=0|1 ap_done=0|1
 *                bsp_failed=F bsp_backwards=B ap_failed=F ap_backwards=B
 *                (a call failed if EAX != 0; backwards: below the previous
 *                answer on the same CPU)
 *   end=HOW      how to stop once all calls are done: exit (the default:
 *                isa-debug-exit), poweroff (ACPI S5 through the PIIX4 PM
 *                block SeaBIOS maps at 0x600), reset (port 0xcf9; QEMU exits
 *                with -no-reboot) or hang (wait for a signal to QEMU)
 * Numbers are decimal or 0x-prefixed hex, 32 bits.
 *
 * Output, one line per printed call on the debug console:
 *   PCLKTEST call=K in_ebx=X in_ecx=X eax=X ebx=X ecx=X[ tsc=X][ pm0=X pm1=X]
 * where K counts every backdoor call the first CPU made, printed or not
 * (smp= calls excepted), then "PCLKTEST done calls=N", N the number of call
 * lines printed. With end=exit, the last act is writing EXIT_VALUE to the
 * isa-debug-exit port, which makes QEMU exit with status
 * (EXIT_VALUE << 1) | 1.
 */
#include <stdint.h>

#include "../../../ptp_vmw.h"

#define DEBUGCON_PORT	0xe9
#define DEBUG_EXIT_PORT	0xf4
#define EXIT_VALUE	0x20	/* QEMU exit status 65 */

#define PM1A_CNT_PORT	0x604	/* SeaBIOS: PIIX4 PM base 0x600, +4 */
#define PM1_SLP_EN	(1u << 13)	/* SLP_TYP 0 is S5 in QEMU's DSDT */
#define RCR_PORT	0xcf9
#define RCR_SYS_RST	0x02
#define RCR_RST_CPU	0x04

enum end_how { END_EXIT, END_POWEROFF, END_RESET, END_HANG };

/* The backdoor's magic and port, GETTIME's ECX: the driver's protocol header. */
#define BDOOR_MAGIC	PTP_VMW_BACKDOOR_MAGIC
#define BDOOR_PORT	PTP_VMW_BACKDOOR_PORT
#define BDOOR_CMD_PCLK	PTP_VMW_PCLK(PTP_VMW_PCLK_GETTIME)

#define PM_TMR_PORT	0x608	/* SeaBIOS: PIIX4 PM base 0x600, +8 */
#define PM_TMR_MASK	0xffffff
#define PM_TICKS_PER_MS	3580	/* 3.579545 MHz, 0.01% off */

#define MB_BOOT_MAGIC	0x2BADB002
#define MB_INFO_CMDLINE	(1u << 2)

/* Local APIC (paging is off: physical addresses) and AP start-up */
#define LAPIC_SVR	0xfee000f0
#define LAPIC_ICR_LO	0xfee00300
#define LAPIC_ICR_HI	0xfee00310
#define LAPIC_SVR_ENABLE	(1u << 8)
#define ICR_PENDING	(1u << 12)
#define ICR_ALL_BUT_SELF	(3u << 18)
#define ICR_INIT	0x00004500	/* INIT, level assert */
#define ICR_STARTUP	0x00004600	/* STARTUP, vector in bits 7:0 */
#define AP_TRAMPOLINE	0x8000	/* real-mode entry 0800:0000 */

#define JUMP_NS		50000000ULL	/* watchms: a jump is > 50 ms */

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
};

struct call {
	uint32_t no, in_ebx, in_ecx, eax, ebx, ecx, pm0, pm1;
	uint64_t tsc;
};

struct smp_result {
	uint32_t failed, backwards;
};

/* boot.S: the AP's real-mode entry, copied to AP_TRAMPOLINE */
extern const char ap_trampoline[], ap_trampoline_end[];

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

static inline uint32_t inl(uint16_t port)
{
	uint32_t val;

	asm volatile("inl %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

static inline uint32_t mmio_read(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write(uint32_t addr, uint32_t val)
{
	*(volatile uint32_t *)addr = val;
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

static void puthex_digits(uint32_t v)
{
	int shift;

	for (shift = 28; shift >= 0; shift -= 4)
		putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void puthex(uint32_t v)
{
	puts("0x");
	puthex_digits(v);
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

static uint32_t ncalls, nprinted;
static uint32_t in_ebx, in_esi, in_edi;
static int with_tsc, with_pm;
static enum end_how end_how = END_EXIT;

/* PM timer ticks since the first read, wraps of the 24-bit counter added */
static uint32_t pm_ticks(void)
{
	static uint32_t last, total;
	static int started;
	uint32_t now = inl(PM_TMR_PORT) & PM_TMR_MASK;

	if (started)
		total += (now - last) & PM_TMR_MASK;
	started = 1;
	last = now;
	return total;
}

/* One backdoor call from the first CPU with the current inputs. */
static void do_call(uint32_t in_ecx, struct call *c)
{
	uint32_t eax = BDOOR_MAGIC, ebx = in_ebx, ecx = in_ecx;
	uint32_t edx = BDOOR_PORT, esi = in_esi, edi = in_edi;

	c->pm0 = with_pm ? pm_ticks() : 0;
	c->tsc = with_tsc ? rdtsc() : 0;
	asm volatile("inl %%dx, %%eax"
		     : "+a"(eax), "+b"(ebx), "+c"(ecx), "+d"(edx),
		       "+S"(esi), "+D"(edi)
		     : : "memory");
	c->pm1 = with_pm ? pm_ticks() : 0;
	c->no = ++ncalls;
	c->in_ebx = in_ebx;
	c->in_ecx = in_ecx;
	c->eax = eax;
	c->ebx = ebx;
	c->ecx = ecx;
}

static void print_call(const struct call *c)
{
	puts("PCLKTEST call=");
	putdec(c->no);
	puts(" in_ebx=");
	puthex(c->in_ebx);
	puts(" in_ecx=");
	puthex(c->in_ecx);
	puts(" eax=");
	puthex(c->eax);
	puts(" ebx=");
	puthex(c->ebx);
	puts(" ecx=");
	puthex(c->ecx);
	if (with_tsc) {
		puts(" tsc=");
		puthex((uint32_t)(c->tsc >> 32));
		puthex_digits((uint32_t)c->tsc);
	}
	if (with_pm) {
		puts(" pm0=");
		puthex(c->pm0);
		puts(" pm1=");
		puthex(c->pm1);
	}
	putc('\n');
	nprinted++;
}

static void backdoor_call(uint32_t in_ecx)
{
	struct call c;

	do_call(in_ecx, &c);
	print_call(&c);
}

static uint64_t answer(const struct call *c)
{
	return (uint64_t)c->ebx << 32 | c->ecx;
}

/* Milliseconds by the PM timer since pm_ticks() said start. */
static uint32_t ms_since(uint32_t start)
{
	return (pm_ticks() - start) / PM_TICKS_PER_MS;
}

static void waitms(uint32_t ms)
{
	uint32_t start = pm_ticks();

	while (ms_since(start) < ms)
		cpu_relax();
}

/* Is cur worth a line after prev: failed, backwards or a jump forward? */
static int jumped(const struct call *prev, const struct call *cur)
{
	if (prev->eax || cur->eax)
		return 1;
	return answer(cur) < answer(prev) ||
	       answer(cur) - answer(prev) > JUMP_NS;
}

static void watch(uint32_t ms, uint32_t every)
{
	struct call cur, prev;
	int have_prev = 0, prev_printed = 0, printed, done;
	uint32_t start = pm_ticks(), next = every, el;

	do {
		do_call(BDOOR_CMD_PCLK, &cur);
		el = ms_since(start);
		done = el >= ms;
		printed = 0;
		if (!have_prev || jumped(&prev, &cur)) {
			if (have_prev && !prev_printed)
				print_call(&prev);
			print_call(&cur);
			printed = 1;
		}
		if ((every && el >= next) || done) {
			if (!printed)
				print_call(&cur);
			printed = 1;
			while (every && el >= next)
				next += every;
		}
		prev = cur;
		prev_printed = printed;
		have_prev = 1;
	} while (!done);
}

/* --- smp=N: the second CPU --- */

static volatile uint32_t ap_started, smp_go, ap_done;
static uint32_t smp_n;
static struct smp_result ap_result, bsp_result;

/* N GETTIME calls, no output: the same code on both CPUs. */
static void smp_calls(struct smp_result *r, uint32_t n)
{
	uint64_t prev = 0, t;
	uint32_t eax, ebx, ecx, edx;

	while (n--) {
		eax = BDOOR_MAGIC;
		ebx = 0;
		ecx = BDOOR_CMD_PCLK;
		edx = BDOOR_PORT;
		asm volatile("inl %%dx, %%eax"
			     : "+a"(eax), "+b"(ebx), "+c"(ecx), "+d"(edx)
			     : : "memory");
		if (eax) {
			r->failed++;
			continue;
		}
		t = (uint64_t)ebx << 32 | ecx;
		if (t < prev)
			r->backwards++;
		prev = t;
	}
}

/* boot.S enters here on the second CPU, in protected mode, own stack. */
void ap_main(void);
void ap_main(void)
{
	ap_started = 1;
	while (!smp_go)
		cpu_relax();
	smp_calls(&ap_result, smp_n);
	ap_done = 1;
}

static void lapic_ipi(uint32_t icr)
{
	mmio_write(LAPIC_ICR_HI, 0);
	mmio_write(LAPIC_ICR_LO, ICR_ALL_BUT_SELF | icr);
	while (mmio_read(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
}

/* Waits up to ms (PM timer) for *flag. */
static int wait_flag(volatile uint32_t *flag, uint32_t ms)
{
	uint32_t start = pm_ticks();

	while (!*flag && ms_since(start) < ms)
		cpu_relax();
	return *flag;
}

static void smp(uint32_t n)
{
	volatile char *dst = (volatile char *)AP_TRAMPOLINE;
	const char *src;

	for (src = ap_trampoline; src < ap_trampoline_end; src++)
		*dst++ = *src;
	smp_n = n;

	mmio_write(LAPIC_SVR, mmio_read(LAPIC_SVR) | LAPIC_SVR_ENABLE);
	lapic_ipi(ICR_INIT);
	lapic_ipi(ICR_STARTUP | AP_TRAMPOLINE >> 12);
	if (!wait_flag(&ap_started, 100))	/* a second SIPI, as on hardware */
		lapic_ipi(ICR_STARTUP | AP_TRAMPOLINE >> 12);

	if (wait_flag(&ap_started, 5000)) {
		smp_go = 1;
		smp_calls(&bsp_result, n);
		wait_flag(&ap_done, 30000);
	}

	puts("PCLKTEST smp n=");
	putdec(n);
	puts(" ap_started=");
	putdec(ap_started);
	puts(" ap_done=");
	putdec(ap_done);
	puts(" bsp_failed=");
	putdec(bsp_result.failed);
	puts(" bsp_backwards=");
	putdec(bsp_result.backwards);
	puts(" ap_failed=");
	putdec(ap_result.failed);
	puts(" ap_backwards=");
	putdec(ap_result.backwards);
	putc('\n');
}

static void spin(uint32_t n)
{
	while (n--)
		asm volatile("" : : : "memory");
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
		} else if ((v = match(s, "esi="))) {
			in_esi = getnum(&v);
		} else if ((v = match(s, "edi="))) {
			in_edi = getnum(&v);
		} else if ((v = match(s, "tsc="))) {
			with_tsc = getnum(&v) != 0;
		} else if ((v = match(s, "pm="))) {
			with_pm = getnum(&v) != 0;
		} else if ((v = match(s, "spin="))) {
			spin(getnum(&v));
		} else if ((v = match(s, "waitms="))) {
			waitms(getnum(&v));
		} else if ((v = match(s, "watchms="))) {
			val = getnum(&v);
			n = 0;
			if (*v == ',') {
				v++;
				n = getnum(&v);
			}
			watch(val, n);
		} else if ((v = match(s, "smp="))) {
			smp(getnum(&v));
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

void kmain(uint32_t magic, const struct multiboot_info *mbi);
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
	putdec(nprinted);
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
