// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uart16550: hand-written hooks, compiled into both the KVM and the
 * QEMU device.
 * devgen created this file once and never overwrites it.
 */
#include "uart16550_core.h"

#define UART16550_LSR_ERRORS	(UART16550_LSR_OE | UART16550_LSR_PE | \
				 UART16550_LSR_FE | UART16550_LSR_BI)
#define UART16550_MSR_DELTAS	(UART16550_MSR_DCTS | UART16550_MSR_DDSR | \
				 UART16550_MSR_TERI | UART16550_MSR_DDCD)
#define UART16550_MSR_LINES	(UART16550_MSR_CTS | UART16550_MSR_DSR | \
				 UART16550_MSR_RI | UART16550_MSR_DCD)

/* FCR, written at IIR's offset: the FIFO enable and the receive FIFO reset. */
#define UART16550_FCR_FE		0x01
#define UART16550_FCR_RCVR_RESET	0x02

void uart16550_hook_transmit(struct uart16550_core *s, u64 value)
{
	if (!(uart16550_get_mcr(s) & UART16550_MCR_LOOP))
		return;
	/* FIFO off: a one-byte receive buffer, whose unread byte is overrun. */
	if (!(uart16550_get_iir(s) & UART16550_IIR_FIFO) &&
	    (uart16550_get_lsr(s) & UART16550_LSR_DR)) {
		uart16550_pop_rxq(s);
		uart16550_set_lsr(s, uart16550_get_lsr(s) | UART16550_LSR_OE);
	}
	/* Received at once; a full RXQ drops it and sets LSR.OE. */
	uart16550_push_rxq(s, value);
}

void uart16550_hook_fcr(struct uart16550_core *s, u64 value)
{
	u8 iir = uart16550_get_iir(s);
	bool enable = value & UART16550_FCR_FE;
	unsigned int n;

	if (enable != !!(iir & UART16550_IIR_FIFO) ||
	    (enable && (value & UART16550_FCR_RCVR_RESET)))
		for (n = 0; n < UART16550_STORE_RXQ_COUNT; n++)
			uart16550_pop_rxq(s);
	if (enable)
		iir |= UART16550_IIR_FIFO;
	else
		iir &= ~UART16550_IIR_FIFO;
	uart16550_set_iir(s, iir);
}

u64 uart16550_hook_iir(struct uart16550_core *s, u64 value)
{
	u8 ier = uart16550_get_ier(s);
	u8 lsr = uart16550_get_lsr(s);
	u64 id;

	if ((ier & UART16550_IER_ELSI) && (lsr & UART16550_LSR_ERRORS))
		id = UART16550_IIR_ID_RLS;
	else if ((ier & UART16550_IER_ERBFI) && (lsr & UART16550_LSR_DR))
		id = UART16550_IIR_ID_RDA;
	else if ((ier & UART16550_IER_ETBEI) && (lsr & UART16550_LSR_THRE))
		id = UART16550_IIR_ID_THRE;
	else if ((ier & UART16550_IER_EDSSI) &&
		 (uart16550_get_msr(s) & UART16550_MSR_DELTAS))
		id = UART16550_IIR_ID_MODEM;
	else
		return value | UART16550_IIR_NO_INT;
	value &= ~(u64)(UART16550_IIR_NO_INT | UART16550_IIR_ID);
	return value | id << UART16550_IIR_ID_SHIFT;
}

void uart16550_hook_modem(struct uart16550_core *s, u64 value)
{
	u8 mcr = uart16550_get_mcr(s);
	u8 msr = uart16550_get_msr(s);
	u8 lines, changed;

	if (mcr & UART16550_MCR_LOOP) {
		lines = 0;
		if (mcr & UART16550_MCR_RTS)
			lines |= UART16550_MSR_CTS;
		if (mcr & UART16550_MCR_DTR)
			lines |= UART16550_MSR_DSR;
		if (mcr & UART16550_MCR_OUT1)
			lines |= UART16550_MSR_RI;
		if (mcr & UART16550_MCR_OUT2)
			lines |= UART16550_MSR_DCD;
	} else {
		/* A ready cable: clear to send, data set ready, carrier present. */
		lines = UART16550_MSR_CTS | UART16550_MSR_DSR | UART16550_MSR_DCD;
	}
	changed = (msr ^ lines) & UART16550_MSR_LINES;
	if (changed & UART16550_MSR_CTS)
		msr |= UART16550_MSR_DCTS;
	if (changed & UART16550_MSR_DSR)
		msr |= UART16550_MSR_DDSR;
	if ((changed & UART16550_MSR_RI) && !(lines & UART16550_MSR_RI))
		msr |= UART16550_MSR_TERI;
	if (changed & UART16550_MSR_DCD)
		msr |= UART16550_MSR_DDCD;
	uart16550_set_msr(s, (msr & UART16550_MSR_DELTAS) | lines);
}
