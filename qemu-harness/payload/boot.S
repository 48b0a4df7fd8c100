/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reset vector and mode switches of the L3 payload: real mode -> 32-bit protected mode ->
 * copy the image from ROM (just below 4 GiB) to RAM at 1 MiB -> long mode with the first
 * 4 GiB identity-mapped in 2 MiB pages (device BARs included) -> payload_main().
 *
 * The boot block is the image's last 4 KiB, so until the copy it runs at ROM_BLOCK in
 * linear addresses and at 0xf000 in the reset code segment (base 0xffff0000): every
 * address it uses before the copy is computed from its offset in the block.
 */
#define ROM_BLOCK	0xfffff000
#define ROM_OFF(sym)	((sym) - boot_block)

/* Page tables and stack in low RAM, below the legacy VGA hole. */
#define PML4		0x10000
#define PDPT		0x11000
#define PD		0x12000		/* four pages: 0-4 GiB */
#define STACK_TOP	0x90000

#define SEG_CODE32	0x08
#define SEG_DATA	0x10
#define SEG_CODE64	0x18

#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define CR0_PE		(1 << 0)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)

	.section .boot, "ax"
boot_block:

	.code16
real_mode_entry:
	cli
	cld
	lgdtl	%cs:(0xf000 + ROM_OFF(gdt_descriptor))
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$SEG_CODE32, $(ROM_BLOCK + ROM_OFF(protected_mode_entry))

	.code32
protected_mode_entry:
	movl	$SEG_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/* The image ends at 4 GiB. */
	movl	$__image_size, %ecx
	movl	$0, %esi
	subl	%ecx, %esi
	movl	$__image_start, %edi
	shrl	$2, %ecx
	rep movsl

	/* PML4[0] -> PDPT; PDPT[0..3] -> PD pages; PD entries: 2 MiB pages, present, writable. */
	movl	$PML4, %edi
	movl	$(0x5000 / 4), %ecx
	xorl	%eax, %eax
	rep stosl
	movl	$(PDPT | 0x3), PML4
	movl	$(PD | 0x3), PDPT
	movl	$((PD + 0x1000) | 0x3), PDPT + 8
	movl	$((PD + 0x2000) | 0x3), PDPT + 16
	movl	$((PD + 0x3000) | 0x3), PDPT + 24
	movl	$PD, %edi
	movl	$0x83, %eax		/* present, writable, 2 MiB */
	xorl	%edx, %edx
	movl	$2048, %ecx
1:	movl	%eax, (%edi)
	movl	%edx, 4(%edi)
	addl	$0x200000, %eax
	adcl	$0, %edx
	addl	$8, %edi
	loop	1b

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$PML4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	/* From here on, RAM: the copy of this block at its link address. */
	ljmpl	$SEG_CODE64, $long_mode_entry

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* SEG_CODE32: flat, 32-bit */
	.quad	0x00cf93000000ffff	/* SEG_DATA: flat */
	.quad	0x00af9b000000ffff	/* SEG_CODE64 */
gdt_end:
gdt_descriptor:
	.word	gdt_end - gdt - 1
	.long	ROM_BLOCK + ROM_OFF(gdt)

	/* The CPU starts 16 bytes below 4 GiB, in the reset code segment. */
	.org	0xff0
	.globl	reset_vector
reset_vector:
	.code16
	jmp	real_mode_entry
	.org	0x1000

	.section .text.entry64, "ax"
	.code64
long_mode_entry:
	movl	$SEG_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movq	$STACK_TOP, %rsp
	movq	$__bss_start, %rdi
	movq	$__bss_end, %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb
	call	payload_main
1:	cli
	hlt
	jmp	1b
	.section .note.GNU-stack, "", @progbits
