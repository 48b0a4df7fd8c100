/**
 * Long lines of generated C folded the way a maintainer folds them by hand: at the
 * top-level commas of the line's call or signature, continuation lines aligned with its
 * opening parenthesis. A string literal that does not fit there goes on a line of its own,
 * one level deeper: QEMU's checkpatch exempts a line that is only a string, and a message
 * split in two can no longer be found with grep. Device names of up to 20 characters make
 * templates that fit 80 columns for "xche" overflow for "dma_engine".
 */

/** Columns of a line, tabs to the next multiple of 8. */
export function columns(line: string): number {
  let width = 0;
  for (const ch of line) width = ch === "\t" ? (Math.floor(width / 8) + 1) * 8 : width + 1;
  return width;
}

/** Index of the quote closing the string or character literal opened at `at`. */
function endOfLiteral(text: string, at: number): number {
  let i = at + 1;
  for (; i < text.length && text[i] !== text[at]; i++) if (text[i] === "\\") i++;
  return i;
}

/** Index of the `)` closing the `(` at `open`, skipping strings and nested parentheses; -1 if none. */
function closing(line: string, open: number): number {
  let depth = 0;
  for (let i = open; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"' || ch === "'") {
      i = endOfLiteral(line, i);
    } else if (ch === "(") {
      depth++;
    } else if (ch === ")" && --depth === 0) {
      return i;
    }
  }
  return -1;
}

/** The arguments between `(` and `)`, split at top-level commas. */
function splitArguments(inner: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '"' || ch === "'") {
      i = endOfLiteral(inner, i);
    } else if (ch === "(" || ch === "[" || ch === "{") {
      depth++;
    } else if (ch === ")" || ch === "]" || ch === "}") {
      depth--;
    } else if (ch === "," && depth === 0) {
      args.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(inner.slice(start).trim());
  return args;
}

const STRING_ONLY = /^"(?:[^"\\]|\\.)*"$/;

/** One line folded, or the line itself when it fits or has no call to fold. */
function foldLine(line: string, maxColumns: number, indentUnit: string): string {
  if (columns(line) <= maxColumns || /^\s*(#|\/\*|\*|\/\/)/.test(line)) return line;
  const indent = /^\s*/.exec(line)![0];
  const assignment = /^(\s*[^"(]*?=)\s*("(?:[^"\\]|\\.)*";)$/.exec(line);
  if (assignment) return `${assignment[1]}\n${indent}${indentUnit}${assignment[2]}`;
  const open = line.search(/[\w)]\(/) + 1;
  const close = open > 0 ? closing(line, open) : -1;
  if (close < 0) return line;
  const head = line.slice(0, open + 1);
  const tail = line.slice(close);
  const args = splitArguments(line.slice(open + 1, close));
  if (args.length < 2 && !STRING_ONLY.test(args[0] ?? "")) return line;
  // Kernel style reaches the parenthesis with tabs, then spaces; QEMU's with spaces.
  const continuation =
    indentUnit === "\t"
      ? "\t".repeat(Math.floor(columns(head) / 8)) + " ".repeat(columns(head) % 8)
      : indent + " ".repeat(columns(head) - columns(indent));
  const lines: string[] = [];
  let current = head + args[0];
  for (let i = 1; i < args.length; i++) {
    const end = i === args.length - 1 ? tail : ",";
    if (columns(`${current}, ${args[i]}${end}`) <= maxColumns) {
      current = `${current}, ${args[i]}`;
    } else {
      lines.push(`${current},`);
      current = `${continuation}${args[i]}`;
    }
  }
  lines.push(current + tail);
  // A continuation that still overflows may hold a call of its own: fold it in turn.
  const folded = lines.map((l, i) => (i > 0 && columns(l) > maxColumns ? foldLine(l, maxColumns, indentUnit) : l)).join("\n");
  if (folded.split("\n").every((l) => columns(l) <= maxColumns)) return folded;
  // Something still overflows: every argument on its own line, one level in.
  const deeper = `${indent}${indentUnit}`;
  return [head, ...args.map((arg, i) => `${deeper}${arg}${i === args.length - 1 ? tail : ","}`)].join("\n");
}

/** `indentUnit` "\t" folds in kernel style, spaces in QEMU's. */
export function wrapCalls(c: string, maxColumns: number, indentUnit: string): string {
  // Only lines that may be too wide, found in one pass: a 10,000-register core is long.
  const mayOverflow = new RegExp(`^.{${Math.floor(maxColumns / 8)},}$`, "gm");
  return c.replace(mayOverflow, (line) => foldLine(line, maxColumns, indentUnit));
}
