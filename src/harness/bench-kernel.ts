/**
 * The bench's own kernel tree: a copy of the cached tree (made once; its objects make later
 * builds incremental) with bench/baseline/ (a hand-written in-kernel register file) and the
 * devices patched in, and kvm*.ko built for the stock image. The user's kernel tree never
 * sees the baseline: `devgen build` patches only devices.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CompiledDevice } from "../compile/index.js";
import { baselineEdits } from "../integrate/kernel-edits.js";
import { integrateKernel } from "../integrate/kernel-tree.js";
import { applyPlan, planPatch, type Edit } from "../integrate/patch.js";
import { buildKvmModules, type KernelModulesBuild } from "../toolchain/kernel-build.js";
import type { KernelTree } from "../toolchain/kernel-fetch.js";
import { cacheRoot } from "../util/cache-dir.js";
import { DevgenError } from "../util/diagnostics.js";
import type { Progress } from "../util/progress.js";
import { run } from "../util/run.js";
import { BASELINE_DIR } from "./guest-sources.js";

const BASELINE_OWNER = "devgen-bench-baseline";

/** The bench's tree for the stock image, patched with the devices, its kvm modules built. */
export async function buildBenchKernel(options: {
  stock: KernelTree;
  devices: readonly CompiledDevice[];
  progress: Progress;
  /** Default <cache>/bench. */
  dir?: string;
}): Promise<KernelModulesBuild & { log: string }> {
  const { stock, progress } = options;
  const dir = options.dir ?? path.join(cacheRoot(), "bench");
  const tree = path.join(dir, path.basename(stock.srcDir));
  const log = path.join(dir, `build-${path.basename(tree)}.log`);
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(tree)) {
    const task = progress.task(`copying ${stock.srcDir} for the bench (once)`);
    const tmp = `${tree}.${process.pid}.tmp`;
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
      await run("cp", ["-a", stock.srcDir, tmp], { step: "copy the kernel tree for the bench", log });
      fs.renameSync(tmp, tree);
      task.done();
    } catch (err) {
      task.fail();
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }
  patchBenchTree(tree, options.devices);
  const built = await buildKvmModules({
    tree,
    stock: { release: stock.release, config: stock.config, symvers: stock.symvers },
    release: stock.release,
    log,
    progress,
  });
  return { ...built, log };
}

/** What the bench's tree holds: [owner, hash of its edits] in the order they were patched. */
const PATCHED_STAMP = ".devgen-bench-patched";

type Stamp = [owner: string, hash: string][];

function editsHash(edits: readonly Edit[]): string {
  const json = JSON.stringify(edits, (_key, value: unknown) => (value instanceof RegExp ? String(value) : value));
  return createHash("sha256").update(json).digest("hex");
}

function readStamp(tree: string): Stamp | null {
  const file = path.join(tree, PATCHED_STAMP);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Stamp) : null;
}

/** Applies each owner's edits in order; the stamp is gone while the tree is in between. */
function applyStamped(tree: string, plans: readonly { owner: string; edits: Edit[] }[], stamp: Stamp): void {
  const file = path.join(tree, PATCHED_STAMP);
  fs.rmSync(file, { force: true });
  for (const { owner, edits } of plans) applyPlan(planPatch(tree, owner, edits));
  fs.writeFileSync(file, JSON.stringify(stamp));
}

/**
 * Patches the baseline, then the devices in order, into the bench's tree, unless it holds
 * exactly these already. Patching a device moves its blocks next to their anchors, ahead
 * of the others', so patching several rewrites the shared files (and kbuild rebuilds all
 * of kvm) even when they end as they were: hence the stamp. The device patched last keeps
 * its place when patched again alone (repatchBenchDevice).
 */
export function patchBenchTree(tree: string, devices: readonly CompiledDevice[]): void {
  const devicePlans = integrateKernel(tree, devices).edits;
  const plans = [
    {
      owner: BASELINE_OWNER,
      edits: baselineEdits({
        c: fs.readFileSync(path.join(BASELINE_DIR, "kvm_baseline.c"), "utf8"),
        h: fs.readFileSync(path.join(BASELINE_DIR, "kvm_baseline.h"), "utf8"),
      }),
    },
    ...devices.map((c) => ({ owner: c.device.name, edits: devicePlans.get(c.device.name)! })),
  ];
  const stamp: Stamp = plans.map(({ owner, edits }) => [owner, editsHash(edits)]);
  if (JSON.stringify(readStamp(tree)) === JSON.stringify(stamp)) return;
  // Every anchor is checked before the first write.
  for (const { owner, edits } of plans) planPatch(tree, owner, edits);
  applyStamped(tree, plans, stamp);
}

/** The device patched last, patched again alone: a register change rewrites only its own files. */
export function repatchBenchDevice(tree: string, device: CompiledDevice): void {
  const stamp = readStamp(tree);
  const owner = device.device.name;
  if (stamp?.at(-1)?.[0] !== owner) {
    throw DevgenError.single(`${owner} was not the last device patched into ${tree}`, "patch the bench's tree with it last (patchBenchTree)");
  }
  const edits = integrateKernel(tree, [device]).edits.get(owner)!;
  applyStamped(tree, [{ owner, edits }], [...stamp.slice(0, -1), [owner, editsHash(edits)]]);
}
