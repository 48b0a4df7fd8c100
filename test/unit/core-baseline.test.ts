/**
 * xche's register core written by hand (bench/baseline/, issue 17) is a drop-in for the
 * generated one: built against the generated core's header in its place, it passes every
 * conformance vector, plain and under ASan and UBSan, and its random-state fuzz (sizes 1
 * to 8, any offset, states KVM_SET_STATE may load) replays on the reference model. A
 * baseline with one register wrong fails both, so the bench's generated/baseline ratio
 * compares two cores that do the same thing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { useScratch } from "../helpers/harness.js";
import { linkFuzz, parseTraces, replayOnModel, runFuzz } from "../helpers/native-fuzz.js";
import {
  compileBaseline,
  linkRunner,
  PLAIN,
  readVectors,
  runNative,
  SANITIZED,
  SANITIZER_REPORT,
  summary,
  XCHE_BASELINE,
  type Generated,
  type NativeBuild,
} from "../helpers/native.js";

const { generate } = useScratch();

/** As test/unit/native-sanitizers.test.ts runs the generated cores: about 0.1 s of C. */
const ITERATIONS = 20000;
const TRACE_EVERY = 16;

let out: Generated;
beforeAll(() => {
  out = generate("devices/xche");
});

function runVectors(build: NativeBuild, source?: string) {
  return runNative(linkRunner(out, build, compileBaseline(out, build, source), `xche_baseline${build.tag}`));
}

/** The fuzz's failure and the sampled sequences the model replays otherwise, with the seed that replays them. */
function fuzz(source?: string) {
  const program = linkFuzz(out, compileBaseline(out, SANITIZED, source), "xche_baseline_fuzz");
  const run = runFuzz(program, { iterations: ITERATIONS, traceEvery: TRACE_EVERY });
  const failure = run.status !== 0 || SANITIZER_REPORT.test(run.stderr) ? `exit status ${run.status}\n${run.stderr}` : "";
  const traces = parseTraces(run.stdout);
  const differences = traces.flatMap((trace) => {
    const difference = replayOnModel(out.device, trace);
    return difference ? [`sequence ${trace.sequence}, ${difference}`] : [];
  });
  return { seed: run.seed, traces: traces.length, failure, differences };
}

test.each([
  ["plain", PLAIN],
  ["under ASan and UBSan at -O2", SANITIZED],
])("the baseline passes every conformance vector, %s", (_name, build) => {
  const run = runVectors(build);
  expect(run.stderr).not.toMatch(SANITIZER_REPORT);
  expect(run.stdout).not.toMatch(/^FAIL/m);
  expect(summary(out.name, run.stdout)).toEqual({ passed: readVectors(out).length, failed: 0 });
  expect(run.status).toBe(0);
});

test("random states and accesses keep the baseline's state valid and match the model", () => {
  const result = fuzz();
  expect(result.traces).toBeGreaterThan(0);
  // The seed shows in the failure: DEVGEN_FUZZ_SEED replays it.
  expect(result).toMatchObject({ failure: "", differences: [] });
});

describe("a baseline with one register wrong is caught", () => {
  /** INT_STATUS forgets that REJECTED is write-1-to-clear, as native.test.ts breaks the generated core. */
  function brokenBaseline(): string {
    const text = fs.readFileSync(XCHE_BASELINE, "utf8");
    const broken = text.replace(
      "s->regs[XCHE_REG_INT_STATUS] &= ~(val & XCHE_INT_CAUSES);",
      "s->regs[XCHE_REG_INT_STATUS] &= ~(val & XCHE_INT_STATUS_DONE);",
    );
    expect(broken).not.toBe(text);
    const source = path.join(out.dir, "core", "xche_core_baseline_broken.c");
    fs.writeFileSync(source, broken);
    return source;
  }

  test("by the conformance vectors", () => {
    const run = runVectors(PLAIN, brokenBaseline());
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/^FAIL vector \d+: read offset 0x8 /m);
    expect(summary(out.name, run.stdout)?.failed).toBeGreaterThan(0);
  });

  test("by the fuzz's replay on the model", () => {
    const result = fuzz(brokenBaseline());
    expect(result.failure).toBe("");
    expect(result.differences.length).toBeGreaterThan(0);
  });
});
