/**
 * Joining thousands of generated strings. V8 keeps a string built by `+` or a template
 * literal as a tree of its parts until something reads it flat; held until one final
 * `join`, the lines of a 10,000-register device are millions of small objects that every
 * garbage collection in the meantime has to move.
 */

/** Lines made, then joined into one flat string, this many at a time. */
const PIECES_PER_JOIN = 64;

/**
 * `items.map(toText).join(separator)`, holding at most a few dozen unjoined pieces at a time:
 * each piece's tree dies young, and the result is a handful of flat strings.
 */
export function joinMapped<T>(items: readonly T[], toText: (item: T, index: number) => string, separator = ""): string {
  let text = "";
  if (items.length <= PIECES_PER_JOIN) {
    // A short list's text usually goes into a longer one's piece (a register's fields into
    // its section), which is joined flat in turn: copying it flat now would copy it twice.
    for (let i = 0; i < items.length; i++) text += (i ? separator : "") + toText(items[i]!, i);
    return text;
  }
  let pieces: string[] = [];
  for (let i = 0; i < items.length; i++) {
    pieces.push(toText(items[i]!, i));
    if (pieces.length === PIECES_PER_JOIN && i < items.length - 1) {
      text += pieces.join(separator) + separator;
      pieces = [];
    }
  }
  return text + pieces.join(separator);
}
