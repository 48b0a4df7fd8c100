// a FIFO status field names a field its register does not have
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "DATA", offset: 0x0, width: 8, access: "ro", fifo: "RXQ" },
    { name: "LSR", offset: 0x4, width: 8, access: "ro", fields: [{ name: "DR", bits: 0 }] },
  ],
  storage: { RXQ: { count: 16, fifo: { notEmpty: /*@*/"LSR.RDY" } } },
});
