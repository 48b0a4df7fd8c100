/**
 * Builds and runs a device's generated core on the host: the conformance vectors from the
 * reference model against the C the kernel and QEMU compile.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateAll } from "../../src/gen/index.js";
import type { GeneratedFile } from "../../src/gen/types.js";
import type { Device } from "../../src/ir/types.js";
import { compileDevice } from "../../src/compile/index.js";

/** The flags the generated C must build cleanly with. */
export const CFLAGS = ["-Wall", "-Wextra", "-Werror"];
/** Hook signatures are fixed, so an unused `value` is normal in hooks.c. */
export const HOOK_CFLAGS = [...CFLAGS, "-Wno-unused-parameter"];

export interface Generated {
  name: string;
  device: Device;
  /** Output directory holding core/ and tests/. */
  dir: string;
  /** The same files in memory: the artifact set the harness takes. */
  files: readonly GeneratedFile[];
}

/** Generates a device directory's files into a fresh temporary directory. */
export function generateInto(deviceDir: string): Generated {
  const compiled = compileDevice(deviceDir);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `devgen-native-${compiled.device.name}-`));
  const files = generateAll(compiled);
  for (const file of files) {
    const target = path.join(dir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.contents);
  }
  return { name: compiled.device.name, device: compiled.device, dir, files };
}

function gcc(cwd: string, args: string[]): void {
  try {
    execFileSync("gcc", args, { cwd, encoding: "utf8", stdio: "pipe" });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`gcc ${args.join(" ")} failed in ${cwd}:\n${e.stderr ?? ""}${e.stdout ?? ""}`);
  }
}

/** Compiles the core, the hooks (if any) and the vector runner; returns the program's path. */
export function buildNative({ name, dir }: Generated): string {
  const objects = [`core/${name}_core.o`, `tests/${name}_native.o`];
  gcc(dir, [...CFLAGS, "-I", "core", "-c", `core/${name}_core.c`, "-o", objects[0]!]);
  if (fs.existsSync(path.join(dir, `core/${name}_hooks.c`))) {
    objects.push(`core/${name}_hooks.o`);
    gcc(dir, [...HOOK_CFLAGS, "-I", "core", "-c", `core/${name}_hooks.c`, "-o", objects[2]!]);
  }
  gcc(dir, [...CFLAGS, "-I", "core", "-I", "tests", "-c", `tests/${name}_native.c`, "-o", objects[1]!]);
  gcc(dir, ["-o", `${name}_native`, ...objects]);
  return path.join(dir, `${name}_native`);
}

export interface RunResult {
  status: number;
  stdout: string;
}

export function runNative(program: string): RunResult {
  try {
    return { status: 0, stdout: execFileSync(program, [], { encoding: "utf8", stdio: "pipe" }) };
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string };
    return { status: e.status ?? -1, stdout: e.stdout ?? "" };
  }
}

/** The summary line `<name>: N passed, M failed`, or null when the program printed none. */
export function summary(name: string, stdout: string): { passed: number; failed: number } | null {
  const match = new RegExp(`^${name}: (\\d+) passed, (\\d+) failed$`, "m").exec(stdout);
  return match ? { passed: Number(match[1]), failed: Number(match[2]) } : null;
}

export interface JsonVector {
  op: "reset" | "read" | "write" | "irq";
  offset?: number;
  size?: number;
  claimed?: boolean;
  expect?: string | boolean;
  mask?: string;
  value?: string;
}

export function readVectors({ name, dir }: Generated): JsonVector[] {
  return JSON.parse(fs.readFileSync(path.join(dir, `tests/${name}_vectors.json`), "utf8")) as JsonVector[];
}

export function removeGenerated({ dir }: Generated): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
