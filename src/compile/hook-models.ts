/**
 * The registers (and, in push and pop, FIFO storage) hook models name by a literal, checked against the device's before any
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
  const queues = new Set(device.storage.filter((s) => s.fifo).map((s) => s.name));
  return names
    .filter(({ name, queue }) => !(queue ? queues : registers).has(name))
    .map(({ name, location, queue }) =>
      queue
        ? {
            location,
            message: `hook model names unknown FIFO storage "${name}"`,
            hint: queues.size ? `FIFO storage of this device: ${[...queues].join(", ")}` : "declare it: storage: { RXQ: { count: 16, fifo: {} } }",
          }
        : {
            location,
            message: `hook model names unknown register "${name}"`,
            hint: device.storage.length
              ? "name a register or storage entry of this device (arrays and storage: NAME_<index>)"
              : "name a register of this device (arrays: NAME_<index>)",
          },
    );
}
