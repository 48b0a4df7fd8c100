import { compileDevice } from "../../src/compile/index.js";
import { generateAll } from "../../src/gen/index.js";

test("xche compiles and generates", () => {
  const files = generateAll(compileDevice("devices/xche"));
  expect(files.map((f) => f.path)).toContain("core/xche_core.c");
});
