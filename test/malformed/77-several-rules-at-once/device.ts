// a BAR, a field, a reset and a hook, all wrong
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "io", size: /*@bar*/24 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "CTRL", offset: 0x0, width: 8, reset: /*@reset*/0x100, fields: [{ name: "EN", bits: /*@bits*/8 }] },
    { name: "DATA", offset: /*@offset*/0x2, onWrite: [{ hook: "kick" }] },
  ],
  hooks: { kick: /*@hook*/{} },
});
