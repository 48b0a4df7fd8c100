/**
 * `devgen cache ls` and `devgen cache clean [entry]`: what the download cache holds
 * ($DEVGEN_CACHE, else $XDG_CACHE_HOME/devgen, else ~/.cache/devgen) and removing it.
 *
 * An entry is named as `ls` shows it ("kernel 6.1 (6.1.192-2)"), by its path relative to
 * the cache ("kernel/6.1/6.1.192-2"), by its series ("kernel 6.1", "kernel/6.1": every
 * version), by its kind ("kernel", "qemu", "apt", "logs") or by its absolute path. Nothing outside
 * the cache is ever removed.
 */
import { existsSync, readdirSync, rmdirSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { cacheEntries, removeCacheEntry, type CacheEntry } from "../toolchain/download-cache.js";
import { cacheRoot } from "../util/cache-dir.js";
import { DevgenError } from "../util/diagnostics.js";
import { formatBytes } from "../util/progress.js";

export interface CacheOptions {
  action: "ls" | "clean";
  /** For clean: one entry (see above); all of them when absent. */
  entry?: string;
  json?: boolean;
  /** Defaults to cacheRoot(). */
  root?: string;
}

export interface CacheRow {
  name: string;
  kind: CacheEntry["kind"];
  series: string;
  version: string;
  size: number;
  complete: boolean;
  path: string;
}

export type CacheResult =
  | { ok: true; action: "ls"; root: string; entries: CacheRow[]; total: number }
  | { ok: true; action: "clean"; root: string; removed: CacheRow[]; freed: number };

function row(e: CacheEntry): CacheRow {
  return { name: bareName(e), kind: e.kind, series: e.series, version: e.version, size: e.size, complete: e.complete, path: e.path };
}

/** The name without the " [incomplete]" suffix ls adds. */
function bareName(e: CacheEntry): string {
  return e.name.replace(/ \[incomplete\]$/, "");
}

/** The entries `wanted` names; a usage error when it names nothing or a path outside the cache. */
export function selectEntries(wanted: string, entries: readonly CacheEntry[], root: string): CacheEntry[] {
  const text = wanted.trim();
  const looksLikePath = isAbsolute(text) || text.startsWith(".") || text.startsWith("~");
  if (looksLikePath) {
    const rel = relative(resolve(root), resolve(text));
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
      throw new DevgenError(
        [{ location: null, message: `refusing to remove ${text}: it is not an entry of the devgen cache ${root}`, hint: "see the entries with devgen cache ls" }],
        2,
      );
    }
  }
  const rel = looksLikePath ? relative(resolve(root), resolve(text)) : text.replace(/\/+$/, "");
  const words = rel.replace(/\//g, " ");
  const matches = entries.filter((e) => {
    const path = relative(root, e.path);
    if (e.name === text || bareName(e) === text || path === rel) return true;
    if (e.kind === words) return true; // "kernel", "qemu", "apt", "logs"
    return `${e.kind} ${e.series}` === words; // "kernel 6.1" or "kernel/6.1"
  });
  if (!matches.length) {
    const names = entries.map((e) => `"${bareName(e)}"`).join(", ");
    throw new DevgenError(
      [{ location: null, message: `the devgen cache has no entry "${text}"`, hint: names ? `entries: ${names} (or kernel, qemu, apt, logs)` : "the cache is empty" }],
      2,
    );
  }
  return matches;
}

/** Removes kernel/<series>/ and qemu/<series>/ directories left empty, and apt/ once empty. */
function pruneEmpty(root: string): void {
  for (const kind of ["kernel", "qemu", "apt"]) {
    const dir = join(root, kind);
    if (!existsSync(dir)) continue;
    for (const series of readdirSync(dir)) {
      const seriesDir = join(dir, series);
      try {
        if (!readdirSync(seriesDir).length) rmdirSync(seriesDir);
      } catch {
        // a file, or not empty: leave it
      }
    }
    if (!readdirSync(dir).length) rmdirSync(dir);
  }
}

export function runCache(options: CacheOptions): CacheResult {
  const root = options.root ?? cacheRoot();
  const entries = existsSync(root) ? cacheEntries(root) : [];
  if (options.action === "ls") {
    return { ok: true, action: "ls", root, entries: entries.map(row), total: entries.reduce((s, e) => s + e.size, 0) };
  }
  const chosen = options.entry === undefined ? entries : selectEntries(options.entry, entries, root);
  for (const e of chosen) removeCacheEntry(e.path, root);
  if (existsSync(root)) pruneEmpty(root);
  return { ok: true, action: "clean", root, removed: chosen.map(row), freed: chosen.reduce((s, e) => s + e.size, 0) };
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function formatCache(result: CacheResult): string {
  if (result.action === "ls") {
    if (!result.entries.length) return `the devgen cache (${result.root}) is empty; devgen fetch fills it`;
    const rows = result.entries.map((e) => [
      e.name,
      e.kind,
      e.version || "—",
      formatBytes(e.size),
      e.complete ? "yes" : "no",
      e.path,
    ]);
    return [
      table(["NAME", "KIND", "VERSION", "SIZE", "COMPLETE", "PATH"], rows),
      "",
      `${formatBytes(result.total)} in ${result.root}`,
    ].join("\n");
  }
  if (!result.removed.length) return `the devgen cache (${result.root}) was already empty`;
  return [...result.removed.map((e) => `removed ${e.name}: ${e.path}`), `freed ${formatBytes(result.freed)}`].join("\n");
}
