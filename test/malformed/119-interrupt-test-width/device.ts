// the interrupt's test register is narrower than its status register
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  interrupt: { status: "STATUS", enable: "ENABLE", test: /*@*/"TEST" },
  registers: [
    { name: "STATUS", offset: 0x4, access: "w1c" },
    { name: "ENABLE", offset: 0x8 },
    { name: "TEST", offset: 0xc, width: 8, access: "wo" },
  ],
});
