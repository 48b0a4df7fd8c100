import { defineDevice } from "devgen";

/*
 * uart16550: the register file of a 16550 UART behind a PCI I/O BAR, the way a
 * paravirtual console sees it. There is no wire: a byte written to DATA is sent at once
 * (THRE and TEMT never drop); in loopback (MCR.LOOP) it comes straight back into the
 * receive FIFO, and MCR's outputs come back as MSR's inputs. Out of loopback the modem
 * inputs are those of a ready cable (CTS, DSR and DCD asserted).
 *
 * Received bytes wait in RXQ, a 16-entry FIFO that reading DATA pops; LSR.DR says it holds
 * one, and LSR.OE that one was lost. FCR shares offset 2 with IIR (the DSL has no register
 * that only writes reach at an offset another only reads), so a write to IIR is FCR: its
 * FIFO enable is kept where a 16550 reports it, in IIR.FIFO, and turning it on or off or
 * writing RCVR_RESET empties RXQ. With the FIFO off the receive buffer holds one byte, as
 * a 16450's does: a byte received over an unread one replaces it and sets LSR.OE. With it
 * on, a byte received into a full RXQ is dropped and sets LSR.OE. There is no transmit
 * FIFO (nothing waits to be sent), no trigger level (IIR reports RDA while RXQ holds a
 * byte) and no character timeout.
 *
 * Eight one-byte registers decoded on addr & 0x7, so the 16-byte BAR holds them twice.
 * While LCR.DLAB is set, offsets 0 and 1 are the divisor latch (DLL, DLM) instead of DATA
 * and IER: the latch is stored, and there is no baud rate to apply it to. SCR, at offset
 * 7, is the scratch register: it holds what is written and does nothing else.
 */
export default defineDevice({
  name: "uart16550",
  description: "16550-style UART register file with loopback, handled inside KVM",
  pci: {
    vendorId: 0x1af4,
    deviceId: 0x10f1,
    classCode: 0x0700,
    revision: 1,
  },
  bar: { index: 0, space: "io", size: 0x10, decodeMask: 0x7 },
  kvm: {
    ioctl: { number: 0xf8 },
    capability: { number: 1001 },
  },
  // Port I/O wider than a register reads or writes its neighbours, as on real UARTs;
  // so does an unaligned access. Every register is one byte, so none is ever narrower.
  policy: { narrower: "ignore", wider: "split", unaligned: "split" },
  registers: [
    {
      name: "DATA",
      offset: 0,
      width: 8,
      access: "ro",
      description: "RBR on read, popping the receive FIFO; THR on write, sending the byte",
      // A wide access at the data port would move several bytes through it at once.
      policy: { wider: "error" },
      bank: { select: "LCR.DLAB", value: 0 },
      fifo: "RXQ",
      onWrite: [{ hook: "transmit" }],
    },
    {
      name: "IER",
      offset: 1,
      width: 8,
      access: "rw",
      description: "Interrupt enable",
      policy: { unaligned: "error" },
      bank: { select: "LCR.DLAB", value: 0 },
      fields: [
        { name: "ERBFI", bits: 0, description: "Received data available" },
        { name: "ETBEI", bits: 1, description: "Transmitter holding register empty" },
        { name: "ELSI", bits: 2, description: "Receiver line status" },
        { name: "EDSSI", bits: 3, description: "Modem status" },
      ],
    },
    {
      name: "DLL",
      offset: 0,
      width: 8,
      access: "rw",
      description: "Divisor latch, low byte",
      bank: { select: "LCR.DLAB", value: 1 },
    },
    {
      name: "DLM",
      offset: 1,
      width: 8,
      access: "rw",
      description: "Divisor latch, high byte",
      bank: { select: "LCR.DLAB", value: 1 },
    },
    {
      name: "IIR",
      offset: 2,
      width: 8,
      access: "ro",
      description: "Interrupt identification on read: the highest-priority pending cause; FCR on write",
      fields: [
        { name: "NO_INT", bits: 0, reset: 1, description: "No interrupt is pending" },
        {
          name: "ID",
          bits: [3, 1],
          description: "Pending cause, in priority order RLS, RDA, THRE, MODEM",
          values: { MODEM: 0, THRE: 1, RDA: 2, RLS: 3 },
        },
        { name: "FIFO", bits: [7, 6], description: "FIFOs enabled (FCR.FE written 1): both bits set" },
      ],
      onRead: [{ hook: "iir" }],
      onWrite: [{ hook: "fcr" }],
    },
    {
      name: "LCR",
      offset: 3,
      width: 8,
      access: "rw",
      description: "Line control",
      fields: [
        {
          name: "WLS",
          bits: [1, 0],
          description: "Word length",
          values: { BITS5: 0, BITS6: 1, BITS7: 2, BITS8: 3 },
        },
        { name: "STB", bits: 2, description: "Two stop bits" },
        { name: "PEN", bits: 3, description: "Parity enable" },
        { name: "EPS", bits: 4, description: "Even parity" },
        { name: "SP", bits: 5, description: "Stick parity" },
        { name: "BC", bits: 6, description: "Break control: the break is seen as LSR.BI" },
        { name: "DLAB", bits: 7, description: "Divisor latch access: DLL and DLM replace DATA and IER" },
      ],
      onWrite: [{ set: "LSR.BI", when: "BC" }],
    },
    {
      name: "MCR",
      offset: 4,
      width: 8,
      access: "rw",
      description: "Modem control",
      policy: { wider: "ignore" },
      fields: [
        { name: "DTR", bits: 0, description: "Data terminal ready (DSR in loopback)" },
        { name: "RTS", bits: 1, description: "Request to send (CTS in loopback)" },
        { name: "OUT1", bits: 2, description: "User output 1 (RI in loopback)" },
        { name: "OUT2", bits: 3, description: "User output 2 (DCD in loopback)" },
        { name: "LOOP", bits: 4, description: "Loopback mode" },
      ],
      onWrite: [{ hook: "modem" }],
    },
    {
      name: "LSR",
      offset: 5,
      width: 8,
      access: "ro",
      description: "Line status; reading it clears the error bits",
      policy: { unaligned: "ignore" },
      fields: [
        { name: "DR", bits: 0, description: "Data ready" },
        { name: "OE", bits: 1, access: "rc", description: "Overrun error" },
        { name: "PE", bits: 2, access: "rc", description: "Parity error" },
        { name: "FE", bits: 3, access: "rc", description: "Framing error" },
        { name: "BI", bits: 4, access: "rc", description: "Break interrupt" },
        { name: "THRE", bits: 5, reset: 1, description: "Transmitter holding register empty" },
        { name: "TEMT", bits: 6, reset: 1, description: "Transmitter empty" },
        { name: "RXFE", bits: 7, access: "const", description: "Error in receiver FIFO: no byte is received with an error" },
      ],
    },
    {
      name: "MSR",
      offset: 6,
      width: 8,
      access: "ro",
      reset: 0xb0,
      description: "Modem status; reading it clears the delta bits",
      fields: [
        { name: "DCTS", bits: 0, access: "rc", description: "CTS changed" },
        { name: "DDSR", bits: 1, access: "rc", description: "DSR changed" },
        { name: "TERI", bits: 2, access: "rc", description: "RI went inactive" },
        { name: "DDCD", bits: 3, access: "rc", description: "DCD changed" },
        { name: "CTS", bits: 4, description: "Clear to send" },
        { name: "DSR", bits: 5, description: "Data set ready" },
        { name: "RI", bits: 6, description: "Ring indicator" },
        { name: "DCD", bits: 7, description: "Data carrier detect" },
      ],
    },
    {
      name: "SCR",
      offset: 7,
      width: 8,
      access: "rw",
      description: "Scratch register",
    },
  ],
  storage: {
    RXQ: {
      count: 16,
      description: "Receive FIFO: the bytes received and not yet read, oldest first",
      fifo: { notEmpty: "LSR.DR", overrun: "LSR.OE" },
    },
  },
  hooks: {
    transmit: {
      description: "Send the byte written to DATA; in loopback it is received at once",
      model(dev, value) {
        if (!(dev.get("MCR") & 0x10n)) return;
        // FIFO off: the one-byte receive buffer's unread byte is overrun.
        if (!(dev.get("IIR") & 0xc0n) && dev.get("LSR") & 0x01n) {
          dev.pop("RXQ");
          dev.set("LSR", dev.get("LSR") | 0x02n);
        }
        dev.push("RXQ", value);
      },
    },
    fcr: {
      description: "FCR: enable or disable the FIFO (kept in IIR.FIFO), emptying RXQ on a change or RCVR_RESET",
      model(dev, value) {
        const iir = dev.get("IIR");
        const enable = (value & 0x01n) !== 0n;
        if (enable !== ((iir & 0xc0n) !== 0n) || (enable && value & 0x02n)) {
          for (let n = 0; n < 16; n++) dev.pop("RXQ");
        }
        dev.set("IIR", enable ? iir | 0xc0n : iir & ~0xc0n);
      },
    },
    iir: {
      description: "Report the highest-priority pending interrupt cause",
      model(dev, value) {
        const ier = dev.get("IER");
        const lsr = dev.get("LSR");
        let id: bigint;
        if (ier & 0x04n && lsr & 0x1en) id = 3n;
        else if (ier & 0x01n && lsr & 0x01n) id = 2n;
        else if (ier & 0x02n && lsr & 0x20n) id = 1n;
        else if (ier & 0x08n && dev.get("MSR") & 0x0fn) id = 0n;
        else return value | 0x01n;
        return (value & ~0x0fn) | (id << 1n);
      },
    },
    modem: {
      description: "Update MSR's inputs from MCR's outputs in loopback, flagging changes",
      model(dev) {
        const mcr = dev.get("MCR");
        let msr = dev.get("MSR");
        let lines = 0xb0n;
        if (mcr & 0x10n) {
          lines = 0n;
          if (mcr & 0x02n) lines |= 0x10n;
          if (mcr & 0x01n) lines |= 0x20n;
          if (mcr & 0x04n) lines |= 0x40n;
          if (mcr & 0x08n) lines |= 0x80n;
        }
        const changed = (msr ^ lines) & 0xf0n;
        if (changed & 0x10n) msr |= 0x01n;
        if (changed & 0x20n) msr |= 0x02n;
        if (changed & 0x40n && !(lines & 0x40n)) msr |= 0x04n;
        if (changed & 0x80n) msr |= 0x08n;
        dev.set("MSR", (msr & 0x0fn) | lines);
      },
    },
  },
  scenarios: [
    {
      name: "loopback_overrun",
      description: "In loopback a byte sent is received; one sent before the last is read overruns it, and every hook sees the overrun",
      steps: [
        { write: "MCR", value: 0x10 }, // LOOP
        { write: "DATA", value: 0x41 },
        { read: "LSR", expect: 0x61 }, // DR, THRE, TEMT
        { write: "DATA", value: 0x42 }, // OE
        { write: "DATA", value: 0x43 },
        { read: "IIR", expect: 0x01 }, // no cause enabled
        { read: "DATA", expect: 0x43 },
        { read: "LSR", expect: 0x62 }, // OE still, DR taken
        { read: "LSR", expect: 0x60 }, // reading cleared OE
      ],
    },
    {
      name: "fifo_loopback",
      description: "With FCR's FIFO enable, loopback bytes queue in RXQ and are read in order; a byte sent into a full RXQ is dropped and sets LSR.OE, and RCVR_RESET empties RXQ",
      steps: [
        { write: "IIR", value: 0x01 }, // FCR: FIFO enable
        { read: "IIR", expect: 0xc1 }, // FIFOs enabled, nothing pending
        { write: "MCR", value: 0x10 }, // LOOP
        { write: "DATA", value: 0x31 },
        { write: "DATA", value: 0x32 },
        { write: "DATA", value: 0x33 },
        { read: "LSR", expect: 0x61 }, // DR, no overrun
        { read: "DATA", expect: 0x31 },
        { read: "DATA", expect: 0x32 },
        { read: "DATA", expect: 0x33 },
        { read: "LSR", expect: 0x60 }, // empty
        { read: "DATA", expect: 0x00 }, // an empty FIFO reads 0
        // 17 bytes into 16 entries: the last is dropped.
        ...Array.from({ length: 17 }, (_, n) => ({ write: "DATA", value: 0x40 + n })),
        { read: "LSR", expect: 0x63 }, // DR, OE
        { read: "DATA", expect: 0x40 }, // the oldest
        { read: "DATA", expect: 0x41 },
        { write: "IIR", value: 0x03 }, // FCR: FIFO enable, RCVR_RESET
        { read: "LSR", expect: 0x60 },
        { read: "DATA", expect: 0x00 },
      ],
    },
    {
      name: "divisor_latch",
      description: "LCR.DLAB puts the divisor latch where DATA and IER are; the latch keeps its value while they are back",
      steps: [
        { write: "MCR", value: 0x10 }, // LOOP
        { write: "LCR", value: 0x83 }, // DLAB, 8 bits
        { write: "DLL", value: 0x0c }, // 9600 baud from 1.8432 MHz
        { write: "DLM", value: 0x00 },
        { read: "LSR", expect: 0x60 }, // nothing was sent
        { write: "LCR", value: 0x03 },
        { write: "DATA", value: 0x56 },
        { read: "LSR", expect: 0x61 },
        { read: "DATA", expect: 0x56 },
        { write: "LCR", value: 0x83 },
        { read: "DLL", expect: 0x0c },
      ],
    },
    {
      name: "modem_loopback",
      description: "In loopback MCR's outputs come back as MSR's inputs, each change flagged until MSR is read and reported by IIR while EDSSI is set",
      steps: [
        { write: "IER", value: 0x08 }, // EDSSI
        { write: "MCR", value: 0x14 }, // LOOP, OUT1: RI only
        { read: "IIR", expect: 0x00 }, // a modem status change
        { write: "MCR", value: 0x10 }, // RI falls: TERI
        { read: "IIR", expect: 0x00 },
        { read: "MSR", expect: 0x0f }, // every delta, no input
        { read: "MSR", expect: 0x00 },
        { read: "IIR", expect: 0x01 }, // nothing pending
        { write: "MCR", value: 0x13 }, // LOOP, RTS, DTR
        { read: "MSR", expect: 0x33 }, // CTS, DSR and their deltas
        { write: "MCR", value: 0x00 },
        { read: "MSR", expect: 0xb8 }, // a ready cable again; DCD came back
      ],
    },
    {
      name: "break_sets_bi",
      description: "Break control raises LSR.BI, which a byte sent meanwhile sees and reading LSR clears",
      steps: [
        { write: "MCR", value: 0x10 }, // LOOP
        { write: "LCR", value: 0x40 }, // BC
        { write: "DATA", value: 0x21 },
        { read: "LSR", expect: 0x71 }, // BI, DR, THRE, TEMT
        { read: "LSR", expect: 0x61 },
        { read: "DATA", expect: 0x21 },
        { read: "LSR", expect: 0x60 },
      ],
    },
  ],
});
