/** Markdown formatting helpers for the docs backend: table cells, code spans, numbers, anchors. */
import { oneLine } from "../text.js";

/** Free text on one line, safe inside a table cell (GFM splits cells on unescaped `|`). */
export function cell(text: string): string {
  return oneLine(text).replace(/\|/g, "\\|");
}

/** Free text as one paragraph line, ending with a full stop. */
export function sentence(text: string): string {
  const clean = oneLine(text);
  return !clean || /[.!?:]$/.test(clean) ? clean : `${clean}.`;
}

export function code(text: string): string {
  return `\`${text}\``;
}

/** `0x0004`: hexadecimal with at least `digits` digits. */
export function hexPad(value: number | bigint, digits: number): string {
  return `0x${value.toString(16).padStart(digits, "0")}`;
}

/** Small numbers (field values, resets) read better in decimal; larger ones in hex. */
export function small(value: bigint): string {
  return value < 10n ? value.toString() : `0x${value.toString(16)}`;
}

/** `31` or `7:4`. */
export function bitRange(msb: number, lsb: number): string {
  return msb === lsb ? String(msb) : `${msb}:${lsb}`;
}

/** `` `0x04` `` or `` `0x04`–`0x07` ``: bytes `start` up to, not including, `end`. */
export function byteRange(start: number, end: number, digits: number): string {
  return end - start === 1 ? code(hexPad(start, digits)) : `${code(hexPad(start, digits))}–${code(hexPad(end - 1, digits))}`;
}

/** `a`, `a and b`, `a, b and c`. */
export function list(items: string[], conjunction = "and"): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

/** The anchor GitHub derives from a heading: lower case, punctuation dropped, spaces to `-`. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");
}
