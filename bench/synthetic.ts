/** A device file with `count` registers, written as a user would (one literal per register). */
export function syntheticDevice(count: number): string {
  const registers: string[] = [];
  for (let i = 0; i < count; i++) {
    const access = ["rw", "ro", "w1c", "rc", "wo", "const"][i % 6];
    registers.push(
      `    { name: "R${i}", offset: 0x${(i * 4).toString(16)}, access: "${access}", reset: ${i % 7}, description: "register ${i}",\n` +
        `      fields: [{ name: "LOW", bits: [7, 0] }, { name: "MID", bits: [15, 8], access: "rw" }] },`,
    );
  }
  let size = 16;
  while (size < count * 4) size *= 2;
  return `import { defineDevice } from "devgen";

export default defineDevice({
  name: "bench${count}",
  description: "synthetic device with ${count} registers",
  pci: { vendorId: 0x1b36, deviceId: 0x01ff },
  bar: { index: 0, space: "mmio", size: 0x${size.toString(16)} },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
${registers.join("\n")}
  ],
});
`;
}
