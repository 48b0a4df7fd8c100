/**
 * The core as it goes into a QEMU tree (src/gen/qemu-style.ts): QEMU's layout, the same
 * behaviour. Each example's QEMU-style core is compiled and run against all its vectors.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { toQemuStyle } from "../../src/gen/qemu-style.js";
import { buildNative, generateInto, readVectors, removeGenerated, runNative, summary } from "../helpers/native.js";

const DEVICES = ["devices/xche", ...fs.readdirSync("examples").sort().map((name) => path.join("examples", name))];

test("braces every arm, re-indents with spaces, keeps statements", () => {
  const kernel = [
    "// SPDX-License-Identifier: GPL-2.0-only",
    "static int f(int a, int b)",
    "{",
    "\tint i;",
    "",
    "\tfor (i = 0; i < a; i++)",
    "\t\tif (i == b &&",
    "\t\t    a > 2)",
    "\t\t\treturn i;",
    "\t\telse",
    "\t\t\tb++;",
    "\tif (a) {",
    "\t\tb = 1;",
    "\t}",
    "\treturn b;\t/* why */",
    "}",
  ].join("\n");
  expect(toQemuStyle(kernel)).toBe(
    [
      "/* SPDX-License-Identifier: GPL-2.0-only */",
      "static int f(int a, int b)",
      "{",
      "    int i;",
      "",
      "    for (i = 0; i < a; i++) {",
      "        if (i == b &&",
      "            a > 2) {",
      "            return i;",
      "        } else {",
      "            b++;",
      "        }",
      "    }",
      "    if (a) {",
      "        b = 1;",
      "    }",
      "    return b; /* why */",
      "}",
    ].join("\n"),
  );
});

describe.each(DEVICES)("%s in QEMU style", (dir) => {
  test("has no tabs and passes every vector natively", () => {
    const generated = generateInto(dir);
    try {
      for (const file of fs.readdirSync(path.join(generated.dir, "core"))) {
        const full = path.join(generated.dir, "core", file);
        const restyled = toQemuStyle(fs.readFileSync(full, "utf8"));
        expect(restyled).not.toContain("\t");
        fs.writeFileSync(full, restyled);
      }
      const result = runNative(buildNative(generated));
      expect(result.status).toBe(0);
      expect(summary(generated.name, result.stdout)).toEqual({ passed: readVectors(generated).length, failed: 0 });
    } finally {
      removeGenerated(generated);
    }
  });
});
