// a 2-byte port I/O BAR: no register is measured against a size the file does not have
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "io", size: /*@*/2 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [{ name: "CTRL", offset: 0x0 }, { name: "DATA", offset: 0x4 }],
});
