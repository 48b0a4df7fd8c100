/**
 * The engine's cache key of a cell's trees and builds. Entries are per tree pair (kernel and
 * QEMU series), not per cell: every cell of a pair needs the same trees, a cell re-patches
 * them for its own device and rebuilds incrementally (seconds), and 56 cells of several GB
 * each would outgrow an engine's cache (GitHub's: 10 GB) where two pairs fit. A key is the
 * pair, the Debian versions its trees were resolved to and a hash of devgen's patch (its
 * version and templates); it is known only once a cell has fetched, so a cell restores the
 * newest entry of its pair's prefix and saves under its full key afterwards (the first cell
 * of a pair to finish does; a new Debian version or a changed devgen makes a new entry).
 */
import { createHash } from "node:crypto";
import type { GeneratedFile } from "../gen/types.js";
import type { Cell } from "./cell.js";

/** What a cell's run left in the cache: its trees' Debian versions (null: the level needs no such tree). */
export interface ResolvedTrees {
  kernel: { sourceVersion: string; release: string } | null;
  qemu: { sourceVersion: string } | null;
}

/** Every entry of a cell's tree pair starts so; the newest one is what a run restores. */
export function cacheKeyPrefix(cell: Pick<Cell, "kernel" | "qemu">): string {
  return `devgen-linux-${cell.kernel}-qemu-${cell.qemu}-`;
}

/** A hash of devgen's version and its templates: what devgen patches trees with. */
export function patchHash(devgenVersion: string, files: readonly GeneratedFile[]): string {
  const hash = createHash("sha256").update(`devgen ${devgenVersion}\n`);
  for (const file of files) hash.update(`${file.path}\n${file.contents.length}\n`).update(file.contents);
  return hash.digest("hex").slice(0, 16);
}

/** `devgen-linux-6.1-qemu-7.2-6.1.192-2-6.1.0-57-amd64-none-<hash>`; commas are what keys may not hold. */
export function cacheKey(cell: Pick<Cell, "kernel" | "qemu">, trees: ResolvedTrees, hash: string): string {
  const kernel = trees.kernel ? `${trees.kernel.sourceVersion}-${trees.kernel.release}` : "none";
  const qemu = trees.qemu ? trees.qemu.sourceVersion : "none";
  return `${cacheKeyPrefix(cell)}${kernel}-${qemu}-${hash}`.replaceAll(",", "_");
}
