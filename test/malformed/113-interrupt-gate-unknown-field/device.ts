// the interrupt's gate names a field its register does not have
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  interrupt: { status: "STATUS", enable: "ENABLE", gate: /*@*/"CTRL.IE" },
  registers: [
    { name: "CTRL", offset: 0x0, fields: [{ name: "ENABLE", bits: 0 }] },
    { name: "STATUS", offset: 0x4, access: "w1c" },
    { name: "ENABLE", offset: 0x8 },
  ],
});
