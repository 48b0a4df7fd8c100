/**
 * Builds and runs a device's generated core on the host: the conformance vectors from the
 * reference model against the C the kernel and QEMU compile.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateAll } from "../../src/gen/index.js";
import type { GeneratedFile } from "../../src/gen/types.js";
import type { Device } from "../../src/ir/types.js";
import { compileDevice } from "../../src/compile/index.js";

export { CORE_CFLAGS as CFLAGS, HOOK_CFLAGS } from "../../src/gen/core/index.js";
import { CORE_CFLAGS as CFLAGS, HOOK_CFLAGS } from "../../src/gen/core/index.js";
import { SANITIZER_ENV, SANITIZER_EXIT, SANITIZER_FLAGS, SANITIZER_REPORT } from "../../src/gen/tests/native-build.js";

/**
 * How a host build is made, added to the flags above: plain, or optimized as the kernel
 * builds it with ASan and UBSan, where any report stops the program with a failing status.
 * `tag` keeps the builds' objects and programs apart in one output directory.
 */
export interface NativeBuild {
  tag: string;
  flags: readonly string[];
}
export const PLAIN: NativeBuild = { tag: "", flags: [] };
export const SANITIZED: NativeBuild = { tag: "-asan", flags: SANITIZER_FLAGS };
export { SANITIZER_EXIT, SANITIZER_REPORT };

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

export function gcc(cwd: string, args: string[]): void {
  try {
    execFileSync("gcc", args, { cwd, encoding: "utf8", stdio: "pipe" });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`gcc ${args.join(" ")} failed in ${cwd}:\n${e.stderr ?? ""}${e.stdout ?? ""}`);
  }
}

/**
 * Compiles the core and the hooks (if any) for `build`; returns their objects. `hooks`
 * replaces the device's hooks.c, to show that a check catches a broken one.
 */
export function compileCore({ name, dir }: Generated, build: NativeBuild, hooks?: string): string[] {
  const objects = [`core/${name}_core${build.tag}.o`];
  gcc(dir, [...CFLAGS, ...build.flags, "-I", "core", "-c", `core/${name}_core.c`, "-o", objects[0]!]);
  let hooksSource = `core/${name}_hooks.c`;
  if (hooks !== undefined) {
    hooksSource = `core/${name}_hooks${build.tag}-variant.c`;
    fs.writeFileSync(path.join(dir, hooksSource), hooks);
  }
  if (fs.existsSync(path.join(dir, hooksSource))) {
    objects.push(hooksSource.replace(/\.c$/, ".o"));
    gcc(dir, [...HOOK_CFLAGS, ...build.flags, "-I", "core", "-c", hooksSource, "-o", objects[1]!]);
  }
  return objects;
}

/** Links `objects` (relative to `dir`) into `dir/program` for `build`; returns its path. */
export function link(dir: string, build: NativeBuild, program: string, objects: readonly string[]): string {
  gcc(dir, [...build.flags, "-o", program, ...objects]);
  return path.join(dir, program);
}

/** Compiles the core, the hooks (if any, or `hooks`) and the vector runner; returns the program's path. */
export function buildNative(out: Generated, build: NativeBuild = PLAIN, hooks?: string): string {
  return linkRunner(out, build, compileCore(out, build, hooks), `${out.name}_native${build.tag}`);
}

/** Compiles the vector runner and links it with `core`, a core's objects, into `dir/program`; returns its path. */
export function linkRunner({ name, dir }: Generated, build: NativeBuild, core: readonly string[], program: string): string {
  const runner = `tests/${name}_native${build.tag}.o`;
  gcc(dir, [...CFLAGS, ...build.flags, "-I", "core", "-I", "tests", "-c", `tests/${name}_native.c`, "-o", runner]);
  return link(dir, build, program, [...core, runner]);
}

/** xche's register core written by hand (issue 17), the baseline of `npm run bench -- --core`. */
export const XCHE_BASELINE = path.resolve("bench/baseline/xche_core_baseline.c");

/**
 * Compiles a hand-written core for `build` against the generated core's header, in place of
 * the generated core and its hooks; returns its object. `source` replaces the baseline, to
 * show that a check catches a broken one.
 */
export function compileBaseline({ name, dir }: Generated, build: NativeBuild, source = XCHE_BASELINE): string[] {
  const object = `core/${name}_core_baseline${build.tag}.o`;
  gcc(dir, [...CFLAGS, ...build.flags, "-I", "core", "-c", source, "-o", object]);
  return [object];
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `program` with `env` added to the test's, and the fixed sanitizer options (a plain build ignores them). */
export function runNative(program: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): RunResult {
  const result = spawnSync(program, args, {
    encoding: "utf8",
    env: { ...process.env, ...env, ...SANITIZER_ENV },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
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
