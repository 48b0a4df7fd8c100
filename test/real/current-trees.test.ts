/**
 * The oldest and the newest pair of trees devgen supports, end to end. Linux 7.3's stock image
 * was built by a compiler Debian 12 lacks, so devgen builds that kernel whole (--full) and
 * boots it.
 *
 * Each level takes 5 to 20 s a device here; the builds are what cost (7.3's kernel about 8
 * minutes cold, QEMU 10.2 about 5), and the demo and the harness tests share them.
 * DEVGEN_REAL_MATRIX=1 adds the pairs between (7.2 with the newest QEMU, 6.12 with 10.0).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;

const CLI = path.resolve("dist/src/cli/main.js");
const DEVICES = ["devices/xche", "examples/dma_engine", "examples/hpet_timer", "examples/uart16550"];
const NAMES = DEVICES.map((d) => path.basename(d));
const HOUR = 60 * 60 * 1000;

interface Check {
  name: string;
  ok: boolean;
}
interface LevelResult {
  level: string;
  implementation: string;
  ok: boolean;
  checks: Check[];
  consoleLog: string;
}

function testInVm(devices: string[], ...args: string[]): { ok: boolean; results: LevelResult[] } {
  const run = spawnSync(process.execPath, [CLI, "test-in-vm", ...devices, "--json", ...args], {
    encoding: "utf8",
    env: { ...process.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`devgen test-in-vm ${args.join(" ")} exited ${run.status}:\n${run.stdout.slice(-20_000)}\n${run.stderr.slice(-20_000)}`);
  return JSON.parse(run.stdout);
}

/** Every device ran at every level asked for, and every check passed (failures named with their console log). */
function expectAllPassed(results: LevelResult[], levels: string[], names: string[]): void {
  const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.level} ${r.implementation}: ${c.name} (${r.consoleLog})`));
  expect(failed).toEqual([]);
  for (const level of levels) {
    const ran = results.filter((r) => r.level === level);
    expect(ran).toHaveLength(names.length);
    for (const name of names) expect(ran.some((r) => r.implementation.includes(name))).toBe(true);
    for (const r of ran) expect(r.checks.length).toBeGreaterThan(0);
  }
}

real.each([
  ["7.3", "10.2"],
  ["6.1", "7.2"],
])("Linux %s and QEMU %s, every example (DEVGEN_REAL=1)", (kernel, qemu) => {
  test(
    "levels kvm, qemu and full pass",
    () => {
      const { ok, results } = testInVm(DEVICES, "--level", "all", "--kernel", kernel, "--qemu", qemu);
      expectAllPassed(results, ["kvm", "qemu", "full"], NAMES);
      expect(results.filter((r) => r.level !== "qemu").every((r) => r.implementation.includes(kernel))).toBe(true);
      expect(ok).toBe(true);
    },
    2 * HOUR,
  );
});

real("Linux 7.3, every example (DEVGEN_REAL=1)", () => {
  test(
    "level fuzz (30 s a device) finds nothing",
    () => {
      const { ok, results } = testInVm(DEVICES, "--level", "fuzz", "--seconds", "30", "--kernel", "7.3", "--qemu", "10.2");
      expectAllPassed(results, ["fuzz"], NAMES);
      expect(ok).toBe(true);
    },
    HOUR,
  );
});

/** The pairs between: an opt-in run, since building 7.2's whole kernel costs CI another 8 minutes. */
const between = process.env.DEVGEN_REAL_MATRIX === "1" ? describe : describe.skip;

between.each([
  ["7.2", "newest"],
  ["6.12", "10.0"],
])("Linux %s and QEMU %s, every example (DEVGEN_REAL_MATRIX=1)", (kernel, qemu) => {
  test(
    "levels kvm and qemu pass",
    () => {
      const { ok, results } = testInVm(DEVICES, "--level", "kvm", "--level", "qemu", "--kernel", kernel, "--qemu", qemu);
      expectAllPassed(results, ["kvm", "qemu"], NAMES);
      expect(results.filter((r) => r.level === "kvm").every((r) => r.implementation.includes(kernel))).toBe(true);
      expect(ok).toBe(true);
    },
    2 * HOUR,
  );
});
