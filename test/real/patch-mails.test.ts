/**
 * The mails `devgen build --emit-patch --signoff` writes, put through each supported
 * tree's own checkpatch.pl (DEVGEN_REAL=1): every example device in one series. The
 * kernel's, with --strict, finds nothing. QEMU's first mail (linux-headers/ alone, as its
 * checkpatch requires) draws at most the one warning every header change draws (from
 * 10.0), the second nothing.
 * Nothing is built and no tree is written: the mails are made from the pristine text.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "@jest/globals";
import { compileDevice } from "../../src/compile/index.js";
import { kernelMail, qemuMail } from "../../src/integrate/device-mails.js";
import { integrateKernel } from "../../src/integrate/kernel-tree.js";
import { integrateQemu } from "../../src/integrate/qemu-tree.js";
import { fetchKernel, KERNEL_SERIES } from "../../src/toolchain/kernel-fetch.js";
import { fetchQemu, QEMU_SERIES } from "../../src/toolchain/qemu-fetch.js";
import { quietProgress } from "../../src/util/progress.js";
import { DEVICES, TEN_MINUTES } from "../helpers/harness.js";

/** What QEMU's checkpatch says of any change to linux-headers/ not made by its script. */
const HEADER_WARNING = "WARNING: added, moved or deleted file(s) imported from Linux, are you using scripts/update-linux-headers.sh?";

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;

const devices = DEVICES.map((dir) => compileDevice(dir));
const META = { author: "Ada Lovelace <ada@example.org>", signoff: true, date: new Date("2026-12-01T00:00:00Z") };
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-mails-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The tree's checkpatch.pl on one mail: its findings, one per line, and its total. */
function checkpatch(tree: string, mail: string, args: string[]): { findings: string[]; total: string } {
  const file = path.join(scratch, `mail-${Math.random().toString(36).slice(2)}.patch`);
  fs.writeFileSync(file, mail);
  const run = spawnSync("perl", ["scripts/checkpatch.pl", ...args, file], { cwd: tree, encoding: "utf8" });
  const lines = `${run.stdout}${run.stderr}`.split("\n");
  return { findings: lines.filter((l) => /^(ERROR|WARNING|CHECK):/.test(l)), total: lines.find((l) => l.startsWith("total:")) ?? `no total (exit ${run.status})` };
}

real("patch mails through each tree's checkpatch.pl (DEVGEN_REAL=1)", () => {
  test.each([...KERNEL_SERIES])(
    "Linux %s: --strict finds nothing in kernel.patch",
    async (series) => {
      const tree = (await fetchKernel({ version: series, progress: quietProgress })).srcDir;
      const { edits } = integrateKernel(tree, devices);
      const mail = kernelMail(tree, devices, (c) => edits.get(c.device.name)!, META);
      expect(mail).toContain("Signed-off-by: Ada Lovelace <ada@example.org>\n");
      expect(mail).toMatch(/^ MAINTAINERS +\|/m);
      const result = checkpatch(tree, mail, ["--strict"]);
      expect(result.findings).toEqual([]);
      expect(result.total).toMatch(/^total: 0 errors, 0 warnings, 0 checks, \d+ lines checked$/);
    },
    TEN_MINUTES,
  );

  test.each([...QEMU_SERIES])(
    "QEMU %s: the linux-headers mail draws only the header warning, the device's nothing",
    async (series) => {
      const tree = (await fetchQemu({ version: series, progress: quietProgress })).srcDir;
      const { edits } = integrateQemu(tree, devices);
      const mails = qemuMail(tree, devices, (c) => edits.get(c.device.name)!, META).split(/^(?=From 0{40} )/m);
      expect(mails.map((m) => /^Subject: (\[PATCH \d\/\d\] \S+)/m.exec(m)?.[1])).toEqual(["[PATCH 1/2] linux-headers:", "[PATCH 2/2] hw/misc:"]);
      // QEMU 7.2's checkpatch does not know linux-headers/ yet and finds nothing.
      const headers = checkpatch(tree, mails[0]!, []);
      expect(headers.findings.filter((f) => f !== HEADER_WARNING)).toEqual([]);
      expect(headers.total).toMatch(/^total: 0 errors, [01] warnings, \d+ lines checked$/);
      const device = checkpatch(tree, mails[1]!, []);
      expect(device.findings).toEqual([]);
      expect(device.total).toMatch(/^total: 0 errors, 0 warnings, \d+ lines checked$/);
    },
    TEN_MINUTES,
  );
});
