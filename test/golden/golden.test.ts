/**
 * Golden: regenerating every committed example is byte-identical to generated/, and the
 * scaffold of `devgen new xche` is exactly devices/xche.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { generateAll } from "../../src/gen/index.js";
import { compileDevice } from "../../src/compile/index.js";
import { scaffoldFiles } from "../../src/pipeline/new.js";

const EXAMPLES = [
  "devices/xche",
  ...fs.readdirSync("examples").sort().map((name) => path.join("examples", name)),
];

function listFiles(dir: string, prefix = ""): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

describe.each(EXAMPLES)("%s", (dir) => {
  const compiled = compileDevice(dir);
  const files = generateAll(compiled);
  const committed = path.join("generated", compiled.device.name);

  test("regenerates the committed file list", () => {
    expect(fs.existsSync(committed)).toBe(true);
    expect(files.map((f) => f.path)).toEqual(listFiles(committed).sort());
  });

  test.each(files.map((f) => [f.path, f] as const))("%s is byte-identical", (_path, file) => {
    expect(file.contents).toBe(fs.readFileSync(path.join(committed, file.path), "utf8"));
  });

  test("generation is deterministic", () => {
    expect(generateAll(compileDevice(dir))).toEqual(files);
  });
});

test("devgen new xche scaffolds exactly devices/xche", () => {
  for (const file of scaffoldFiles("xche")) {
    expect(file.contents).toBe(fs.readFileSync(path.join("devices/xche", file.path), "utf8"));
  }
});
