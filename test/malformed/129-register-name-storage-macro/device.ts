// a register named STORE_NVRAM would get the C name of the NVRAM storage's first entry
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: /*@*/"STORE_NVRAM", offset: 0x0 },
  ],
  storage: { NVRAM: { count: 8 } },
});
