/**
 * The native random-state fuzz (test/native/core_fuzz.c): built per device with ASan and
 * UBSan, its state rules taken from the reference model, and its traces replayed against
 * the model.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Device } from "../../src/ir/types.js";
import { DeviceModel } from "../../src/reference/device-model.js";
import { stateEntries } from "../../src/reference/state-rules.js";
import { CFLAGS, compileCore, gcc, link, runNative, SANITIZED, type Generated, type RunResult } from "./native.js";

const DRIVER = path.resolve("test/native/core_fuzz.c");

/** What the driver needs of a device: its functions under neutral names, and the state rules. */
export function fuzzDeviceHeader(device: Device): string {
  const { name, prefix } = device;
  const hex = (v: bigint): string => `0x${v.toString(16)}ULL`;
  const rules = stateEntries(device).map((e) => `\t{ "${e.name}", ${hex(e.holds)}, ${hex(e.fixed)}, ${hex(e.reset)}, ${hex(e.max)} },`);
  return [
    `#include "${name}_core.h"`,
    "",
    `#define FUZZ_NAME\t\t"${name}"`,
    `#define FUZZ_NR_REGS\t\t${prefix}_NR_STATE`,
    `#define FUZZ_BAR_SIZE\t\t${prefix}_BAR_SIZE`,
    `#define FUZZ_DECODE_MASK\t${prefix}_DECODE_MASK`,
    `#define fuzz_core_init\t\t${name}_core_init`,
    `#define fuzz_core_reset\t\t${name}_core_reset`,
    `#define fuzz_core_state_valid\t${name}_core_state_valid`,
    `#define fuzz_core_read\t\t${name}_core_read`,
    `#define fuzz_core_write\t\t${name}_core_write`,
    `typedef struct ${name}_core fuzz_core;`,
    ...(device.interrupt
      ? [`#define fuzz_core_irq_level\t${name}_core_irq_level`]
      : ["/* No interrupt, so no <name>_core_irq_level(): the line stays low. */", "static bool fuzz_core_irq_level(const fuzz_core *s)", "{", "\t(void)s;", "\treturn false;", "}"]),
    "",
    "struct fuzz_rule {",
    "\tconst char *name;",
    "\tu64 holds;",
    "\tu64 fixed;",
    "\tu64 reset;",
    "\tu64 max;",
    "};",
    "",
    `static const struct fuzz_rule fuzz_rules[${prefix}_NR_STATE] = {`,
    ...rules,
    "};",
    "",
  ].join("\n");
}

/** Builds the fuzz driver with the device's core and hooks (or `hooks` instead); returns its path. */
export function buildFuzz(out: Generated, hooks?: string): string {
  return linkFuzz(out, compileCore(out, SANITIZED, hooks), `${out.name}_fuzz`);
}

/** Builds the fuzz driver and links it with `core`, a sanitized core's objects, into `dir/program`; returns its path. */
export function linkFuzz(out: Generated, core: readonly string[], program: string): string {
  const fuzzDir = path.join(out.dir, "fuzz");
  fs.mkdirSync(fuzzDir, { recursive: true });
  fs.writeFileSync(path.join(fuzzDir, "fuzz_device.h"), fuzzDeviceHeader(out.device));
  fs.copyFileSync(DRIVER, path.join(fuzzDir, "core_fuzz.c"));
  const driver = "fuzz/core_fuzz.o";
  gcc(out.dir, [...CFLAGS, ...SANITIZED.flags, "-I", "core", "-I", "fuzz", "-c", "fuzz/core_fuzz.c", "-o", driver]);
  return link(out.dir, SANITIZED, program, [...core, driver]);
}

export interface FuzzOptions {
  /** Sequences to run; DEVGEN_FUZZ_ITERATIONS overrides it. */
  iterations: number;
  /** Print every this-many-th sequence as a trace (0: none). */
  traceEvery?: number;
}

/** Runs the driver; DEVGEN_FUZZ_SEED and DEVGEN_FUZZ_ITERATIONS from the environment win. */
export function runFuzz(program: string, { iterations, traceEvery = 0 }: FuzzOptions): RunResult & { seed: string | null } {
  const env = { DEVGEN_FUZZ_ITERATIONS: process.env.DEVGEN_FUZZ_ITERATIONS || String(iterations) };
  const run = runNative(program, [String(traceEvery)], env);
  return { ...run, seed: /: seed (0x[0-9a-f]+),/.exec(run.stdout)?.[1] ?? null };
}

interface TracedAccess {
  op: "r" | "w";
  offset: number;
  size: number;
  claimed: boolean;
  value: bigint;
  irq: boolean;
}

export interface Trace {
  sequence: number;
  start: bigint[];
  accesses: TracedAccess[];
  end: bigint[];
}

/** The traces the driver printed (argument traceEvery). */
export function parseTraces(stdout: string): Trace[] {
  const traces: Trace[] = [];
  let trace: Trace | null = null;
  const state = (words: string[]): bigint[] => words.map((w) => BigInt(`0x${w}`));
  for (const line of stdout.split("\n")) {
    const [tag, ...words] = line.split(" ");
    if (tag === "sequence") {
      trace = { sequence: Number(words[0]), start: [], accesses: [], end: [] };
      traces.push(trace);
    } else if (trace && tag === "state") trace.start = state(words);
    else if (trace && tag === "end") trace.end = state(words);
    else if (trace && (tag === "r" || tag === "w")) {
      const [offset, size, claimed, value, irq] = words as [string, string, string, string, string];
      trace.accesses.push({
        op: tag,
        offset: Number.parseInt(offset, 16),
        size: Number(size),
        claimed: claimed === "1",
        value: BigInt(`0x${value}`),
        irq: irq === "1",
      });
    }
  }
  return traces;
}

/**
 * Replays `trace` on the reference model from the same start; returns the first thing the
 * C core did otherwise, or null. Bits the model cannot predict (hooks without a model) are
 * not compared.
 */
export function replayOnModel(device: Device, trace: Trace): string | null {
  const model = new DeviceModel(device);
  trace.start.forEach((value, index) => (model.regs[index] = value));
  // Offsets near 2^64 lose their low bits as numbers, but stay past the BAR, which is all the model asks of them.
  const where = (a: TracedAccess, i: number): string =>
    `access ${i}: ${a.op === "r" ? "read" : "write"} offset 0x${a.offset.toString(16)} size ${a.size}`;
  for (const [i, a] of trace.accesses.entries()) {
    if (a.op === "r") {
      const expected = model.read(a.offset, a.size);
      if (expected.claimed !== a.claimed) return `${where(a, i)}: claimed ${a.claimed}, model ${expected.claimed}`;
      if ((expected.value ^ a.value) & ~expected.unknown) {
        return `${where(a, i)}: returned 0x${a.value.toString(16)}, model 0x${expected.value.toString(16)} (unknown 0x${expected.unknown.toString(16)})`;
      }
    } else {
      const claimed = model.write(a.offset, a.size, a.value);
      if (claimed !== a.claimed) return `${where(a, i)} value 0x${a.value.toString(16)}: claimed ${a.claimed}, model ${claimed}`;
    }
    const level = model.irqLevel();
    if (level !== null && level !== a.irq) return `${where(a, i)}: irq ${a.irq}, model ${level}`;
  }
  for (const r of device.registers) {
    const differ = (trace.end[r.index]! ^ model.regs[r.index]!) & ~model.unknown[r.index]!;
    if (differ) return `end: ${r.name} = 0x${trace.end[r.index]!.toString(16)}, model 0x${model.regs[r.index]!.toString(16)}`;
  }
  return null;
}
