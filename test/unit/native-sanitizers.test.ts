/**
 * The generated cores and their hooks under ASan and UBSan at -O2, as the kernel builds
 * them (issue 14, Tests): the conformance vectors, and a random-state fuzz of every device
 * whose sampled sequences are replayed on the reference model. A sanitizer report, a state
 * the device cannot be in or a difference from the model fails; a hooks.c that overruns
 * the register array shows that it does.
 *
 * DEVGEN_FUZZ_ITERATIONS (sequences per device) and DEVGEN_FUZZ_SEED make longer or
 * replayed runs; every run prints its seed in a failure.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DEVICES, useScratch } from "../helpers/harness.js";
import { buildFuzz, parseTraces, replayOnModel, runFuzz } from "../helpers/native-fuzz.js";
import { buildNative, readVectors, runNative, SANITIZED, SANITIZER_EXIT, SANITIZER_REPORT, summary, type Generated } from "../helpers/native.js";

const { generate } = useScratch();

/** Sequences of 32 accesses per device by default: about 0.1 s of C under the sanitizers. */
const ITERATIONS = 20000;
/** One sequence in this many is replayed on the reference model, where the time goes. */
const TRACE_EVERY = 16;

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

  test("random states and accesses keep the state valid, and sampled sequences match the model", () => {
    const run = runFuzz(buildFuzz(out), { iterations: ITERATIONS, traceEvery: TRACE_EVERY });
    const failure = run.status !== 0 || SANITIZER_REPORT.test(run.stderr) ? `exit status ${run.status}\n${run.stderr}` : "";
    const traces = parseTraces(run.stdout);
    expect(traces.length).toBeGreaterThan(0);
    const differences = traces.flatMap((trace) => {
      const difference = replayOnModel(out.device, trace);
      return difference ? [`sequence ${trace.sequence}, ${difference}`] : [];
    });
    // The seed shows in the failure: DEVGEN_FUZZ_SEED replays it.
    expect({ seed: run.seed, failure, differences }).toEqual({ seed: run.seed, failure: "", differences: [] });
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
   * xche's hooks storing DATA_OUT by hand, by its byte offset (0x14) instead of its index: 11
   * past the 9 registers. (devgen check refuses this spelling; the sanitizers catch any other.)
   */
  const byOffset = (out: Generated): string =>
    xcheHooks(out, "xche_set_data_out(s, out);", "s->regs[XCHE_DATA_OUT] = out;");

  /**
   * -O2 turns on -Warray-bounds, which refuses a constant index past the array (the first
   * test). Without it, the index is one the compiler cannot see through, as one computed at
   * run time would be, and the sanitizers must catch the store.
   */
  const unseenByTheCompiler = (hooks: string): string => `#pragma GCC diagnostic ignored "-Warray-bounds"\n${hooks}`;

  test("at -O2 the compiler refuses a constant index past the register array", () => {
    const out = generate("devices/xche");
    expect(() => buildFuzz(out, byOffset(out))).toThrow(/array subscript 20 is above array bounds of .u64\[9\]./);
  });

  test("the conformance runner reports a hook storing just past the register array", () => {
    const out = generate("devices/xche");
    // The runner's core is on its stack, whose redzone holds a store just past the array
    // but not byOffset's, 88 bytes further: that one only fails the vectors there.
    const hooks = xcheHooks(out, "xche_set_data_out(s, out);", "s->regs[XCHE_NR_REGS] = out;");
    const run = runNative(buildNative(out, SANITIZED, unseenByTheCompiler(hooks)));
    expect(run.status).toBe(SANITIZER_EXIT);
    expect(run.stderr).toMatch(/ERROR: AddressSanitizer: stack-buffer-overflow/);
    expect(run.stderr).toMatch(/xche_hook_exchange/);
  });

  test("the fuzz reports a hook writing far past the register array as a heap-buffer-overflow", () => {
    const out = generate("devices/xche");
    const run = runFuzz(buildFuzz(out, unseenByTheCompiler(byOffset(out))), { iterations: ITERATIONS });
    expect(run.status).toBe(SANITIZER_EXIT);
    expect(run.stderr).toMatch(/ERROR: AddressSanitizer: heap-buffer-overflow/);
    expect(run.stderr).toMatch(/xche_hook_exchange/);
    // The sequence that did it, to replay.
    expect(run.stderr).toMatch(/^xche: seed 0x[0-9a-f]+ sequence \d+, from the state$/m);
    expect(run.stderr).toMatch(/^ {2}write offset 0x[0-9a-f]+ size \d value 0x[0-9a-f]+ \(did not return\)$/m);
  });

  test("the fuzz reports a hook storing bits its register cannot hold", () => {
    const out = generate("devices/xche");
    // COUNT is 8 bits wide; its setter would truncate, so the store goes around it.
    const hooks = xcheHooks(out, "xche_set_count(s, 0);", "s->regs[XCHE_REG_COUNT] = 0x100;");
    const run = runFuzz(buildFuzz(out, hooks), { iterations: ITERATIONS });
    expect(run.status).toBe(1);
    expect(run.stderr).not.toMatch(SANITIZER_REPORT);
    expect(run.stderr).toMatch(/^FAIL an access left a state the device cannot be in$/m);
    expect(run.stderr).toMatch(/^ {2}then COUNT = 0x100: may hold 0xff, fixed 0x0 at 0x0$/m);
  });

  test("a core that differs from the model is caught by the replay", () => {
    const out = generate("devices/xche");
    const core = path.join(out.dir, `core/${out.name}_core.c`);
    const text = fs.readFileSync(core, "utf8");
    // INT_STATUS forgets that REJECTED is write-1-to-clear.
    const broken = text.replace(/(\[XCHE_REG_INT_STATUS\] = \{[^}]*?\.w1c = )0x3ULL/, "$10x1ULL");
    expect(broken).not.toBe(text);
    fs.writeFileSync(core, broken);
    const run = runFuzz(buildFuzz(out), { iterations: ITERATIONS, traceEvery: TRACE_EVERY });
    expect(run.status).toBe(0);
    const differences = parseTraces(run.stdout).filter((trace) => replayOnModel(out.device, trace) !== null);
    expect(differences.length).toBeGreaterThan(0);
  });
});
