// decodeMask 0x1 decodes 2 bytes; port I/O accesses reach 4
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "io", size: 0x10, decodeMask: /*@*/0x1 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [{ name: "CTRL", offset: /*@ctrl*/0x0 }],
});
