/**
 * Full mode (`devgen build --full`): a whole minimal kernel, bzImage plus modules, from a
 * patched tree, for upstream trees with no matching distribution image and for debug kernels.
 *
 *   tree (patched; may hold an in-tree module-mode build) ──copy, build outputs left out──▶
 *     <cache>/kernel-full/<tree id>/src     a clean source mirror (`make mrproper` run there)
 *   make O=build tinyconfig + merge_config.sh <fragment> + olddefconfig ──▶ build/.config
 *     (every fragment symbol checked: one Kconfig dropped is an error naming it)
 *   make O=build bzImage modules ──▶ build/arch/x86/boot/bzImage, build/arch/x86/kvm/*.ko
 *
 * Why a mirror: kbuild refuses an O= build from a source tree that has an in-tree .config,
 * and objects left in the source tree would be found through VPATH. devgen's module mode
 * builds inside Debian's tree (.config, Module.symvers, objects), and a user's tree may be
 * built in place too; running `make mrproper` there would destroy that. So the tree is
 * copied (only what changed, sizes and mtimes compared, mtimes kept so make rebuilds only
 * what changed) into a mirror that nothing but this module writes to, and `make mrproper`
 * runs in the mirror whenever files appear that it has not seen: what mrproper deletes is
 * remembered and never copied again. The user's tree is only read.
 *
 * The build directory is kept, so a rebuild after a device change recompiles the device's
 * files and relinks the kvm modules. Debug builds (`debug: true`) use their own directory.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheRoot } from "../util/cache-dir.js";
import { DevgenError, type Diagnostic } from "../util/diagnostics.js";
import type { Progress, ProgressTask } from "../util/progress.js";
import { run } from "../util/run.js";
import {
  checkConfig,
  describeMismatch,
  fragmentsFor,
  kconfigSymbols,
  mergeFragments,
  parseConfig,
  renderFragment,
  type ConfigFragment,
} from "./config-fragments.js";
import { PREPARED_MARKER } from "./kernel-build.js";
import { ensureStep } from "./packages.js";

export interface FullKernelOptions {
  /** The kernel source tree, already patched with the devices. Only read. */
  tree: string;
  /** Log file for every command. */
  log: string;
  progress: Progress;
  /** Add the debug fragment (KASAN, lockdep...), in a separate build directory. */
  debug?: boolean;
  /** Cache root (default cacheRoot()). */
  cache?: string;
  /** Parallel jobs (default: all CPUs). */
  jobs?: number;
}

export interface FullKernelBuild {
  /** The O= directory. */
  buildDir: string;
  /** The clean copy of the tree that was built. */
  srcDir: string;
  bzImage: string;
  /** kvm.ko, kvm-amd.ko, kvm-intel.ko. */
  modules: string[];
  /** Where every module of this kernel is (e.g. irqbypass.ko, which kvm.ko needs). */
  modulesDir: string;
  /** The built kernel's release (`uname -r` in the VM), e.g. "6.1.192". */
  release: string;
  durationMs: number;
}

const MODULES = ["kvm.ko", "kvm-amd.ko", "kvm-intel.ko"];
const STATE_FILE = ".devgen-full.json";
const CONFIG_STAMP = ".devgen-fragment";
const FRAGMENT_FILE = "devgen.config";
/** Objects a cold tinyconfig+fragment build reports, for the progress before the first build. */
const COLD_OBJECTS = 1600;

// ---------------------------------------------------------------------------------------
// Where things go.

/** A short stable name for a tree: its directory name and a hash of its real path. */
export function treeId(tree: string): string {
  const real = fs.realpathSync(tree);
  const hash = createHash("sha256").update(real).digest("hex").slice(0, 12);
  return `${path.basename(real).replace(/[^\w.+-]/g, "_")}-${hash}`;
}

export function fullBuildPaths(tree: string, debug: boolean, cache: string = cacheRoot()): { root: string; srcDir: string; buildDir: string } {
  const root = path.join(cache, "kernel-full", treeId(tree));
  return { root, srcDir: path.join(root, "src"), buildDir: path.join(root, debug ? "build-debug" : "build") };
}

// ---------------------------------------------------------------------------------------
// The source mirror.

/** Build outputs and state that are never copied: kbuild's, devgen's, git's. */
const TOP_LEVEL_OUTPUTS = new Set([
  ".git",
  ".devgen",
  ".devgen-complete",
  PREPARED_MARKER,
  ".config",
  ".config.old",
  ".version",
  "Module.symvers",
  "modules.order",
  "modules.builtin",
  "modules.builtin.modinfo",
  "System.map",
  "vmlinux",
  "vmlinux.a",
  "vmlinux.o",
  "vmlinux.symvers",
]);
const OUTPUT_DIRS = new Set(["include/config", "include/generated", "arch/x86/include/generated", "arch/x86/include/generated/uapi"]);
const OUTPUT_NAMES = [/\.(o|ko|a|mod|mod\.c|mod\.o|symtypes|dwo|su)$/, /^\..*\.(cmd|d)$/, /^\.tmp_/, /^(modules\.order|Module\.symvers)$/];

/** True for a path (relative to the tree, `/`-separated) that is a build output, not a source. */
export function isBuildOutput(rel: string, isDir: boolean): boolean {
  if (!rel.includes("/") && TOP_LEVEL_OUTPUTS.has(rel)) return true;
  if (isDir) return OUTPUT_DIRS.has(rel) || rel.endsWith("/.git");
  const name = rel.slice(rel.lastIndexOf("/") + 1);
  return OUTPUT_NAMES.some((re) => re.test(name));
}

interface MirrorState {
  /** Paths `make mrproper` deleted from the mirror: outputs of an in-tree build; never copied again. */
  outputs: string[];
  /** Every file of the mirror after the last mrproper: a new one triggers another. */
  files: string[];
}

interface Entry {
  kind: "file" | "link";
  size: number;
  mtimeMs: number;
  mode: number;
}

/** Every file and symlink under `root` (relative paths), skipping what `skip` says. */
export function listTree(root: string, skip: (rel: string, isDir: boolean) => boolean = () => false): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const stack = [""];
  while (stack.length) {
    const dir = stack.pop()!;
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const d of names) {
      const rel = dir ? `${dir}/${d.name}` : d.name;
      if (d.isDirectory()) {
        if (!skip(rel, true)) stack.push(rel);
        continue;
      }
      if (!d.isFile() && !d.isSymbolicLink()) continue;
      if (skip(rel, false)) continue;
      const st = fs.lstatSync(path.join(root, rel));
      entries.set(rel, { kind: d.isSymbolicLink() ? "link" : "file", size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777 });
    }
  }
  return entries;
}

/** utimes() goes through a double in seconds: what it sets is within a microsecond of what was asked. */
function sameTime(a: number, b: number): boolean {
  return Math.abs(a - b) < 0.001;
}

export interface SyncResult {
  copied: string[];
  deleted: string[];
  /** Copied files the mirror did not have before. */
  added: string[];
}

/**
 * Makes `mirror` hold the files of `tree` that `skip` accepts: copies the new and changed
 * ones (size or mtime differ) keeping mtime and mode, deletes what the tree no longer has.
 */
export function syncMirror(tree: string, mirror: string, skip: (rel: string, isDir: boolean) => boolean): SyncResult {
  const source = listTree(tree, skip);
  const existing = listTree(mirror);
  const result: SyncResult = { copied: [], deleted: [], added: [] };
  for (const [rel, entry] of source) {
    const have = existing.get(rel);
    if (have && have.kind === entry.kind && have.size === entry.size && sameTime(have.mtimeMs, entry.mtimeMs)) continue;
    const from = path.join(tree, rel);
    const to = path.join(mirror, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (have) fs.rmSync(to, { force: true });
    const mtime = entry.mtimeMs / 1000;
    if (entry.kind === "link") {
      fs.symlinkSync(fs.readlinkSync(from), to);
      fs.lutimesSync(to, mtime, mtime);
    } else {
      fs.copyFileSync(from, to);
      fs.chmodSync(to, entry.mode);
      fs.utimesSync(to, mtime, mtime);
    }
    result.copied.push(rel);
    if (!have) result.added.push(rel);
  }
  for (const rel of existing.keys()) {
    if (source.has(rel)) continue;
    fs.rmSync(path.join(mirror, rel), { force: true });
    result.deleted.push(rel);
  }
  return result;
}

function readMirrorState(file: string): MirrorState {
  try {
    const state = JSON.parse(fs.readFileSync(file, "utf8")) as MirrorState;
    if (Array.isArray(state.outputs) && Array.isArray(state.files)) return state;
  } catch {
    // First run, or a state file from an interrupted run: start over.
  }
  return { outputs: [], files: [] };
}

/** Brings the mirror up to date with the tree and makes sure kbuild sees it as clean. */
async function updateMirror(tree: string, srcDir: string, stateFile: string, log: string, progress: Progress): Promise<void> {
  const state = readMirrorState(stateFile);
  const outputs = new Set(state.outputs);
  const skip = (rel: string, isDir: boolean) => isBuildOutput(rel, isDir) || outputs.has(rel);
  const first = !fs.existsSync(srcDir) || state.files.length === 0;
  const task = progress.task(first ? `copying ${tree} to a clean source tree` : `updating the source copy of ${path.basename(tree)}`);
  let synced: SyncResult;
  try {
    fs.mkdirSync(srcDir, { recursive: true });
    synced = syncMirror(tree, srcDir, skip);
    task.done(`${synced.copied.length} copied, ${synced.deleted.length} deleted`);
  } catch (err) {
    task.fail();
    throw DevgenError.single(`copying ${tree} to ${srcDir} failed: ${(err as Error).message}`, "check the disk space under the devgen cache");
  }
  const known = new Set(state.files);
  const unseen = first ? [] : synced.added.filter((rel) => !known.has(rel));
  if (!first && !unseen.length && !hasKbuildState(srcDir)) return;

  // New files may be build outputs of the tree this module does not know by name: let
  // kbuild's own mrproper decide, in the mirror, and remember what it removed.
  const before = listTree(srcDir);
  await run("make", ["mrproper"], { step: "make mrproper (in devgen's source copy)", log, cwd: srcDir });
  const after = listTree(srcDir);
  for (const rel of before.keys()) if (!after.has(rel)) outputs.add(rel);
  fs.writeFileSync(stateFile, JSON.stringify({ outputs: [...outputs].sort(), files: [...after.keys()].sort() } satisfies MirrorState));
}

/** What kbuild checks before an O= build ("source tree is not clean"). */
function hasKbuildState(srcDir: string): boolean {
  return [".config", "include/config", "arch/x86/include/generated"].some((f) => fs.existsSync(path.join(srcDir, f)));
}

// ---------------------------------------------------------------------------------------
// Configuration.

function fragmentStamp(fragments: readonly ConfigFragment[]): string {
  return createHash("sha256").update(renderFragment(fragments)).digest("hex");
}

/** Symbols the tree's Kconfig files define, to tell a renamed symbol from an unmet dependency. */
function treeSymbols(srcDir: string): Set<string> {
  const symbols = new Set<string>();
  const files = listTree(srcDir, (rel, isDir) => isDir && /^(Documentation|tools|samples|LICENSES)$/.test(rel));
  for (const [rel, entry] of files) {
    if (entry.kind !== "file" || !/(^|\/)Kconfig[\w.-]*$/.test(rel)) continue;
    for (const name of kconfigSymbols(fs.readFileSync(path.join(srcDir, rel), "utf8"))) symbols.add(name);
  }
  return symbols;
}

/** Checks build/.config against the fragments; throws naming every symbol Kconfig did not keep. */
export function verifyFullConfig(buildDir: string, srcDir: string, fragments: readonly ConfigFragment[]): void {
  const config = parseConfig(fs.readFileSync(path.join(buildDir, ".config"), "utf8"));
  const mismatches = checkConfig(config, mergeFragments(fragments));
  if (!mismatches.length) return;
  const symbols = treeSymbols(srcDir);
  const diagnostics: Diagnostic[] = mismatches.map((mm) => ({
    location: null,
    message: describeMismatch(mm, symbols.has(mm.name)),
    hint: "",
  }));
  diagnostics[diagnostics.length - 1]!.hint = `see ${path.join(buildDir, ".config")}; the fragment is in src/toolchain/config-fragments.ts`;
  throw new DevgenError(diagnostics, 3);
}

/** tinyconfig + the fragments + olddefconfig, unless the build directory already has exactly that. */
async function configure(srcDir: string, buildDir: string, fragments: readonly ConfigFragment[], log: string, progress: Progress): Promise<void> {
  const stamp = path.join(buildDir, CONFIG_STAMP);
  const wanted = fragmentStamp(fragments);
  const config = path.join(buildDir, ".config");
  if (fs.existsSync(config) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === wanted) return;
  const task = progress.task(`configuring a minimal kernel (tinyconfig + ${fragments.map((f) => f.name).join(" + ")})`);
  try {
    fs.rmSync(stamp, { force: true });
    fs.mkdirSync(buildDir, { recursive: true });
    await run("make", [`O=${buildDir}`, "tinyconfig"], { step: "make tinyconfig", log, cwd: srcDir });
    const fragment = path.join(buildDir, FRAGMENT_FILE);
    fs.writeFileSync(fragment, renderFragment(fragments));
    await run("scripts/kconfig/merge_config.sh", ["-m", "-O", buildDir, config, fragment], {
      step: "merge the devgen fragment (merge_config.sh)",
      log,
      cwd: srcDir,
    });
    await run("make", [`O=${buildDir}`, "olddefconfig"], { step: "make olddefconfig", log, cwd: srcDir });
    verifyFullConfig(buildDir, srcDir, fragments);
    fs.writeFileSync(stamp, wanted);
    task.done();
  } catch (err) {
    task.fail();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// The build.

/** Percentage of a kbuild run: the objects it reports against the count the last build reported. */
function kbuildProgress(task: ProgressTask, total: number): { onLine: (line: string) => void; count: () => number } {
  let done = 0;
  return {
    onLine: (line) => {
      const match = /^\s+(CC \[M\]|LD \[M\]|CC|AS|LD|AR|HOSTCC|HOSTLD|MODPOST|OBJCOPY|ZSTD|XZKERN|GZIP|BUILD)\s+(\S+)/.exec(line);
      if (!match) return;
      done++;
      task.update(Math.min(done, total), total);
      task.note(path.basename(match[2]!));
    },
    count: () => done,
  };
}

/**
 * The compiler's own error lines of this run (file:line:col: error), with the mirror's paths
 * turned back into the user's tree, first; then the failure itself.
 */
export function compilerErrors(logText: string, srcDir: string, tree: string): string[] {
  const errors: string[] = [];
  for (const raw of logText.split("\n")) {
    const match = /^(\S+?\.[chS]):(\d+):(\d+): (?:fatal )?error: (.*)$/.exec(raw);
    if (!match) continue;
    const file = path.resolve(srcDir, match[1]!);
    const rel = path.relative(srcDir, file);
    const shown = rel.startsWith("..") ? file : path.join(tree, rel);
    errors.push(`${shown}:${match[2]}:${match[3]}: error: ${match[4]}`);
  }
  return [...new Set(errors)];
}

function withCompilerErrors(err: unknown, log: string, logOffset: number, srcDir: string, tree: string): unknown {
  if (!(err instanceof DevgenError) || !fs.existsSync(log)) return err;
  const text = fs.readFileSync(log).subarray(logOffset).toString("utf8");
  const errors = compilerErrors(text, srcDir, tree);
  if (!errors.length) return err;
  return new DevgenError([...errors.slice(0, 10).map((message) => ({ location: null, message, hint: "" })), ...err.diagnostics], 3);
}

function logSize(log: string): number {
  try {
    return fs.statSync(log).size;
  } catch {
    return 0;
  }
}

/**
 * Brings the tree's clean copy up to date and configures the build directory (tinyconfig +
 * fragments, checked), without building: `buildFullKernel`'s first half, also useful alone
 * to check a fragment against a tree in seconds.
 */
export async function configureFullKernel(
  options: FullKernelOptions,
): Promise<{ srcDir: string; buildDir: string; config: string; fragments: ConfigFragment[] }> {
  const { log, progress } = options;
  const tree = path.resolve(options.tree);
  const debug = options.debug ?? false;
  if (!fs.existsSync(path.join(tree, "arch/x86/kvm")) || !fs.existsSync(path.join(tree, "scripts/kconfig/merge_config.sh"))) {
    throw DevgenError.single(`${tree} is not a Linux source tree (no arch/x86/kvm or scripts/kconfig/merge_config.sh)`, "pass the top of a kernel tree");
  }
  await ensureStep("kernel-full", log, progress);
  const { root, srcDir, buildDir } = fullBuildPaths(tree, debug, options.cache);
  fs.mkdirSync(root, { recursive: true });
  await updateMirror(tree, srcDir, path.join(root, STATE_FILE), log, progress);
  const fragments = fragmentsFor(debug);
  await configure(srcDir, buildDir, fragments, log, progress);
  return { srcDir, buildDir, config: path.join(buildDir, ".config"), fragments };
}

/** Copies the tree, configures it and builds bzImage and modules out of tree. */
export async function buildFullKernel(options: FullKernelOptions): Promise<FullKernelBuild> {
  const started = Date.now();
  const { log, progress } = options;
  const tree = path.resolve(options.tree);
  const debug = options.debug ?? false;
  const { srcDir, buildDir, fragments } = await configureFullKernel(options);

  const countFile = path.join(buildDir, ".devgen-objects");
  const expected = Number(fs.existsSync(countFile) ? fs.readFileSync(countFile, "utf8") : COLD_OBJECTS) || COLD_OBJECTS;
  const task = progress.task(`building bzImage and modules${debug ? " (debug)" : ""}`, { unit: "percent" });
  const watch = kbuildProgress(task, expected);
  const offset = logSize(log);
  const jobs = options.jobs ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  try {
    await run("make", [`O=${buildDir}`, `-j${jobs}`, "bzImage", "modules"], {
      step: "make bzImage modules",
      log,
      cwd: srcDir,
      onLine: watch.onLine,
    });
    task.done();
  } catch (err) {
    task.fail();
    throw withCompilerErrors(err, log, offset, srcDir, tree);
  }
  // A cold build's count is the scale for the next cold one; incremental ones report few.
  if (watch.count() > expected / 2) fs.writeFileSync(countFile, String(watch.count()));
  // kbuild re-runs syncconfig when a Kconfig file changed: check the fragment still holds.
  verifyFullConfig(buildDir, srcDir, fragments);

  const bzImage = path.join(buildDir, "arch/x86/boot/bzImage");
  const modules = MODULES.map((m) => path.join(buildDir, "arch/x86/kvm", m));
  const missing = [bzImage, ...modules].filter((f) => !fs.existsSync(f));
  if (missing.length) {
    throw new DevgenError([{ location: null, message: `the kernel build finished without ${missing.map((f) => path.relative(buildDir, f)).join(", ")}`, hint: `see ${log}` }], 3);
  }
  const release = fs.readFileSync(path.join(buildDir, "include/config/kernel.release"), "utf8").trim();
  return { buildDir, srcDir, bzImage, modules, modulesDir: buildDir, release, durationMs: Date.now() - started };
}
