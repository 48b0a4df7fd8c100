/**
 * Builds `qemu-system-x86_64` from a (patched) QEMU tree: a lean x86_64 system emulator
 * with KVM and TCG, configured once into a build directory outside the source tree, then
 * `ninja qemu-system-x86_64` (only the binary, not the tests), so after a regenerate ninja
 * rebuilds only what changed.
 *
 * DESIGN.md: 7.2 configures with Debian's meson when /usr/bin comes first on PATH (the
 * python3 first on PATH may be a separate build that cannot see Debian's modules, and 7.2
 * refuses `--python` together with a system meson); 10.0 needs meson >= 1.5 and pycotap
 * from bookworm-backports and `--python=/usr/bin/python3`. Cold build ~5-6 min on 2 cores.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot, logsDir } from "../util/cache-dir.js";
import { QEMU_BUILD_NEEDS, qemuBuildSeries, type QemuBuildNeeds } from "./qemu-fetch.js";
import type { QemuTarget } from "../gen/qemu/target.js";
import { DevgenError } from "../util/diagnostics.js";
import { quietProgress, type Progress, type ProgressTask } from "../util/progress.js";
import { run } from "../util/run.js";
import { ensureStep } from "./packages.js";

export const QEMU_BINARY = "qemu-system-x86_64";
/** Written into the build directory after a successful configure: what it was configured with. */
const STAMP = "devgen-configure.json";

export interface QemuBuildOptions {
  /** The QEMU source tree (patched or not). */
  srcDir: string;
  /** The tree's release (detectQemuTarget) or its version string: "7.2", "10.0"... */
  target: QemuTarget | string;
  progress?: Progress;
  /** Log of every command; default `<cache>/logs/build-qemu-<tree>.log`. */
  log?: string;
  /** Default: `build/` beside a tree in devgen's cache, else `<cache>/qemu-build/<tree>-<hash>`. */
  buildDir?: string;
}

export interface QemuBuildResult {
  /** Absolute path of qemu-system-x86_64. */
  binary: string;
  buildDir: string;
  /** Whether configure ran this time. */
  configured: boolean;
  /** Steps ninja ran (0: everything was up to date). */
  steps: number;
  durationMs: number;
  log: string;
}

/** How a release is configured (meson >= 1.5 and --python from 10.0 on). */
export function qemuBuildNeeds(version: string): QemuBuildNeeds {
  return QEMU_BUILD_NEEDS[qemuBuildSeries(version)];
}

/** The configure command line (after the script itself) for a release. */
export function configureArgs(needs: QemuBuildNeeds): string[] {
  return [...needs.configureArgs, ...(needs.python ? [`--python=${needs.python}`] : [])];
}

/** `[N/M] ...` of ninja's status lines, or null. */
export function ninjaStep(line: string): { done: number; total: number; what: string } | null {
  const m = /^\[(\d+)\/(\d+)\]\s*(.*)$/.exec(line);
  if (!m) return null;
  return { done: Number(m[1]), total: Number(m[2]), what: m[3]! };
}

/** Default build directory: outside the source tree, so the tree stays as fetched or checked out. */
export function defaultBuildDir(srcDir: string, cache: string = cacheRoot()): string {
  const tree = path.resolve(srcDir);
  const rel = path.relative(path.resolve(cache), tree);
  if (!rel.startsWith("..") && !path.isAbsolute(rel)) return path.join(path.dirname(tree), "build");
  const hash = createHash("sha256").update(tree).digest("hex").slice(0, 8);
  return path.join(cache, "qemu-build", `${path.basename(tree)}-${hash}`);
}

/** PATH with the system's directories first (see the file comment). */
function systemFirstPath(): string {
  const rest = (process.env.PATH ?? "").split(":").filter((p) => p && !["/usr/bin", "/bin", "/usr/sbin", "/sbin"].includes(p));
  return ["/usr/bin", "/bin", "/usr/sbin", "/sbin", ...rest].join(":");
}

function mesonVersion(): string | null {
  try {
    return execFileSync("meson", ["--version"], { encoding: "utf8", env: { ...process.env, PATH: systemFirstPath() }, stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

interface Stamp {
  srcDir: string;
  args: string[];
  meson: string | null;
}

function readStamp(buildDir: string): Stamp | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(buildDir, STAMP), "utf8")) as Stamp;
  } catch {
    return null;
  }
}

/** Configure runs again only when the build directory was never configured or configured differently. */
function needsConfigure(buildDir: string, wanted: Stamp): boolean {
  if (!fs.existsSync(path.join(buildDir, "build.ninja"))) return true;
  const stamp = readStamp(buildDir);
  return !stamp || JSON.stringify(stamp) !== JSON.stringify(wanted);
}

/** "Compiling C object .../hw_misc_xche.c.o" -> "hw_misc_xche.c.o"; "Linking target qemu-system-x86_64" -> "linking qemu-system-x86_64". */
export function ninjaNote(what: string): string {
  const m = /^(?:Compiling \S+ object|(Linking) (?:target|static target)|(Generating)) (\S+)/.exec(what);
  if (!m) return what.slice(0, 40);
  const verb = m[1] ? "linking " : m[2] ? "generating " : "";
  return `${verb}${path.basename(m[3]!)}`;
}

function ninjaProgress(task: ProgressTask): { onLine: (line: string) => void; steps: () => number } {
  let steps = 0;
  return {
    onLine: (line) => {
      const step = ninjaStep(line);
      if (!step) return;
      steps = step.done;
      task.update(step.done, step.total);
      task.note(ninjaNote(step.what));
    },
    steps: () => steps,
  };
}

interface ConfiguredQemu {
  version: string;
  buildDir: string;
  log: string;
  env: Record<string, string>;
  /** Whether configure ran this time. */
  configured: boolean;
}

/**
 * Installs what the release needs and configures the tree into its build directory, unless
 * it is already configured the same way. A failed configure leaves no stamp, so the next run
 * configures again from scratch.
 */
export async function configureQemu(options: QemuBuildOptions): Promise<ConfiguredQemu> {
  const progress = options.progress ?? quietProgress;
  const srcDir = path.resolve(options.srcDir);
  if (!fs.existsSync(path.join(srcDir, "configure")) || !fs.existsSync(path.join(srcDir, "VERSION"))) {
    throw DevgenError.single(`${srcDir} is not a QEMU source tree (no configure or VERSION)`, "pass the top of a QEMU checkout to --qemu-src");
  }
  const version = typeof options.target === "string" ? options.target : options.target.version;
  const needs = qemuBuildNeeds(version);
  const buildDir = path.resolve(options.buildDir ?? defaultBuildDir(srcDir));
  const log = options.log ?? path.join(logsDir(), `build-qemu-${path.basename(srcDir)}.log`);
  fs.mkdirSync(path.dirname(log), { recursive: true });

  await ensureStep(`qemu-${qemuBuildSeries(version)}`, log, progress);
  const env = { PATH: systemFirstPath() };
  const args = configureArgs(needs);
  const wanted: Stamp = { srcDir, args, meson: mesonVersion() };
  const result = { version, buildDir, log, env, configured: false };
  if (!needsConfigure(buildDir, wanted)) return result;

  // A directory configured otherwise (other options, meson or tree) starts from scratch:
  // meson refuses a build directory made by another meson version.
  fs.rmSync(buildDir, { recursive: true, force: true });
  fs.mkdirSync(buildDir, { recursive: true });
  const task = progress.task(`configuring QEMU ${version} (${path.basename(srcDir)})`, { unit: "percent" });
  try {
    await run(path.join(srcDir, "configure"), args, {
      step: `configure QEMU ${version}`,
      log,
      cwd: buildDir,
      env,
      hint: `devgen doctor --for all names what each QEMU release needs (src/toolchain/step-needs.ts)`,
      onLine: (line) => {
        const m = /^(Project name|Checking for|Run-time dependency|Program|Build targets)\b.{0,60}/.exec(line);
        if (m) task.note(m[0]);
      },
    });
    fs.writeFileSync(path.join(buildDir, STAMP), `${JSON.stringify(wanted, null, 2)}\n`);
    task.done();
  } catch (err) {
    task.fail();
    throw err;
  }
  return { ...result, configured: true };
}

export async function buildQemu(options: QemuBuildOptions): Promise<QemuBuildResult> {
  const started = Date.now();
  const progress = options.progress ?? quietProgress;
  const { version, buildDir, log, env, configured } = await configureQemu(options);
  const task = progress.task(`building ${QEMU_BINARY} (QEMU ${version})`, { unit: "percent" });
  const watch = ninjaProgress(task);
  try {
    await run("ninja", [QEMU_BINARY], { step: `ninja ${QEMU_BINARY}`, log, cwd: buildDir, env, onLine: watch.onLine });
    task.done();
  } catch (err) {
    task.fail();
    throw err;
  }
  const binary = path.join(buildDir, QEMU_BINARY);
  if (!fs.existsSync(binary)) throw DevgenError.single(`ninja finished but ${binary} is missing`, `see ${log}`);
  return { binary, buildDir, configured, steps: watch.steps(), durationMs: Date.now() - started, log };
}
