// an action of a 4-element array names no register: one error, not four
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [{ name: "DATA", offset: 0x0, count: 4, fields: [{ name: "GO", bits: 0 }], onWrite: [{ clear: /*@*/"STATUS.DONE", when: "GO" }] }],
});
