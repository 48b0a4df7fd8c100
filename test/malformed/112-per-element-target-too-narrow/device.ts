// bit n for element n of an 8-element array, in a 4-bit field
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "GO", offset: 0x0, count: 8, onWrite: [{ set: /*@*/"STATUS.DONE[n]" }] },
    { name: "STATUS", offset: 0x40, access: "ro", fields: [{ name: "DONE", bits: [3, 0] }] },
  ],
});
