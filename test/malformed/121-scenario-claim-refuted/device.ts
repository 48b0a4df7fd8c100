// a scenario expects a second write to unlock DATA, but the model has no lock: the claim is refuted at its expect
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "LOCK", offset: 0x0, fields: [{ name: "KEY", bits: [7, 0] }] },
    { name: "DATA", offset: 0x4, access: "ro" },
  ],
  scenarios: [
    {
      name: "unlock_then_write",
      steps: [
        { write: "LOCK", value: 0x5a },
        { write: "DATA", value: 0x1234 },
        { read: "DATA", expect: /*@*/0x1234 },
      ],
    },
  ],
});
