// a port I/O device's access-size set lists 8-byte accesses, which port I/O never makes
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "io", size: 0x10 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  policy: { sizes: [4, /*@*/8] },
  registers: [
    { name: "CTRL", offset: 0x0 },
  ],
});
