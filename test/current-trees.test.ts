/**
 * The oldest and the newest pair of trees devgen supports, end to end: every example device
 * patched into Debian's kernel and QEMU, built, and passing levels kvm, qemu and full; level
 * fuzz on the newest kernel. Linux 7.3's stock image was built by a compiler Debian 12 lacks,
 * so devgen builds that kernel whole (--full) and boots it. Runs with DEVGEN_REAL=1.
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

function testInVm(...args: string[]): { ok: boolean; results: LevelResult[] } {
  const run = spawnSync(process.execPath, [CLI, "test-in-vm", ...DEVICES, "--json", ...args], {
    encoding: "utf8",
    env: { ...process.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`devgen test-in-vm ${args.join(" ")} exited ${run.status}:\n${run.stdout.slice(-20_000)}\n${run.stderr.slice(-20_000)}`);
  return JSON.parse(run.stdout);
}

/** Every device ran at every level asked for, and every check passed (failures named with their console log). */
function expectAllPassed(results: LevelResult[], levels: string[]): void {
  const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.level} ${r.implementation}: ${c.name} (${r.consoleLog})`));
  expect(failed).toEqual([]);
  for (const level of levels) {
    const ran = results.filter((r) => r.level === level);
    expect(ran).toHaveLength(NAMES.length);
    for (const name of NAMES) expect(ran.some((r) => r.implementation.includes(name))).toBe(true);
    for (const r of ran) expect(r.checks.length).toBeGreaterThan(0);
  }
}

real("the newest pair: Linux 7.3 (built whole) and QEMU 10.2", () => {
  test(
    "levels kvm, qemu and full pass for every example device",
    () => {
      const { ok, results } = testInVm("--level", "all", "--kernel", "7.3", "--qemu", "10.2");
      expectAllPassed(results, ["kvm", "qemu", "full"]);
      // The VMs ran Linux 7.3, built here: Debian's image needs gcc 14.
      expect(results.filter((r) => r.level === "kvm").every((r) => /7\.3\.\d+/.test(r.implementation))).toBe(true);
      expect(ok).toBe(true);
    },
    2 * HOUR,
  );

  test(
    "level fuzz (30 s a device) finds nothing on Linux 7.3",
    () => {
      const { ok, results } = testInVm("--level", "fuzz", "--seconds", "30", "--kernel", "7.3", "--qemu", "10.2");
      expectAllPassed(results, ["fuzz"]);
      expect(ok).toBe(true);
    },
    HOUR,
  );
});

real("the oldest pair: Linux 6.1 (modules for Debian's image) and QEMU 7.2", () => {
  test(
    "levels kvm, qemu and full pass for every example device",
    () => {
      const { ok, results } = testInVm("--level", "all", "--kernel", "6.1", "--qemu", "7.2");
      expectAllPassed(results, ["kvm", "qemu", "full"]);
      expect(ok).toBe(true);
    },
    2 * HOUR,
  );
});
