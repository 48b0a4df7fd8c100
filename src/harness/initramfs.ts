/**
 * The test VMs' initramfs: a gzip'd newc cpio of busybox (static), an /init script, the
 * test programs and kernel modules, built in the cache and rebuilt only when an input
 * changes (the archive's name carries a hash of every input's path, mode and content).
 *
 * Also the two inputs that need looking up: a static busybox (Debian's busybox-static, taken
 * from its .deb so the host's own busybox is left alone) and the order in which to insmod a
 * module and its dependencies (read with modinfo from the built modules and the stock image's
 * modules, which have no modules.dep before depmod runs).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { installedVersions } from "../toolchain/packages.js";
import { DevgenError } from "../util/diagnostics.js";
import type { Progress } from "../util/progress.js";
import { run } from "../util/run.js";
import { escapeRegExp } from "../util/regexp.js";

/** Bump when the archive layout changes, so old archives are not reused. */
const FORMAT = 1;
/** Archives kept per name: the newest few, so alternating inputs still hit the cache. */
const KEEP = 4;

export interface InitramfsEntry {
  /** Path inside the archive, without a leading slash: "init", "bin/busybox". */
  path: string;
  /** A host file to copy (its content is hashed), or the content itself. */
  from?: string;
  contents?: string | Buffer;
  /** Default 0o755 for bin/ and init, 0o644 otherwise. */
  mode?: number;
  /** Strip debug sections (kernel modules built with debug info are ~10x larger). */
  stripDebug?: boolean;
}

export interface Initramfs {
  path: string;
  /** False when it was built by this call. */
  reused: boolean;
  bytes: number;
}

function modeOf(entry: InitramfsEntry): number {
  return entry.mode ?? (entry.path === "init" || entry.path.startsWith("bin/") ? 0o755 : 0o644);
}

function fileHash(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** A hash of everything that goes into the archive. */
export function initramfsKey(entries: readonly InitramfsEntry[]): string {
  const hash = createHash("sha256").update(`devgen-initramfs ${FORMAT}\n`);
  for (const entry of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    const content = entry.from !== undefined ? fileHash(entry.from) : createHash("sha256").update(entry.contents ?? "").digest("hex");
    hash.update(`${entry.path} ${modeOf(entry).toString(8)} ${entry.stripDebug ? "strip" : "keep"} ${content}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

async function stage(entry: InitramfsEntry, root: string, log: string): Promise<void> {
  const dest = path.join(root, entry.path);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (entry.from !== undefined) {
    const compressed = /\.(xz|zst)$/.exec(entry.from);
    if (compressed) {
      // busybox insmod wants a plain .ko.
      const tool = compressed[1] === "xz" ? "xz" : "zstd";
      await run("sh", ["-c", `${tool} -dc "$1" > "$2"`, "sh", entry.from, dest], { step: `decompress ${path.basename(entry.from)}`, log });
    } else if (entry.stripDebug) {
      await run("strip", ["--strip-debug", "-o", dest, entry.from], { step: `strip ${path.basename(entry.from)}`, log });
    } else {
      fs.copyFileSync(entry.from, dest);
    }
  } else {
    fs.writeFileSync(dest, entry.contents ?? "");
  }
  fs.chmodSync(dest, modeOf(entry));
}

/** Builds (or finds) `<dir>/<name>-<key>.cpio.gz`. */
export async function buildInitramfs(
  entries: readonly InitramfsEntry[],
  options: { dir: string; name: string; log: string; progress: Progress },
): Promise<Initramfs> {
  const key = initramfsKey(entries);
  const out = path.join(options.dir, `${options.name}-${key}.cpio.gz`);
  if (fs.existsSync(out)) {
    fs.utimesSync(out, new Date(), new Date());
    return { path: out, reused: true, bytes: fs.statSync(out).size };
  }
  fs.mkdirSync(options.dir, { recursive: true });
  const task = options.progress.task(`building the ${options.name} initramfs`);
  const root = path.join(options.dir, `.stage-${options.name}-${process.pid}`);
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    fs.rmSync(root, { recursive: true, force: true });
    for (const dir of ["bin", "dev", "proc", "sys", "tmp"]) fs.mkdirSync(path.join(root, dir), { recursive: true });
    for (const entry of entries) await stage(entry, root, options.log);
    // Sorted names, root-owned, fixed times: the same inputs give the same bytes.
    await run("sh", ["-c", 'cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -n -6 > "$2"', "sh", root, tmp], {
      step: `cpio ${options.name} initramfs`,
      log: options.log,
      hint: "needs cpio and gzip",
    });
    fs.renameSync(tmp, out);
    task.done();
  } catch (err) {
    task.fail();
    throw err;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(tmp, { force: true });
  }
  pruneOld(options.dir, options.name);
  return { path: out, reused: false, bytes: fs.statSync(out).size };
}

function pruneOld(dir: string, name: string): void {
  const pattern = new RegExp(`^${escapeRegExp(name)}-[0-9a-f]{16}\\.cpio\\.gz$`);
  const archives = fs
    .readdirSync(dir)
    .filter((f) => pattern.test(f))
    .map((f) => ({ file: path.join(dir, f), mtime: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of archives.slice(KEEP)) fs.rmSync(old.file, { force: true });
}

// ---------------------------------------------------------------------------------------
// busybox

/**
 * A statically linked busybox: the installed busybox-static's, or the one in its .deb,
 * downloaded once into `<dir>/` (Debian's busybox-static conflicts with the busybox that
 * initramfs-tools hosts have, so it is not installed).
 */
export async function staticBusybox(options: { dir: string; log: string; progress: Progress }): Promise<string> {
  if (installedVersions(["busybox-static"])["busybox-static"] && fs.existsSync("/bin/busybox")) return "/bin/busybox";
  const extracted = path.join(options.dir, "busybox-static", "bin", "busybox");
  if (fs.existsSync(extracted)) return extracted;

  const debs = path.join(options.dir, "debs");
  fs.mkdirSync(debs, { recursive: true });
  const findDeb = () => fs.readdirSync(debs).find((f) => f.startsWith("busybox-static_") && f.endsWith(".deb"));
  if (!findDeb()) {
    const task = options.progress.task("downloading busybox-static");
    try {
      try {
        await run("apt-get", ["download", "busybox-static"], { step: "apt-get download busybox-static", log: options.log, cwd: debs });
      } catch {
        await run("apt-get", ["update", "-qq"], { step: "apt-get update", log: options.log });
        await run("apt-get", ["download", "busybox-static"], { step: "apt-get download busybox-static", log: options.log, cwd: debs });
      }
      task.done();
    } catch (err) {
      task.fail();
      throw err;
    }
  }
  const deb = findDeb();
  if (!deb) throw new DevgenError([{ location: null, message: "apt-get download busybox-static left no .deb", hint: `see ${options.log}` }], 3);
  const tmp = path.join(options.dir, `.busybox-static-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  await run("dpkg-deb", ["-x", path.join(debs, deb), tmp], { step: `extract ${deb}`, log: options.log });
  const binary = [path.join(tmp, "bin", "busybox"), path.join(tmp, "usr", "bin", "busybox")].find((f) => fs.existsSync(f));
  if (!binary) throw new DevgenError([{ location: null, message: `${deb} has no bin/busybox`, hint: `see ${options.log}` }], 3);
  fs.mkdirSync(path.dirname(extracted), { recursive: true });
  fs.copyFileSync(binary, `${extracted}.tmp`);
  fs.chmodSync(`${extracted}.tmp`, 0o755);
  fs.renameSync(`${extracted}.tmp`, extracted);
  fs.rmSync(tmp, { recursive: true, force: true });
  return extracted;
}

// ---------------------------------------------------------------------------------------
// Kernel modules

/** Module names compare with - and _ as the same character, as the kernel does. */
export function moduleName(file: string): string {
  return path.basename(file).replace(/\.ko(\.(xz|zst|gz))?$/, "").replace(/-/g, "_");
}

/** Every module file under a modules directory, by name. */
export function indexModules(modulesDir: string): Map<string, string> {
  const index = new Map<string, string>();
  const stack = [modulesDir];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) stack.push(full);
      else if (/\.ko(\.(xz|zst))?$/.test(e.name) && !index.has(moduleName(e.name))) index.set(moduleName(e.name), full);
    }
  }
  return index;
}

export interface ModuleToLoad {
  name: string;
  file: string;
  /** True for the modules devgen built (stripped of debug info when packed). */
  built: boolean;
}

/**
 * `top` and everything it depends on, dependencies first: the order to insmod them in.
 * Dependencies come from the built modules when they have one of that name, else from the
 * stock image's modules. `dependsOf` reads a module's `depends=` (modinfo).
 */
export async function loadOrder(
  top: string,
  built: ReadonlyMap<string, string>,
  stock: ReadonlyMap<string, string>,
  dependsOf: (file: string) => string[] | Promise<string[]>,
): Promise<ModuleToLoad[]> {
  const order: ModuleToLoad[] = [];
  const seen = new Set<string>();
  const visit = async (name: string, chain: string[]): Promise<void> => {
    const key = name.replace(/-/g, "_");
    if (seen.has(key)) return;
    seen.add(key);
    const file = built.get(key) ?? stock.get(key);
    if (!file) {
      throw new DevgenError(
        [{ location: null, message: `module ${name} (needed by ${chain.join(" <- ")}) is neither built nor in the stock image's modules`, hint: "" }],
        3,
      );
    }
    for (const dep of await dependsOf(file)) await visit(dep, [dep, ...chain]);
    order.push({ name: key, file, built: built.has(key) });
  };
  await visit(top, [top]);
  return order;
}

/** A module's name in the archive: decompressed, since busybox insmod wants a plain .ko. */
export function archiveName(file: string): string {
  return path.basename(file).replace(/\.ko\.(xz|zst)$/, ".ko");
}

/** `modules/<list>.list` (names in load order, for /init's load_modules) and the modules. */
export function moduleListEntries(list: string, order: readonly ModuleToLoad[]): InitramfsEntry[] {
  return [
    { path: `modules/${list}.list`, contents: `${order.map((m) => archiveName(m.file)).join("\n")}\n` },
    ...order.map((m) => ({ path: `modules/${archiveName(m.file)}`, from: m.file, stripDebug: m.built })),
  ];
}

/** `modinfo -F depends`, as a list. */
export async function modinfoDepends(file: string, log: string): Promise<string[]> {
  const { stdout } = await run("modinfo", ["-F", "depends", file], { step: `modinfo ${path.basename(file)}`, log, hint: "modinfo is in the kmod package" });
  return stdout
    .trim()
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
