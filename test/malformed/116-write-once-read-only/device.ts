// a read-only field cannot be write-once: no write changes it
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "CTRL", offset: 0x0, fields: [{ name: "ID", bits: [7, 0], access: "ro", writeOnce: /*@*/true }] },
  ],
});
