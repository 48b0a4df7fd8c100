/**
 * What the VM harness tests share: the devices they run on, and the generated trees and
 * scratch directories they make, removed after the test file.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateInto, removeGenerated, type Generated } from "./native.js";

export const EXAMPLES = fs
  .readdirSync("examples")
  .filter((entry) => fs.existsSync(path.join("examples", entry, "device.ts")))
  .sort()
  .map((entry) => path.join("examples", entry));
export const DEVICES = ["devices/xche", ...EXAMPLES];
export const TEN_MINUTES = 10 * 60 * 1000;

/** Call at the top of a test file: `tmpDir` and `generate` clean up after its tests. */
export function useScratch(): { tmpDir: (prefix: string) => string; generate: (dir: string) => Generated } {
  const generated: Generated[] = [];
  const scratch: string[] = [];
  afterAll(() => {
    generated.forEach(removeGenerated);
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    tmpDir(prefix) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      scratch.push(dir);
      return dir;
    },
    generate(dir) {
      const out = generateInto(dir);
      generated.push(out);
      return out;
    },
  };
}
