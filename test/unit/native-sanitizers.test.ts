/**
 * The generated cores and their hooks under ASan and UBSan at -O2, as the kernel builds
 * them (issue 14, Tests): the conformance vectors of every device. A sanitizer report
 * fails; a hooks.c that overruns the register array shows that it does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DEVICES, useScratch } from "../helpers/harness.js";
import { buildNative, readVectors, runNative, SANITIZED, SANITIZER_EXIT, SANITIZER_REPORT, summary, type Generated } from "../helpers/native.js";

const { generate } = useScratch();

describe.each(DEVICES)("%s under ASan and UBSan at -O2", (dir) => {
  let out: Generated;
  beforeAll(() => {
    out = generate(dir);
  });

  test("the conformance vectors pass without a sanitizer report", () => {
    const run = runNative(buildNative(out, SANITIZED));
    expect(run.stderr).not.toMatch(SANITIZER_REPORT);
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(summary(out.name, run.stdout)).toEqual({ passed: readVectors(out).length, failed: 0 });
    expect(run.status).toBe(0);
  });
});

describe("the sanitized builds can fail", () => {
  function xcheHooks(out: Generated, from: string, to: string): string {
    const hooks = fs.readFileSync(path.join(out.dir, "core", `${out.name}_hooks.c`), "utf8");
    const broken = hooks.replace(from, to);
    expect(broken).not.toBe(hooks);
    return broken;
  }

  /**
   * -O2 turns on -Warray-bounds, which refuses a constant index past the array. Without it,
   * the index is one the compiler cannot see through, as one computed at run time would
   * be, and the sanitizers must catch the store.
   */
  const unseenByTheCompiler = (hooks: string): string => `#pragma GCC diagnostic ignored "-Warray-bounds"\n${hooks}`;

  test("the conformance runner reports a hook storing just past the register array", () => {
    const out = generate("devices/xche");
    // The runner's core is on its stack, whose redzone holds a store just past the array.
    const hooks = xcheHooks(out, "s->regs[XCHE_REG_DATA_OUT] = out;", "s->regs[XCHE_NR_REGS] = out;");
    const run = runNative(buildNative(out, SANITIZED, unseenByTheCompiler(hooks)));
    expect(run.status).toBe(SANITIZER_EXIT);
    expect(run.stderr).toMatch(/ERROR: AddressSanitizer: stack-buffer-overflow/);
    expect(run.stderr).toMatch(/xche_hook_exchange/);
  });
});
