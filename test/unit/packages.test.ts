/** ensureStep on a machine without apt: what is missing, named, and nothing run; step needs as data. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { missingEvidence, PACKAGE_EVIDENCE } from "../../src/toolchain/package-evidence.js";
import { ensureStep, unmetNeeds } from "../../src/toolchain/packages.js";
import { needsOf, STEP_NEEDS, STEPS } from "../../src/toolchain/step-needs.js";
import { quietProgress } from "../../src/util/progress.js";

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

test("every package a step needs has evidence to look for without dpkg", () => {
  for (const { package: p } of needsOf(STEPS)) {
    expect({ p, evidence: PACKAGE_EVIDENCE[p] !== undefined }).toEqual({ p, evidence: true });
  }
});

test("what a fresh Debian 12 machine lacked is declared: meson for QEMU 7.2, dwarves and python3 for the modules", () => {
  const names = (step: keyof typeof STEP_NEEDS) => STEP_NEEDS[step].packages.map((n) => n.package);
  expect(names("qemu-7.2")).toContain("meson");
  expect(names("kernel-modules")).toContain("dwarves");
  // Found by the fresh root: with BTF on, 6.12's modules_prepare runs a python3 script.
  expect(names("kernel-modules")).toContain("python3");
  expect(STEP_NEEDS["qemu-10.0"].packages.find((n) => n.package === "meson")).toEqual({ package: "meson", minVersion: "1.5", suite: "bookworm-backports" });
});

test("a minimum version: an older install is unmet, a newer one met, the need with a minimum wins when merged", () => {
  const [meson] = needsOf(["qemu-7.2", "qemu-10.0"]).filter((n) => n.package === "meson");
  expect(meson).toMatchObject({ minVersion: "1.5" });
  const state = (version: string | null) => ({ apt: true, root: true, versions: { meson: version }, evidence: {} });
  expect(unmetNeeds([meson!], state("1.0.1-5"))).toEqual([{ need: meson, found: "1.0.1-5 is older than 1.5" }]);
  expect(unmetNeeds([meson!], state("1.5.1-1~bpo12+1"))).toEqual([]);
  expect(unmetNeeds([meson!], state(null))).toEqual([{ need: meson, found: "not installed" }]);
});

test("without apt, the error names each package and what is missing of it, and runs nothing", async () => {
  pathWith("gcc", "make", "flex", "bc", "perl", "modinfo", "xz", "pahole");
  const log = path.join(bin, "log");
  await expect(ensureStep("kernel-modules", log, quietProgress)).rejects.toMatchObject({
    exitCode: 3,
    diagnostics: [
      {
        // The -dev packages' evidence is a header, which this host may or may not have.
        message: expect.stringMatching(/^building the kvm modules for Debian's image needs what these Debian packages provide: bison \(no bison on PATH\)/),
        hint: expect.stringMatching(/^this machine has no apt-get: install bison\b.* \(Debian's names\) with your distribution's package manager$/),
      },
    ],
  });
  expect(fs.existsSync(log)).toBe(false);
});

test("without apt, a step whose tools are all there goes on", async () => {
  pathWith("xz");
  await expect(ensureStep("fetch-kernel", path.join(bin, "log"), quietProgress)).resolves.toBeUndefined();
});

test("files count as evidence for -dev packages", () => {
  const header = PACKAGE_EVIDENCE["libc6-dev"]!.files!;
  expect(missingEvidence("libc6-dev")).toBe(header.some((f) => fs.existsSync(f)) ? "" : `no ${header.join(" or ")}`);
});

/** A PATH with a dpkg-query that knows nothing and an apt-get whose install fails as apt does. */
function failingApt(): void {
  fs.writeFileSync(path.join(bin, "dpkg-query"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
  const aptGet = [
    "#!/bin/sh",
    'if [ "$1" = update ]; then exit 0; fi',
    'echo "Reading package lists..."',
    'echo "E: Unable to locate package xz-utils" >&2',
    "exit 100",
  ].join("\n");
  fs.writeFileSync(path.join(bin, "apt-get"), `${aptGet}\n`, { mode: 0o755 });
  process.env.PATH = `${bin}:/usr/bin:/bin`;
}

const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot("a package apt cannot install stops the step: the package, apt's own last lines, the log, exit 3", async () => {
  failingApt();
  const log = path.join(bin, "apt.log");
  const failure = await ensureStep("fetch-kernel", log, quietProgress).then(
    () => null,
    (err: { exitCode: number; diagnostics: { message: string; hint: string }[] }) => err,
  );
  expect(failure?.exitCode).toBe(3);
  const [{ message, hint }] = failure!.diagnostics as [{ message: string; hint: string }];
  expect(message).toMatch(/^installing xz-utils \(apt-get install\) failed: `apt-get` exited with code 100/);
  expect(message).toContain(`full log: ${log}`);
  expect(message).toContain("E: Unable to locate package xz-utils");
  expect(hint).toContain("apt could not install xz-utils");
});
