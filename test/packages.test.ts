/** ensurePackages on a machine without apt: what is missing, named, and nothing run. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { missingEvidence, PACKAGE_EVIDENCE } from "../src/build/package-evidence.js";
import { ensurePackages, KERNEL_BUILD_PACKAGES } from "../src/build/packages.js";
import { QEMU_BASE_PACKAGES } from "../src/build/qemu.js";
import { HARNESS_PACKAGES } from "../src/harness/kvm-level.js";
import { QEMU_LEVEL_PACKAGES } from "../src/harness/qemu-level.js";
import { quietProgress } from "../src/util/progress.js";

let bin: string;
const savedPath = process.env.PATH;
beforeEach(() => {
  bin = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-noapt-"));
});
afterEach(() => {
  process.env.PATH = savedPath;
  fs.rmSync(bin, { recursive: true, force: true });
});

/** A PATH holding only these commands (empty scripts): no apt-get, no dpkg-query. */
function pathWith(...commands: string[]): void {
  for (const c of commands) fs.writeFileSync(path.join(bin, c), "#!/bin/sh\n", { mode: 0o755 });
  process.env.PATH = bin;
}

test("every package devgen asks for has evidence to look for without dpkg", () => {
  for (const p of [...KERNEL_BUILD_PACKAGES, ...QEMU_BASE_PACKAGES, ...HARNESS_PACKAGES, ...QEMU_LEVEL_PACKAGES]) {
    expect({ p, evidence: PACKAGE_EVIDENCE[p] !== undefined }).toEqual({ p, evidence: true });
  }
});

test("without apt, the error names each package and what is missing of it, and runs nothing", async () => {
  pathWith("gcc", "flex");
  const log = path.join(bin, "log");
  await expect(ensurePackages(["gcc", "make", "flex", "bison"], "building the kernel", log, quietProgress)).rejects.toMatchObject({
    exitCode: 3,
    diagnostics: [
      {
        message: "building the kernel needs what these Debian packages provide: make (no make on PATH), bison (no bison on PATH)",
        hint: "this machine has no apt-get: install their equivalents with its package manager (make bison)",
      },
    ],
  });
  expect(fs.existsSync(log)).toBe(false);
});

test("without apt, a step whose tools are all there goes on", async () => {
  pathWith("gcc", "make");
  await expect(ensurePackages(["gcc", "make"], "building", path.join(bin, "log"), quietProgress)).resolves.toBeUndefined();
});

test("files count as evidence for -dev packages", () => {
  const header = PACKAGE_EVIDENCE["libc6-dev"]!.files!;
  expect(missingEvidence("libc6-dev")).toBe(header.some((f) => fs.existsSync(f)) ? "" : `no ${header.join(" or ")}`);
});
