/**
 * Mutants of the generated core that are equivalent by construction, for `npm run bench --
 * --mutants` (bench/mutants.ts): no access, no hook and no saved state can tell them from
 * the original, for a reason read off the generated source itself. Trivial Compiler
 * Equivalence finds what gcc proves; these are what it cannot see, because the proof needs
 * a register descriptor's other masks or the device's hooks.c, which is another object.
 *
 * Each rule holds only while the core uses the descriptor as it assumes: the rule first
 * checks that every use of the fields it reasons about is the one expression it expects,
 * and finds nothing otherwise. The saved state (KVM_GET_STATE, migration) counts as
 * observable, so a mutant that changes only a stored bit no read returns is not equivalent.
 */
import type { Mutant } from "./c-mutants.js";

/** The core's accessors of a descriptor field, each use on a line of its own. */
const USES = {
  // The value a read returns: stored bits the register shows, and its constant bits.
  read: /^\tu64 val = \(\w+(?:->regs\[reg\])? & d->readable\) \| \(d->reset & d->constant\);$/,
  // A write: writable bits take the value, then w1c bits clear, then w1s bits set.
  writable: /^\tstored = \(stored & ~\(d->writable & lanes\)\) \| \(val & d->writable\);$/,
  w1c: /^\tstored &= ~\(val & d->w1c\);$/,
  w1s: /^\tstored \|= val & d->w1s;$/,
  // Which element a hook runs for: stored for hooks, read by nothing else.
  element: /^\ts->access\.element = d->element;$/,
};

/** Whether every line of `source` outside the descriptor table that names `.field` matches `use`. */
function onlyUse(source: readonly string[], field: string, use: RegExp): boolean {
  const names = new RegExp(`(->|\\.)${field}\\b`);
  const uses = source.filter((line) => names.test(line) && !/^\t\t\.\w+ = /.test(line));
  return uses.length > 0 && uses.every((line) => use.test(line));
}

/** The values of the descriptor holding line `line` (1-based): `.reset = 0x1ULL,` and the like. */
function descriptorAt(source: readonly string[], line: number): Map<string, bigint> {
  const fields = new Map<string, bigint>();
  let start = line - 1;
  while (start > 0 && !/^\t\[\w+\] = \{$/.test(source[start]!)) start--;
  for (let i = start + 1; i < source.length && source[i] !== "\t},"; i++) {
    const m = /^\t\t\.(\w+) = (0x[0-9a-fA-F]+|\d+)ULL,$/.exec(source[i]!);
    if (m) fields.set(m[1]!, BigInt(m[2]!));
  }
  return fields;
}

const value = (text: string) => BigInt(text.replace(/[uUlL]+$/, ""));

/**
 * Why `mutant` of the generated core `source` is equivalent by construction, or null.
 * `hooks`: the device's hooks.c, "" when it has none.
 */
export function equivalentByConstruction(mutant: Omit<Mutant, "source">, source: string, hooks: string): string | null {
  const lines = source.split("\n");
  // s->access is written for hooks; when none reads it, neither its stores nor .element matter.
  const accessUnread =
    !/\baccess\b/.test(hooks.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "")) &&
    lines.every((line) => !/->access\b/.test(line) || /^\ts->access\.\w+ = [\w>.-]+;$/.test(line));
  if (mutant.operator === "drop-statement" && /^s->access\.\w+ = /.test(mutant.original)) {
    return accessUnread ? "s->access is read by no hook and nothing else" : null;
  }
  const field = /_regs\.(\w+)$/.exec(mutant.scope)?.[1];
  if (mutant.operator !== "constant" || !field) return null;
  if (field === "element") {
    return accessUnread && onlyUse(lines, "element", USES.element) ? ".element only reaches s->access, which nothing reads" : null;
  }
  const d = descriptorAt(lines, mutant.line);
  const flipped = value(mutant.original) ^ value(mutant.replacement);
  const readOnly = onlyUse(lines, "readable", USES.read) && onlyUse(lines, "constant", USES.read);
  if (field === "constant" && readOnly && !(flipped & d.get("reset")!)) {
    return "the flipped constant bits are 0 in reset, and constant is only read as reset & constant";
  }
  if (field === "readable" && readOnly && (flipped & d.get("reset")! & d.get("constant")!) === flipped) {
    return "the flipped readable bits are constant and 1 in reset: a read returns 1 there either way";
  }
  const writeOrder = onlyUse(lines, "writable", USES.writable) && onlyUse(lines, "w1c", USES.w1c) && onlyUse(lines, "w1s", USES.w1s);
  // Bits outside the access's lanes are cut before any mask applies, so a w1s bit there sets nothing.
  const at = (use: RegExp) => lines.findIndex((l) => use.test(l));
  const ordered = writeOrder && -1 < at(/^\tval &= lanes;$/) && at(/^\tval &= lanes;$/) < at(USES.writable) && at(USES.w1c) < at(USES.w1s);
  if (field === "w1s" && ordered && (flipped & d.get("writable")! & ~d.get("w1c")!) === flipped) {
    return "the flipped w1s bits are writable and not w1c: a write stores the written bit either way";
  }
  return null;
}
