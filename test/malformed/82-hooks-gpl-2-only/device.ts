// hooks.c is GPL-2.0-only, which QEMU does not take in hw/misc/
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1af4, deviceId: 0x10f0 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }],
  hooks: { kick: {} },
});
