/**
 * The action-sequence vectors (src/reference/vectors-action-sequences.ts) catch what the
 * per-register phases let through: xche's hooks.c with its COUNT saturating one step early,
 * or with a soft reset that forgets COUNT, passed every vector before them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildNative, generateInto, removeGenerated, runNative, summary, type Generated } from "../helpers/native.js";

let out: Generated;
beforeAll(() => {
  out = generateInto("devices/xche");
});
afterAll(() => removeGenerated(out));

const hooks = () => fs.readFileSync(path.join("devices/xche/hooks.c"), "utf8");

test.each([
  ["COUNT saturates one exchange early", "if (xche_get_count(s) < 0xff)", "if (xche_get_count(s) < 0xfe)"],
  ["a soft reset leaves COUNT", "\txche_set_count(s, 0);\n", ""],
])("a hooks.c where %s fails the vectors", (_what, original, mutated) => {
  expect(hooks()).toContain(original);
  const run = runNative(buildNative(out, undefined, hooks().replace(original, mutated)));
  expect(run.status).toBe(1);
  expect(summary(out.name, run.stdout)?.failed).toBeGreaterThan(0);
});
