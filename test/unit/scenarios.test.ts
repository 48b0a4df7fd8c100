/**
 * Scenarios: lowering (places resolved to offsets and sizes, every malformed step reported
 * at its place), their claims checked against the reference model by `devgen check`, and
 * their steps among the vectors, each scenario from reset.
 */
import { compileDevice } from "../../src/compile/index.js";
import { compileAll } from "../../src/pipeline/generate.js";
import { generateVectors } from "../../src/reference/vectors.js";
import { DevgenError } from "../../src/util/diagnostics.js";
import { build, compileError, deviceSource, expected, Scratch, spec, type DeviceParts, type Want } from "../helpers/fixtures.js";

const scratch = new Scratch();
afterAll(() => scratch.remove());

const REGISTERS = `[
    { name: "CTRL", offset: 0x0, fields: [{ name: "EN", bits: 0 }, { name: "GO", bits: 1, access: "wo" }] },
    { name: "STATUS", offset: 0x4, access: "w1c" },
    { name: "BYTE", offset: 0x8, width: 8 },
    { name: "WIDE", offset: 0x10, width: 64 },
    { name: "DATA", offset: 0x20, count: 2 },
  ]`;

function errors(parts: DeviceParts, want: Want[], check: (dir: string) => DevgenError = compileError): void {
  const files = { "device.ts": deviceSource({ registers: REGISTERS, ...parts }) };
  const dir = scratch.dir(JSON.stringify(parts).slice(0, 40), files);
  expect(check(dir).diagnostics).toEqual(expected(dir, files, want));
}

/** What `devgen check` reports: lowering, then the scenarios run on the reference model. */
function checkError(dir: string): DevgenError {
  try {
    compileAll([dir]);
  } catch (err) {
    if (err instanceof DevgenError) return err;
    throw err;
  }
  throw new Error("expected a DevgenError");
}

describe("lowering", () => {
  test("places become offsets, sizes default to the register's width, steps keep their order", () => {
    const device = build(
      spec({
        registers: [
          { name: "CTRL", offset: 0x0 },
          { name: "BYTE", offset: 0x8, width: 8 },
          { name: "DATA", offset: 0x20, count: 2 },
        ],
        interrupt: undefined,
        scenarios: [
          {
            name: "two_writes",
            description: " Unlock, then write ",
            steps: [
              { write: "CTRL", value: 1 },
              { write: "DATA_1", value: 0xab, size: 1 },
              { read: 0x8 },
              { read: "CTRL", expect: 1, mask: 0x3 },
              { reset: true },
              { read: 0x21, size: 2 },
            ],
          },
        ],
      }),
    );
    expect(device.scenarios).toEqual([
      {
        name: "two_writes",
        description: "Unlock, then write",
        steps: [
          { op: "write", offset: 0x0, size: 4, value: 1n, label: "CTRL" },
          { op: "write", offset: 0x24, size: 1, value: 0xabn, label: "DATA_1" },
          { op: "read", offset: 0x8, size: 1, label: "0x8", expect: null },
          { op: "read", offset: 0x0, size: 4, label: "CTRL", expect: { value: 1n, mask: 3n } },
          { op: "reset" },
          { op: "read", offset: 0x21, size: 2, label: "0x21", expect: null },
        ],
      },
    ]);
  });

  test("a device without scenarios has none", () => {
    expect(build(spec({ registers: [{ name: "CTRL", offset: 0 }] })).scenarios).toEqual([]);
  });
});

describe("malformed scenarios, each at its place", () => {
  test.each<[string, DeviceParts, Want[]]>([
    [
      "an unknown register",
      { scenarios: `[{ name: "s", steps: [{ write: /*@*/"CTLR", value: 1 }] }]` },
      [{ message: 'scenario step names no register "CTLR"', hint: "name a register of this device (arrays: NAME_<index>), or give a byte offset" }],
    ],
    [
      "an array named without its element",
      { scenarios: `[{ name: "s", steps: [{ read: /*@*/"DATA" }] }]` },
      [{ message: 'scenario step names no register "DATA"' }],
    ],
    [
      "a step of two kinds",
      { scenarios: `[{ name: "s", steps: [/*@*/{ write: "CTRL", value: 1, read: "CTRL" }] }]` },
      [{ message: "a scenario step must be exactly one of { write }, { read }, { reset } or { irq }, got write and read", hint: 'write e.g. { write: "CTRL", value: 1 }' }],
    ],
    [
      "a value wider than the access",
      { scenarios: `[{ name: "s", steps: [{ write: "BYTE", value: /*@*/0x100 }] }]` },
      [{ message: "value written 0x100 does not fit in a 1-byte access", hint: "use a value up to 0xff, or a wider size" }],
    ],
    [
      "a size the bus does not issue",
      { scenarios: `[{ name: "s", steps: [{ write: "CTRL", value: 1, size: /*@*/3 as 4 }] }]` },
      [{ message: "access size 3 is not one the bus issues", hint: "use one of 1, 2, 4, 8 (MMIO)" }],
    ],
    [
      "an offset where no register starts, without a size",
      { scenarios: `[{ name: "s", steps: [{ read: /*@*/0x2 }] }]` },
      [{ message: "no register starts at 0x2, so the step needs a size", hint: "add size: one of 1, 2, 4, 8" }],
    ],
    [
      "an offset outside the BAR",
      { scenarios: `[{ name: "s", steps: [{ read: /*@*/0x100, size: 1 }] }]` },
      [{ message: "scenario offset 0x100 is out of range 0x0..0xff" }],
    ],
    [
      "an access reaching past the BAR's end",
      { scenarios: `[{ name: "s", steps: [{ read: /*@*/0xfe, size: 4 }] }]` },
      [{ message: "a 4-byte access at 0xfe reaches past the 0x100-byte BAR", hint: "scenarios access the device: use an offset inside the BAR" }],
    ],
    [
      "an irq step on a device without an interrupt",
      { scenarios: `[{ name: "s", steps: [{ irq: /*@*/true }] }]` },
      [{ message: "an irq step needs an interrupt line, and the device has none" }],
    ],
    [
      "a mask without expect",
      { scenarios: `[{ name: "s", steps: [{ read: "CTRL", mask: /*@*/1 }] }]` },
      [{ message: "a mask without expect claims nothing", hint: "add expect: the value of the masked bits" }],
    ],
    [
      "an expected value outside its mask",
      { scenarios: `[{ name: "s", steps: [{ read: "CTRL", expect: /*@*/3, mask: 1 }] }]` },
      [{ message: "expected value 0x3 has bits outside its mask 0x1", hint: "clear those bits, or widen the mask" }],
    ],
    [
      "a scenario without steps",
      { scenarios: `[{ name: "s", steps: /*@*/[] }]` },
      [{ message: 'scenario "s" has no steps' }],
    ],
    [
      "two scenarios of one name",
      { scenarios: `[{ name: "s", steps: [{ reset: true }] }, { name: /*@*/"s", steps: [{ reset: true }] }]` },
      [{ message: 'scenario name "s" is used twice', hint: "scenario names must be unique" }],
    ],
    [
      "a name that is no lower-case identifier",
      { scenarios: `[{ name: /*@*/"Unlock", steps: [{ reset: true }] }]` },
      [{ message: 'scenario name "Unlock" has the wrong case', hint: 'write it like "unlock_then_write"' }],
    ],
  ])("%s", (_, parts, want) => errors(parts, want));
});

describe("claims, checked against the reference model", () => {
  test("a read the model refutes is reported at its expect, an irq step at its irq", () => {
    errors(
      {
        interrupt: `{ status: "STATUS", enable: "CTRL" }`,
        scenarios: `[{
    name: "unlock",
    steps: [
      { write: "CTRL", value: 1 },
      { read: "CTRL", expect: /*@read*/3 },
      { read: "CTRL", expect: 0, mask: 0x2 },
      { irq: /*@irq*/true },
    ],
  }]`,
      },
      [
        { at: "read", message: 'scenario "unlock": the reference model reads 0x1 from CTRL here, where the step expects 0x3' },
        { at: "irq", message: 'scenario "unlock": the reference model has the interrupt line deasserted here, where the step says asserted' },
      ].map((w) => ({ ...w, hint: "the model follows the registers and hook models of the file: correct the claim, or the description if the model is what is wrong" })),
      checkError,
    );
  });

  test("a step naming a register of a bank that is not selected is reported at the register", () => {
    errors(
      {
        registers: `[
    { name: "LCR", offset: 0x0, fields: [{ name: "DLAB", bits: 7 }] },
    { name: "DATA", offset: 0x4, bank: { select: "LCR.DLAB", value: 0 } },
    { name: "DLL", offset: 0x4, bank: { select: "LCR.DLAB", value: 1 } },
  ]`,
        scenarios: `[{ name: "latch", steps: [{ write: /*@*/"DLL", value: 12 }, { write: "LCR", value: 0x80 }, { read: "DLL", expect: 0 }] }]`,
      },
      [
        {
          message: 'scenario "latch": DLL is not selected here: LCR.DLAB is 0, and DLL needs 1',
          hint: "write 1 to LCR.DLAB in an earlier step, or name the register LCR.DLAB = 0 selects",
        },
      ],
      checkError,
    );
  });

  test("claims the model meets pass", () => {
    const files = {
      "device.ts": deviceSource({
        registers: REGISTERS,
        scenarios: `[{ name: "ok", steps: [{ write: "CTRL", value: 3 }, { read: "CTRL", expect: 1 }, { read: "CTRL", expect: 1, mask: 1 }] }]`,
      }),
    };
    expect(compileAll([scratch.dir("claims pass", files)]).map((c) => c.device.name)).toEqual(["foo"]);
  });
});

describe("vectors", () => {
  test("each scenario runs from reset, its steps as vectors with the model's results", () => {
    const files = {
      "device.ts": deviceSource({
        registers: REGISTERS,
        scenarios: `[{ name: "a", steps: [{ write: "CTRL", value: 3 }, { read: "CTRL" }] }, { name: "b", steps: [{ read: "CTRL" }] }]`,
      }),
    };
    const device = compileDevice(scratch.dir("vectors", files)).device;
    const vectors = generateVectors(device, { randomAccesses: 0 });
    const tail = [
      { op: "reset" },
      { op: "write", offset: 0, size: 4, claimed: true, value: 3n },
      // GO is write-only: stored, not read back.
      { op: "read", offset: 0, size: 4, claimed: true, expect: 1n, mask: 0xffffffffn },
      { op: "reset" },
      { op: "read", offset: 0, size: 4, claimed: true, expect: 0n, mask: 0xffffffffn },
    ];
    const at = vectors.findIndex((_, i) => JSON.stringify(vectors.slice(i, i + tail.length), big) === JSON.stringify(tail, big));
    expect(at).toBeGreaterThan(0);
  });
});

function big(_: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value}n` : value;
}
