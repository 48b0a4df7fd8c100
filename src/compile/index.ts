/** device.ts → Device: load, lower, check; every problem reported at once, nothing written. */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadDevice, type LoadedDevice } from "./load.js";
import { lower } from "./lower.js";
import type { Origins } from "./lowering.js";
import type { Device } from "../ir/types.js";
import { DevgenError, Reporter } from "../util/diagnostics.js";
import { checkHooksFile, type HooksFile } from "./hooks-file.js";
import { checkHooksLicense } from "./hooks-license.js";
import { checkHooksOffsets } from "./hooks-offsets.js";
import { checkModelRegisterNames } from "./hook-models.js";
import { checkLayout } from "./layout.js";
import { checkMacroNames } from "./macros.js";

export interface CompiledDevice {
  device: Device;
  origins: Origins;
  /** The device's directory: where `device.ts` and `hooks.c` live. */
  dir: string;
  hooks: HooksFile | null;
  /** Where a value of the description was written, for errors found after validation. */
  locate: LoadedDevice["locate"];
}

/** Accepts a device directory or the path of its `device.ts`. */
export function compileDevice(target: string): CompiledDevice {
  const file = fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, "device.ts") : target;
  const dir = path.dirname(file);
  const loaded = loadDevice(file);
  const report = new Reporter(loaded.locate);
  const { device, origins } = lower(loaded.spec, file, report);
  // The reference model runs the hook models long after the file's evaluation: bounded as it is.
  for (const hook of device.hooks) {
    if (hook.model) hook.model = loaded.bounded(hook.model, `hook model "${hook.name}"`, ["hooks", hook.name, "model"]);
  }
  checkLayout(device, origins, report);
  checkMacroNames(device, origins, report);
  report.diagnostics.push(...checkModelRegisterNames(device, loaded.modelRegisterNames));
  const hooksPath = path.join(dir, "hooks.c");
  const hooks = fs.existsSync(hooksPath) ? { path: hooksPath, text: fs.readFileSync(hooksPath, "utf8") } : null;
  report.diagnostics.push(...checkHooksFile(device, hooks, (name) => loaded.locate(["hooks", name])));
  if (hooks) report.diagnostics.push(...checkHooksLicense(hooks), ...checkHooksOffsets(device, hooks));
  report.throwIfFailed();
  return { device, origins, dir, hooks, locate: loaded.locate };
}

export { DevgenError };
