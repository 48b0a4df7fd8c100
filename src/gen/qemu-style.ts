/**
 * The shared C core (and hooks) in QEMU's coding style, for the copy that goes into a QEMU
 * tree: braces on every arm of if/for/while/else, four-space indentation, no tabs, block
 * comments only. Only layout changes: the statements, and so the behaviour, are the kernel
 * copy's; the native tests compile and run both renderings against the same vectors.
 *
 * It works on kernel-style input (indentation by tabs, one statement per line or aligned
 * continuation lines), which is what the core template emits and what hooks.c is asked to be.
 */

const HEADER = /^(\t*)(?:\} )?(if|for|while|else if|else)\b/;

function depth(line: string): number {
  return /^\t*/.exec(line)![0].length;
}

function parenBalance(text: string): number {
  let balance = 0;
  for (const char of text.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "")) {
    if (char === "(") balance++;
    else if (char === ")") balance--;
  }
  return balance;
}

/** Adds braces to brace-less if/for/while/else bodies, recursively. */
function braceBodies(lines: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const header = HEADER.exec(line);
    if (!header || /^\t*\}?\s*$/.test(line)) {
      out.push(line);
      i++;
      continue;
    }
    // A condition may continue on aligned lines until its parentheses close.
    let end = i;
    let text = line;
    while (parenBalance(text) > 0 && end + 1 < lines.length) text += `\n${lines[++end]}`;
    const last = lines[end]!;
    const d = depth(line);
    if (/[{;]\s*$/.test(last) || (header[2] !== "else" && !/\)\s*$/.test(last))) {
      out.push(...lines.slice(i, end + 1));
      i = end + 1;
      continue;
    }
    let bodyEnd = end + 1;
    while (bodyEnd < lines.length && lines[bodyEnd]!.trim() !== "" && depth(lines[bodyEnd]!) > d) bodyEnd++;
    out.push(...lines.slice(i, end), `${last} {`, ...braceBodies(lines.slice(end + 1, bodyEnd)));
    const next = lines[bodyEnd];
    if (next !== undefined && depth(next) === d && /^\t*else\b/.test(next)) {
      // `else` continues this statement: `} else ...` on one line, braced in turn.
      lines = [...lines.slice(0, bodyEnd), `${"\t".repeat(d)}} ${next.trimStart()}`, ...lines.slice(bodyEnd + 1)];
      i = bodyEnd;
    } else {
      out.push(`${"\t".repeat(d)}}`);
      i = bodyEnd;
    }
  }
  return out;
}

export function toQemuStyle(c: string): string {
  const lines = braceBodies(c.split("\n"));
  return lines
    .map((line) => {
      const leading = /^\t*/.exec(line)![0].length;
      const rest = line.slice(leading).replace(/^\/\/ (SPDX-License-Identifier: .*)$/, "/* $1 */");
      return `${"    ".repeat(leading)}${rest.replace(/\t+/g, " ")}`.replace(/\s+$/, "");
    })
    .join("\n");
}
