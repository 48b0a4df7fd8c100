/**
 * What a device file imports: `import { defineDevice } from "devgen";`.
 */
import type { DeviceSpec } from "./types.js";

export type * from "./types.js";

/** Declares a device. Returns the description unchanged; the type checks it as you type. */
export function defineDevice(spec: DeviceSpec): DeviceSpec {
  return spec;
}
