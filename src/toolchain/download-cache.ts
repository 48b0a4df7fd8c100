/**
 * devgen's download cache: Debian kernel and QEMU trees fetched for `devgen build`.
 *
 * Layout under cacheRoot():
 *   kernel/<series>/<source version>/   e.g. kernel/6.1/6.1.192-2/ (linux-<version>/, image/, headers/, debs/)
 *   qemu/<series>/<source version>/     e.g. qemu/7.2/7.2+dfsg-7+deb12u18/ (qemu-<version>/, dl/)
 *   apt/<suite>/                        a private apt archive's lists (private-archive.ts)
 *   logs/                               full output of every fetch step
 * Every finished entry holds a `tree.json` (written last); a directory without it is an
 * interrupted fetch and is redone.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { cacheRoot, logsDir } from "../util/cache-dir.js";
import { DevgenError } from "../util/diagnostics.js";

/** Name of the file that marks a finished cache entry (and describes it). */
export const TREE_FILE = "tree.json";
/** Name of the marker written inside an extracted directory once it is complete. */
export const COMPLETE_MARKER = ".devgen-complete";

export type CacheKind = "kernel" | "qemu" | "apt" | "logs";

export interface CacheEntry {
  /** Human name: "kernel 6.1 (6.1.192-2)", "qemu 7.2 (1:7.2+dfsg-7+deb12u18)", "logs". */
  name: string;
  kind: CacheKind;
  /** The series asked for (6.1, 6.12, 7.2, 10.0), the suite of an apt archive; "" for logs. */
  series: string;
  /** The Debian source version; "" for logs. */
  version: string;
  path: string;
  /** Bytes on disk (allocated blocks), symlinks not followed. */
  size: number;
  /** false for an interrupted fetch (no tree.json): safe to delete, will be redone. */
  complete: boolean;
}

/** Disk usage of a file or directory tree, like `du -s --bytes` but counting allocated blocks. */
export function diskUsage(path: string): number {
  let total = 0;
  const stack = [path];
  const seen = new Set<string>();
  while (stack.length) {
    const current = stack.pop()!;
    let st;
    try {
      st = lstatSync(current, { bigint: false });
    } catch {
      continue;
    }
    // Hard links (none expected, but cheap to handle) are counted once.
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    total += st.blocks !== undefined ? st.blocks * 512 : st.size;
    if (st.isDirectory()) {
      for (const name of readdirSync(current)) stack.push(join(current, name));
    }
  }
  return total;
}

function readVersion(dir: string, fallback: string): string {
  try {
    const tree = JSON.parse(readFileSync(join(dir, TREE_FILE), "utf8")) as { sourceVersion?: string };
    return tree.sourceVersion ?? fallback;
  } catch {
    return fallback;
  }
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith("."))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Every kernel and QEMU tree in the cache, plus the logs, with their sizes. */
export function cacheEntries(root: string = cacheRoot(), options: { sizes?: boolean } = {}): CacheEntry[] {
  const withSizes = options.sizes ?? true;
  const entries: CacheEntry[] = [];
  for (const kind of ["kernel", "qemu"] as const) {
    for (const series of listDirs(join(root, kind))) {
      for (const dirName of listDirs(join(root, kind, series))) {
        const path = join(root, kind, series, dirName);
        const complete = existsSync(join(path, TREE_FILE));
        const version = readVersion(path, dirName);
        entries.push({
          name: `${kind} ${series} (${version})${complete ? "" : " [incomplete]"}`,
          kind,
          series,
          version,
          path,
          size: withSizes ? diskUsage(path) : 0,
          complete,
        });
      }
    }
  }
  for (const suite of listDirs(join(root, "apt"))) {
    const path = join(root, "apt", suite);
    entries.push({ name: `apt ${suite}`, kind: "apt", series: suite, version: "", path, size: withSizes ? diskUsage(path) : 0, complete: true });
  }
  const logs = logsDir(root);
  if (existsSync(logs)) {
    entries.push({ name: "logs", kind: "logs", series: "", version: "", path: logs, size: withSizes ? diskUsage(logs) : 0, complete: true });
  }
  return entries;
}

/** Deletes one cache entry (a path returned by cacheEntries); refuses anything outside the cache. */
export function removeCacheEntry(path: string, root: string = cacheRoot()): void {
  const rel = relative(resolve(root), resolve(path));
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
    throw new DevgenError([{ location: null, message: `refusing to delete ${path}: it is not inside the devgen cache ${root}`, hint: "" }], 2);
  }
  rmSync(path, { recursive: true, force: true });
}
