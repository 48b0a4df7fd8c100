/**
 * The default kernel tree for `devgen build`: Debian's linux-source-<series> together with
 * the stock image and headers built from the very same source version, so that modules built
 * from the tree (with KERNELRELEASE=<release> and the headers' Module.symvers) load into it.
 *
 * The archive moves, so the versions are resolved with apt-cache when fetching, never
 * hard-coded. Once fetched, a tree is reused from the cache without asking apt again
 * (`refresh: true` resolves anew and fetches a newer version if the archive has one).
 * Series from suites other than the machine's own are read through a private apt archive
 * (private-archive.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { TREE_FILE } from "./download-cache.js";
import { cacheRoot, logsDir } from "../util/cache-dir.js";
import { DevgenError } from "../util/diagnostics.js";
import { quietProgress, type Progress } from "../util/progress.js";
import {
  aptCache,
  aptDownload,
  aptShow,
  aptUpdate,
  compareDebianVersions,
  parseRelations,
  sourceOf,
  withoutEpoch,
  type AptContext,
  type Stanza,
} from "./apt.js";
import { buildOnce, extractDeb, extractTarXz, sweepStale, writeJsonAtomic } from "./extract.js";
import { compilerAvailability, imageCompiler, moduleModeBlocker, type ImageCompiler } from "./image-compiler.js";
import { ensureStep } from "./packages.js";
import { aptContextFor, type SuiteSource } from "./private-archive.js";
import { MACHINE_CODENAME } from "./sources.js";
import { escapeRegExp } from "../util/regexp.js";

/** The suite with linux-source-<series> and the image built from it (bookworm: its updates and security included). */
const SOURCES = {
  "6.1": { suite: MACHINE_CODENAME, apt: "system" },
  "6.12": { suite: MACHINE_CODENAME, apt: "system" },
  "7.2": { suite: "sid", apt: "private" },
  "7.3": { suite: "trixie-backports", apt: "private" },
} as const satisfies Record<string, SuiteSource>;

export type KernelSeries = keyof typeof SOURCES;
export const KERNEL_SOURCES: Readonly<Record<KernelSeries, SuiteSource>> = SOURCES;
export const KERNEL_SERIES = Object.keys(SOURCES) as readonly KernelSeries[];
export const DEFAULT_KERNEL: KernelSeries = "7.3";

export interface KernelTree {
  /** The unpacked linux-source tree (Debian's patches applied). */
  srcDir: string;
  /** Debian version of the source, e.g. "6.1.192-2". */
  sourceVersion: string;
  /** `uname -r` of the matching stock image, e.g. "6.1.0-56-amd64": build with KERNELRELEASE=<this>. */
  release: string;
  /** The stock image's kernel. */
  vmlinuz: string;
  /** The stock image's /boot/config-<release>. */
  config: string;
  /** The headers package's Module.symvers for <release>. */
  symvers: string;
  /** The stock image's /lib/modules/<release> (stock modules for the test VM). */
  modulesDir: string;
  /** The series asked for ("6.1"). */
  series: KernelSeries;
  /** The binary package the image came from (signed or unsigned variant). */
  imagePackage: string;
  /** The cache directory holding all of the above. */
  cacheDir: string;
  /** The compiler Debian built the image with (from its config), null when the config does not say. */
  compiler: ImageCompiler | null;
  /** Why modules for the stock image cannot be built on this machine (only `--full` can), null when they can. */
  moduleModeBlocker: string | null;
}

/** What tree.json records: the facts of the fetched packages, not this machine's verdict on them. */
type StoredKernelTree = Omit<KernelTree, "compiler" | "moduleModeBlocker">;

export interface FetchKernelOptions {
  version?: KernelSeries;
  progress?: Progress;
  /** Ask apt for the newest version even when a cached tree exists. */
  refresh?: boolean;
  /** Cache root (default cacheRoot()). */
  cache?: string;
}

// ---------------------------------------------------------------------------------------
// Resolution (pure).

export interface KernelImageChoice {
  /** The package to download, e.g. linux-image-6.1.0-56-amd64-unsigned. */
  package: string;
  /** Its version (equal to the source's). */
  version: string;
  release: string;
  signed: boolean;
  size: number;
  /**
   * The packages it is split into, to download with it: from 6.19 on, linux-image-<release>
   * holds nothing and depends on linux-binary-<release> (vmlinuz), linux-modules-<release>
   * and linux-base-<release> (config, System.map), each at its own version.
   */
  parts: string[];
}


/**
 * Matches the generic amd64 image names of a series and captures the release:
 * linux-image-6.1.0-56-amd64[-unsigned], linux-image-6.12.117+deb12-amd64[-unsigned];
 * not the cloud or rt flavours, nor -dbg.
 */
export function imageNamePattern(series: string): RegExp {
  return new RegExp(`^linux-image-(${escapeRegExp(series)}\\.[^-\\s]+(?:-\\d+)?-amd64)(-unsigned)?$`);
}

/** From `apt-cache pkgnames linux-image-<series>.` output, the generic amd64 image names. */
export function imageCandidates(series: string, pkgnames: string): string[] {
  const pattern = imageNamePattern(series);
  return pkgnames
    .split("\n")
    .map((l) => l.trim())
    .filter((name) => pattern.test(name))
    .sort();
}

/**
 * The image built from source package `sourceName` at `sourceVersion`: the unsigned variant
 * (Source: linux, Version: V) when the archive has it, else the signed one
 * (Built-Using: linux (= V)); a split image, which has no code to sign and so no Built-Using,
 * is the one at version V.
 */
export function pickKernelImage(series: string, sourceName: string, sourceVersion: string, stanzas: Stanza[]): KernelImageChoice | null {
  const pattern = imageNamePattern(series);
  const choices: KernelImageChoice[] = [];
  for (const s of stanzas) {
    const m = pattern.exec(s.Package ?? "");
    if (!m) continue;
    const signed = m[2] === undefined;
    const src = sourceOf(s);
    const builtUsing = parseRelations(s["Built-Using"]);
    const fromSource = !signed
      ? src.name === sourceName && src.version === sourceVersion
      : builtUsing.length
        ? builtUsing.some((r) => r.name === sourceName && r.op === "=" && r.version === sourceVersion)
        : s.Version === sourceVersion && imageParts(s, m[1]).length > 0;
    if (fromSource) {
      choices.push({ package: s.Package, version: s.Version, release: m[1], signed, size: Number(s.Size ?? 0), parts: imageParts(s, m[1]) });
    }
  }
  choices.sort((a, b) => Number(a.signed) - Number(b.signed) || compareDebianVersions(b.version, a.version));
  return choices[0] ?? null;
}

/** The packages of a split image: what it depends on at exactly its version whose names hold its release. */
export function imageParts(image: Stanza, release: string): string[] {
  return parseRelations(image.Depends)
    .filter((r) => r.op === "=" && r.version === image.Version && r.name.includes(release))
    .map((r) => r.name);
}

/** The `linux-headers-<release>-common`-like dependency of the arch headers package, at the same version. */
export function headersCommon(headers: Stanza): string | null {
  const dep = parseRelations(headers.Depends).find((r) => /^linux-headers-.*-common(-rt)?$/.test(r.name));
  return dep ? dep.name : null;
}

// ---------------------------------------------------------------------------------------
// The cache.

/** A stored tree with this machine's verdict on building modules for its image, judged anew on every read. */
function judged(tree: StoredKernelTree): KernelTree {
  const compiler = imageCompiler(readFileSync(tree.config, "utf8"));
  return { ...tree, compiler, moduleModeBlocker: compiler && moduleModeBlocker(tree.series, compiler, compilerAvailability(compiler)) };
}

function readTree(dir: string): KernelTree | null {
  let tree: StoredKernelTree;
  try {
    tree = JSON.parse(readFileSync(join(dir, TREE_FILE), "utf8")) as StoredKernelTree;
  } catch {
    return null;
  }
  const paths = [tree.srcDir, tree.vmlinuz, tree.config, tree.symvers, tree.modulesDir];
  return paths.every((p) => typeof p === "string" && existsSync(p)) ? judged(tree) : null;
}

/** The newest complete cached tree of a series, if any. */
export function cachedKernel(series: KernelSeries, cache: string = cacheRoot()): KernelTree | null {
  const dir = join(cache, "kernel", series);
  if (!existsSync(dir)) return null;
  const versions = readdirSync(dir)
    .filter((v) => !v.startsWith("."))
    .sort((a, b) => compareDebianVersions(b, a));
  for (const version of versions) {
    const tree = readTree(join(dir, version));
    if (tree) return tree;
  }
  return null;
}

function fail(message: string, hint: string): DevgenError {
  return new DevgenError([{ location: null, message, hint }], 3);
}

function only(stanzas: Stanza[], name: string, version: string): Stanza | null {
  return stanzas.find((s) => s.Package === name && s.Version === version) ?? null;
}

interface Resolved {
  sourceName: string;
  sourceVersion: string;
  sourceSize: number;
  image: KernelImageChoice;
  parts: { name: string; size: number }[];
  headers: { name: string; size: number };
  common: { name: string; size: number };
}

async function resolveKernel(series: KernelSeries, ctx: AptContext, progress: Progress): Promise<Resolved> {
  const sourcePackage = `linux-source-${series}`;
  const lookUp = () =>
    Promise.all([
      aptShow([sourcePackage], ctx, { allVersions: false }),
      aptCache(["pkgnames", `linux-image-${series}.`], ctx, "list linux-image packages"),
    ]);
  let [[source], pkgnames] = await lookUp();
  if (!source) {
    progress.info(`apt knows no ${sourcePackage}: updating the package lists`);
    const task = progress.task("apt-get update", { unit: "percent" });
    try {
      await aptUpdate(ctx, task);
      task.done();
    } catch (err) {
      task.fail();
      throw err;
    }
    [[source], pkgnames] = await lookUp();
  }
  if (!source) {
    const suite = KERNEL_SOURCES[series].suite;
    throw fail(
      `apt has no package ${sourcePackage}`,
      ctx.archive
        ? `devgen reads Debian ${suite} through ${ctx.archive.dir}: Debian may have moved the series to another suite (KERNEL_SOURCES in src/toolchain/kernel-fetch.ts)`
        : `devgen's ${series} kernels come from Debian ${suite}: check /etc/apt/sources.list*`,
    );
  }
  const sourceName = sourceOf(source).name;
  const sourceVersion = source.Version;

  const names = imageCandidates(series, pkgnames);
  const image = pickKernelImage(series, sourceName, sourceVersion, names.length ? await aptShow(names, ctx) : []);
  if (!image) {
    throw fail(
      `no linux-image-${series}.*-amd64 built from ${sourceName} ${sourceVersion} (the version of ${sourcePackage})`,
      "the archive may be between updates: run `apt-get update` and try again",
    );
  }
  const partStanzas = image.parts.length ? await aptShow(image.parts.map((name) => `${name}=${sourceVersion}`), ctx) : [];
  const parts = image.parts.map((name) => {
    const part = only(partStanzas, name, sourceVersion);
    if (!part) throw fail(`no ${name} at version ${sourceVersion} (part of ${image.package})`, "run `devgen fetch --refresh` and try again");
    return { name, size: Number(part.Size ?? 0) };
  });
  const headersName = `linux-headers-${image.release}`;
  const headers = only(await aptShow([`${headersName}=${sourceVersion}`], ctx), headersName, sourceVersion);
  if (!headers) throw fail(`no ${headersName} at version ${sourceVersion}`, "run `apt-get update` and try again");
  const commonName = headersCommon(headers);
  if (!commonName) throw fail(`${headersName} ${sourceVersion} depends on no linux-headers-*-common package`, "");
  const common = only(await aptShow([`${commonName}=${sourceVersion}`], ctx), commonName, sourceVersion);
  if (!common) throw fail(`no ${commonName} at version ${sourceVersion}`, "run `apt-get update` and try again");

  return {
    sourceName,
    sourceVersion,
    sourceSize: Number(source.Size ?? 0),
    image,
    parts,
    headers: { name: headersName, size: Number(headers.Size ?? 0) },
    common: { name: commonName, size: Number(common.Size ?? 0) },
  };
}

/** Downloads what is not in `debs/` yet (through a temporary directory, so no partial file is trusted). */
async function downloadDebs(
  wanted: { name: string; version: string; size: number }[],
  debsDir: string,
  ctx: AptContext,
  progress: Progress,
): Promise<Map<string, string>> {
  mkdirSync(debsDir, { recursive: true });
  sweepStale(debsDir);
  const present = new Map<string, string>();
  const have = readdirSync(debsDir);
  const missing = wanted.filter((p) => {
    const file = have.find((f) => f.startsWith(`${p.name}_${withoutEpoch(p.version)}_`) && f.endsWith(".deb"));
    if (file) present.set(p.name, join(debsDir, file));
    return !file;
  });
  if (missing.length) {
    const tmp = join(debsDir, `.partial-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    const total = missing.reduce((sum, p) => sum + p.size, 0);
    const task = progress.task(`download ${missing.map((p) => p.name).join(", ")}`, { unit: "bytes", total });
    try {
      const got = await aptDownload(missing, tmp, ctx, task);
      for (const [name, path] of got) {
        const dest = join(debsDir, path.slice(tmp.length + 1));
        renameSync(path, dest);
        present.set(name, dest);
      }
      task.update(total);
      task.done();
    } catch (err) {
      task.fail();
      throw err;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return present;
}

/** Fetches (or finds in the cache) the kernel source, stock image and headers of a series. */
export async function fetchKernel(options: FetchKernelOptions = {}): Promise<KernelTree> {
  const series = options.version ?? DEFAULT_KERNEL;
  if (!KERNEL_SERIES.includes(series)) {
    throw new DevgenError([{ location: null, message: `unknown kernel series "${series}"`, hint: `use one of ${KERNEL_SERIES.join(", ")}` }], 2);
  }
  const progress = options.progress ?? quietProgress;
  const cache = options.cache ?? cacheRoot();
  if (!options.refresh) {
    const cached = cachedKernel(series, cache);
    if (cached) return cached;
  }
  const log = join(logsDir(cache), `fetch-kernel-${series}.log`);
  mkdirSync(logsDir(cache), { recursive: true });
  await ensureStep("fetch-kernel", log, progress);
  const ctx = await aptContextFor(KERNEL_SOURCES[series], log, cache, progress, options.refresh);

  const resolving = progress.task(`look up linux-source-${series} and its image in apt`);
  let r: Resolved;
  try {
    r = await resolveKernel(series, ctx, progress);
    resolving.done(`${r.sourceVersion}, ${r.image.package}`);
  } catch (err) {
    resolving.fail();
    throw err;
  }
  const dir = join(cache, "kernel", series, r.sourceVersion);
  const existing = readTree(dir);
  if (existing) return existing;

  const sourcePackage = `linux-source-${series}`;
  const debs = await downloadDebs(
    [
      { name: sourcePackage, version: r.sourceVersion, size: r.sourceSize },
      { name: r.image.package, version: r.image.version, size: r.image.size },
      ...r.parts.map((part) => ({ ...part, version: r.sourceVersion })),
      { name: r.headers.name, version: r.sourceVersion, size: r.headers.size },
      { name: r.common.name, version: r.sourceVersion, size: r.common.size },
    ],
    join(dir, "debs"),
    ctx,
    progress,
  );

  const srcDir = join(dir, `linux-${r.sourceVersion}`);
  await buildOnce(srcDir, async (tmp) => {
    const stage = join(dir, `.stage-source-${process.pid}`);
    rmSync(stage, { recursive: true, force: true });
    try {
      await extractDeb(debs.get(sourcePackage)!, stage, ctx.log);
      const usrSrc = join(stage, "usr", "src");
      const tarball = readdirSync(usrSrc).find((f) => /^linux-source-.*\.tar\.xz$/.test(f));
      if (!tarball) throw fail(`${sourcePackage} has no usr/src/linux-source-*.tar.xz`, `see ${ctx.log}`);
      const task = progress.task(`extract ${tarball}`, { unit: "bytes" });
      try {
        await extractTarXz(join(usrSrc, tarball), tmp, ctx.log, task);
        task.done();
      } catch (err) {
        task.fail();
        throw err;
      }
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  });

  const imageDir = join(dir, "image");
  const headersDir = join(dir, "headers");
  const task = progress.task("extract image and headers");
  try {
    await buildOnce(imageDir, async (tmp) => {
      for (const name of [r.image.package, ...r.parts.map((part) => part.name)]) await extractDeb(debs.get(name)!, tmp, ctx.log);
    });
    await buildOnce(headersDir, async (tmp) => {
      await extractDeb(debs.get(r.headers.name)!, tmp, ctx.log);
      await extractDeb(debs.get(r.common.name)!, tmp, ctx.log);
    });
    task.done();
  } catch (err) {
    task.fail();
    throw err;
  }

  const release = r.image.release;
  const inImage = (candidates: string[]): string => {
    const paths = candidates.map((c) => join(imageDir, c));
    return paths.find(existsSync) ?? paths[0];
  };
  const modules = [`lib/modules/${release}`, `usr/lib/modules/${release}`];
  const tree: StoredKernelTree = {
    srcDir,
    sourceVersion: r.sourceVersion,
    release,
    // Split images (6.19 on) keep vmlinuz and config in the modules directory.
    vmlinuz: inImage([`boot/vmlinuz-${release}`, ...modules.map((m) => `${m}/vmlinuz`)]),
    config: inImage([`boot/config-${release}`, ...modules.map((m) => `${m}/config`)]),
    symvers: join(headersDir, "usr", "src", `linux-headers-${release}`, "Module.symvers"),
    modulesDir: inImage(modules),
    series,
    imagePackage: r.image.package,
    cacheDir: dir,
  };
  for (const [what, path] of Object.entries({ vmlinuz: tree.vmlinuz, config: tree.config, symvers: tree.symvers, modulesDir: tree.modulesDir })) {
    if (!existsSync(path)) throw fail(`the fetched packages lack the ${what}: ${path} does not exist`, `the package layout changed? see ${ctx.log}`);
  }
  writeJsonAtomic(join(dir, TREE_FILE), tree);
  return judged(tree);
}
