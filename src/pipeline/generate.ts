/** `devgen check` and `devgen generate`: validate every device first, then write. */
import * as path from "node:path";
import { generateAll } from "../gen/index.js";
import { generateVectors } from "../reference/vectors.js";
import { scenarioClaims } from "../reference/scenarios.js";
import { checkDeviceSet } from "../compile/device-set.js";
import { compileDevice, type CompiledDevice, type CompileOptions } from "../compile/index.js";
import { DevgenError, type Diagnostic } from "../util/diagnostics.js";
import { replaceDirectory } from "../util/write-tree.js";
import { checkHooksCompile } from "./hooks-compile.js";

export const DEFAULT_OUT = "generated";

/**
 * Compiles all devices, collecting every device's diagnostics (hooks.c compiled against
 * its generated header and the hook models run among them), then the clashes between them
 * (a name, an ioctl or a capability number), before failing. A directory given twice is
 * one device.
 */
export function compileAll(dirs: readonly string[], options: CompileOptions = {}): CompiledDevice[] {
  const compiled: CompiledDevice[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    if (seen.has(path.resolve(dir))) continue;
    seen.add(path.resolve(dir));
    let device: CompiledDevice;
    try {
      device = compileDevice(dir, options);
    } catch (err) {
      if (!(err instanceof DevgenError)) throw err;
      diagnostics.push(...err.diagnostics);
      continue;
    }
    // Like a device that does not compile, one whose hooks fail is left out of the clashes.
    const failures = [...checkHooksCompile(device), ...modelFailures(device)];
    diagnostics.push(...failures);
    if (!failures.length) compiled.push(device);
  }
  diagnostics.push(...checkDeviceSet(compiled));
  if (diagnostics.length) throw new DevgenError(diagnostics);
  return compiled;
}

/**
 * Hook models are the device file's code, run after its evaluation by the reference model
 * when the vectors are made: only making them finds a model that throws or does not end.
 * Made here as generating makes them (tens of milliseconds for the examples), they are not
 * kept: most commands then generate for a tree's own targets anyway. Scenarios' claims are
 * the model's to refute too, each at the step that makes it.
 */
function modelFailures({ device, locate }: CompiledDevice): Diagnostic[] {
  try {
    if (device.hooks.some((hook) => hook.model)) generateVectors(device);
    return scenarioClaims(device).map((m) => ({
      location: locate(["scenarios", m.scenario, "steps", m.step, m.key]),
      message: m.message,
      hint: m.hint,
    }));
  } catch (err) {
    if (!(err instanceof DevgenError)) throw err;
    return err.diagnostics;
  }
}

export interface GenerateResult {
  device: string;
  out: string;
  files: string[];
}

export function runGenerate(dirs: readonly string[], outRoot = DEFAULT_OUT): GenerateResult[] {
  return writeGenerated(compileAll(dirs), outRoot);
}

/** Generates every device in memory first, then writes each output directory in one step. */
export function writeGenerated(compiled: readonly CompiledDevice[], outRoot = DEFAULT_OUT): GenerateResult[] {
  const outputs = compiled.map((c) => ({ c, files: generateAll(c) }));
  return outputs.map(({ c, files }) => {
    const out = path.join(outRoot, c.device.name);
    replaceDirectory(out, files);
    return { device: c.device.name, out, files: files.map((f) => f.path) };
  });
}
