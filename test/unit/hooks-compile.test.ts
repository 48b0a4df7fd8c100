/**
 * hooks.c compiled against its generated header at check time (src/pipeline/hooks-compile.ts,
 * through compileAll, which `devgen check` and every command taking devices run): gcc's
 * errors at their place in hooks.c, and a clear failure when there is no gcc to ask.
 */
import { compileAll } from "../../src/pipeline/generate.js";
import { DevgenError } from "../../src/util/diagnostics.js";
import { deviceSource, markers, Scratch } from "../helpers/fixtures.js";
import * as path from "node:path";

const scratch = new Scratch();
afterAll(() => scratch.remove());

const device = deviceSource({ registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }]`, hooks: `{ kick: {} }` });
const hooksC = (body: string): string => `#include "foo_core.h"\n\nvoid foo_hook_kick(struct foo_core *s, u64 value)\n{\n${body}\n}\n`;
const HINT =
  "the kernel and QEMU compile hooks.c against the generated foo_core.h; devgen checks it with gcc -fsyntax-only -Wall -Wextra -Werror -Wno-unused-parameter";

function checkError(label: string, hooks: string): { error: unknown; dir: string } {
  const dir = scratch.dir(label, { "device.ts": device, "hooks.c": hooks });
  try {
    compileAll([dir]);
  } catch (error) {
    return { error, dir };
  }
  return { error: null, dir };
}

/** Where each marker of hooks.c is, as a location in the case's hooks.c. */
const at = (dir: string, hooks: string, id = "") => ({ file: path.join(dir, "hooks.c"), ...markers(hooks).get(id)! });

test("a hooks.c that compiles against its header passes, its accessors included", () => {
  expect(checkError("compiles", hooksC("\tfoo_set_ctrl(s, foo_get_ctrl(s) + value);")).error).toBeNull();
});

test("every error gcc finds, in its order, at its place in hooks.c, warnings the native tests refuse among them", () => {
  const hooks = hooksC("\tu32 /*@unused*/spare;\n\n\t/*@undeclared*/missing = value;");
  const { error, dir } = checkError("errors", hooks);
  expect(error).toBeInstanceOf(DevgenError);
  expect((error as DevgenError).exitCode).toBe(2);
  expect((error as DevgenError).diagnostics).toEqual([
    { location: at(dir, hooks, "undeclared"), message: "'missing' undeclared (first use in this function)", hint: HINT },
    { location: at(dir, hooks, "unused"), message: "unused variable 'spare' [-Werror=unused-variable]", hint: HINT },
  ]);
});

test("no gcc: a broken environment, said as such, rather than a pass", () => {
  const saved = process.env.PATH;
  process.env.PATH = path.join(scratch.root, "no-such-dir");
  try {
    const { error, dir } = checkError("no gcc", hooksC(""));
    expect(error).toBeInstanceOf(DevgenError);
    expect((error as DevgenError).exitCode).toBe(3);
    expect((error as DevgenError).diagnostics).toEqual([
      { location: null, message: `cannot check that ${path.join(dir, "hooks.c")} compiles: gcc is not on PATH`, hint: "install gcc and libc6-dev: devgen doctor --for check --fix" },
    ]);
  } finally {
    process.env.PATH = saved;
  }
});

test("a device without hooks.c runs no compiler", () => {
  const saved = process.env.PATH;
  process.env.PATH = path.join(scratch.root, "no-such-dir");
  try {
    const dir = scratch.dir("no hooks", { "device.ts": deviceSource() });
    expect(compileAll([dir]).map((c) => c.device.name)).toEqual(["foo"]);
  } finally {
    process.env.PATH = saved;
  }
});
