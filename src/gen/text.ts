/** Free text as generated files print it, shared by the C and Markdown formatters. */

/** Any whitespace but a lone inner space: where `oneLine` has something to change. */
const NOT_ONE_LINE = /[^\S ]| {2}|^ | $/;

/** Free text on one line: each run of whitespace becomes one space, none at either end. */
export function oneLine(text: string): string {
  // Most text already is, and testing allocates nothing where replacing always copies.
  return NOT_ONE_LINE.test(text) ? text.replace(/\s+/g, " ").trim() : text;
}
