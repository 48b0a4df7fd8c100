import { defineDevice } from "devgen";

/*
 * dma_engine: the control block of a small descriptor-based DMA engine behind a PCI
 * memory BAR. The driver fills descriptors (address, length, flags), enables their
 * channels in CH_ENABLE and rings DOORBELL with a channel number. The register core does
 * not move guest memory: a valid descriptor completes at once (VALID drops, DONE rises),
 * an invalid one fails with its address in ERR_ADDR.
 *
 * STATUS.PHASE flips on every doorbell (and on CTRL.FLIP) so a driver polling STATUS can
 * tell completions apart; reading STATUS acknowledges DONE and records it in SEEN.
 * SEM is a hardware semaphore: reading it returns the lock and takes it, writing 1
 * releases it. PING is a heartbeat that counts the reads of it in two bits. CRC and LFSR
 * are driver aids computed by hooks, each with a TypeScript model the vectors check.
 *
 * Registers take 4-byte accesses; narrower ones are refused, except on the 64-bit
 * addresses, which drivers write as two halves. The descriptor table is at 0x100, one
 * 16-byte slot per channel; DOORBELL and STATUS share the next slot, so submitting and
 * polling touch one cache line.
 */
export default defineDevice({
  name: "dma_engine",
  description: "Descriptor-based DMA engine control block handled inside KVM",
  pci: {
    vendorId: 0x1af4,
    deviceId: 0x10f3,
    classCode: 0x0801,
    revision: 1,
  },
  bar: { index: 0, space: "mmio", size: 0x200 },
  kvm: {
    ioctl: { number: 0xf4 },
    capability: { number: 1003 },
  },
  policy: { narrower: "error", wider: "ignore", unaligned: "ignore" },
  // CTRL.IE masks the line as a whole: causes still latch in INT_STATUS while it is clear.
  // A write to INT_TEST raises the causes written, for a driver's interrupt self-test.
  interrupt: { status: "INT_STATUS", enable: "INT_ENABLE", gate: "CTRL.IE", test: "INT_TEST" },
  registers: [
    {
      name: "ID",
      offset: 0x00,
      access: "const",
      description: "Identification",
      fields: [
        { name: "VERSION", bits: [7, 0], reset: 1 },
        { name: "CHANNELS", bits: [15, 8], reset: 8, description: "Number of descriptors" },
        { name: "MAGIC", bits: [31, 16], reset: 0xd3a0 },
      ],
    },
    {
      name: "CTRL",
      offset: 0x04,
      description: "Control",
      fields: [
        { name: "ENABLE", bits: 0, access: "rw", description: "Accept doorbells" },
        { name: "CLEAR_ERR", bits: 1, access: "wo", description: "Write 1 to clear STATUS.ERROR" },
        { name: "FLIP", bits: 2, access: "wo", description: "Write 1 to flip STATUS.PHASE" },
        { name: "IE", bits: 3, access: "rw", description: "Master interrupt enable" },
        {
          name: "BURST",
          bits: [5, 4],
          access: "rw",
          description: "Burst size; the reserved encoding 3 is refused",
          values: { B16: 0, B32: 1, B64: 2 },
          onlyValues: true,
        },
        { name: "RESET", bits: 31, access: "wo", description: "Write 1 to reset the engine" },
      ],
      onWrite: [
        { clear: "STATUS.ERROR", when: "CLEAR_ERR" },
        { increment: "STATS.CLEARS", saturate: true, when: "CLEAR_ERR" },
        { toggle: "STATUS.PHASE", when: "FLIP" },
        { hook: "soft_reset", when: "RESET" },
      ],
    },
    {
      name: "INT_STATUS",
      offset: 0x0c,
      access: "w1c",
      description: "Interrupt causes; write 1 to clear",
      fields: [
        { name: "DONE", bits: 0, description: "A descriptor with IRQ set completed" },
        { name: "ERROR", bits: 1, description: "A doorbell failed" },
      ],
    },
    {
      name: "INT_ENABLE",
      offset: 0x10,
      access: "rw",
      description: "Interrupt enables, one per INT_STATUS cause",
      fields: [
        { name: "DONE", bits: 0 },
        { name: "ERROR", bits: 1 },
      ],
    },
    {
      name: "CH_ENABLE",
      offset: 0x14,
      width: 8,
      access: "w1s",
      description: "Channel enables; write 1 to enable, CTRL.RESET disables all",
      // A 4-byte write here also reaches PING, which ignores it.
      policy: { wider: "split" },
    },
    {
      name: "PING",
      offset: 0x16,
      width: 16,
      access: "ro",
      description: "Heartbeat: counts reads of itself in two bits",
      fields: [
        { name: "BEAT", bits: 0, description: "Flips on every read" },
        { name: "ODD", bits: 1, description: "Flips on every read that returned BEAT set" },
      ],
      onRead: [{ toggle: "PING.BEAT" }, { toggle: "PING.ODD", when: "BEAT" }],
    },
    {
      name: "SEM",
      offset: 0x18,
      description: "Hardware semaphore: a read returns LOCK and takes it; write 1 to release",
      // An unaligned access is split by bytes; those past SEM hit nothing.
      policy: { unaligned: "split" },
      fields: [{ name: "LOCK", bits: 0, access: "w1c" }],
      onRead: [{ set: "SEM.LOCK" }],
    },
    {
      name: "ERR_ADDR",
      offset: 0x20,
      width: 64,
      access: "ro",
      description: "Address of the descriptor that failed; reading it clears STATUS.ERROR",
      policy: { narrower: "combine" },
      onRead: [{ clear: "STATUS.ERROR" }],
    },
    {
      name: "ABORT",
      offset: 0x28,
      access: "wo",
      description: "Any write stops the engine",
      onWrite: [{ clear: "STATUS.BUSY" }],
    },
    {
      name: "CRC_SEED",
      offset: 0x2c,
      access: "wo",
      description: "Writing a seed computes CRC over the descriptor lengths",
      onWrite: [{ hook: "checksum" }],
    },
    {
      name: "CRC",
      offset: 0x30,
      access: "ro",
      description: "CRC-32 of the descriptor lengths, for the driver to check its writes",
    },
    {
      name: "LFSR",
      offset: 0x34,
      access: "rw",
      reset: 1,
      description: "Pseudo-random numbers for retry backoff; each read advances it",
      policy: { unaligned: "error" },
      onRead: [{ hook: "lfsr" }],
    },
    {
      name: "STATS",
      offset: 0x38,
      access: "ro",
      description: "Event counters, cleared by reset only",
      fields: [
        { name: "RINGS", bits: [15, 0], description: "Doorbells rung, wrapping around" },
        { name: "CLEARS", bits: [19, 16], description: "Errors cleared with CTRL.CLEAR_ERR, up to 15" },
      ],
    },
    {
      name: "INT_TEST",
      offset: 0x3c,
      access: "wo",
      description: "Interrupt test: write 1 to raise that INT_STATUS cause",
      fields: [
        { name: "DONE", bits: 0 },
        { name: "ERROR", bits: 1 },
      ],
    },
    {
      name: "DESC_ADDR",
      offset: 0x100,
      count: 8,
      stride: 16,
      width: 64,
      access: "rw",
      description: "Descriptor guest-physical address; locked while the descriptor is valid",
      policy: { narrower: "combine" },
      writeLock: "DESC_CTRL.VALID",
    },
    {
      name: "DESC_LEN",
      offset: 0x108,
      count: 8,
      stride: 16,
      access: "rw",
      description: "Descriptor length in bytes; locked while the descriptor is valid",
      // Length and flags may be written with one 8-byte store.
      policy: { wider: "split" },
      writeLock: "DESC_CTRL.VALID",
      // A new length is a new transfer: the last one's completion no longer applies.
      onWrite: [{ clear: "DESC_CTRL.DONE" }],
    },
    {
      name: "DESC_CTRL",
      offset: 0x10c,
      count: 8,
      stride: 16,
      description: "Descriptor flags",
      fields: [
        { name: "VALID", bits: 0, access: "rw", description: "The descriptor may run" },
        { name: "IRQ", bits: 1, access: "rw", description: "Raise INT_STATUS.DONE when it completes" },
        { name: "DONE", bits: 31, access: "w1c", description: "It completed; write 1 to clear" },
      ],
      // Arming a descriptor enables its channel.
      onWrite: [{ set: "CH_ENABLE[n]", when: "VALID" }],
    },
    {
      name: "DOORBELL",
      offset: 0x180,
      access: "wo",
      description: "Write a channel number to run its descriptor",
      policy: { wider: "error" },
      fields: [{ name: "CHANNEL", bits: [2, 0] }],
      onWrite: [
        { set: "STATUS.BUSY" },
        { toggle: "STATUS.PHASE" },
        { increment: "STATS.RINGS" },
        { hook: "doorbell" },
      ],
    },
    {
      name: "STATUS",
      offset: 0x184,
      access: "ro",
      description: "Engine status; reading it acknowledges DONE",
      fields: [
        { name: "BUSY", bits: 0, description: "A descriptor is being processed" },
        { name: "DONE", bits: 1, description: "A descriptor completed since the last read" },
        { name: "ERROR", bits: 2, description: "A doorbell failed; see ERR_ADDR" },
        { name: "PHASE", bits: 3, description: "Flips on every doorbell" },
        { name: "SEEN", bits: 4, description: "A read of STATUS has returned DONE" },
      ],
      onRead: [
        { set: "STATUS.SEEN", when: "DONE" },
        { clear: "STATUS.DONE", when: "DONE" },
      ],
    },
  ],
  hooks: {
    doorbell: {
      description: "Run the descriptor of the channel written, or fail with its address",
      model(dev, value) {
        const n = Number(value & 7n);
        const ctrl = dev.get(`DESC_CTRL_${n}`);
        const status = dev.get("STATUS") & ~1n;
        if (
          !(dev.get("CTRL") & 1n) ||
          !(dev.get("CH_ENABLE") & (1n << BigInt(n))) ||
          !(ctrl & 1n) ||
          !dev.get(`DESC_LEN_${n}`)
        ) {
          dev.set("STATUS", status | 4n);
          dev.set("ERR_ADDR", dev.get(`DESC_ADDR_${n}`));
          dev.set("INT_STATUS", dev.get("INT_STATUS") | 2n);
          return;
        }
        dev.set(`DESC_CTRL_${n}`, (ctrl & ~1n) | 0x80000000n);
        dev.set("STATUS", status | 2n);
        if (ctrl & 2n) dev.set("INT_STATUS", dev.get("INT_STATUS") | 1n);
      },
    },
    soft_reset: {
      description: "Stop the engine, disable every channel and invalidate every descriptor",
      model(dev) {
        dev.set("STATUS", 0n);
        dev.set("CH_ENABLE", 0n);
        dev.set("ERR_ADDR", 0n);
        for (let n = 0; n < 8; n++) dev.set(`DESC_CTRL_${n}`, 0n);
      },
    },
    checksum: {
      description: "CRC-32 of the descriptor lengths, seeded with the value written",
      // Bit by bit, as hooks.c computes it: reflected polynomial 0xedb88320, inverted in and out.
      model(dev, value) {
        let crc = ~value & 0xffffffffn;
        for (let n = 0; n < 8; n++) {
          crc ^= dev.get(`DESC_LEN_${n}`);
          for (let bit = 0; bit < 32; bit++) crc = (crc >> 1n) ^ (crc & 1n ? 0xedb88320n : 0n);
        }
        dev.set("CRC", ~crc & 0xffffffffn);
      },
    },
    lfsr: {
      description: "Return the generator's state and advance it one step",
      // A Galois LFSR with taps 0x80200003 (x^32 + x^22 + x^2 + x + 1); from 0 it restarts at 1.
      model(dev, value) {
        const state = dev.get("LFSR");
        dev.set("LFSR", state ? (state >> 1n) ^ (state & 1n ? 0x80200003n : 0n) : 1n);
        return value;
      },
    },
  },
  scenarios: [
    {
      name: "doorbell_completes",
      description: "A valid descriptor on an enabled channel completes at once and raises DONE",
      steps: [
        { write: "DESC_ADDR_2", value: 0x1000 },
        { write: "DESC_LEN_2", value: 64 },
        { write: "DESC_CTRL_2", value: 0b11 }, // VALID, IRQ
        { write: "CH_ENABLE", value: 1 << 2 },
        { write: "CTRL", value: 0b1001 }, // ENABLE, IE
        { write: "INT_ENABLE", value: 0b01 },
        { write: "DOORBELL", value: 2 },
        { read: "DESC_CTRL_2", expect: 0x80000002 }, // DONE, VALID dropped
        { irq: true },
        { read: "STATUS", expect: 0b01010 }, // DONE, PHASE
        { read: "STATUS", expect: 0b11000 }, // acknowledged: SEEN, PHASE
        { write: "DOORBELL", value: 2 }, // again: the descriptor is no longer VALID
        { read: "STATUS", expect: 0b10100 }, // SEEN, ERROR; PHASE flipped back
      ],
    },
    {
      name: "zero_length_fails",
      description: "A valid descriptor of length 0 fails with its address",
      steps: [
        { write: "DESC_ADDR_0", value: 0x2000 },
        { write: "DESC_CTRL_0", value: 0b01 },
        { write: "CH_ENABLE", value: 1 },
        { write: "CTRL", value: 1 },
        { write: "DOORBELL", value: 0 },
        { read: "STATUS", expect: 0b01100 }, // ERROR, PHASE
        { write: "DOORBELL", value: 0 }, // fails again, with STATUS.ERROR still set
        { read: "INT_STATUS", expect: 0b10 },
        { read: "ERR_ADDR", expect: 0x2000 },
        { read: "STATUS", expect: 0 }, // reading ERR_ADDR cleared ERROR; PHASE flipped back
      ],
    },
    {
      name: "reset_disables_channels",
      description: "CTRL.RESET disables every channel, so a doorbell after it fails",
      steps: [
        { write: "CH_ENABLE", value: 0xff },
        { write: "CTRL", value: 0x80000001 }, // RESET, and stay enabled
        { read: "CH_ENABLE", expect: 0 },
        { write: "DOORBELL", value: 1 },
        { read: "STATUS", expect: 0b01100 },
      ],
    },
    {
      name: "doorbell_fails_disabled",
      description: "A doorbell while CTRL.ENABLE is clear fails; reading ERR_ADDR clears STATUS.ERROR",
      steps: [
        { write: "DESC_ADDR_5", value: 0xabc000 },
        { write: "DOORBELL", value: 5 },
        { read: "STATUS", expect: 0b01100 }, // ERROR, PHASE
        { read: "INT_STATUS", expect: 0b10 },
        { read: "ERR_ADDR", expect: 0xabc000 },
        { read: "STATUS", expect: 0b01000 },
      ],
    },
    {
      name: "clear_err",
      description: "CTRL.CLEAR_ERR clears STATUS.ERROR and counts in STATS.CLEARS; other CTRL writes leave both",
      steps: [
        { write: "DOORBELL", value: 0 }, // fails: CTRL.ENABLE is clear
        { write: "CTRL", value: 0b0001 }, // ENABLE alone
        { read: "STATUS", expect: 0b01100 }, // ERROR stays; PHASE
        { write: "CTRL", value: 0b0011 }, // ENABLE, CLEAR_ERR
        { read: "STATUS", expect: 0b01000 },
        { read: "STATS", expect: 0x10001 }, // CLEARS 1, RINGS 1
      ],
    },
    {
      name: "done_clears",
      description: "On every channel, a completed descriptor's DONE clears when 1 is written to it, and when a new length is written",
      steps: [
        { write: "CTRL", value: 1 },
        { write: "DESC_LEN_0", value: 0x10 },
        { write: "DESC_CTRL_0", value: 0b01 }, // VALID, which enables channel 0
        { write: "DOORBELL", value: 0 },
        { read: "DESC_CTRL_0", expect: 0x80000000 }, // DONE
        { write: "DESC_CTRL_0", value: 0x80000000 }, // write 1 to DONE
        { read: "DESC_CTRL_0", expect: 0 },
        { write: "DESC_CTRL_0", value: 0b01 },
        { write: "DOORBELL", value: 0 },
        { write: "DESC_LEN_0", value: 0x20 },
        { read: "DESC_CTRL_0", expect: 0 },
        { write: "DESC_LEN_1", value: 0x10 },
        { write: "DESC_CTRL_1", value: 0b01 }, // VALID, which enables channel 1
        { write: "DOORBELL", value: 1 },
        { write: "DESC_CTRL_1", value: 0x80000000 }, // write 1 to DONE
        { read: "DESC_CTRL_1", expect: 0 },
        { write: "DESC_CTRL_1", value: 0b01 },
        { write: "DOORBELL", value: 1 },
        { write: "DESC_LEN_1", value: 0x20 },
        { read: "DESC_CTRL_1", expect: 0 },
        { write: "DESC_LEN_2", value: 0x10 },
        { write: "DESC_CTRL_2", value: 0b01 }, // VALID, which enables channel 2
        { write: "DOORBELL", value: 2 },
        { write: "DESC_CTRL_2", value: 0x80000000 }, // write 1 to DONE
        { read: "DESC_CTRL_2", expect: 0 },
        { write: "DESC_CTRL_2", value: 0b01 },
        { write: "DOORBELL", value: 2 },
        { write: "DESC_LEN_2", value: 0x20 },
        { read: "DESC_CTRL_2", expect: 0 },
        { write: "DESC_LEN_3", value: 0x10 },
        { write: "DESC_CTRL_3", value: 0b01 }, // VALID, which enables channel 3
        { write: "DOORBELL", value: 3 },
        { write: "DESC_CTRL_3", value: 0x80000000 }, // write 1 to DONE
        { read: "DESC_CTRL_3", expect: 0 },
        { write: "DESC_CTRL_3", value: 0b01 },
        { write: "DOORBELL", value: 3 },
        { write: "DESC_LEN_3", value: 0x20 },
        { read: "DESC_CTRL_3", expect: 0 },
        { write: "DESC_LEN_4", value: 0x10 },
        { write: "DESC_CTRL_4", value: 0b01 }, // VALID, which enables channel 4
        { write: "DOORBELL", value: 4 },
        { write: "DESC_CTRL_4", value: 0x80000000 }, // write 1 to DONE
        { read: "DESC_CTRL_4", expect: 0 },
        { write: "DESC_CTRL_4", value: 0b01 },
        { write: "DOORBELL", value: 4 },
        { write: "DESC_LEN_4", value: 0x20 },
        { read: "DESC_CTRL_4", expect: 0 },
        { write: "DESC_LEN_5", value: 0x10 },
        { write: "DESC_CTRL_5", value: 0b01 }, // VALID, which enables channel 5
        { write: "DOORBELL", value: 5 },
        { write: "DESC_CTRL_5", value: 0x80000000 }, // write 1 to DONE
        { read: "DESC_CTRL_5", expect: 0 },
        { write: "DESC_CTRL_5", value: 0b01 },
        { write: "DOORBELL", value: 5 },
        { write: "DESC_LEN_5", value: 0x20 },
        { read: "DESC_CTRL_5", expect: 0 },
        { write: "DESC_LEN_6", value: 0x10 },
        { write: "DESC_CTRL_6", value: 0b01 }, // VALID, which enables channel 6
        { write: "DOORBELL", value: 6 },
        { write: "DESC_CTRL_6", value: 0x80000000 }, // write 1 to DONE
        { read: "DESC_CTRL_6", expect: 0 },
        { write: "DESC_CTRL_6", value: 0b01 },
        { write: "DOORBELL", value: 6 },
        { write: "DESC_LEN_6", value: 0x20 },
        { read: "DESC_CTRL_6", expect: 0 },
        { write: "DESC_LEN_7", value: 0x10 },
        { write: "DESC_CTRL_7", value: 0b01 }, // VALID, which enables channel 7
        { write: "DOORBELL", value: 7 },
        { write: "DESC_CTRL_7", value: 0x80000000 }, // write 1 to DONE
        { read: "DESC_CTRL_7", expect: 0 },
        { write: "DESC_CTRL_7", value: 0b01 },
        { write: "DOORBELL", value: 7 },
        { write: "DESC_LEN_7", value: 0x20 },
        { read: "DESC_CTRL_7", expect: 0 },
      ],
    },
    {
      name: "checksum",
      description: "CRC is the CRC-32 of the descriptor lengths as little-endian words, seeded with CRC_SEED",
      steps: [
        { write: "CRC_SEED", value: 0 },
        { read: "CRC", expect: 0x190a55ad }, // zlib.crc32 of 32 zero bytes
        { write: "DESC_LEN_0", value: 0x40 },
        { write: "DESC_LEN_3", value: 0x1000 },
        { read: "CRC", expect: 0x190a55ad }, // only a seed written computes it
        { write: "CRC_SEED", value: 0 },
        { read: "CRC", expect: 0x7f2dd503 }, // zlib.crc32(lengths, 0)
        { write: "CRC_SEED", value: 0x12345678 },
        { read: "CRC", expect: 0x29f1d997 }, // zlib.crc32(lengths, 0x12345678)
      ],
    },
    {
      name: "lfsr_steps",
      description: "Each read of LFSR returns its state and steps it; from 0 it restarts at 1",
      steps: [
        { read: "LFSR", expect: 1 },
        { read: "LFSR", expect: 0x80200003 }, // 1 >> 1 ^ taps
        { read: "LFSR", expect: 0xc0300002 }, // 0x40100001 ^ taps
        { read: "LFSR", expect: 0x60180001 }, // even: shift only
        { write: "LFSR", value: 0 },
        { read: "LFSR", expect: 0 },
        { read: "LFSR", expect: 1 },
      ],
    },
    {
      name: "semaphore",
      description: "The first read takes the semaphore, the next sees it taken; writing 1 releases it",
      steps: [
        { read: "SEM", expect: 0 },
        { read: "SEM", expect: 1 },
        { write: "SEM", value: 1 },
        { read: "SEM", expect: 0 },
      ],
    },
  ],
});
