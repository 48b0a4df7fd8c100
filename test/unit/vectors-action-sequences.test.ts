/**
 * The action-sequence vectors (src/reference/vectors-action-sequences.ts) catch what the
 * per-register phases let through: each hooks.c below passed every vector before them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildNative, generateInto, removeGenerated, runNative, summary, type Generated } from "../helpers/native.js";

const outs = new Map<string, Generated>();
afterAll(() => outs.forEach(removeGenerated));

test.each([
  ["devices/xche", "COUNT saturates one exchange early", "if (xche_get_count(s) < 0xff)", "if (xche_get_count(s) < 0xfe)"],
  ["devices/xche", "a soft reset leaves COUNT", "\txche_set_count(s, 0);\n", ""],
  [
    "examples/hpet_timer",
    "the comparators arm while CONFIG.ENABLE is clear",
    "hpet_timer_get_config(s) & HPET_TIMER_CONFIG_ENABLE",
    "hpet_timer_get_config(s) | HPET_TIMER_CONFIG_ENABLE",
  ],
])("%s: a hooks.c where %s fails the vectors", (dir, _what, original, mutated) => {
  const hooks = fs.readFileSync(path.join(dir, "hooks.c"), "utf8");
  expect(hooks).toContain(original);
  if (!outs.has(dir)) outs.set(dir, generateInto(dir));
  const out = outs.get(dir)!;
  const run = runNative(buildNative(out, undefined, hooks.replace(original, mutated)));
  expect(run.status).toBe(1);
  expect(summary(out.name, run.stdout)?.failed).toBeGreaterThan(0);
});
