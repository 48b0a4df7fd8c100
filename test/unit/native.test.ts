/**
 * The native conformance suite: each device's generated C core, with its hand-written
 * hooks, is compiled on the host and run against the vectors of the reference model.
 * Also checks that the harness can fail, that the vectors reach every register at every
 * bus size, and that xche and the examples together use every feature of the DSL.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadDevice } from "../../src/compile/load.js";
import type { AccessKind, DeviceSpec, SizePolicy } from "../../src/dsl/types.js";
import type { Device, Register } from "../../src/ir/types.js";
import { compileDevice } from "../../src/compile/index.js";
import {
  buildNative,
  generateInto,
  readVectors,
  removeGenerated,
  runNative,
  summary,
  type Generated,
} from "../helpers/native.js";

const EXAMPLES = fs
  .readdirSync("examples")
  .filter((entry) => fs.existsSync(path.join("examples", entry, "device.ts")))
  .sort()
  .map((entry) => path.join("examples", entry));
const DEVICES = ["devices/xche", ...EXAMPLES];

const generated: Generated[] = [];
afterAll(() => generated.forEach(removeGenerated));

/** A fresh output directory for `dir`, removed after the suite. */
function generate(dir: string): Generated {
  const out = generateInto(dir);
  generated.push(out);
  return out;
}

test("the examples directory holds at least the three examples", () => {
  expect(EXAMPLES).toEqual(
    expect.arrayContaining(["examples/dma_engine", "examples/hpet_timer", "examples/uart16550"]),
  );
});

describe.each(DEVICES)("%s", (dir) => {
  let out: Generated;
  beforeAll(() => {
    out = generate(dir);
  });

  test("the generated core passes every vector natively", () => {
    const vectors = readVectors(out);
    const run = runNative(buildNative(out));
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(summary(out.name, run.stdout)).toEqual({ passed: vectors.length, failed: 0 });
    expect(run.status).toBe(0);
  });

  test("the vectors read and write every register at every bus size", () => {
    const { device } = out;
    const vectors = readVectors(out);
    const missing: string[] = [];
    for (const r of device.registers) {
      // A size that runs past the BAR from the register's first byte cannot start in it.
      for (const size of device.busSizes.filter((n) => r.offset + n <= device.bar.size)) {
        for (const op of ["read", "write"] as const) {
          const hit = vectors.some(
            (v) =>
              v.op === op &&
              v.claimed &&
              v.size === size &&
              (v.offset! & device.bar.decodeMask) >= r.offset &&
              (v.offset! & device.bar.decodeMask) < r.offset + r.bytes,
          );
          if (!hit) missing.push(`${op} ${r.name} size ${size}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("the harness can fail", () => {
  test("a corrupted expected value of a read vector is reported by index", () => {
    const out = generate("devices/xche");
    const header = path.join(out.dir, `tests/${out.name}_vectors.h`);
    const lines = fs.readFileSync(header, "utf8").split("\n");
    const vectorLines = lines.flatMap((line, at) => (/^\t\{ XCHE_VEC_/.test(line) ? [at] : []));
    expect(vectorLines).toHaveLength(readVectors(out).length);
    // The first read the device claims with a known value: flip the lowest bit it checks.
    const read = /^(\t\{ XCHE_VEC_READ, \d, 1, 0x[0-9a-f]+, )(0x[0-9a-f]+)(ULL, )(0x[0-9a-f]+)(ULL \},)$/;
    const index = vectorLines.findIndex((at) => {
      const m = read.exec(lines[at]!);
      return m !== null && BigInt(m[4]!) !== 0n;
    });
    expect(index).toBeGreaterThanOrEqual(0);
    const at = vectorLines[index]!;
    lines[at] = lines[at]!.replace(read, (_all, head: string, expected: string, sep: string, mask: string, tail: string) => {
      const lowest = BigInt(mask) & -BigInt(mask);
      return `${head}0x${(BigInt(expected) ^ lowest).toString(16)}${sep}${mask}${tail}`;
    });
    fs.writeFileSync(header, lines.join("\n"));

    const run = runNative(buildNative(out));
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^FAIL vector ${index}: read offset `, "m"));
    expect(summary(out.name, run.stdout)).toEqual({ passed: vectorLines.length - 1, failed: 1 });
  });

  test("a wrong mask in the core's register descriptor is caught", () => {
    const out = generate("devices/xche");
    const core = path.join(out.dir, `core/${out.name}_core.c`);
    const text = fs.readFileSync(core, "utf8");
    // INT_STATUS forgets that REJECTED is write-1-to-clear.
    const broken = text.replace(/(\[XCHE_REG_INT_STATUS\] = \{[^}]*?\.w1c = )0x3ULL/, "$10x1ULL");
    expect(broken).not.toBe(text);
    fs.writeFileSync(core, broken);

    const run = runNative(buildNative(out));
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/^FAIL vector \d+: read offset 0x8 /m);
    expect(summary(out.name, run.stdout)?.failed).toBeGreaterThan(0);
  });

  test("a write-only bit the core does not store, which no read shows, is caught by the state checks", () => {
    const out = generate("devices/xche");
    const core = path.join(out.dir, `core/${out.name}_core.c`);
    const text = fs.readFileSync(core, "utf8");
    // CTRL.RESET (bit 31, wo) is no longer stored: reads of CTRL return 0 there either way.
    const broken = text.replace(/(\[XCHE_REG_CTRL\] = \{[^}]*?\.writable = )0x80000007ULL/, "$10x7ULL");
    expect(broken).not.toBe(text);
    fs.writeFileSync(core, broken);

    const run = runNative(buildNative(out));
    expect(run.status).not.toBe(0);
    expect(run.stdout).not.toMatch(/^FAIL vector/m);
    expect(run.stdout).toMatch(/^FAIL state before vector \d+: entry 1 is /m);
  });

  test("a state check looser than the state rules is caught", () => {
    const out = generate("devices/xche");
    const core = path.join(out.dir, `core/${out.name}_core.c`);
    const text = fs.readFileSync(core, "utf8");
    // KEY (16 bits) would take a state with bit 16 set.
    const broken = text.replace(/(\[XCHE_REG_KEY\] = \{[^}]*?\.holds = )0xffffULL/, "$10x1ffffULL");
    expect(broken).not.toBe(text);
    fs.writeFileSync(core, broken);

    const run = runNative(buildNative(out));
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/^FAIL state with entry 6 = 0x15a5a accepted/m);
  });

  test("a state check stricter than the state rules is caught", () => {
    const out = generate("devices/xche");
    const core = path.join(out.dir, `core/${out.name}_core.c`);
    const text = fs.readFileSync(core, "utf8");
    // ID's bit 0 held at its reset value, though with hooks the rules fix no bit.
    const broken = text.replace(/(\[XCHE_REG_ID\] = \{[^}]*?\.fixed = )0x0ULL/, "$10x1ULL");
    expect(broken).not.toBe(text);
    fs.writeFileSync(core, broken);

    const run = runNative(buildNative(out));
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/^FAIL a state the state rules accept is refused$/m);
  });
});

describe("xche and the examples use every feature of the DSL", () => {
  let specs: DeviceSpec[];
  let devices: Device[];
  let registers: Register[];
  beforeAll(() => {
    specs = DEVICES.map((dir) => loadDevice(path.join(dir, "device.ts")).spec);
    devices = DEVICES.map((dir) => compileDevice(dir).device);
    registers = devices.flatMap((d) => d.registers);
  });

  test("every access kind", () => {
    const kinds = new Set<AccessKind>();
    for (const r of specs.flatMap((s) => s.registers)) {
      const base = r.access ?? "rw";
      if (!r.fields?.length) kinds.add(base);
      for (const f of r.fields ?? []) kinds.add(f.access ?? base);
    }
    expect([...kinds].sort()).toEqual(["const", "rc", "ro", "rw", "w1c", "w1s", "wo"]);
  });

  test("every width, reserved bits, enumerated values and arrays spaced wider than their registers", () => {
    expect([...new Set(registers.map((r) => r.width))].sort((a, b) => a - b)).toEqual([8, 16, 32, 64]);
    expect(registers.some((r) => r.fields.length > 0 && r.masks.defined !== (1n << BigInt(r.width)) - 1n)).toBe(true);
    expect(registers.some((r) => r.fields.some((f) => f.values.length > 0))).toBe(true);
    const strides = registers
      .filter((r) => r.arrayIndex === 1)
      .map((r) => ({ bytes: r.bytes, stride: r.offset - registers.find((e) => e.name === `${r.arrayName}_0`)!.offset }));
    expect(strides.some((s) => s.stride > s.bytes)).toBe(true);
  });

  test("every access-size policy value, at device and at register level", () => {
    const expected: Record<string, SizePolicy[]> = {
      narrower: ["combine", "error", "ignore"],
      wider: ["error", "ignore", "split"],
      unaligned: ["error", "ignore", "split"],
    };
    for (const key of Object.keys(expected) as (keyof typeof expected & keyof NonNullable<DeviceSpec["policy"]>)[]) {
      const deviceLevel = new Set(specs.map((s) => s.policy?.[key]).filter(Boolean));
      const registerLevel = new Set(specs.flatMap((s) => s.registers.map((r) => r.policy?.[key])).filter(Boolean));
      expect([key, [...deviceLevel].sort()]).toEqual([key, expected[key]]);
      expect([key, [...registerLevel].sort()]).toEqual([key, expected[key]]);
    }
  });

  test("an access-size set, and both things an access of another size can do", () => {
    const restricted = devices.flatMap((d) => d.registers.filter((r) => r.policy.sizes.length < d.busSizes.length));
    expect(restricted.length).toBeGreaterThan(0);
    expect(new Set(restricted.map((r) => r.policy.otherSizes))).toEqual(new Set(["error", "ignore"]));
  });

  test("both BAR spaces, an aliasing decode mask, devices with and without an interrupt", () => {
    expect(new Set(devices.map((d) => d.bar.space))).toEqual(new Set(["io", "mmio"]));
    expect(devices.some((d) => d.bar.decodeMask + 1 < d.bar.size)).toBe(true);
    expect(devices.some((d) => d.interrupt !== null)).toBe(true);
    expect(devices.some((d) => d.interrupt === null)).toBe(true);
  });

  test("set, clear and toggle, with and without when, on reads and on writes", () => {
    const seen = new Set<string>();
    for (const r of registers) {
      for (const [direction, actions] of [["read", r.onRead], ["write", r.onWrite]] as const) {
        for (const a of actions) seen.add(`${direction} ${a.kind}${a.when ? " when" : ""}`);
      }
    }
    for (const direction of ["read", "write"]) {
      for (const kind of ["set", "clear", "toggle", "hook"]) {
        for (const when of ["", " when"]) {
          if (kind === "hook" && direction === "read" && when) continue;
          expect(seen).toContain(`${direction} ${kind}${when}`);
        }
      }
    }
  });

  test("a FIFO storage with status fields, popped by a data port", () => {
    const fifos = devices.flatMap((d) => d.storage.filter((s) => s.fifo));
    expect(fifos.some((s) => s.fifo!.notEmpty && s.fifo!.overrun)).toBe(true);
    expect(registers.some((r) => r.fifo && r.masks.readable)).toBe(true);
  });

  // Every example's hooks have a model, so the vectors compare what each computes (issue 15);
  // hooks without one are model.test.ts's and vectors.test.ts's (an MMIO fixture's kick).
  test("read and write hooks with a model", () => {
    const hooks = devices.flatMap((d) => d.hooks);
    expect(hooks.some((h) => h.direction === "read" && h.model)).toBe(true);
    expect(hooks.some((h) => h.direction === "write" && h.model)).toBe(true);
  });
});
