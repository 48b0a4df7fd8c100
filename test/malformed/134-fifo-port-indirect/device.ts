// a register is both an indirect data register and a FIFO's data port
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "INDEX", offset: 0x0, width: 8, fields: [{ name: "ADDR", bits: [3, 0] }] },
    { name: "DATA", offset: 0x4, width: 8, indirect: { storage: "RXQ", index: "INDEX.ADDR" }, fifo: /*@*/"RXQ" },
  ],
  storage: { RXQ: { count: 16, fifo: {} } },
});
