// an array's elements are STATUS_0..STATUS_1; STATUS names none of them
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  interrupt: { status: /*@*/"STATUS", enable: "ENABLE" },
  registers: [{ name: "STATUS", offset: 0x0, count: 2 }, { name: "ENABLE", offset: 0x8 }],
});
