// a helper that checks its argument and throws
import { defineDevice } from "devgen";

interface Bank {
  base: number;
  count: number;
}

function bank({ base, count }: Bank): { name: string; offset: number }[] {
  if (base % 4 !== 0) throw /*@*/new RangeError(`bank base ${base} is not a multiple of 4`);
  return Array.from({ length: count }, (_, i) => ({ name: `B${i}`, offset: base + 4 * i }));
}

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [...bank({ base: 0x6, count: 2 })],
});
