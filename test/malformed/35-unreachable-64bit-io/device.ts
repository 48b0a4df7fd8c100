// port I/O accesses are at most 4 bytes, and this register refuses narrower ones
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "io", size: 0x10 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [{ name: "COUNTER", offset: 0x0, width: 64, policy: { narrower: /*@*/"error" } }],
});
