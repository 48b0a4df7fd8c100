/**
 * The engine's cache key of a cell's trees and builds: the Debian versions its trees were
 * resolved to and a hash of what devgen patches into them. A key is known only once the cell
 * has fetched (devgen resolves versions when fetching), so a cell restores the newest entry of
 * its prefix and saves under its full key afterwards: a new Debian version or a changed patch
 * makes a new entry, which the next run restores and rebuilds incrementally from.
 */
import { createHash } from "node:crypto";
import type { GeneratedFile } from "../gen/types.js";
import { cellSlug, type Cell } from "./cell.js";

/** What a cell's run left in the cache: its trees' Debian versions (null: the level needs no such tree). */
export interface ResolvedTrees {
  kernel: { sourceVersion: string; release: string } | null;
  qemu: { sourceVersion: string } | null;
}

/** Every entry of a cell starts so; the newest one is what a run restores. */
export function cacheKeyPrefix(cell: Cell): string {
  return `devgen-${cellSlug(cell)}-`;
}

/** A hash of devgen's version and the device's artifact set: what the trees are patched with. */
export function patchHash(devgenVersion: string, files: readonly GeneratedFile[]): string {
  const hash = createHash("sha256").update(`devgen ${devgenVersion}\n`);
  for (const file of files) hash.update(`${file.path}\n${file.contents.length}\n`).update(file.contents);
  return hash.digest("hex").slice(0, 16);
}

/** `devgen-xche-6.1-7.2-ioctl-kvm-linux-6.1.192-2-6.1.0-57-amd64-qemu-none-<hash>`; commas are what keys may not hold. */
export function cacheKey(cell: Cell, trees: ResolvedTrees, hash: string): string {
  const kernel = trees.kernel ? `linux-${trees.kernel.sourceVersion}-${trees.kernel.release}` : "linux-none";
  const qemu = trees.qemu ? `qemu-${trees.qemu.sourceVersion}` : "qemu-none";
  return `${cacheKeyPrefix(cell)}${kernel}-${qemu}-${hash}`.replaceAll(",", "_");
}
