/**
 * Talking to apt: parsing `apt-cache show`/`showsrc` output (deb822 stanzas), comparing
 * Debian versions, and running apt-get with progress. The parsers are pure and unit-tested
 * on output captured from a Debian 12 machine (test/fixtures/apt/).
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DevgenError } from "../util/diagnostics.js";
import type { ProgressTask } from "../util/progress.js";
import { run } from "../util/run.js";

/** One deb822 paragraph: field name -> value (continuation lines joined with "\n"). */
export type Stanza = Record<string, string>;

/** Parses deb822 text (apt-cache show, Sources, .sources files) into paragraphs. */
export function parseDeb822(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  let current: Stanza = {};
  let last: string | null = null;
  const flush = (): void => {
    if (Object.keys(current).length) stanzas.push(current);
    current = {};
    last = null;
  };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") {
      flush();
    } else if (line.startsWith("#")) {
      continue;
    } else if (/^[ \t]/.test(line)) {
      if (last !== null) current[last] += `\n${line.trim()}`;
    } else {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim();
      current[last] = line.slice(colon + 1).trim();
    }
  }
  flush();
  return stanzas;
}

/** The Debian version ordering (dpkg's verrevcmp): < 0, 0 or > 0 like a comparator. */
export function compareDebianVersions(a: string, b: string): number {
  const split = (v: string): [number, string, string] => {
    const colon = v.indexOf(":");
    const epoch = colon >= 0 ? Number.parseInt(v.slice(0, colon), 10) : 0;
    const rest = colon >= 0 ? v.slice(colon + 1) : v;
    const dash = rest.lastIndexOf("-");
    return dash >= 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, ""];
  };
  const [ea, ua, ra] = split(a);
  const [eb, ub, rb] = split(b);
  if (ea !== eb) return ea - eb;
  return verrevcmp(ua, ub) || verrevcmp(ra, rb);
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === "~") return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    let firstDiff = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** `Source: linux-signed-amd64 (6.1.192+2)` -> name and version (the binary's Version when absent). */
export function sourceOf(stanza: Stanza): { name: string; version: string } {
  const field = stanza.Source ?? stanza.Package ?? "";
  const match = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(field);
  return { name: match?.[1] ?? "", version: match?.[2] ?? stanza.Version ?? "" };
}

export interface Relation {
  name: string;
  op?: string;
  version?: string;
}

/** `a (= 1), b (>= 2) | c` -> the first alternative of each relation. */
export function parseRelations(field: string | undefined): Relation[] {
  if (!field) return [];
  return field
    .split(",")
    .map((item) => item.split("|")[0].trim())
    .filter(Boolean)
    .map((item) => {
      const match = /^([^\s(]+)(?:\s*\(\s*([<>=]+)\s*([^)]+?)\s*\))?/.exec(item);
      return { name: match?.[1] ?? item, op: match?.[2], version: match?.[3] };
    });
}

/** The upstream-ish version used in file names and directories: the epoch dropped. */
export function withoutEpoch(version: string): string {
  return version.replace(/^\d+:/, "");
}

/** Everything in `Checksums-Sha256`/`Files` of a source stanza: name and size of each file. */
export function sourceFiles(stanza: Stanza): { name: string; size: number }[] {
  const field = stanza["Checksums-Sha256"] ?? stanza.Files ?? "";
  return field
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length === 3)
    .map(([, size, name]) => ({ name, size: Number(size) }));
}

// ---------------------------------------------------------------------------------------
// Running apt.

export interface AptContext {
  log: string;
  /** Read this archive instead of the machine's apt sources (see private-archive.ts). */
  archive?: PrivateArchive;
}

/**
 * An apt archive of devgen's own, for a suite the machine does not use (sid,
 * trixie-backports): its sources, package lists and cache live under `dir`, so reading it
 * never changes what the system's apt installs, and needs no root.
 */
export interface PrivateArchive {
  /** The Debian suite it holds: "sid", "trixie-backports". */
  suite: string;
  /** <cache root>/apt/<suite>. */
  dir: string;
}

/** Where a private archive keeps each thing apt reads or writes. */
export function archivePaths(dir: string) {
  return {
    sources: join(dir, "sources.sources"),
    // Empty directories: apt must not merge in the machine's sources.list.d or pins.
    sourceParts: join(dir, "sources.list.d"),
    preferences: join(dir, "preferences"),
    preferenceParts: join(dir, "preferences.d"),
    lists: join(dir, "lists"),
    cache: join(dir, "cache"),
    /** Touched after each successful update (apt dates the lists by the server's Last-Modified). */
    updated: join(dir, "updated"),
  };
}

/** The `-o` options that point apt at a private archive instead of /etc/apt and /var/lib/apt. */
export function privateArchiveOptions(archive: PrivateArchive): string[] {
  const paths = archivePaths(archive.dir);
  return [
    `Dir::Etc::sourcelist=${paths.sources}`,
    `Dir::Etc::sourceparts=${paths.sourceParts}`,
    `Dir::Etc::preferences=${paths.preferences}`,
    `Dir::Etc::preferencesparts=${paths.preferenceParts}`,
    `Dir::State::Lists=${paths.lists}`,
    `Dir::Cache=${paths.cache}`,
  ].flatMap((option) => ["-o", option]);
}

const APT_HINT = "devgen fetches Debian packages with apt; it needs Debian (or a derivative) with its archive reachable";

/**
 * Options that report progress on stdout, let root download into a directory `_apt` cannot
 * read, and read the context's private archive if it has one.
 */
function aptOptions(ctx: AptContext): string[] {
  const options = ["-o", "APT::Status-Fd=1"];
  if (isRoot()) options.push("-o", "APT::Sandbox::User=root");
  if (ctx.archive) options.push(...privateArchiveOptions(ctx.archive));
  return options;
}

export async function aptCache(args: string[], ctx: AptContext, step: string): Promise<string> {
  const archive = ctx.archive ? privateArchiveOptions(ctx.archive) : [];
  const { stdout } = await run("apt-cache", [...archive, ...args], { step, log: ctx.log, hint: APT_HINT, timeoutMs: 120_000 });
  return stdout;
}

/** `apt-cache show` that returns no stanzas instead of failing when nothing matches. */
export async function aptShow(packages: string[], ctx: AptContext, options: { allVersions?: boolean } = {}): Promise<Stanza[]> {
  const args = ["show", ...(options.allVersions === false ? ["--no-all-versions"] : []), ...packages];
  try {
    return parseDeb822(await aptCache(args, ctx, `apt-cache show ${packages.join(" ")}`));
  } catch (err) {
    if (err instanceof DevgenError && /exited with code 100/.test(err.message)) return [];
    throw err;
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** `apt-get update`: of the system's lists as root, of a private archive as anyone who may write it. */
export async function aptUpdate(ctx: AptContext, task?: ProgressTask): Promise<void> {
  if (!ctx.archive && !isRoot()) {
    throw new DevgenError(
      [{ location: null, message: "apt's package lists need updating, which needs root", hint: "run `sudo apt-get update`, then run devgen again" }],
      3,
    );
  }
  await run("apt-get", ["-q", ...aptOptions(ctx), "update"], {
    step: ctx.archive ? `apt-get update (${ctx.archive.suite}, devgen's own lists)` : "apt-get update",
    log: ctx.log,
    timeoutMs: 15 * 60_000,
    onLine: (line) => {
      const m = /^dlstatus:\d+:([\d.]+):(.*)$/.exec(line);
      if (m) task?.update(Number(m[1]), 100);
    },
  });
}

/** Follows apt's `dlstatus:` lines: percent of the whole transfer, turned into bytes. */
function downloadWatcher(task: ProgressTask | undefined, totalBytes: number) {
  return (line: string): void => {
    const m = /^dlstatus:\d+:([\d.]+):(.*)$/.exec(line);
    if (m && task) task.update(Math.round((Number(m[1]) / 100) * totalBytes), totalBytes);
  };
}

/** Downloads `name=version` binary packages into `dir` with `apt-get download`; returns the .deb paths by package. */
export async function aptDownload(
  packages: { name: string; version: string; size: number }[],
  dir: string,
  ctx: AptContext,
  task?: ProgressTask,
): Promise<Map<string, string>> {
  const total = packages.reduce((sum, p) => sum + p.size, 0);
  await run("apt-get", ["-q", ...aptOptions(ctx), "download", ...packages.map((p) => `${p.name}=${p.version}`)], {
    step: `download ${packages.map((p) => p.name).join(", ")}`,
    log: ctx.log,
    cwd: dir,
    timeoutMs: 60 * 60_000,
    onLine: downloadWatcher(task, total),
    hint: "check the network and `apt-get update`; the archive may have dropped this version (run devgen fetch --refresh)",
  });
  const found = new Map<string, string>();
  const files = readdirSync(dir);
  for (const p of packages) {
    const prefix = `${p.name}_${withoutEpoch(p.version).replace(/:/g, "%3a")}_`;
    const file = files.find((f) => f.startsWith(prefix) && f.endsWith(".deb"));
    if (!file || statSync(join(dir, file)).size === 0) {
      throw new DevgenError([{ location: null, message: `apt-get download did not produce ${prefix}*.deb in ${dir}`, hint: `see ${ctx.log}` }], 3);
    }
    found.set(p.name, join(dir, file));
  }
  return found;
}

/**
 * The URLs apt reported as missing on the server (HTTP 404) in its output: the archive's
 * lists name files its pool does not have (yet, or any more).
 */
export function notFoundUrls(lines: readonly string[]): string[] {
  const urls: string[] = [];
  for (const line of lines) {
    const m = /^E: Failed to fetch (\S+)\s+404\b/.exec(line);
    if (m) urls.push(m[1]);
  }
  return urls;
}

/** A download that failed only because the server does not have the files (404). */
export class NotServedError extends DevgenError {
  constructor(
    failure: DevgenError,
    readonly urls: readonly string[],
  ) {
    super(failure.diagnostics, 3);
    this.name = "NotServedError";
  }
}

/**
 * `apt-get source --download-only name=version` into `dir` (the .dsc and its tarballs).
 * Rejects with a NotServedError when the archive lists the version but answers 404 for it.
 */
export async function aptSourceDownload(
  name: string,
  version: string,
  totalBytes: number,
  dir: string,
  ctx: AptContext,
  task?: ProgressTask,
): Promise<void> {
  const watch = downloadWatcher(task, totalBytes);
  const lines: string[] = [];
  try {
    await run("apt-get", ["-q", ...aptOptions(ctx), "source", "--download-only", `${name}=${version}`], {
      step: `download source package ${name} ${version}`,
      log: ctx.log,
      cwd: dir,
      timeoutMs: 60 * 60_000,
      onLine: (line) => {
        lines.push(line);
        watch(line);
      },
      hint: ctx.archive
        ? "check the network; the archive may have moved on: run devgen fetch --refresh"
        : "check the network and that a deb-src entry for its suite is configured, then `apt-get update`",
    });
  } catch (err) {
    const missing = notFoundUrls(lines);
    if (err instanceof DevgenError && missing.length) throw new NotServedError(err, missing);
    throw err;
  }
}
