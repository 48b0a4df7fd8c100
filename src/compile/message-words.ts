/** How values are written in messages: hex numbers, quoted values, lists, code points. */

export function hex(n: number | bigint): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return "nothing";
  // JSON has no NaN or Infinity: it would print them as null.
  if (typeof value === "number") return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** The first character a C identifier cannot contain, e.g. a Cyrillic С that looks like C. */
export function firstNonIdentifierCharacter(name: string): string | null {
  return [...name].find((c) => !/[A-Za-z0-9_]/.test(c)) ?? null;
}

export function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** "set", "set and hook", "set, clear and hook". */
export function listed(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}
