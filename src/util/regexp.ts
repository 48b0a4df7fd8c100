/** `text` as a regular expression that matches it literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A pattern that matches exactly `text` as a whole line. */
export function wholeLine(text: string): RegExp {
  return new RegExp(`^${escapeRegExp(text)}$`);
}
