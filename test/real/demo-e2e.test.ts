/**
 * The README's first command, exactly as written, in a fresh clone and a clean temporary
 * HOME (runs with DEVGEN_REAL=1). The trees and builds come from devgen's cache, which the
 * other real tests have filled, so this checks the command and its wiring, not the downloads.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheRoot } from "../../src/util/cache-dir.js";

const real = process.env.DEVGEN_REAL === "1" ? test : test.skip;

/** The first command of the README's quick start. */
function readmeFirstCommand(): string {
  const readme = fs.readFileSync("README.md", "utf8");
  const quickStart = readme.slice(readme.indexOf("## Quick start"));
  const block = /```sh\n([^]*?)```/.exec(quickStart)![1]!;
  return block.split("\n")[0]!.replace(/\s+#.*$/, "");
}

test("the README's quick start is two commands: the demo and the test suite", () => {
  const readme = fs.readFileSync("README.md", "utf8");
  const block = /```sh\n([^]*?)```/.exec(readme.slice(readme.indexOf("## Quick start")))![1]!.trim().split("\n");
  expect(block).toHaveLength(2);
  expect(readmeFirstCommand()).toBe("npm ci && npx devgen demo");
  expect(block[1]).toMatch(/^npm test\b/);
});

real(
  "npm ci && npx devgen demo succeeds from a fresh clone",
  () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-demo-"));
    const home = path.join(work, "home");
    fs.mkdirSync(home);
    execFileSync("git", ["clone", "-q", process.cwd(), path.join(work, "devgen")]);
    const command = readmeFirstCommand();
    const result = spawnSync("bash", ["-c", command], {
      cwd: path.join(work, "devgen"),
      encoding: "utf8",
      env: { ...process.env, HOME: home, DEVGEN_CACHE: cacheRoot(), NODE_OPTIONS: "" },
    });
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(result.stdout).toMatch(/^demo passed in \d+ s$/m);
    expect(result.stdout).toContain("level kvm, kvm (in-kernel xche");
    expect(result.stdout).toContain("level qemu, qemu (emulated xche");
    expect(result.stdout).toContain("level full, qemu -accel kvm -device xche (in-kernel on and off");
    expect(result.stdout).toContain("  ok   in-kernel=on, migrated: the L3 payload ran to its end and passed");
    // Doctor judges packages as the demo's steps do: after a demo that passed, nothing is missing.
    const doctor = spawnSync("bash", ["-c", "npx devgen doctor"], { cwd: path.join(work, "devgen"), encoding: "utf8", env: { ...process.env, HOME: home, DEVGEN_CACHE: cacheRoot() } });
    expect(doctor.stdout).not.toMatch(/^✗/m);
    expect(doctor.status).toBe(0);
    fs.rmSync(work, { recursive: true, force: true });
  },
  30 * 60 * 1000,
);
