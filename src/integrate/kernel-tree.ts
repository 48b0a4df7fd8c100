/**
 * One kernel tree's integration of a device set: the tree's probed API, the artifact set
 * rendered for it, and each device's edits. Building, emitting patches and the bench all
 * patch from this, so what is written is what was rendered for that tree.
 */
import type { CompiledDevice } from "../compile/index.js";
import { DEFAULT_TARGETS, generateAll } from "../gen/index.js";
import type { KernelTarget } from "../gen/kvm/target.js";
import { kernelEdits } from "./kernel-edits.js";
import { probeKernelTree } from "./kernel-probes.js";
import type { Edit } from "./patch.js";
import { pristineReader, type ProbeOutcome } from "./tree-probe.js";
import { irqSourceIds } from "./tree-numbers.js";

export interface KernelIntegration {
  target: KernelTarget;
  /** What each probe found, for logs and `--json`. */
  probes: ProbeOutcome<unknown>[];
  /** Each device's edits, by device name. */
  edits: Map<string, Edit[]>;
}

/** Probes `tree` (refusing it untouched when a probe cannot decide) and plans every device's edits. */
export function integrateKernel(tree: string, devices: readonly CompiledDevice[]): KernelIntegration {
  const { target, outcomes } = probeKernelTree(pristineReader(tree), tree);
  const ids = irqSourceIds(tree, devices, target);
  const targets = { ...DEFAULT_TARGETS, kernel: target };
  const edits = new Map(
    devices.map((c) => [c.device.name, kernelEdits(c.device, generateAll(c, targets), target, ids.get(c.device.name) ?? null)] as const),
  );
  return { target, probes: outcomes, edits };
}
