/**
 * The registers hook models name by a literal, checked against the device's before any
 * model runs: a misspelt one would otherwise pass `devgen check` and stop `generate`, when
 * the reference model first runs that line.
 */
import type { Device } from "../ir/types.js";
import type { Diagnostic } from "../util/diagnostics.js";
import type { ModelRegisterName } from "./load.js";

export function checkModelRegisterNames(device: Device, names: readonly ModelRegisterName[]): Diagnostic[] {
  const registers = new Set(device.registers.map((r) => r.name));
  for (const store of device.storage) {
    for (let n = 0; n < store.count; n++) registers.add(`${store.name}_${n}`);
  }
  return names
    .filter(({ name }) => !registers.has(name))
    .map(({ name, location }) => ({
      location,
      message: `hook model names unknown register "${name}"`,
      hint: device.storage.length
        ? "name a register or storage entry of this device (arrays and storage: NAME_<index>)"
        : "name a register of this device (arrays: NAME_<index>)",
    }));
}
