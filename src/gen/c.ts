/** Small C formatting helpers shared by the C backends. */
import { oneLine } from "./text.js";
import { columns } from "./wrap-calls.js";

/** A C integer constant, typed wide enough that `~` and shifts stay in 64 bits when needed. */
export function cConst(value: bigint, registerWidth: number): string {
  const digits = value.toString(16);
  return registerWidth > 32 ? `0x${digits}ULL` : `0x${digits}U`;
}

export function cHex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

/** A 32-bit unsigned constant, all eight digits: `0x0badcafeU`. */
export function cU32(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}U`;
}

const TAB = 8;

/** `#define NAME<tabs>VALUE`, values aligned on a tab stop as in kernel headers. */
export function defineLine(name: string, value: string, column = 40): string {
  const head = `#define ${name}`;
  let width = head.length;
  let pad = "";
  do {
    pad += "\t";
    width = (Math.floor(width / TAB) + 1) * TAB;
  } while (width < column);
  return `${head}${pad}${value}`;
}

/** Wraps a comment's text into ` * ` lines no wider than `width`. */
export function commentLines(text: string, width = 72): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Makes free text safe inside a C comment. */
export function commentText(text: string): string {
  return oneLine(text.replace(/\*\//g, "* /"));
}

/** A C comment: one line when it fits in 80 columns, else a block wrapped at 72. */
export function cComment(text: string, indent = ""): string {
  const clean = commentText(text);
  if (indent.replace(/\t/g, "        ").length + clean.length + 6 <= 80) return `${indent}/* ${clean} */`;
  return [`${indent}/*`, ...commentLines(clean).map((l) => `${indent} * ${l}`), `${indent} */`].join("\n");
}

/** Tabs then spaces reaching the column just after `text` (one line, no tabs). */
function alignTo(text: string): string {
  return "\t".repeat(Math.floor(text.length / 8)) + " ".repeat(text.length % 8);
}

/**
 * Wraps function signatures and prototypes wider than `maxColumns` (tabs counted as 8),
 * continuation lines aligned with the opening parenthesis as kernel style asks.
 */
export function wrapSignatures(c: string, maxColumns: number): string {
  // One pass over the whole text: splitting a 10,000-register core into lines costs more.
  const signature = /^[a-z][^\t(\n]*\(.*\);?$/gm;
  return c.replace(signature, (line) => {
    if (columns(line) <= maxColumns) return line;
    const head = line.slice(0, line.indexOf("(") + 1);
    const tail = line.slice(head.length);
    const params = tail.split(", ");
    const lines: string[] = [];
    let current = head + params[0];
    for (let i = 1; i < params.length; i++) {
      const candidate = `${current}, ${params[i]}`;
      // A line that more parameters follow ends with the comma.
      if (columns(candidate) + (i < params.length - 1 ? 1 : 0) <= maxColumns) {
        current = candidate;
      } else {
        lines.push(`${current},`);
        current = alignTo(head) + params[i];
      }
    }
    lines.push(current);
    return lines.join("\n");
  });
}
