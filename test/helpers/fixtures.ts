/**
 * Device files for diagnostics tests, written to a temporary directory, and the places
 * a diagnostic should point at, read from markers in the fixture itself.
 *
 * A marker is a comment written right before the token a diagnostic must point at:
 * `offset: /*@*\/0x2` (id "") or `/*@dup*\/"CTRL"` (id "dup"). Comments are trivia to the
 * TypeScript compiler, so markers do not move the positions devgen reports.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compileDevice, type CompiledDevice } from "../../src/compile/index.js";
import { DevgenError, type Diagnostic, type SourceLocation } from "../../src/util/diagnostics.js";
import { lower } from "../../src/compile/lower.js";
import { checkLayout } from "../../src/compile/layout.js";
import { checkMacroNames } from "../../src/compile/macros.js";
import { Reporter } from "../../src/util/diagnostics.js";
import type { DeviceSpec } from "../../src/dsl/types.js";
import type { Device } from "../../src/ir/types.js";

/** The parts of a device file a case may replace, each as TypeScript source text. */
export interface DeviceParts {
  name?: string;
  description?: string;
  pci?: string;
  bar?: string;
  kvm?: string;
  policy?: string;
  interrupt?: string;
  registers?: string;
  hooks?: string;
  scenarios?: string;
  /** Declarations placed between the import and the default export. */
  prelude?: string;
}

export const DEFAULT_REGISTERS = `[{ name: "CTRL", offset: 0x0 }]`;

/** A small valid device ("foo", 256-byte MMIO BAR) with the given parts replaced. */
export function deviceSource(parts: DeviceParts = {}): string {
  const lines = [
    `import { defineDevice } from "devgen";`,
    ``,
    ...(parts.prelude !== undefined ? [parts.prelude, ``] : []),
    `export default defineDevice({`,
    `  name: ${parts.name ?? `"foo"`},`,
    `  description: ${parts.description ?? `"Test device"`},`,
    `  pci: ${parts.pci ?? `{ vendorId: 0x1b36, deviceId: 0x0101 }`},`,
    `  bar: ${parts.bar ?? `{ index: 0, space: "mmio", size: 0x100 }`},`,
    `  kvm: ${parts.kvm ?? `{ ioctl: { number: 0xe4 }, capability: { number: 1000 } }`},`,
    ...(parts.policy !== undefined ? [`  policy: ${parts.policy},`] : []),
    ...(parts.interrupt !== undefined ? [`  interrupt: ${parts.interrupt},`] : []),
    `  registers: ${parts.registers ?? DEFAULT_REGISTERS},`,
    ...(parts.hooks !== undefined ? [`  hooks: ${parts.hooks},`] : []),
    ...(parts.scenarios !== undefined ? [`  scenarios: ${parts.scenarios},`] : []),
    `});`,
    ``,
  ];
  return lines.join("\n");
}

const MARKER = /\/\*@(\w*)\*\//g;

/** The 1-based line and column of the first token after each marker, by marker id. */
export function markers(text: string): Map<string, { line: number; column: number }> {
  const found = new Map<string, { line: number; column: number }>();
  for (const match of text.matchAll(MARKER)) {
    let at = match.index! + match[0].length;
    while (at < text.length && /\s/.test(text[at]!)) at++;
    if (found.has(match[1]!)) throw new Error(`fixture has two markers /*@${match[1]}*/`);
    found.set(match[1]!, lineColumn(text, at));
  }
  return found;
}

/** The 1-based line and column of the first occurrence of `needle` (which must occur once). */
export function find(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`fixture does not contain ${JSON.stringify(needle)}`);
  if (text.indexOf(needle, at + 1) >= 0) throw new Error(`fixture contains ${JSON.stringify(needle)} twice`);
  return lineColumn(text, at);
}

export function lineColumn(text: string, at: number): { line: number; column: number } {
  const before = text.slice(0, at);
  return { line: before.split("\n").length, column: at - before.lastIndexOf("\n") };
}

/** One temporary directory per test file; each case gets a subdirectory. */
export class Scratch {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-test-"));
  private count = 0;

  /** Writes `files` (name → contents) into a fresh directory and returns its path. */
  dir(label: string, files: Record<string, string>): string {
    const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
    const dir = path.join(this.root, `${String(this.count++).padStart(3, "0")}-${slug}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, contents] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), contents);
    return dir;
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * `<dir>` in a wanted message or hint stands for the case's directory.
 *
 * Where a diagnostic must point: a marker id in device.ts (default ""), a string to find
 * in another file of the case, an explicit position, or nowhere (null).
 */
export type Place = string | { file: string; find: string } | { file?: string; line: number; column: number } | null;

export interface Want {
  message: string;
  at?: Place;
  hint?: string;
}

/** Compiles the device directory and returns the DevgenError it must throw. */
export function compileError(target: string): DevgenError {
  let compiled: CompiledDevice | undefined;
  try {
    compiled = compileDevice(target);
  } catch (err) {
    if (err instanceof DevgenError) return err;
    throw err;
  }
  throw new Error(`expected a DevgenError, but ${compiled.device.name} compiled`);
}

/** The expected diagnostics, with every place resolved against the files of the case. */
export function expected(dir: string, files: Record<string, string>, want: Want[]): Diagnostic[] {
  const device = path.join(dir, "device.ts");
  const marks = markers(files["device.ts"] ?? "");
  const resolve = (place: Place | undefined): SourceLocation | null => {
    if (place === null) return null;
    if (place === undefined || typeof place === "string") {
      const id = place ?? "";
      const mark = marks.get(id);
      if (!mark) throw new Error(`device.ts has no marker /*@${id}*/`);
      return { file: device, ...mark };
    }
    if ("find" in place) return { file: path.join(dir, place.file), ...find(files[place.file]!, place.find) };
    return { file: place.file ? path.join(dir, place.file) : device, line: place.line, column: place.column };
  };
  const text = (s: string): string => s.replaceAll("<dir>", dir);
  return want.map((w) => ({
    location: resolve(w.at),
    message: text(w.message),
    hint: w.hint === undefined ? expect.any(String) : text(w.hint),
  }));
}

/** Lowers a spec written inline and checks it like compileDevice does; fails on any diagnostic. */
export function build(spec: DeviceSpec): Device {
  const report = new Reporter(() => null);
  const { device, origins } = lower(spec, "inline", report);
  checkLayout(device, origins, report);
  checkMacroNames(device, origins, report);
  if (report.failed) throw new Error(`spec is invalid:\n${report.diagnostics.map((d) => d.message).join("\n")}`);
  return device;
}

/** A DeviceSpec with the defaults every inline test device shares. */
export function spec(overrides: Partial<DeviceSpec> & Pick<DeviceSpec, "registers">): DeviceSpec {
  return {
    name: "mdl",
    description: "Model test device",
    pci: { vendorId: 0x1b36, deviceId: 0x0102 },
    bar: { index: 0, space: "mmio", size: 0x100 },
    kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
    ...overrides,
  };
}
