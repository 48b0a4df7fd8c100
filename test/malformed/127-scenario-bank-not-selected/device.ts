// a scenario writes the divisor latch DLL before setting LCR.DLAB, so the write would reach DATA
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "io", size: 0x8 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "DATA", offset: 0x0, width: 8, bank: { select: "LCR.DLAB", value: 0 } },
    { name: "DLL", offset: 0x0, width: 8, bank: { select: "LCR.DLAB", value: 1 } },
    { name: "LCR", offset: 0x3, width: 8, fields: [{ name: "DLAB", bits: 7 }] },
  ],
  scenarios: [{ name: "set_divisor", steps: [{ write: /*@*/"DLL", value: 12 }, { write: "LCR", value: 0x80 }] }],
});
