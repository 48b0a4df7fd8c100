/**
 * The accessors core.h gives hooks. A hook names a register by function, not by index, so
 * a byte offset (`XCHE_DATA_OUT`, 0x14) cannot stand in for an index (`XCHE_REG_DATA_OUT`,
 * 5) and overrun the state array; each takes and returns the register's own width, so a
 * hook cannot store bits the register could never hold. An array element's accessors take
 * an index bounded with array_index_nospec(): no guest value reaches past the array, even
 * speculatively.
 */
import { indexName, registerStem } from "../../ir/names.js";
import type { Device, Register } from "../../ir/types.js";

export interface RegisterAccessor {
  type: string;
  get: string;
  set: string;
  index: string;
}

export interface ArrayAccessor {
  type: string;
  get: string;
  set: string;
  /** The function mapping an element number to its index in the state array. */
  indexOf: string;
  count: string;
  /** Evenly spaced elements: element 0's index, and `n`'s distance from it per element. */
  first: string | null;
  scale: string;
  /** Otherwise every element's index, folded to 80 columns two tabs in. */
  table: string | null;
}

export const C_TYPE = { 8: "u8", 16: "u16", 32: "u32", 64: "u64" } as const;

/** Hookless devices get none: only hooks.c uses them. */
export function registerAccessors(device: Device): RegisterAccessor[] {
  if (!device.hooks.length) return [];
  return device.registers
    .filter((r) => r.arrayName === null)
    .map((r) => ({ type: C_TYPE[r.width], ...accessorNames(device, r.name), index: indexName(device, r) }));
}

export function arrayAccessors(device: Device): ArrayAccessor[] {
  if (!device.hooks.length) return [];
  const arrays = new Map<string, Register[]>();
  for (const r of device.registers) {
    if (r.arrayName === null) continue;
    const elements = arrays.get(r.arrayName) ?? [];
    elements[r.arrayIndex!] = r;
    arrays.set(r.arrayName, elements);
  }
  return [...arrays].map(([arrayName, elements]) => {
    const first = elements[0]!;
    const step = elements.length > 1 ? elements[1]!.index - first.index : 1;
    const even = elements.every((r, n) => r.index === first.index + n * step);
    return {
      type: C_TYPE[first.width],
      ...accessorNames(device, arrayName),
      indexOf: `${device.name}_${arrayName.toLowerCase()}_index`,
      count: `${registerStem(device, first)}_COUNT`,
      first: even ? indexName(device, first) : null,
      scale: step === 1 ? "" : ` * ${step}`,
      table: even ? null : foldList(elements.map((r) => indexName(device, r))),
    };
  });
}

/** `A, B, C,` over as many lines as 80 columns need, continuation lines two tabs in. */
function foldList(items: string[]): string {
  const lines: string[] = [];
  let line = "";
  for (const item of items) {
    const next = line ? `${line} ${item},` : `${item},`;
    if (line && 16 + next.length > 80) {
      lines.push(line);
      line = `${item},`;
    } else {
      line = next;
    }
  }
  lines.push(line);
  return lines.join("\n\t\t");
}

export function accessorNames(device: Device, registerName: string) {
  const stem = registerName.toLowerCase();
  return { get: `${device.name}_get_${stem}`, set: `${device.name}_set_${stem}` };
}
