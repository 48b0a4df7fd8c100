// B starts in the upper half of the 64-bit A
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [{ name: "A", offset: 0x8, width: 64 }, { name: "B", offset: /*@*/0xc }],
});
