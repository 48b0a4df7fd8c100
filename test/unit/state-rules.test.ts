/**
 * The states KVM_SET_STATE and a migration load accept: the C core's
 * <name>_core_state_valid() against the reference model's stateViolation(), on the reset
 * state and on states one rule away from it, for every example device.
 */
import { DeviceModel } from "../../src/reference/device-model.js";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { bitMask } from "../../src/ir/bits.js";
import { stateLayout, stateRule, stateViolation } from "../../src/reference/state-rules.js";
import { deviceSource } from "../helpers/fixtures.js";
import { DEVICES, useScratch } from "../helpers/harness.js";
import { CFLAGS, HOOK_CFLAGS } from "../helpers/native.js";

const { generate, tmpDir } = useScratch();

/** Every example has hooks, which may rewrite any register: this one has none, and a constant register. */
function hooklessDevice(): string {
  const dir = tmpDir("devgen-state-rules-");
  const registers = `[{ name: "ID", offset: 0x0, access: "const", reset: 0x1234 }, { name: "CTRL", offset: 0x4, width: 16, fields: [{ name: "MODE", bits: [3, 0], access: "const", reset: 5 }, { name: "GO", bits: 8 }] }]`;
  fs.writeFileSync(path.join(dir, "device.ts"), deviceSource({ registers }));
  return dir;
}

/** A program that reads states (one state entry per line, a blank line after each) and prints 1 or 0 per state. */
function checker(dir: string, name: string, hooks: boolean): string {
  const main = path.join(dir, "state_main.c");
  fs.writeFileSync(
    main,
    [
      "#include <stdio.h>",
      `#include "${name}_core.h"`,
      "int main(void)",
      "{",
      `\tu64 regs[${name.toUpperCase()}_NR_STATE];`,
      "\tunsigned int n = 0;",
      "\tunsigned long long v;",
      "\twhile (scanf(\"%llx\", &v) == 1) {",
      "\t\tregs[n++] = v;",
      `\t\tif (n == ${name.toUpperCase()}_NR_STATE) {`,
      `\t\t\tprintf("%d\\n", ${name}_core_state_valid(regs));`,
      "\t\t\tn = 0;",
      "\t\t}",
      "\t}",
      "\treturn 0;",
      "}",
      "",
    ].join("\n"),
  );
  const core = path.join(dir, "core");
  const sources = [`${core}/${name}_core.c`, main, ...(hooks ? [`${core}/${name}_hooks.c`] : [])];
  const program = path.join(dir, "state_check");
  execFileSync("gcc", [...(hooks ? HOOK_CFLAGS : CFLAGS), "-I", core, "-o", program, ...sources], { stdio: "pipe" });
  return program;
}

test.each([...DEVICES, "a device without hooks"])("%s: the C core accepts exactly the states the model does", (dir) => {
  const out = generate(dir === "a device without hooks" ? hooklessDevice() : dir);
  const { device } = out;
  const reset = [...new DeviceModel(device).regs];
  const states: bigint[][] = [reset];
  for (const store of device.storage) {
    const beyond = [...reset];
    beyond[store.first + store.count - 1] = 1n << BigInt(store.width);
    states.push(beyond);
    const within = [...reset];
    within[store.first] = bitMask(store.width);
    states.push(within);
    if (store.fifo) {
      // A FIFO's head is below its count and its level at most its count: each edge, and one past.
      const count = BigInt(store.count);
      for (const [at, last] of [[store.fifo.head, count - 1n], [store.fifo.level, count]] as const) {
        for (const value of [last, last + 1n]) {
          const edge = [...reset];
          edge[at] = value;
          states.push(edge);
        }
      }
    }
  }
  for (const register of device.registers) {
    const rule = stateRule(device, register);
    const beyond = [...reset];
    if (register.width < 64) beyond[register.index] = reset[register.index]! | (1n << BigInt(register.width));
    states.push(beyond);
    const within = [...reset];
    within[register.index] = bitMask(register.width) & ~rule.fixed;
    states.push(within);
    if (rule.fixed) {
      const flipped = [...reset];
      flipped[register.index] = reset[register.index]! ^ (rule.fixed & -rule.fixed);
      states.push(flipped);
    }
  }
  const input = states.map((s) => s.map((v) => v.toString(16)).join("\n")).join("\n") + "\n";
  const program = checker(out.dir, device.name, fs.existsSync(path.join(out.dir, "core", `${device.name}_hooks.c`)));
  const verdicts = execFileSync(program, { input, encoding: "utf8" }).trim().split("\n");
  const expected = states.map((s) => (stateViolation(device, s) === null ? "1" : "0"));
  expect(verdicts).toEqual(expected);
  // hpet_timer's registers are all 64 bits wide, and it has hooks: every state is one it could be in.
  const refusable = device.registers.some((r) => r.width < 64 || stateRule(device, r).fixed);
  expect(expected.includes("0")).toBe(refusable);
  expect(expected[0]).toBe("1");
});

test("the layout changes when a register is reordered, moved, resized or renamed, and only then", () => {
  const { device } = generate("devices/xche");
  const [a, b] = device.registers;
  const layout = stateLayout(device);
  expect(stateLayout({ ...device, description: "another description" })).toBe(layout);
  expect(stateLayout({ ...device, registers: [b!, a!, ...device.registers.slice(2)] })).not.toBe(layout);
  expect(stateLayout({ ...device, registers: [{ ...a!, offset: a!.offset + 0x100 }, ...device.registers.slice(1)] })).not.toBe(layout);
  expect(stateLayout({ ...device, registers: [{ ...a!, width: 16 }, ...device.registers.slice(1)] })).not.toBe(layout);
  expect(stateLayout({ ...device, registers: [{ ...a!, name: "IDENT" }, ...device.registers.slice(1)] })).not.toBe(layout);
});
