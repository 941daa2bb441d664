/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Multiboot (v1) entry of the vmport self-test kernel: QEMU's -kernel loader
 * enters here in 32-bit protected mode, paging off, with EAX = 0x2BADB002
 * and EBX = the physical address of the multiboot information structure.
 */

#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0

#define AP_CODE_SEL	0x08
#define AP_DATA_SEL	0x10

	.section .multiboot, "a"
	.balign 4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.text
	.globl	_start
_start:
	cli
	cld
	movl	$stack_top, %esp
	movl	%eax, %esi		/* boot magic */
	/* Clear .bss (ELF loaders usually do; do not rely on it) */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb
	pushl	%ebx			/* multiboot info */
	pushl	%esi
	call	kmain
1:	hlt
	jmp	1b

/*
 * The second CPU (smp=N in kmain.c): kmain copies ap_trampoline..
 * ap_trampoline_end to 0x8000 and starts the CPU there with INIT and
 * STARTUP IPIs. It comes up in real mode at 0800:0000, loads our GDT,
 * enters protected mode and calls ap_main on its own stack.
 */
	.code16
	.globl	ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	ap_gdt_ptr - ap_trampoline	/* DS-relative: the copy's */
	movl	%cr0, %eax
	orl	$1, %eax			/* PE */
	movl	%eax, %cr0
	ljmpl	$AP_CODE_SEL, $ap_start32
	.balign	4
ap_gdt_ptr:
	.word	ap_gdt_end - ap_gdt - 1
	.long	ap_gdt
ap_trampoline_end:

	.code32
ap_start32:
	movw	$AP_DATA_SEL, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movl	$ap_stack_top, %esp
	call	ap_main
2:	cli
	hlt
	jmp	2b

	.data
	.balign 8
ap_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* AP_CODE_SEL: 32-bit code, 0..4 GiB */
	.quad	0x00cf92000000ffff	/* AP_DATA_SEL: data, 0..4 GiB */
ap_gdt_end:

	.bss
	.balign 16
	.space	16384
stack_top:
	.space	16384
ap_stack_top:

	.section .note.GNU-stack, "", @progbits
