/**
 * One QEMU tree's integration of a device set: the spellings its headers use, the artifact
 * set rendered with them, and each device's edits. Building and emitting patches both
 * patch from this, so what is written is what was rendered for that tree.
 */
import type { CompiledDevice } from "../compile/index.js";
import { DEFAULT_TARGETS, generateAll } from "../gen/index.js";
import type { QemuTarget } from "../gen/qemu/target.js";
import type { Edit } from "./patch.js";
import { qemuEdits } from "./qemu-edits.js";
import { probeQemuTree } from "./qemu-probes.js";
import { checkTreePciIds } from "./tree-pci-ids.js";
import { pristineReader, type ProbeOutcome } from "./tree-probe.js";

/** The spellings of a QEMU tree on disk; a tree the probes cannot decide is refused here, untouched. */
export function detectQemuTarget(tree: string): QemuTarget {
  return probeQemuTree(pristineReader(tree), tree).target;
}

export interface QemuIntegration {
  target: QemuTarget;
  probes: ProbeOutcome<unknown>[];
  /** Each device's edits, by device name. */
  edits: Map<string, Edit[]>;
}

export function integrateQemu(tree: string, devices: readonly CompiledDevice[]): QemuIntegration {
  const read = pristineReader(tree);
  const { target, outcomes } = probeQemuTree(read, tree);
  checkTreePciIds(read, tree, devices);
  const targets = { ...DEFAULT_TARGETS, qemu: target };
  const edits = new Map(devices.map((c) => [c.device.name, qemuEdits(c.device, generateAll(c, targets))] as const));
  return { target, probes: outcomes, edits };
}
