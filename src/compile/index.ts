/** device.ts → Device: load, lower, check; every problem reported at once, nothing written. */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadDevice, type LoadedDevice } from "./load.js";
import { lower } from "./lower.js";
import type { Origins } from "./lowering.js";
import type { DeviceSpec } from "../dsl/types.js";
import type { Device, KvmApiKind } from "../ir/types.js";
import { DevgenError, Reporter } from "../util/diagnostics.js";
import { checkHooksFile, type HooksFile } from "./hooks-file.js";
import { checkHooksLicense } from "./hooks-license.js";
import { checkHooksOffsets } from "./hooks-offsets.js";
import { checkModelRegisterNames } from "./hook-models.js";
import { checkLayout } from "./layout.js";
import { checkMacroNames } from "./macros.js";
import { DEFAULT_IOCTL, FIRST_PRIVATE_CAPABILITY } from "./kvm-numbers.js";

export interface CompiledDevice {
  device: Device;
  origins: Origins;
  /** The device's directory: where `device.ts` and `hooks.c` live. */
  dir: string;
  hooks: HooksFile | null;
  /** Where a value of the description was written, for errors found after validation. */
  locate: LoadedDevice["locate"];
}

export interface CompileOptions {
  /**
   * The KVM API to generate the device with, whatever its file says: `devgen ci` runs every
   * device with both. Changing it drops the file's names and numbers of the other API (the
   * new API's defaults are taken), so the device can only be built alone.
   */
  kvmApi?: KvmApiKind;
}

/** Accepts a device directory or the path of its `device.ts`. */
export function compileDevice(target: string, options: CompileOptions = {}): CompiledDevice {
  const file = fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, "device.ts") : target;
  const dir = path.dirname(file);
  const loaded = loadDevice(file);
  const report = new Reporter(loaded.locate);
  const { device, origins } = lower(withKvmApi(loaded.spec, options.kvmApi), file, report);
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

/** The spec with the other API and that API's defaults: a file of the ioctl API must number its ioctls. */
function withKvmApi(spec: DeviceSpec, kvmApi: KvmApiKind | undefined): DeviceSpec {
  if (kvmApi === undefined || (spec.kvm?.api ?? "ioctl") === kvmApi) return spec;
  const kvm: DeviceSpec["kvm"] =
    kvmApi === "ioctl" ? { api: kvmApi, ioctl: { number: DEFAULT_IOCTL }, capability: { number: FIRST_PRIVATE_CAPABILITY } } : { api: kvmApi };
  return { ...spec, kvm };
}

export { DevgenError };
export { KVM_APIS } from "./lower-kvm.js";
