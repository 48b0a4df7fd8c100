/**
 * Where the registers lie in the decode window. An array is one group, as a driver indexes
 * its elements rather than naming them; the bytes no register holds are the holes. The
 * decoding text, the map and the register sections all read this one layout.
 */
import { arrayElements, declaredRegisters } from "../../ir/arrays.js";
import type { Device, Register } from "../../ir/types.js";
import { hexPad } from "./markdown.js";

/** A register, or all elements of an array: one row of the map, one section. */
export interface Group {
  first: Register;
  elements: Register[];
  title: string;
  stride: number;
  end: number;
}

/** Bytes from `start` up to, not including, `end`. */
export interface ByteSpan {
  start: number;
  end: number;
}

export interface Layout {
  groups: Group[];
  /** Byte ranges of the decode window that no register holds, outside arrays' spans. */
  holes: ByteSpan[];
  /** Size of the decode window in bytes; smaller than the BAR when the BAR aliases it. */
  window: number;
  /** Hex digits of every offset on the page, so that the offsets line up. */
  digits: number;
}

export function registerLayout(device: Device): Layout {
  const groups = registerGroups(device);
  return {
    groups,
    holes: holes(device, groups),
    window: device.bar.decodeMask + 1,
    digits: Math.max(2, device.bar.decodeMask.toString(16).length),
  };
}

function registerGroups(device: Device): Group[] {
  return declaredRegisters(device).map((first) => {
    const elements = arrayElements(device, first);
    const last = elements[elements.length - 1]!;
    return {
      first,
      elements,
      title: elements.length > 1 ? `${first.name}..${last.name}` : first.name,
      stride: elements.length > 1 ? elements[1]!.offset - first.offset : first.bytes,
      end: last.offset + last.bytes,
    };
  });
}

function holes(device: Device, groups: Group[]): ByteSpan[] {
  const result: ByteSpan[] = [];
  let next = 0;
  for (const g of groups) {
    if (g.first.offset > next) result.push({ start: next, end: g.first.offset });
    next = Math.max(next, g.end);
  }
  if (next <= device.bar.decodeMask) result.push({ start: next, end: device.bar.decodeMask + 1 });
  return result;
}

/** Up to 16 element offsets, else the first and last few. */
export function elementOffsets(g: Group, digits: number): string {
  const all = g.elements.map((e) => hexPad(e.offset, digits));
  return (all.length <= 16 ? all : [...all.slice(0, 4), "…", ...all.slice(-2)]).join(", ");
}
