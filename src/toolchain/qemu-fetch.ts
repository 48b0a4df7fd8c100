/**
 * The default QEMU tree for `devgen build`: Debian's `qemu` source package of a series (7.2
 * from bookworm, 10.0 from trixie, 10.2 from sid), or the newest one Debian serves, unpacked
 * with Debian's patches and made configurable (the dfsg tarball lacks the edk2 firmware
 * blobs that meson insists on).
 *
 * Versions are resolved with `apt-cache showsrc` when fetching; a cached tree of a series is
 * reused without asking apt again unless `refresh` is set. `newest` asks every time: the
 * archive's lists name versions before their files reach the pool (a 404), so it tries the
 * candidates newest first and takes the first one served.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { TREE_FILE } from "./download-cache.js";
import { cacheRoot, logsDir } from "../util/cache-dir.js";
import { DevgenError } from "../util/diagnostics.js";
import { quietProgress, type Progress } from "../util/progress.js";
import { run } from "../util/run.js";
import {
  aptCache,
  aptSourceDownload,
  aptUpdate,
  compareDebianVersions,
  NotServedError,
  parseDeb822,
  sourceFiles,
  withoutEpoch,
  type AptContext,
  type Stanza,
} from "./apt.js";
import { buildOnce, sweepStale, writeJsonAtomic } from "./extract.js";
import { aptContextFor, type SuiteSource } from "./private-archive.js";
import { ensureDebSrc, MACHINE_CODENAME } from "./sources.js";
import { ensureStep } from "./packages.js";

/**
 * The series devgen knows by name and the suite whose `qemu` source package has each. The
 * machine's apt reads trixie's sources through devgen-src.sources (sources.ts).
 */
const SOURCES = {
  "7.2": { suite: MACHINE_CODENAME, apt: "system" },
  "10.0": { suite: "trixie", apt: "system" },
  "10.2": { suite: "sid", apt: "private" },
} as const satisfies Record<string, SuiteSource>;

export type QemuSeries = keyof typeof SOURCES;
export const QEMU_SOURCES: Readonly<Record<QemuSeries, SuiteSource>> = SOURCES;
export const QEMU_SERIES = Object.keys(SOURCES) as readonly QemuSeries[];
export const DEFAULT_QEMU: QemuSeries = "10.2";

/** Not a series: the newest QEMU release whose source Debian serves when fetching. */
export const NEWEST_QEMU = "newest";
/** What `--qemu` accepts. */
export type QemuChoice = QemuSeries | typeof NEWEST_QEMU;
export const QEMU_CHOICES: readonly QemuChoice[] = [...QEMU_SERIES, NEWEST_QEMU];
/** Where `newest` looks, each through a private archive. */
export const NEWEST_QEMU_SUITES: readonly string[] = ["experimental", "sid", "trixie-backports"];

/** The series a release builds like: its configure options here, its packages in step-needs.ts (qemu-<this>). */
export type QemuBuildSeries = "7.2" | "10.0";

/** The series a release ("7.2", "10.2.2") builds like: 7.x like 7.2, everything newer like 10.0. */
export function qemuBuildSeries(version: string): QemuBuildSeries {
  return Number(version.split(".")[0]) < 8 ? "7.2" : "10.0";
}

/** How each series is configured (its packages are in src/toolchain/step-needs.ts). */
export interface QemuBuildNeeds {
  /** Pass `--python=<this>` to configure (the first python3 on PATH may not see Debian's modules). */
  python: string | null;
  /** Configure options devgen uses for a small x86_64 build. */
  configureArgs: string[];
}

const CONFIGURE_ARGS = [
  "--target-list=x86_64-softmmu",
  "--without-default-features",
  "--enable-kvm",
  "--enable-tcg",
  "--disable-docs",
  "--disable-install-blobs",
];

export const QEMU_BUILD_NEEDS: Record<QemuBuildSeries, QemuBuildNeeds> = {
  "7.2": {
    python: null,
    configureArgs: CONFIGURE_ARGS,
  },
  "10.0": {
    // /usr/bin/python3 sees Debian's meson and pycotap; a pyenv python3 first on PATH does not.
    python: "/usr/bin/python3",
    configureArgs: CONFIGURE_ARGS,
  },
};

export interface QemuTree {
  /** The unpacked source tree (Debian's patches applied, edk2 placeholders created). */
  srcDir: string;
  /** Debian version of the `qemu` source package, e.g. "1:7.2+dfsg-7+deb12u18". */
  sourceVersion: string;
  /** The release's "major.minor": a declared series, or whatever `newest` found ("11.1"). */
  series: string;
  /** The Debian suite it came from. */
  suite: string;
  /** What configuring this series needs (python, meson, packages). */
  buildNeeds: QemuBuildNeeds;
  /** The edk2 placeholders devgen created under pc-bios/. */
  placeholders: string[];
  cacheDir: string;
}

export interface FetchQemuOptions {
  version?: QemuChoice;
  progress?: Progress;
  refresh?: boolean;
  cache?: string;
}

// ---------------------------------------------------------------------------------------
// Pure parts.

/** A valid bzip2 stream of no data: `bzip2 -dc` turns it into an empty file. */
export const EMPTY_BZIP2 = Buffer.from([0x42, 0x5a, 0x68, 0x39, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, 0, 0, 0, 0]);

/**
 * The `pc-bios/edk2-*.fd.bz2` files meson expects, from pc-bios/meson.build: every quoted
 * `edk2-*.fd` name there (the `fds` list) with `.bz2` appended.
 */
export function edk2Placeholders(mesonBuild: string): string[] {
  const names = new Set<string>();
  for (const m of mesonBuild.matchAll(/'(edk2-[\w.-]+\.fd)'/g)) names.add(`${m[1]}.bz2`);
  return [...names].sort();
}

/** Whether a Debian version of `qemu` belongs to a series: "1:7.2+dfsg-7+deb12u18" is 7.2. */
export function inSeries(version: string, series: string): boolean {
  const upstream = withoutEpoch(version);
  return upstream.startsWith(`${series}.`) || upstream.startsWith(`${series}+`) || upstream.startsWith(`${series}~`);
}

/** The "major.minor" of a Debian version of `qemu`: "1:10.2.2+ds-1" is 10.2. */
export function qemuSeriesOf(version: string): string {
  return /^(\d+\.\d+)/.exec(withoutEpoch(version))?.[1] ?? withoutEpoch(version);
}

/**
 * The candidates for `newest` from each suite's `apt-cache showsrc qemu`, newest first, each
 * version once (the pool is shared: the first suite listing it will do). Release candidates
 * (experimental's "~rc") are left out: `newest` means the newest release.
 */
export function newestCandidates(bySuite: readonly { suite: string; stanzas: Stanza[] }[]): { suite: string; stanza: Stanza }[] {
  const seen = new Set<string>();
  const all = bySuite.flatMap(({ suite, stanzas }) => stanzas.filter((s) => s.Package === "qemu" && s.Version).map((stanza) => ({ suite, stanza })));
  return all
    .filter(({ stanza }) => !/~rc/i.test(stanza.Version))
    .sort((a, b) => compareDebianVersions(b.stanza.Version, a.stanza.Version))
    .filter(({ stanza }) => !seen.has(stanza.Version) && seen.add(stanza.Version));
}

/**
 * Tries `fetch` on each candidate in turn until one is served: candidates whose download the
 * server answers with 404 (NotServedError) are skipped, any other failure stops. Null when
 * none is served.
 */
export async function firstServed<C, R>(candidates: readonly C[], fetch: (candidate: C) => Promise<R>): Promise<R | null> {
  for (const candidate of candidates) {
    try {
      return await fetch(candidate);
    } catch (err) {
      if (!(err instanceof NotServedError)) throw err;
    }
  }
  return null;
}

/** The newest `qemu` source stanza of a series from `apt-cache showsrc qemu` output. */
export function pickQemuSource(stanzas: Stanza[], series: string): Stanza | null {
  const matching = stanzas.filter((s) => s.Package === "qemu" && s.Version && inSeries(s.Version, series));
  matching.sort((a, b) => compareDebianVersions(b.Version, a.Version));
  return matching[0] ?? null;
}

// ---------------------------------------------------------------------------------------
// The cache.

function readTree(dir: string): QemuTree | null {
  try {
    const tree = JSON.parse(readFileSync(join(dir, TREE_FILE), "utf8")) as QemuTree;
    return typeof tree.srcDir === "string" && existsSync(join(tree.srcDir, "configure")) ? tree : null;
  } catch {
    return null;
  }
}

export function cachedQemu(series: string, cache: string = cacheRoot()): QemuTree | null {
  const dir = join(cache, "qemu", series);
  if (!existsSync(dir)) return null;
  const trees = readdirSync(dir)
    .filter((v) => !v.startsWith("."))
    .map((v) => readTree(join(dir, v)))
    .filter((t): t is QemuTree => t !== null)
    .sort((a, b) => compareDebianVersions(b.sourceVersion, a.sourceVersion));
  return trees[0] ?? null;
}

function fail(message: string, hint: string): DevgenError {
  return new DevgenError([{ location: null, message, hint }], 3);
}

async function showsrcQemu(ctx: AptContext): Promise<Stanza[]> {
  try {
    return parseDeb822(await aptCache(["showsrc", "qemu"], ctx, "apt-cache showsrc qemu"));
  } catch (err) {
    if (err instanceof DevgenError) return [];
    throw err;
  }
}

/** Creates the missing edk2 placeholders of an unpacked tree; returns their paths relative to the tree. */
export function createEdk2Placeholders(srcDir: string): string[] {
  const mesonBuild = join(srcDir, "pc-bios", "meson.build");
  if (!existsSync(mesonBuild)) return [];
  const created: string[] = [];
  for (const name of edk2Placeholders(readFileSync(mesonBuild, "utf8"))) {
    const path = join(srcDir, "pc-bios", name);
    if (existsSync(path)) continue;
    writeFileSync(path, EMPTY_BZIP2);
    created.push(join("pc-bios", name));
  }
  return created;
}

/** Fetches (or finds in the cache) Debian's QEMU source of a series, or the newest one served. */
export async function fetchQemu(options: FetchQemuOptions = {}): Promise<QemuTree> {
  const choice = options.version ?? DEFAULT_QEMU;
  if (!QEMU_CHOICES.includes(choice)) {
    throw new DevgenError([{ location: null, message: `unknown QEMU series "${choice}"`, hint: `use one of ${QEMU_CHOICES.join(", ")}` }], 2);
  }
  const progress = options.progress ?? quietProgress;
  const cache = options.cache ?? cacheRoot();
  if (choice !== NEWEST_QEMU && !options.refresh) {
    const cached = cachedQemu(choice, cache);
    if (cached) return cached;
  }
  mkdirSync(logsDir(cache), { recursive: true });
  const log = join(logsDir(cache), `fetch-qemu-${choice}.log`);
  await ensureStep("fetch-qemu", log, progress);
  return choice === NEWEST_QEMU ? fetchNewestQemu(log, cache, progress, options.refresh) : fetchQemuSeries(choice, log, cache, progress, options.refresh);
}

async function fetchQemuSeries(series: QemuSeries, log: string, cache: string, progress: Progress, refresh = false): Promise<QemuTree> {
  const source = QEMU_SOURCES[series];
  const ctx = await aptContextFor(source, log, cache, progress, refresh);
  let updated = false;
  const update = async (why: string): Promise<void> => {
    progress.info(why);
    const task = progress.task("apt-get update", { unit: "percent" });
    try {
      await aptUpdate(ctx, task);
      task.done();
    } catch (err) {
      task.fail();
      throw err;
    }
    updated = true;
  };
  if (source.apt === "system" && ensureDebSrc([source.suite])) await update(`added deb-src entries for ${source.suite}: updating the package lists`);
  const resolving = progress.task(`look up the qemu ${series} source package in apt`);
  let stanza = pickQemuSource(await showsrcQemu(ctx), series);
  resolving.done(stanza ? stanza.Version : "not found");
  if (!stanza && !updated) {
    await update(`apt knows no qemu ${series} source: updating the package lists`);
    stanza = pickQemuSource(await showsrcQemu(ctx), series);
  }
  if (!stanza) {
    throw fail(
      `apt has no source package qemu ${series}.*`,
      ctx.archive
        ? `it came from Debian ${source.suite}, which may have moved on (QEMU_SOURCES in src/toolchain/qemu-fetch.ts); --qemu ${NEWEST_QEMU} takes whatever is newest`
        : `it comes from Debian ${source.suite}: check the deb-src entries in /etc/apt/sources.list.d/`,
    );
  }
  return unpackQemu(stanza, source.suite, ctx, cache, progress);
}

/** The newest release any of NEWEST_QEMU_SUITES lists and the archive serves. */
async function fetchNewestQemu(log: string, cache: string, progress: Progress, refresh = false): Promise<QemuTree> {
  const contexts = new Map<string, AptContext>();
  const bySuite: { suite: string; stanzas: Stanza[] }[] = [];
  for (const suite of NEWEST_QEMU_SUITES) {
    const ctx = await aptContextFor({ suite, apt: "private" }, log, cache, progress, refresh);
    contexts.set(suite, ctx);
    bySuite.push({ suite, stanzas: await showsrcQemu(ctx) });
  }
  const candidates = newestCandidates(bySuite);
  const listed = candidates.map(({ suite, stanza }) => `${stanza.Version} (${suite})`);
  progress.info(`qemu sources listed: ${listed.join(", ") || "none"}`);
  const found = await firstServed(candidates, ({ suite, stanza }) => unpackQemu(stanza, suite, contexts.get(suite)!, cache, progress));
  if (!found) {
    throw fail(
      `Debian serves none of the qemu sources its lists name in ${NEWEST_QEMU_SUITES.join(", ")}: ${listed.join(", ") || "none listed"}`,
      `the archive may be between updates: try again later, or pick a series (${QEMU_SERIES.join(", ")}); see ${log}`,
    );
  }
  return found;
}

/** Downloads (unless cached) and unpacks one `qemu` source version. */
async function unpackQemu(stanza: Stanza, suite: string, ctx: AptContext, cache: string, progress: Progress): Promise<QemuTree> {
  const version = stanza.Version;
  const series = qemuSeriesOf(version);
  const dir = join(cache, "qemu", series, withoutEpoch(version));
  const existing = readTree(dir);
  if (existing) return existing;

  // Download the .dsc and tarballs unless all are there at their sizes.
  const files = sourceFiles(stanza);
  const dl = join(dir, "dl");
  mkdirSync(dl, { recursive: true });
  sweepStale(dl);
  const have = (f: { name: string; size: number }): boolean => existsSync(join(dl, f.name)) && statSync(join(dl, f.name)).size === f.size;
  if (files.length === 0 || !files.every(have)) {
    const tmp = join(dl, `.partial-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    const total = files.reduce((sum, f) => sum + f.size, 0);
    const task = progress.task(`download qemu ${version} source`, { unit: "bytes", total });
    try {
      await aptSourceDownload("qemu", version, total, tmp, ctx, task);
      for (const name of readdirSync(tmp)) renameSync(join(tmp, name), join(dl, name));
      task.update(total);
      task.done();
    } catch (err) {
      task.fail(err instanceof NotServedError ? "listed but not served (404), skipped" : undefined);
      // A version the server does not have leaves no entry in the cache behind.
      if (err instanceof NotServedError) {
        rmSync(dir, { recursive: true, force: true });
        if (!readdirSync(dirname(dir)).length) rmdirSync(dirname(dir));
      }
      throw err;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const dsc = files.find((f) => f.name.endsWith(".dsc"))?.name ?? readdirSync(dl).find((f) => f.endsWith(".dsc"));
  if (!dsc) throw fail(`no .dsc for qemu ${version} in ${dl}`, `see ${ctx.log}`);

  const srcDir = join(dir, `qemu-${withoutEpoch(version)}`);
  await buildOnce(srcDir, async (tmp) => {
    const task = progress.task(`unpack qemu ${version} (dpkg-source -x)`);
    let patches = 0;
    try {
      rmSync(tmp, { recursive: true, force: true });
      await run("dpkg-source", ["--no-copy", "-x", join(dl, dsc), tmp], {
        step: `unpack qemu ${version}`,
        log: ctx.log,
        cwd: dl,
        timeoutMs: 30 * 60_000,
        hint: "dpkg-source comes with the dpkg-dev package: apt-get install dpkg-dev",
        onLine: (line) => {
          const m = /applying (\S+)/.exec(line);
          if (m) {
            patches++;
            task.note(`patch ${patches}: ${m[1]}`);
          } else if (/extracting/.test(line)) {
            task.note(line.replace(/^dpkg-source: info: /, ""));
          }
        },
      });
      const created = createEdk2Placeholders(tmp);
      task.done(`${patches} Debian patches applied, ${created.length} edk2 placeholders`);
    } catch (err) {
      task.fail();
      throw err;
    }
  });

  const tree: QemuTree = {
    srcDir,
    sourceVersion: version,
    series,
    suite,
    buildNeeds: QEMU_BUILD_NEEDS[qemuBuildSeries(series)],
    placeholders: edk2Placeholders(readFileSafe(join(srcDir, "pc-bios", "meson.build"))).map((n) => join("pc-bios", n)),
    cacheDir: dir,
  };
  writeJsonAtomic(join(dir, TREE_FILE), tree);
  return tree;
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
