/**
 * The QEMU tree integration on Debian's real trees: QEMU 7.2 and 10.0 with DEVGEN_REAL=1
 * (~7 and ~4 min cold builds on 2 cores); DEVGEN_REAL_QEMU=7.2 (or =1) only 7.2,
 * DEVGEN_REAL_QEMU=7.2,10.0 the releases listed. Each is fetched, patched with devices/xche,
 * built, the device listed by `-device help`, QEMU's checkpatch clean, a one-register change
 * rebuilt, and the tree restored byte for byte. On a small fake tree:
 * test/unit/qemu-tree.test.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildQemu } from "../../src/toolchain/qemu-build.js";
import { fetchQemu, type QemuSeries } from "../../src/toolchain/qemu-fetch.js";
import { DEFAULT_TARGETS, generateAll } from "../../src/gen/index.js";
import { qemuEdits } from "../../src/integrate/qemu-edits.js";
import { detectQemuTarget, integrateQemu } from "../../src/integrate/qemu-tree.js";
import { applyPlan, planPatch, planUnpatch } from "../../src/integrate/patch.js";
import { createProgress } from "../../src/util/progress.js";
import { compileDevice } from "../../src/compile/index.js";
import { treeHash } from "../helpers/tree-hash.js";

const compiled = compileDevice("devices/xche");

function patch(tree: string): void {
  applyPlan(planPatch(tree, "xche", integrateQemu(tree, [compiled]).edits.get("xche")!));
}

const realSeries = ((): QemuSeries[] => {
  const value = process.env.DEVGEN_REAL_QEMU ?? (process.env.DEVGEN_REAL === "1" ? "7.2,10.0" : "");
  if (!value || value === "0") return [];
  return (value === "1" ? ["7.2"] : value.split(",").map((v) => v.trim())) as QemuSeries[];
})();
const real = realSeries.length ? describe.each(realSeries) : describe.skip.each(["7.2"] as QemuSeries[]);

real("Debian's QEMU %s, patched and built for real", (series) => {
  test("fetch, patch, build, -device help, checkpatch, register change, unpatch", async () => {
    const progress = createProgress({ mode: "plain" });
    const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

    const tree = await fetchQemu({ version: series, progress });
    const src = tree.srcDir;
    // Start from the tree as fetched (a previous run may have left the device in).
    applyPlan(planUnpatch(src, "xche"));
    const pristine = treeHash(src);

    const target = detectQemuTarget(src);
    expect(target.version.startsWith(`${series}.`)).toBe(true);
    patch(src);
    const built = await buildQemu({ srcDir: src, target, progress });
    progress.info(`QEMU ${series} build: ${seconds(built.durationMs)} (configure ran: ${built.configured}, ${built.steps} steps)`);

    const help = execFileSync(built.binary, ["-device", "help"], { encoding: "utf8" });
    expect(help).toMatch(/name "xche", bus PCI/);

    // Every file devgen adds to hw/misc: the glue and the core in QEMU's layout.
    for (const file of ["xche.c", "xche_core.c", "xche_core.h", "xche_hooks.c", "xche_types.h"]) {
      const checkpatch = spawnSync("perl", ["scripts/checkpatch.pl", "--no-signoff", "-f", `hw/misc/${file}`], { cwd: src, encoding: "utf8" });
      expect(`${file}: ${checkpatch.stdout}${checkpatch.stderr}`).toMatch(new RegExp(`^${file}: [^]*total: 0 errors`));
    }

    // A one-register change in a copy of devices/xche: only the device's files rebuild.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-xche-"));
    fs.cpSync("devices/xche", copy, { recursive: true });
    const deviceFile = path.join(copy, "device.ts");
    fs.writeFileSync(deviceFile, fs.readFileSync(deviceFile, "utf8").replace("reset: 0x58434845", "reset: 0x58434846"));
    const changed = compileDevice(copy);
    const plan = planPatch(src, "xche", qemuEdits(changed.device, generateAll(changed, { ...DEFAULT_TARGETS, qemu: target })));
    expect([...plan.writes.keys()].every((f) => /^hw\/misc\/xche/.test(f))).toBe(true);
    applyPlan(plan);
    const rebuilt = await buildQemu({ srcDir: src, target, progress });
    progress.info(`QEMU ${series} incremental rebuild after a register change: ${seconds(rebuilt.durationMs)} (${rebuilt.steps} steps)`);
    expect(rebuilt.configured).toBe(false);
    expect(rebuilt.durationMs).toBeLessThan(120_000);

    applyPlan(planUnpatch(src, "xche"));
    expect(treeHash(src)).toBe(pristine);
  }, 45 * 60_000);
});
