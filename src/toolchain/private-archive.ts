/**
 * Debian suites the machine does not use (sid, trixie-backports) are read through private
 * apt archives in devgen's cache, <cache root>/apt/<suite>/: their own sources file, package
 * lists and apt cache, on the mirror and keyring of the machine's own Debian entry. The
 * system's apt never sees them, so nothing it installs can come from sid by accident, and
 * updating them needs no root.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Progress } from "../util/progress.js";
import { archivePaths, aptUpdate, type AptContext, type PrivateArchive } from "./apt.js";
import { APT_DIR, findDebianMirrors, MACHINE_CODENAME, readAptSources, type Mirror } from "./sources.js";

/** Where Debian ships something devgen fetches. */
export interface SuiteSource {
  /** The Debian suite: "bookworm", "trixie", "sid", "trixie-backports". */
  suite: string;
  /** "system": read through the machine's own apt sources; "private": through a private archive in the cache. */
  apt: "system" | "private";
}

/** Lists older than this are fetched again before use: sid changes daily and drops what it replaced. */
export const LISTS_MAX_AGE_MS = 6 * 60 * 60_000;

export function privateArchiveDir(suite: string, cache: string): string {
  return join(cache, "apt", suite);
}

/** The archive's sources file: binary and source packages of `suite` on the machine's mirror. */
export function renderArchiveSources(mirror: Mirror, suite: string): string {
  return [
    "# Written by devgen: a private apt archive (see src/toolchain/private-archive.ts), never read by the system's apt.",
    "Types: deb deb-src",
    `URIs: ${mirror.uri}`,
    `Suites: ${suite}`,
    "Components: main",
    ...(mirror.signedBy ? [`Signed-By: ${mirror.signedBy}`] : []),
    "",
  ].join("\n");
}

/** Creates (or finds) the private archive of `suite` in the cache. */
export function openPrivateArchive(suite: string, cache: string, aptDir = APT_DIR): PrivateArchive {
  const dir = privateArchiveDir(suite, cache);
  const paths = archivePaths(dir);
  for (const d of [paths.sourceParts, paths.preferenceParts, join(paths.lists, "partial"), join(paths.cache, "archives", "partial")]) {
    mkdirSync(d, { recursive: true });
  }
  const { archive } = findDebianMirrors(readAptSources(aptDir), MACHINE_CODENAME);
  const text = renderArchiveSources(archive, suite);
  if (!existsSync(paths.sources) || readFileSync(paths.sources, "utf8") !== text) writeFileSync(paths.sources, text);
  return { suite, dir };
}

/** How long ago the archive's lists were last updated, null when they never were. */
export function listsAgeMs(archive: PrivateArchive, now = Date.now()): number | null {
  const stamp = archivePaths(archive.dir).updated;
  return existsSync(stamp) ? now - statSync(stamp).mtimeMs : null;
}

/** Whether lists of that age must be fetched again (always when `refresh` is asked for). Pure. */
export function listsNeedUpdate(ageMs: number | null, refresh: boolean, maxAgeMs = LISTS_MAX_AGE_MS): boolean {
  return refresh || ageMs === null || ageMs > maxAgeMs;
}

/** `apt-get update` of the context's private archive when its lists are missing, old or `refresh` is set. */
export async function freshenLists(ctx: AptContext & { archive: PrivateArchive }, progress: Progress, refresh = false): Promise<void> {
  if (!listsNeedUpdate(listsAgeMs(ctx.archive), refresh)) return;
  const task = progress.task(`apt-get update of devgen's ${ctx.archive.suite} lists`, { unit: "percent" });
  try {
    await aptUpdate(ctx, task);
    writeFileSync(archivePaths(ctx.archive.dir).updated, `${new Date().toISOString()}\n`);
    task.done();
  } catch (err) {
    task.fail();
    throw err;
  }
}

/** The apt context that reads `source`: the machine's apt, or the suite's private archive with fresh lists. */
export async function aptContextFor(source: SuiteSource, log: string, cache: string, progress: Progress, refresh = false): Promise<AptContext> {
  if (source.apt === "system") return { log };
  const ctx = { log, archive: openPrivateArchive(source.suite, cache) };
  await freshenLists(ctx, progress, refresh);
  return ctx;
}
