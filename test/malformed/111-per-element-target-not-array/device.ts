// bit n for element n, named from a register that is no array
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "GO", offset: 0x0, onWrite: [{ set: /*@*/"STATUS[n]" }] },
    { name: "STATUS", offset: 0x4, access: "ro" },
  ],
});
