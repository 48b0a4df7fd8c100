/**
 * Conformance vectors (src/reference/vectors.ts): deterministic, covering every register at
 * every bus size plus the odd accesses, and consistent with a fresh reference model.
 */
import { bitMask } from "../../src/ir/bits.js";
import type { Device } from "../../src/ir/types.js";
import { DeviceModel } from "../../src/reference/device-model.js";
import { generateVectors, holes, type Vector } from "../../src/reference/vectors.js";
import { compileDevice } from "../../src/compile/index.js";
import { build, spec } from "../helpers/fixtures.js";

type Access = Extract<Vector, { op: "read" | "write" }>;
type Read = Extract<Vector, { op: "read" }>;

const xche = compileDevice("devices/xche").device;

/** MMIO (8-byte accesses), a 64-bit register, aliasing, holes, and a hook with no model. */
const MMIO_SPEC = spec({
  name: "mmio",
  bar: { index: 2, space: "mmio", size: 0x1000, decodeMask: 0x3f },
  registers: [
    { name: "ID", offset: 0x00, access: "const", reset: 0x4d4d494f },
    { name: "WIDE", offset: 0x08, width: 64, reset: 0x0123456789abcdefn },
    { name: "STATUS", offset: 0x10, access: "w1c", fields: [{ name: "DONE", bits: 0 }, { name: "ERR", bits: 1 }] },
    { name: "ENABLE", offset: 0x14, fields: [{ name: "DONE", bits: 0 }, { name: "ERR", bits: 1 }] },
    {
      name: "CMD",
      offset: 0x18,
      fields: [{ name: "GO", bits: 0 }, { name: "KICK", bits: 1 }],
      onWrite: [{ set: "STATUS.DONE", when: "GO" }, { hook: "kick", when: "KICK" }],
    },
    { name: "BYTE", offset: 0x21, width: 8, access: "rc", reset: 0x7 },
    { name: "FIFO", offset: 0x30, count: 2, stride: 8 },
  ],
  interrupt: { status: "STATUS", enable: "ENABLE" },
  hooks: { kick: { touches: ["STATUS"] } },
});
const mmio = build(MMIO_SPEC);

const accesses = (vectors: Vector[], op: "read" | "write"): Access[] =>
  vectors.filter((v): v is Access => v.op === op);
const readsOf = (vectors: Vector[]): Read[] => vectors.filter((v): v is Read => v.op === "read");

/** Replays vectors on a fresh model; returns a description of every disagreement. */
function replay(device: Device, vectors: Vector[]): string[] {
  const model = new DeviceModel(device);
  const problems: string[] = [];
  let level = model.irqLevel();
  let pendingIrq: boolean | null = null;
  vectors.forEach((v, i) => {
    const at = `#${i} ${v.op}${"offset" in v ? ` ${v.size}@0x${v.offset.toString(16)}` : ""}`;
    if (pendingIrq !== null && !(v.op === "irq" && v.expect === pendingIrq)) {
      problems.push(`${at}: expected an irq check for level ${pendingIrq} first`);
    }
    pendingIrq = null;
    const afterAccess = (): void => {
      const now = model.irqLevel();
      if (device.interrupt && now !== null && now !== level) pendingIrq = now;
      level = now;
    };
    switch (v.op) {
      case "reset":
        model.reset();
        level = model.irqLevel();
        break;
      case "read": {
        const result = model.read(v.offset, v.size);
        const mask = result.claimed ? bitMask(v.size * 8) & ~result.unknown : 0n;
        if (result.claimed !== v.claimed) problems.push(`${at}: claimed ${result.claimed}, vector says ${v.claimed}`);
        if (mask !== v.mask) problems.push(`${at}: mask 0x${mask.toString(16)}, vector says 0x${v.mask.toString(16)}`);
        if ((result.value & mask) !== (v.expect & mask)) {
          problems.push(`${at}: reads 0x${result.value.toString(16)}, vector expects 0x${v.expect.toString(16)}`);
        }
        afterAccess();
        break;
      }
      case "write": {
        if (v.value !== (v.value & bitMask(v.size * 8))) problems.push(`${at}: value wider than the access`);
        const claimed = model.write(v.offset, v.size, v.value);
        if (claimed !== v.claimed) problems.push(`${at}: claimed ${claimed}, vector says ${v.claimed}`);
        afterAccess();
        break;
      }
      case "irq":
        if (model.irqLevel() !== v.expect) problems.push(`${at}: level ${model.irqLevel()}, vector expects ${v.expect}`);
        break;
    }
  });
  return problems;
}

describe.each([
  ["xche", xche],
  ["an MMIO device with aliases, holes and a hook without a model", mmio],
])("%s", (_, device) => {
  const vectors = generateVectors(device);
  const reads = readsOf(vectors);
  const writes = accesses(vectors, "write");
  const window = device.bar.decodeMask + 1;

  test("deterministic: two runs, even from separately lowered devices, are equal", () => {
    expect(generateVectors(device)).toEqual(vectors);
    const again = device === xche ? compileDevice("devices/xche").device : build(MMIO_SPEC);
    expect(generateVectors(again)).toEqual(vectors);
  });

  test("starts from reset and uses only the sizes the bus can issue", () => {
    expect(vectors[0]).toEqual({ op: "reset" });
    for (const v of [...reads, ...writes]) expect(device.busSizes).toContain(v.size);
  });

  test("every register is read and written at every bus size", () => {
    const missing: string[] = [];
    for (const r of device.registers) {
      for (const size of device.busSizes) {
        const hits = (list: Access[]) =>
          list.some((v) => v.size === size && v.offset >= r.offset && v.offset < r.offset + r.bytes && v.claimed);
        if (!hits(reads)) missing.push(`read ${r.name} size ${size}`);
        if (!hits(writes)) missing.push(`write ${r.name} size ${size}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("every register is read unaligned at every size above 1", () => {
    const missing = device.registers.flatMap((r) =>
      device.busSizes
        .filter((size) => size > 1 && !reads.some((v) => v.offset === r.offset + 1 && v.size === size))
        .map((size) => `${r.name} size ${size}`),
    );
    expect(missing).toEqual([]);
  });

  test("every register is accessed through an alias of the decode window", () => {
    expect(window).toBeLessThan(device.bar.size);
    const aliased = (list: Access[]) =>
      device.registers.filter((r) => !list.some((v) => v.offset >= window && v.offset % window === r.offset && v.claimed));
    expect(aliased(reads).map((r) => r.name)).toEqual([]);
    expect(aliased(writes).map((r) => r.name)).toEqual([]);
  });

  test("holes are read, and read 0", () => {
    const gaps = holes(device);
    expect(gaps.length).toBeGreaterThan(0);
    for (const hole of gaps) {
      expect(reads.filter((v) => v.offset === hole && v.size === 1).map((v) => [v.claimed, v.expect])).toContainEqual([true, 0n]);
    }
  });

  test("accesses past the BAR are present at every size, and unclaimed; those straddling its end are claimed", () => {
    for (const size of device.busSizes) {
      const past = (list: Access[]) => list.filter((v) => v.size === size && v.offset >= device.bar.size);
      expect(past(reads).length).toBeGreaterThan(0);
      expect(past(writes).length).toBeGreaterThan(0);
      for (const v of [...past(reads), ...past(writes)]) expect(v.claimed).toBe(false);
      if (size === 1) continue;
      const straddling = <T extends Access>(list: T[]): T[] =>
        list.filter((v) => v.size === size && v.offset < device.bar.size && v.offset + size > device.bar.size);
      expect(straddling(reads).length).toBeGreaterThan(0);
      expect(straddling(writes).length).toBeGreaterThan(0);
      for (const v of straddling(reads)) {
        expect(v.claimed).toBe(true);
        // The bytes past the BAR are whatever decodes there: never compared.
        expect(v.mask >> BigInt(8 * (device.bar.size - v.offset))).toBe(0n);
      }
    }
    for (const v of [...reads, ...writes]) {
      if (v.offset < device.bar.size) expect(v.claimed).toBe(true);
    }
  });

  test("irq checks see the line both high and low", () => {
    const levels = vectors.filter((v): v is Extract<Vector, { op: "irq" }> => v.op === "irq").map((v) => v.expect);
    expect(levels).toContain(true);
    expect(levels).toContain(false);
  });

  test("a fresh model replaying the vectors agrees with every one, and every change of the line is checked at once", () => {
    expect(replay(device, vectors)).toEqual([]);
  });

  test("randomAccesses sets the number of accesses in the random phase", () => {
    const count = (n: number) => generateVectors(device, { randomAccesses: n }).filter((v) => v.op === "read" || v.op === "write").length;
    expect(count(10) - count(0)).toBe(10);
  });
});

describe("what the vectors know", () => {
  test("xche has a model for every hook, so every claimed read is compared in full", () => {
    const partial = readsOf(generateVectors(xche)).filter(
      (v) => v.claimed && v.offset + v.size <= xche.bar.size && v.mask !== bitMask(v.size * 8),
    );
    expect(partial).toEqual([]);
  });

  test("a hook without a model leaves the bits it may change out of the comparison", () => {
    const reads = readsOf(generateVectors(mmio));
    const status = mmio.registers.find((r) => r.name === "STATUS")!;
    const partial = reads.filter((v) => v.claimed && v.offset + v.size <= mmio.bar.size && v.mask !== bitMask(v.size * 8));
    expect(partial.length).toBeGreaterThan(0);
    // Only STATUS (the register kick touches) is ever unknown.
    for (const v of partial) {
      const decoded = v.offset % (mmio.bar.decodeMask + 1);
      expect(decoded < status.offset + status.bytes && decoded + v.size > status.offset).toBe(true);
    }
  });

  test("reads of a hole and of the ID register expect what the description says", () => {
    const reads = readsOf(generateVectors(xche));
    expect(reads.find((v) => v.offset === 0x1b && v.size === 1)).toMatchObject({ claimed: true, expect: 0n });
    expect(reads.find((v) => v.offset === 0x00 && v.size === 4)).toMatchObject({ claimed: true, expect: 0x58434845n });
    expect(reads.find((v) => v.offset === 0x20 && v.size === 4)).toMatchObject({ claimed: true, expect: 0x58434845n });
    expect(reads.find((v) => v.offset === 0x800 && v.size === 4)).toMatchObject({ claimed: false, mask: 0n });
  });
});

describe("the replay check itself", () => {
  const vectors = generateVectors(xche, { randomAccesses: 0 });

  test("catches a wrong expectation", () => {
    const i = vectors.findIndex((v) => v.op === "read" && v.offset === 0x00 && v.claimed);
    const tampered = vectors.map((v, k) => (k === i && v.op === "read" ? { ...v, expect: v.expect ^ 1n } : v));
    expect(replay(xche, tampered)).toEqual([expect.stringMatching(/^#\d+ read 4@0x0: reads 0x58434845, vector expects 0x58434844$/)]);
  });

  test("catches a missing irq check", () => {
    const i = vectors.findIndex((v, k) => v.op === "irq" && v.expect && k > 0 && vectors[k - 1]!.op !== "reset");
    expect(i).toBeGreaterThan(0);
    const dropped = [...vectors.slice(0, i), ...vectors.slice(i + 1)];
    expect(replay(xche, dropped)).toContainEqual(expect.stringMatching(/expected an irq check for level true first/));
  });
});
