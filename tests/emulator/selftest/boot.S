/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Multiboot (v1) entry of the vmport self-test kernel: QEMU's -kernel loader
 * enters here in 32-bit protected mode, paging off, with EAX = 0x2BADB002
 * and EBX = the physical address of the multiboot information structure.
 */

#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0

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

	.bss
	.balign 16
	.space	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
