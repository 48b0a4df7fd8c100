/**
 * One benchmark sample in a fresh process, so peak memory is this run's alone:
 * load + validate + generate a synthetic device, print JSON timings. The device file's
 * type-check is cached in `$DEVGEN_CACHE` (run.ts gives each cold sample an empty one).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { generateAll } from "../src/gen/index.js";
import { compileDevice } from "../src/compile/index.js";
import { syntheticDevice } from "./synthetic.js";

const count = Number(process.argv[2]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-bench-"));
fs.writeFileSync(path.join(dir, "device.ts"), syntheticDevice(count));
try {
  const start = performance.now();
  const compiled = compileDevice(dir);
  const validated = performance.now();
  const files = generateAll(compiled);
  const generated = performance.now();
  process.stdout.write(
    `${JSON.stringify({
      registers: compiled.device.registers.length,
      loadValidateMs: validated - start,
      generateMs: generated - validated,
      totalMs: generated - start,
      outputBytes: files.reduce((n, f) => n + f.contents.length, 0),
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
