/**
 * The mixes `npm run bench -- --core` times (bench/core-mixes.ts): every device has a
 * driver-like one, and the random one makes only accesses the device's policies serve.
 */
import { compileDevice } from "../../src/compile/index.js";
import { registerAt } from "../../src/reference/decode.js";
import { policyFor } from "../../src/reference/device-model.js";
import { driverMix, randomMix } from "../../bench/core-mixes.js";
import { DEVICES } from "../helpers/harness.js";

describe.each(DEVICES)("%s", (dir) => {
  const { device } = compileDevice(dir);

  test("has a driver-like mix of reads and writes of its registers", () => {
    const mix = driverMix(device)!;
    expect(mix).not.toBeNull();
    const ops = new Set(mix.repeated.map((a) => a.op));
    expect(ops).toContain("read");
    expect(ops).toContain("write");
    for (const a of [...mix.setup, ...mix.repeated]) {
      expect(registerAt(device, a.offset)).not.toBeNull();
      expect(device.busSizes).toContain(a.size);
    }
  });

  test("the random mix is the same every time and only makes accesses the device serves", () => {
    const mix = randomMix(device);
    expect(randomMix(device)).toEqual(mix);
    const window = device.bar.decodeMask + 1;
    const refused = mix.repeated.filter((a) => {
      const start = a.offset & device.bar.decodeMask;
      const register = registerAt(device, start);
      return (
        !register ||
        !device.busSizes.includes(a.size) ||
        start + a.size > window ||
        a.offset + a.size > device.bar.size ||
        policyFor(register, a.offset, a.size) !== "lanes" ||
        a.value >> BigInt(8 * a.size) !== 0n
      );
    });
    expect(refused).toEqual([]);
    expect(new Set(mix.repeated.map((a) => a.op))).toEqual(new Set(["read", "write"]));
  });
});
