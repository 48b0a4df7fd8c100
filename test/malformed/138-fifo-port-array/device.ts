// a FIFO data port that is an array: every element would reach one queue
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "DATA", offset: 0x0, width: 8, count: 4, access: "ro", fifo: /*@*/"RXQ" },
  ],
  storage: { RXQ: { count: 16, fifo: {} } },
});
