import { defineDevice } from "devgen";

/*
 * cmos_nvram: the index/data pair of a PC's CMOS, in front of 128 bytes of NVRAM that no
 * offset decodes. The guest writes an address to INDEX, then reads or writes DATA; BLOCK
 * does the same and moves INDEX.ADDR on by one, so a driver can copy the whole NVRAM
 * through one port. SUM is the byte sum of the NVRAM, which a hook computes through the
 * storage's accessors. LOCK.NVRAM, as the lock bits of a PC chipset's RTC, can be set once
 * after reset and then makes the NVRAM read-only through DATA and BLOCK until the next reset.
 *
 * There is no clock: the RTC registers of a real CMOS would be hooks over the host's time.
 */
export default defineDevice({
  name: "cmos_nvram",
  description: "CMOS-style NVRAM behind an index/data port pair, handled inside KVM",
  pci: {
    vendorId: 0x1af4,
    deviceId: 0x10f4,
    classCode: 0x0580,
    revision: 1,
  },
  bar: { index: 0, space: "io", size: 0x8 },
  kvm: {
    ioctl: { number: 0xf0 },
    capability: { number: 1004 },
  },
  // A 16-bit access at INDEX writes the address and the data in one go, as on a PC.
  policy: { narrower: "ignore", wider: "split", unaligned: "split" },
  registers: [
    {
      name: "INDEX",
      offset: 0,
      width: 8,
      access: "rw",
      description: "Selects the NVRAM byte DATA and BLOCK reach",
      fields: [
        { name: "ADDR", bits: [6, 0], description: "NVRAM address" },
        { name: "NMI_OFF", bits: 7, description: "Stored only: a PC masks NMIs with it" },
      ],
    },
    {
      name: "DATA",
      offset: 1,
      width: 8,
      access: "rw",
      description: "The NVRAM byte at INDEX.ADDR",
      indirect: { storage: "NVRAM", index: "INDEX.ADDR" },
      writeLock: "LOCK.NVRAM",
    },
    {
      name: "BLOCK",
      offset: 2,
      width: 8,
      access: "rw",
      description: "The NVRAM byte at INDEX.ADDR; each access moves INDEX.ADDR on by one",
      indirect: { storage: "NVRAM", index: "INDEX.ADDR", autoIncrement: true },
      writeLock: "LOCK.NVRAM",
    },
    {
      name: "SUM",
      offset: 3,
      width: 8,
      access: "ro",
      description: "Byte sum of the whole NVRAM, modulo 256",
      onRead: [{ hook: "checksum" }],
    },
    {
      name: "LOCK",
      offset: 4,
      width: 8,
      access: "rw",
      description: "Locks; each can be set or left clear once after reset",
      fields: [{ name: "NVRAM", bits: 0, writeOnce: true, description: "DATA and BLOCK writes are dropped" }],
    },
  ],
  storage: {
    // Battery-backed: a reset of the device leaves the bytes as they were.
    NVRAM: { count: 128, width: 8, keepOnReset: true, description: "The battery-backed bytes" },
  },
  hooks: {
    checksum: {
      description: "Sum every NVRAM byte",
      model(dev) {
        let sum = 0n;
        for (let n = 0; n < 128; n++) sum += dev.get(`NVRAM_${n}`);
        return sum & 0xffn;
      },
    },
  },
});
