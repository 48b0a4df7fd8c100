/**
 * The string building that keeps large devices fast (src/gen/join.ts, src/gen/text.ts and
 * the `{{#each}}` of src/gen/render.ts) must print exactly what the plain forms print, at
 * every list length around the chunk size and with lazily made views.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Handlebars from "handlebars";
import { joinMapped } from "../../src/gen/join.js";
import { LazyViews, TEMPLATES_DIR, render } from "../../src/gen/render.js";
import { oneLine } from "../../src/gen/text.js";

const LENGTHS = [0, 1, 2, 63, 64, 65, 127, 128, 129, 300];

test.each(LENGTHS)("joinMapped of %i items equals map + join", (length) => {
  const items = Array.from({ length }, (_, i) => i);
  for (const separator of ["", ",\n"]) {
    expect(joinMapped(items, (n, i) => `item ${n} at ${i}`, separator)).toBe(items.map((n, i) => `item ${n} at ${i}`).join(separator));
  }
});

test.each([
  ["", ""],
  ["plain", "plain"],
  ["one space", "one space"],
  ["two  spaces", "two spaces"],
  [" leading", "leading"],
  ["trailing ", "trailing"],
  ["tab\there", "tab here"],
  ["line\nbreak", "line break"],
  ["no\u00a0break space", "no break space"],
  ["\t mixed \n\n runs \r\n", "mixed runs"],
])("oneLine(%j) is %j", (text, expected) => {
  expect(oneLine(text)).toBe(expected);
  expect(oneLine(text)).toBe(text.replace(/\s+/g, " ").trim());
});

describe("{{#each}} prints what Handlebars' own helper prints", () => {
  // The register map partial: a list of strings, and a list of blocks each holding a list.
  const source = fs.readFileSync(path.join(TEMPLATES_DIR, "partials/regmap.hbs"), "utf8");
  const stock = Handlebars.create().compile(source, { strict: true, noEscape: true, preventIndent: true });
  const block = (n: number) => ({ comment: `/* R${n} */`, defines: Array.from({ length: n % 4 }, (_, i) => `#define R${n}_${i}`) });

  test.each(LENGTHS)("over %i blocks, as an array and as lazy views", (length) => {
    const numbers = Array.from({ length }, (_, i) => i);
    const expected = stock({ deviceDefines: ["#define A", "#define B"], regmap: numbers.map(block) });
    expect(render("partials/regmap.hbs", { deviceDefines: ["#define A", "#define B"], regmap: numbers.map(block) })).toBe(expected);
    expect(render("partials/regmap.hbs", { deviceDefines: ["#define A", "#define B"], regmap: new LazyViews(numbers, block) })).toBe(expected);
  });
});
