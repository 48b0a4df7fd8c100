/**
 * `devgen ci --run-cell` for real (DEVGEN_REAL=1): a kvm-level cell of each KVM API (xche's
 * own, VM ioctls, and xche generated with KVM_CREATE_DEVICE, which its file does not say)
 * and a qemu-level cell on the oldest pair (Linux 6.1, QEMU 7.2), through the CLI as a CI
 * job runs them: exit
 * 0, every check passing, the JUnit file and the job-summary table naming the accelerator,
 * and a cache key of the trees the cell used. On a PVM host (this kind of machine) the outer
 * VM must run under TCG. What needs no VM: test/unit/ci-matrix.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TEN_MINUTES, useScratch } from "../helpers/harness.js";

const { tmpDir } = useScratch();
const CLI = path.resolve("dist/src/cli/main.js");
const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;
/** This kind of machine: /dev/kvm backed by kvm_pvm, which refuses a standard guest. */
const PVM_HOST = fs.existsSync("/sys/module/kvm_pvm");

function devgenCi(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, "ci", ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

real("devgen ci --run-cell in real VMs (DEVGEN_REAL=1)", () => {
  test.each([
    ["xche/6.1/7.2/ioctl/kvm", "kvm", "KVM_CHECK_EXTENSION(KVM_CAP_XCHE) gives its flags, 0x1"],
    ["xche/6.1/7.2/device/kvm", "kvm", "KVM_CREATE_DEVICE_TEST of type 128 succeeds"],
    ["xche/6.1/7.2/ioctl/qemu", "qemu", null],
  ])(
    "%s: every check passes; JUnit and the summary say which accelerator; the cache key names the trees",
    (cell, level, apiCheck) => {
      const committed = fs.readFileSync("generated/xche/kvm/xche.c", "utf8");
      const dir = tmpDir("devgen-ci-cell-");
      const junit = path.join(dir, "junit.xml");
      const summary = path.join(dir, "summary.md");
      const run = devgenCi("--run-cell", cell, "--junit", junit, "--summary", summary, "--json");
      expect(run.stderr).not.toContain("error:");
      expect(run.status).toBe(0);
      const result = JSON.parse(run.stdout) as { ok: boolean; results: { level: string; accel: { name: string }; checks: { name: string; ok: boolean }[] }[] };
      expect(result.ok).toBe(true);
      expect(result.results.map((r) => r.level)).toEqual([level]);
      const [levelResult] = result.results;
      expect(levelResult!.checks.filter((c) => !c.ok)).toEqual([]);
      if (apiCheck) expect(levelResult!.checks.map((c) => c.name)).toContain(apiCheck);
      // The device API's xche is made in memory: the committed example keeps its file's API.
      expect(fs.readFileSync("generated/xche/kvm/xche.c", "utf8")).toBe(committed);
      // Level qemu always emulates (TCG); the kvm level's outer VM is probed, and a PVM host refuses KVM.
      if (level === "qemu" || PVM_HOST) expect(levelResult!.accel.name).toBe("tcg");
      expect(fs.readFileSync(junit, "utf8")).toContain(`<property name="accelerator" value="${levelResult!.accel.name}"/>`);
      expect(fs.readFileSync(summary, "utf8")).toMatch(new RegExp(`\\| \`${cell}\` \\| passed \\| .* \\| ${levelResult!.accel.name} \\|`));
      const key = devgenCi("--cache-key", cell);
      expect(key.status).toBe(0);
      expect(key.stdout.trim()).toMatch(/^devgen-linux-6\.1-qemu-7\.2-6\.1\.[^ ]+-[0-9a-f]{16}$/);
    },
    2 * TEN_MINUTES,
  );
});
