/**
 * The "Decoding" text: how a BAR offset reaches a register when the BAR is larger than the
 * register window, and which bytes of the window hold no register.
 */
import type { Device } from "../../ir/types.js";
import type { Layout } from "./register-groups.js";
import { byteRange, code, hexPad, list } from "./markdown.js";
import { registerWord } from "./semantics.js";

export function decodeText(device: Device, { window, digits }: Layout): string {
  const { bar } = device;
  if (window === bar.size) {
    return `The registers fill a window as large as the BAR (${code(hexPad(bar.decodeMask, 1))} decode mask): every BAR offset decodes to itself, nothing is aliased.`;
  }
  const aliasExample = device.registers.find((r) => r.offset > 0) ?? device.registers[0]!;
  return (
    `The device decodes ${code(`offset & ${hexPad(bar.decodeMask, 1)}`)}, where offset is relative to the start of the BAR: ` +
    `the ${hexPad(window, 1)}-byte register window repeats ${bar.size / window} times across the ${hexPad(bar.size, 1)}-byte BAR, ` +
    `and every copy reaches the same registers (and their side effects). ` +
    `For example BAR offset ${code(hexPad(window + aliasExample.offset, digits))} reaches ${aliasExample.name} just as ${code(hexPad(aliasExample.offset, digits))} does. ` +
    `A driver should use the first copy.`
  );
}

/** The holes, and the bytes between the elements of arrays whose stride exceeds their width; null when there are none. */
export function gapsText({ groups, holes, digits }: Layout): string | null {
  const strided = groups.filter((g) => g.stride > g.first.bytes);
  if (!holes.length && !strided.length) return null;
  return list([
    ...holes.map((h) => byteRange(h.start, h.end, digits)),
    ...strided.map((g) => `between the elements of ${registerWord(g.first)}`),
  ]);
}
