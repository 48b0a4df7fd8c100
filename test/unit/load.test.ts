/**
 * The loader (src/compile/load.ts): errors found before lowering (imports, syntax, types,
 * evaluation, the default export), each with its exact message and place, and `locate()`,
 * which maps a path in the description back to where it was written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { compileDevice } from "../../src/compile/index.js";
import { loadDevice } from "../../src/compile/load.js";
import { compileAll } from "../../src/pipeline/generate.js";
import { DeviceModel } from "../../src/reference/device-model.js";
import { DevgenError } from "../../src/util/diagnostics.js";
import { compileError, deviceSource, expected, find, lineColumn, markers, Scratch, type Want } from "../helpers/fixtures.js";

const scratch = new Scratch();
afterAll(() => scratch.remove());

const TYPE_HINT = "fix the type error; your editor shows the same message with the DSL's documentation";
const SYNTAX_HINT = "fix the syntax error; errors after one often follow from it, so only the first is shown";
const IMPORT_HINT = 'write everything in this file, or use `import { defineDevice } from "devgen";`';

interface Case {
  given: string;
  want: Want[];
}

function check(name: string, { given, want }: Case): void {
  const files = { "device.ts": given };
  const dir = scratch.dir(name, files);
  const error = compileError(dir);
  expect(error).toBeInstanceOf(DevgenError);
  expect(error.exitCode).toBe(2);
  expect(error.diagnostics).toEqual(expected(dir, files, want));
}

const BODY = `  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },`;

const cases: [string, Case][] = [
  [
    "importing a module other than devgen (every import reported)",
    {
      given: `import { defineDevice } from "devgen";
import { readFileSync } from /*@fs*/"node:fs";
import type { Shared } from /*@local*/"./shared";

export default defineDevice({
${BODY}
  registers: [{ name: "CTRL", offset: 0x0 }],
});
`,
      want: [
        { message: 'device files may only import "devgen", not "node:fs"', at: "fs", hint: IMPORT_HINT },
        { message: 'device files may only import "devgen", not "./shared"', at: "local", hint: IMPORT_HINT },
      ],
    },
  ],
  [
    "require(), import() and `import = require()` of other modules, named or computed (not what TypeScript says of them)",
    {
      given: `import { defineDevice } from "devgen";
import os = require(/*@equals*/"node:os");

const name: string = "node:fs";
void import("devgen");
void import(/*@dynamic*/"node:child_process");
const fs = require(/*@require*/\`node:fs\`);
const computed = require(/*@computed*/name);

export default defineDevice({
${BODY}
  registers: [{ name: "CTRL", offset: 0x0 }],
});
`,
      want: [
        { message: 'device files may only import "devgen", not "node:os"', at: "equals", hint: IMPORT_HINT },
        { message: 'device files may only import "devgen", not "node:child_process"', at: "dynamic" },
        { message: 'device files may only import "devgen", not "node:fs"', at: "require" },
        { message: 'device files may only import "devgen", not a module named at run time', at: "computed" },
      ],
    },
  ],
  [
    "syntax error",
    {
      given: deviceSource({ registers: `[{ name: "CTRL" /*@*/offset: 0x0 }]` }),
      want: [{ message: "',' expected.", hint: SYNTAX_HINT }],
    },
  ],
  [
    "syntax errors: only the first, without the type errors of the tree the parser guessed",
    {
      given: deviceSource({ registers: `[{ name: "CTRL", offset: "0x0" }, { name: /*@*/\`DATA, offset: 0x4 }]` }),
      want: [{ message: "Unterminated template literal.", hint: SYNTAX_HINT }],
    },
  ],
  [
    "type error: a width the DSL does not allow",
    {
      given: deviceSource({ registers: `[{ name: "CTRL", offset: 0x0, /*@*/width: 12 }]` }),
      want: [{ message: "Type '12' is not assignable to type 'Width | undefined'.", hint: TYPE_HINT }],
    },
  ],
  [
    "type errors: every one in the file, in order",
    {
      given: deviceSource({
        registers: `[
    { name: "CTRL", /*@typo*/ofset: 0x0 },
    { name: "DATA", offset: 0x4, /*@access*/access: "rx" },
  ]`,
      }),
      want: [
        {
          message:
            "Object literal may only specify known properties, but 'ofset' does not exist in type 'RegisterSpec'. Did you mean to write 'offset'?",
          at: "typo",
        },
        { message: `Type '"rx"' is not assignable to type 'AccessKind | undefined'.`, at: "access" },
      ],
    },
  ],
  [
    "number literals above 2^53 - 1, with the type errors, in source order (fractions and exponents are not exact anyway)",
    {
      given: deviceSource({
        prelude: "const far = 1.5e300 + 9007199254740991.5 + 2 ** 64;",
        registers: `[
    { name: "CTRL", offset: 0x0, /*@width*/width: 12 },
    { name: "BIG", offset: 0x8, width: 64, reset: /*@big*/0x8000_0000_0000_0001 },
    { name: "EDGE", offset: 0x10, width: 64, reset: 9007199254740991, fields: [{ name: "F", bits: [63, 0], reset: /*@edge*/9007199254740992 }] },
  ]`,
      }),
      want: [
        { message: "Type '12' is not assignable to type 'Width | undefined'.", at: "width", hint: TYPE_HINT },
        {
          message: "number 0x8000_0000_0000_0001 is above Number.MAX_SAFE_INTEGER (2^53 - 1), where a number cannot hold every integer",
          at: "big",
          hint: "write it as a bigint: 0x8000_0000_0000_0001n",
        },
        {
          message: "number 9007199254740992 is above Number.MAX_SAFE_INTEGER (2^53 - 1), where a number cannot hold every integer",
          at: "edge",
          hint: "write it as a bigint: 9007199254740992n",
        },
      ],
    },
  ],
  [
    "a throwing device file, located through the source map",
    {
      given: `import { defineDevice, type RegisterSpec } from "devgen";

/* Type-only lines vanish from the JavaScript, so its lines differ from these. */
interface Bank {
  base: number;
  count: number;
}

function bank({ base, count }: Bank): RegisterSpec[] {
  if (count > 4) {
    throw /*@*/new Error(\`bank at \${base} has \${count} registers, at most 4\`);
  }
  return [];
}

export default defineDevice({
${BODY}
  registers: [...bank({ base: 0, count: 8 })],
});
`,
      want: [
        {
          message: "the device file threw while being evaluated: bank at 0 has 8 registers, at most 4",
          hint: "the description must evaluate without throwing",
        },
      ],
    },
  ],
  [
    "a throw after type annotations on the same line (columns mapped too)",
    {
      given: `import { defineDevice } from "devgen";

const limit: number = 2, wanted: number = 3; if (wanted > limit) throw /*@*/new RangeError("too many");

export default defineDevice({
${BODY}
  registers: [{ name: "CTRL", offset: 0x0 }],
});
`,
      want: [{ message: "the device file threw while being evaluated: too many" }],
    },
  ],
  [
    "a thrown value that is not an Error: no stack to place it by, and the hint says so",
    {
      given: deviceSource({ prelude: `const ready: boolean = false;\nif (!ready) throw { reason: "not ready", code: 7 };` }),
      want: [
        {
          message: "the device file threw while being evaluated: { reason: 'not ready', code: 7 }",
          at: { line: 1, column: 1 },
          hint: "the description must evaluate without throwing; only a thrown Error records where it was thrown",
        },
      ],
    },
  ],
  [
    "an Error whose message says it timed out is not the loader's timeout",
    {
      given: deviceSource({ prelude: `const up: boolean = false;\nif (!up) throw /*@*/new Error("link timed out");` }),
      want: [{ message: "the device file threw while being evaluated: link timed out", hint: "the description must evaluate without throwing" }],
    },
  ],
  [
    "evaluation that does not end (timeout)",
    {
      // Bounded, so that this test ends even while the timeout does not work.
      given: `import { defineDevice } from "devgen";

function spin(): number {
  const end = Date.now() + 4000;
  while (Date.now() < end) {}
  return 0;
}

export default defineDevice({
${BODY}
  registers: [{ name: "CTRL", offset: spin() }],
});
`,
      want: [
        {
          message: "evaluating the device file took longer than 2000 ms",
          at: { line: 1, column: 1 },
          hint: "look for a loop that does not end; a timeout cannot tell where the file was",
        },
      ],
    },
  ],
  [
    "missing default export",
    {
      given: `import { defineDevice } from "devgen";

export const device = defineDevice({
${BODY}
  registers: [{ name: "CTRL", offset: 0x0 }],
});
`,
      want: [
        {
          message: "the device file has no default export",
          at: { line: 1, column: 1 },
          hint: "end it with `export default defineDevice({ ... });`",
        },
      ],
    },
  ],
  [
    "a default export that is not a description: at the exported expression",
    {
      given: `export default /*@*/"foo";\n`,
      want: [{ message: "the default export is not a device description", hint: "export the result of defineDevice({ ... })" }],
    },
  ],
  [
    "a default export that is an object, but not a plain one",
    {
      given: `const device = new Map<string, string>([["name", "foo"]]);\nexport default /*@*/device;\n`,
      want: [{ message: "the default export is not a device description", hint: "export the result of defineDevice({ ... })" }],
    },
  ],
];

describe("loader diagnostics", () => {
  test.each(cases)("%s", check);

  test("a directory without device.ts", () => {
    const dir = scratch.dir("empty", {});
    const error = compileError(dir);
    expect(error.exitCode).toBe(2);
    expect(error.diagnostics).toEqual([
      { location: null, message: `cannot read device file '${path.join(dir, "device.ts")}'`, hint: "check the path" },
    ]);
  });

  test("a path that does not exist", () => {
    const missing = path.join(scratch.root, "no-such-device");
    expect(compileError(missing).diagnostics).toEqual([
      { location: null, message: `cannot read device file '${missing}'`, hint: "check the path" },
    ]);
  });

  test("paths in messages stay as given (relative stays relative)", () => {
    const dir = scratch.dir("relative", { "device.ts": deviceSource({ registers: `[{ name: "A", offset: /*@*/0x2 }]` }) });
    const relative = path.relative(process.cwd(), dir);
    const error = compileError(relative);
    const mark = markers(fs.readFileSync(path.join(dir, "device.ts"), "utf8")).get("")!;
    expect(error.diagnostics.map((d) => d.location)).toEqual([{ file: path.join(relative, "device.ts"), ...mark }]);
  });
});

describe("locate()", () => {
  const XCHE = "devices/xche/device.ts";
  const xche = loadDevice(XCHE);
  const text = fs.readFileSync(XCHE, "utf8");
  const after = (needle: string, skip: string): { line: number; column: number } => {
    const at = find(text, needle);
    return { line: at.line, column: at.column + skip.length };
  };

  test("the device evaluates to the description written", () => {
    expect(xche.spec.name).toBe("xche");
    expect(xche.spec.registers.map((r) => r.name)).toEqual([
      "ID", "CTRL", "INT_STATUS", "INT_ENABLE", "DATA_IN", "DATA_OUT", "KEY", "COUNT", "SCRATCH",
    ]);
    expect(typeof xche.spec.hooks!.exchange!.model).toBe("function");
  });

  test.each([
    ["a field's bits", ["registers", 1, "fields", 1, "bits"], () => after("bits: [2, 1]", "bits: ")],
    ["an enumerated value", ["registers", 1, "fields", 1, "values", "ADD"], () => after("ADD: 2", "ADD: ")],
    ["a property of the device", ["bar", "decodeMask"], () => after("decodeMask: 0x1f", "decodeMask: ")],
    ["an action's when", ["registers", 1, "onWrite", 0, "when"], () => after(`when: "RESET"`, "when: ")],
    ["a hook's model method", ["hooks", "soft_reset", "model"], () => lineColumn(text, text.indexOf("model(dev)", text.indexOf("soft_reset: {")))],
    [
      "a value that was not written: the nearest enclosing one",
      ["registers", 1, "width"],
      () => lineColumn(text, text.lastIndexOf("{", text.indexOf(`name: "CTRL"`))),
    ],
    ["a path past the end of an array: the array", ["registers", 42, "offset"], () => after("registers: [", "registers: ")],
  ] as [string, (string | number)[], () => { line: number; column: number }][])("%s", (_, specPath, where) => {
    expect(xche.locate(specPath)).toEqual({ file: XCHE, ...where() });
  });

  const consts = (registersProperty: string): string => `import { defineDevice, type RegisterSpec } from "devgen";

const ID = { name: "ID", offset: /*@id*/0x0, access: "const", reset: 0x1234 } as const;
const CTRL = { name: "CTRL", offset: /*@ctrl*/0x4 } satisfies RegisterSpec;
const more = (): RegisterSpec[] => [{ name: "MORE", offset: 0x10 }];
const REGISTERS: RegisterSpec[] = [ID, CTRL, ...more(), { name: "LAST", offset: 0x20 }];
const registers = REGISTERS;

export default defineDevice({
${BODY}
  ${registersProperty},
});
`;
  const locateIn = (label: string, source: string, specPath: (string | number)[], marker: string) => {
    const dir = scratch.dir(label, { "device.ts": source });
    const file = path.join(dir, "device.ts");
    expect(loadDevice(file).locate(specPath)).toEqual({ file, ...markers(source).get(marker)! });
  };

  test("follows local consts, `as const` and `satisfies`", () => {
    locateIn("consts", consts("registers: REGISTERS"), ["registers", 0, "offset"], "id");
    locateIn("consts satisfies", consts("registers: REGISTERS"), ["registers", 1, "offset"], "ctrl");
  });

  test("elements after a spread fall back to where the array is used", () => {
    locateIn("spread", consts("registers: /*@use*/REGISTERS"), ["registers", 3, "offset"], "use");
  });

  test("follows a shorthand property (`registers,`)", () => {
    // load.ts unwrap() asks the shorthand's name for its symbol, which is the property,
    // not the const it stands for; everything under it falls back to the property.
    locateIn("shorthand", consts("registers"), ["registers", 0, "offset"], "id");
  });
});

describe("hook models, which the reference model runs after the evaluation", () => {
  /** What a write to CTRL, whose onWrite runs hook kick with `model`, makes the loaded device report. */
  function writeError(label: string, model: string): { error: unknown; dir: string; files: Record<string, string> } {
    const files = {
      "device.ts": deviceSource({
        registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }, { name: "DATA", offset: 0x4, count: 4 }]`,
        hooks: `{ kick: { ${model} } }`,
      }),
      "hooks.c": `#include "foo_core.h"\n\nvoid foo_hook_kick(struct foo_core *s, u64 value)\n{\n}\n`,
    };
    const dir = scratch.dir(label, files);
    const reference = new DeviceModel(compileDevice(dir).device);
    try {
      reference.write(0x0, 4, 7n);
    } catch (error) {
      return { error, dir, files };
    }
    return { error: null, dir, files };
  }

  test("a model that does not end is stopped as the evaluation is, at the model", () => {
    // Bounded, so that this test ends even while the timeout does not work.
    const { error, dir, files } = writeError("model timeout", `/*@*/model() { const end = Date.now() + 4000; while (Date.now() < end) {} }`);
    expect(error).toBeInstanceOf(DevgenError);
    expect((error as DevgenError).diagnostics).toEqual(
      expected(dir, files, [
        {
          message: 'running hook model "kick" took longer than 2000 ms',
          hint: 'look for a loop that does not end; a timeout cannot tell where hook model "kick" was',
        },
      ]),
    );
  });

  test("a register name computed at run time that names no register: at the call, when the model runs", () => {
    const { error, dir, files } = writeError("model computed name", `model(dev, value) { dev./*@*/set(\`DATA_\${value}\`, 1n); }`);
    expect(error).toBeInstanceOf(DevgenError);
    expect((error as DevgenError).diagnostics).toEqual(
      expected(dir, files, [{ message: 'hook model "kick" threw: no register is named "DATA_7"', hint: 'hook model "kick" must run without throwing' }]),
    );
  });

  test("devgen check runs the models as the vectors do: a name computed at run time fails the check, at the call", () => {
    const files = {
      "device.ts": deviceSource({
        registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }, { name: "DATA", offset: 0x4, count: 4 }]`,
        hooks: `{ kick: { model(dev) { dev./*@*/set(["DATA", "X"].join("_"), 1n); } } }`,
      }),
      "hooks.c": `#include "foo_core.h"\n\nvoid foo_hook_kick(struct foo_core *s, u64 value)\n{\n}\n`,
    };
    const dir = scratch.dir("check runs models", files);
    let error: unknown;
    try {
      compileAll([dir]);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(DevgenError);
    expect((error as DevgenError).diagnostics).toEqual(
      expected(dir, files, [{ message: 'hook model "kick" threw: no register is named "DATA_X"', hint: 'hook model "kick" must run without throwing' }]),
    );
  });

  test("what a model throws is reported where it threw", () => {
    const { error, dir, files } = writeError("model throws", `model(dev, value) { if (value > 3n) throw /*@*/new Error("value too large"); }`);
    expect(error).toBeInstanceOf(DevgenError);
    expect((error as DevgenError).diagnostics).toEqual(
      expected(dir, files, [{ message: 'hook model "kick" threw: value too large', hint: 'hook model "kick" must run without throwing' }]),
    );
  });
});
