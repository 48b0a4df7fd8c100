/**
 * The type-check cache (src/compile/load.ts through src/util/content-cache.ts): a device file
 * that passed the check is not checked again while it is unchanged; anything else still goes
 * through the compiler, and a cached file loads, locates and fails exactly like a fresh one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { compileDevice } from "../../src/compile/index.js";
import { loadDevice } from "../../src/compile/load.js";
import { DevgenError } from "../../src/util/diagnostics.js";
import { compileError, deviceSource, markers, Scratch } from "../helpers/fixtures.js";

const scratch = new Scratch();
const cache = path.join(scratch.root, "cache");
const previousCache = process.env.DEVGEN_CACHE;
beforeAll(() => {
  process.env.DEVGEN_CACHE = cache;
});
afterAll(() => {
  process.env.DEVGEN_CACHE = previousCache;
  scratch.remove();
});

const checked = (): string[] => (fs.existsSync(path.join(cache, "typecheck")) ? fs.readdirSync(path.join(cache, "typecheck")) : []);

test("a file that passed is not checked again: its stored JavaScript is what runs", () => {
  const source = deviceSource({ registers: `[{ name: "CTRL", offset: 0x0 }]` });
  const dir = scratch.dir("passed", { "device.ts": source });
  const before = checked();
  expect(loadDevice(path.join(dir, "device.ts")).spec.registers[0]!.name).toBe("CTRL");
  const added = checked().filter((entry) => !before.includes(entry));
  expect(added).toHaveLength(1);

  // Proof that the second load reads the entry instead of compiling the file again.
  const entry = path.join(cache, "typecheck", added[0]!);
  fs.writeFileSync(entry, fs.readFileSync(entry, "utf8").replace('"CTRL"', '"FROM_CACHE"'));
  expect(loadDevice(path.join(dir, "device.ts")).spec.registers[0]!.name).toBe("FROM_CACHE");
});

test("a file with a type error is never stored, and every load reports the error", () => {
  const source = deviceSource({ registers: `[{ name: "CTRL", offset: 0x0, /*@*/width: 12 }]` });
  const dir = scratch.dir("type error", { "device.ts": source });
  const before = checked();
  const at = { file: path.join(dir, "device.ts"), ...markers(source).get("")! };
  for (let run = 0; run < 2; run++) {
    const error = compileError(dir);
    expect(error).toBeInstanceOf(DevgenError);
    expect(error.diagnostics.map((d) => [d.message, d.location])).toEqual([
      ["Type '12' is not assignable to type 'Width | undefined'.", at],
    ]);
  }
  expect(checked()).toEqual(before);
});

test("an edit after a successful load is checked: the cache never hides a new error", () => {
  const dir = scratch.dir("edited", { "device.ts": deviceSource() });
  const file = path.join(dir, "device.ts");
  loadDevice(file);
  const edited = deviceSource({ registers: `[{ name: "CTRL", /*@*/ofset: 0x0 }]` });
  fs.writeFileSync(file, edited);
  expect(compileError(dir).diagnostics.map((d) => d.location)).toEqual([{ file, ...markers(edited).get("")! }]);
});

test("a cached file still places values and exceptions where they were written", () => {
  const source = deviceSource({
    prelude: `const base: number = 0x10;\nif (base > 0x8) throw /*@throw*/new Error("base too high");`,
    registers: `[{ name: "CTRL", offset: /*@offset*/0x0 }]`,
  });
  const throwing = scratch.dir("cached throw", { "device.ts": source });
  const valid = scratch.dir("cached locate", { "device.ts": source.replace("if (base > 0x8) throw", "if (base > 0x80) throw") });
  const file = path.join(valid, "device.ts");
  for (let run = 0; run < 2; run++) {
    expect(compileError(throwing).diagnostics.map((d) => d.location)).toEqual([
      { file: path.join(throwing, "device.ts"), ...markers(source).get("throw")! },
    ]);
    expect(loadDevice(file).locate(["registers", 0, "offset"])).toEqual({ file, ...markers(source).get("offset")! });
  }
});

test("a file that pulls in another one (a `/// <reference>`) is checked every time", () => {
  const source = deviceSource({ prelude: `const extra: Extra = { size: 0x10 };\nvoid extra;` });
  const dir = scratch.dir("reference", {
    "device.ts": `/// <reference path="./shared.ts" />\n${source}`,
    "shared.ts": "interface Extra { size: number }\n",
  });
  const before = checked();
  loadDevice(path.join(dir, "device.ts"));
  expect(checked()).toEqual(before);

  fs.writeFileSync(path.join(dir, "shared.ts"), "interface Extra { size: string }\n");
  expect(compileError(dir).diagnostics.map((d) => d.message)).toEqual(["Type 'number' is not assignable to type 'string'."]);
});

test("one file in two directories: what a hook model throws names the directory of the file that threw", () => {
  // V8's cached code keeps the name of the script it was compiled for: a copy of the file
  // elsewhere would otherwise find its stack naming the first copy, and nothing placed.
  const source = deviceSource({
    registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }]`,
    hooks: `{ kick: { model() { throw /*@*/new Error("not modelled"); } } }`,
  });
  const hooksC = `#include "foo_core.h"\n\nvoid foo_hook_kick(struct foo_core *s, u64 value)\n{\n}\n`;
  for (const label of ["first copy", "second copy"]) {
    const dir = scratch.dir(label, { "device.ts": source, "hooks.c": hooksC });
    const model = compileDevice(dir).device.hooks[0]!.model!;
    let thrown: unknown;
    try {
      model({ get: () => 0n, set: () => {} }, 0n);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as DevgenError).diagnostics.map((d) => d.location)).toEqual([{ file: path.join(dir, "device.ts"), ...markers(source).get("")! }]);
  }
});
