/** Private state: each `storage` entry's count, width and reset, placed after the registers. */
import type { DeviceSpec, StorageSpec } from "../dsl/types.js";
import type { SpecPath } from "../util/diagnostics.js";
import { bitMask } from "../ir/bits.js";
import type { Register, Storage } from "../ir/types.js";
import { UPPER_IDENTIFIER, type Lowering } from "./lowering.js";
import { storageEntries } from "./lower-fifo.js";
import { describe, hex } from "./message-words.js";

const WIDTHS = [8, 16, 32, 64] as const;

export function lowerStorage(l: Lowering, specs: DeviceSpec["storage"], registers: Register[]): Storage[] {
  const storage: Storage[] = [];
  let next = registers.length;
  for (const [name, spec] of Object.entries(specs ?? {})) {
    const path = ["storage", name];
    l.identifier(name, path, "storage name", UPPER_IDENTIFIER, '"NVRAM"');
    if (registers.some((r) => r.name === name || r.arrayName === name)) {
      l.report.error(path, `storage "${name}" has the name of a register`, "registers and storage share their accessors' names: rename one");
    }
    const count = l.small(spec?.count, [...path, "count"], "storage count", 1, 65536, 1, String);
    let width: Storage["width"] = 8;
    if (spec?.width !== undefined) {
      if ((WIDTHS as readonly unknown[]).includes(spec.width)) width = spec.width;
      else l.report.error([...path, "width"], `storage width ${describe(spec.width)} is not 8, 16, 32 or 64`, "use one of 8, 16, 32, 64");
    }
    let reset = l.integer(spec?.reset ?? 0, [...path, "reset"], "storage reset", 0n, (1n << 64n) - 1n) ?? 0n;
    if (reset & ~bitMask(width)) {
      l.report.error([...path, "reset"], `storage reset ${hex(reset)} does not fit in ${width} bits`, `use a value up to ${hex(bitMask(width))}`);
      reset &= bitMask(width);
    }
    storage.push({ name, description: typeof spec?.description === "string" ? spec.description : "", count, width, reset, holds: bitMask(width), first: next, fifo: null, keepOnReset: lowerKeep(l, spec, path) });
    // A FIFO's head and level follow its entries; lowerFifos fills in the rest.
    next += storageEntries(spec, count);
  }
  return storage;
}

function lowerKeep(l: Lowering, spec: StorageSpec | undefined, path: SpecPath): boolean {
  const keep = l.flag(spec?.keepOnReset, [...path, "keepOnReset"], "keepOnReset");
  if (keep && spec?.fifo !== undefined) {
    l.report.error([...path, "keepOnReset"], "a FIFO cannot keep its entries over a reset: a reset empties it", "remove keepOnReset, or fifo");
    return false;
  }
  return keep;
}
