/**
 * Just enough of the source map format (v3 "mappings") to turn a position in transpiled
 * JavaScript back into the device file's line and column when evaluation throws.
 */

/** [generatedColumn, originalLine, originalColumn], per generated line, all zero-based. */
export type Mappings = [number, number, number][][];

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

export function decodeMappings(mappings: string): Mappings {
  let sourceLine = 0;
  let sourceColumn = 0;
  return mappings.split(";").map((line) => {
    let generatedColumn = 0;
    const segments: [number, number, number][] = [];
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const fields = decodeVlq(segment);
      generatedColumn += fields[0] ?? 0;
      if (fields.length >= 4) {
        sourceLine += fields[2] ?? 0;
        sourceColumn += fields[3] ?? 0;
        segments.push([generatedColumn, sourceLine, sourceColumn]);
      }
    }
    return segments;
  });
}

export function originalPosition(
  mappings: Mappings,
  line: number,
  column: number,
): { line: number; column: number } | null {
  const segments = mappings[line];
  if (!segments?.length) return null;
  let best = segments[0]!;
  for (const segment of segments) {
    if (segment[0] > column) break;
    best = segment;
  }
  return { line: best[1], column: best[2] };
}
