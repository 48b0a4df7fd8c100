/**
 * The QemuTarget of a QEMU tree on disk: the probes of qemu-probes.ts over its files. A tree
 * they cannot decide is refused here, before anything is written to it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { QemuTarget } from "../gen/qemu/index.js";
import { DevgenError } from "../util/diagnostics.js";
import { probeQemuTarget, type ReadTreeFile } from "./qemu-probes.js";

/** Reads files of `tree`; null for a file it does not have. */
export function treeReader(tree: string): ReadTreeFile {
  return (file) => {
    try {
      return fs.readFileSync(path.join(tree, file), "utf8");
    } catch (err) {
      if (["ENOENT", "ENOTDIR"].includes((err as NodeJS.ErrnoException).code ?? "")) return null;
      throw err;
    }
  };
}

export function detectQemuTarget(tree: string): QemuTarget {
  const probed = probeQemuTarget(treeReader(tree));
  if ("target" in probed) return probed.target;
  throw new DevgenError(probed.problems.map(({ message, hint }) => ({ location: null, message: `${tree}: ${message}`, hint })));
}
