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
  return names
    .filter(({ name }) => !registers.has(name))
    .map(({ name, location }) => ({
      location,
      message: `hook model names unknown register "${name}"`,
      hint: "name a register of this device (arrays: NAME_<index>)",
    }));
}
