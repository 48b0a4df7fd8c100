/**
 * The default QEMU tree for `devgen build`: Debian's `qemu` source package, 7.2 from
 * bookworm or 10.0 from trixie, unpacked with Debian's patches and made configurable (the
 * dfsg tarball lacks the edk2 firmware blobs that meson insists on).
 *
 * Versions are resolved with `apt-cache showsrc` when fetching; a cached tree is reused
 * without asking apt again unless `refresh` is set.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TREE_FILE } from "./cache.js";
import { cacheRoot, logsDir } from "../util/cache-dir.js";
import { DevgenError } from "../util/diagnostics.js";
import { quietProgress, type Progress } from "../util/progress.js";
import { run } from "../util/run.js";
import { aptCache, aptSourceDownload, aptUpdate, compareDebianVersions, parseDeb822, sourceFiles, withoutEpoch, type AptContext, type Stanza } from "./apt.js";
import { buildOnce, sweepStale, writeJsonAtomic } from "./extract.js";
import { ensureDebSrc } from "./sources.js";
import { ensureStep } from "./packages.js";

export const QEMU_SERIES = ["7.2", "10.0"] as const;
export type QemuSeries = (typeof QEMU_SERIES)[number];
export const DEFAULT_QEMU: QemuSeries = "7.2";

/** How each series is configured (its packages are in src/toolchain/step-needs.ts). */
export interface QemuBuildNeeds {
  /** Debian release whose `qemu` source package provides the series. */
  codename: string;
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

export const QEMU_BUILD_NEEDS: Record<QemuSeries, QemuBuildNeeds> = {
  "7.2": {
    codename: "bookworm",
    python: null,
    configureArgs: CONFIGURE_ARGS,
  },
  "10.0": {
    codename: "trixie",
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
  series: QemuSeries;
  /** What configuring this series needs (python, meson, packages). */
  buildNeeds: QemuBuildNeeds;
  /** The edk2 placeholders devgen created under pc-bios/. */
  placeholders: string[];
  cacheDir: string;
}

export interface FetchQemuOptions {
  version?: QemuSeries;
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

export function cachedQemu(series: QemuSeries, cache: string = cacheRoot()): QemuTree | null {
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

/** Fetches (or finds in the cache) Debian's QEMU source of a series. */
export async function fetchQemu(options: FetchQemuOptions = {}): Promise<QemuTree> {
  const series = options.version ?? DEFAULT_QEMU;
  if (!QEMU_SERIES.includes(series)) {
    throw new DevgenError([{ location: null, message: `unknown QEMU series "${series}"`, hint: `use one of ${QEMU_SERIES.join(", ")}` }], 2);
  }
  const progress = options.progress ?? quietProgress;
  const cache = options.cache ?? cacheRoot();
  if (!options.refresh) {
    const cached = cachedQemu(series, cache);
    if (cached) return cached;
  }
  mkdirSync(logsDir(cache), { recursive: true });
  const ctx: AptContext = { log: join(logsDir(cache), `fetch-qemu-${series}.log`) };
  await ensureStep("fetch-qemu", ctx.log, progress);
  const needs = QEMU_BUILD_NEEDS[series];

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
  if (ensureDebSrc([needs.codename])) await update(`added deb-src entries for ${needs.codename}: updating the package lists`);
  const resolving = progress.task(`look up the qemu ${series} source package in apt`);
  let stanza = pickQemuSource(await showsrcQemu(ctx), series);
  resolving.done(stanza ? stanza.Version : "not found");
  if (!stanza && !updated) {
    await update(`apt knows no qemu ${series} source: updating the package lists`);
    stanza = pickQemuSource(await showsrcQemu(ctx), series);
  }
  if (!stanza) {
    throw fail(`apt has no source package qemu ${series}.*`, `it comes from Debian ${needs.codename}: check the deb-src entries in /etc/apt/sources.list.d/`);
  }
  const version = stanza.Version;
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
      task.fail();
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
    buildNeeds: needs,
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
