/**
 * Builds the KVM modules of a patched kernel tree.
 *
 * Module mode (the default): the tree is configured like the stock image it will be loaded
 * into (its config, the headers' Module.symvers, `KERNELRELEASE=<image release>`), prepared
 * once, and only `arch/x86/kvm` is built; after a regenerate, make rebuilds only the files
 * that changed. DESIGN.md: ~25 s prepare, ~50 s cold kvm build, ~3 s after a one-file change.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DevgenError } from "../util/diagnostics.js";
import type { Progress, ProgressTask } from "../util/progress.js";
import { run } from "../util/run.js";
import { configDrift, describeDrift } from "./config-drift.js";
import { removeTornCmdFiles } from "./torn-cmd.js";
import { ensureStep } from "./packages.js";

export interface StockKernel {
  /** `uname -r` of the image the modules must load into. */
  release: string;
  /** The image's config. */
  config: string;
  /** The headers' Module.symvers. */
  symvers: string;
}

export interface KernelModulesBuild {
  tree: string;
  release: string;
  /** Absolute paths of kvm.ko, kvm-amd.ko, kvm-intel.ko. */
  modules: string[];
  durationMs: number;
}

const MODULES = ["kvm.ko", "kvm-amd.ko", "kvm-intel.ko"];
/** Written in the tree once it is prepared for an image (see prepareKernelTree). */
export const PREPARED_MARKER = ".devgen-prepared";

function jobs(): string {
  return `-j${Math.max(1, os.availableParallelism?.() ?? os.cpus().length)}`;
}

/** Percentage of a kbuild run, from the objects it reports against the number it has to make. */
function kbuildProgress(task: ProgressTask, total: number): (line: string) => void {
  let done = 0;
  return (line) => {
    const match = /^\s+(CC \[M\]|LD \[M\]|CC|LD|AR|MODPOST)\s+(\S+)/.exec(line);
    if (!match) return;
    done++;
    task.update(Math.min(done, total), total);
    task.note(path.basename(match[2]!));
  };
}

/** What the tree was prepared for: the image's release and a hash of its config. */
function preparedFor(stock: StockKernel): string {
  const config = createHash("sha256").update(fs.readFileSync(stock.config)).digest("hex");
  return `${JSON.stringify({ release: stock.release, config })}\n`;
}

/** Stops before anything is built when olddefconfig changed the image's config (config-drift.ts). */
function checkConfigDrift(tree: string, stock: StockKernel, log: string): void {
  const changes = configDrift(fs.readFileSync(stock.config, "utf8"), fs.readFileSync(path.join(tree, ".config"), "utf8"));
  if (!changes.length) return;
  const lines = describeDrift(changes);
  fs.appendFileSync(log, `### config drift against ${stock.config}:\n${lines.join("\n")}\n`);
  throw new DevgenError(
    [
      {
        location: null,
        message: `make olddefconfig changed ${changes.length} symbol${changes.length > 1 ? "s" : ""} of ${stock.release}'s config, so the modules would not match the image:\n  ${lines.join("\n  ")}`,
        hint: `install what is named above (devgen doctor --for build) and run again; the full list is in ${log}`,
      },
    ],
    3,
  );
}

/**
 * Configures the tree like the stock image and runs modules_prepare, once per image. The
 * marker is written last, so an interrupted or refused prepare runs again next time.
 */
export async function prepareKernelTree(tree: string, stock: StockKernel, log: string, progress: Progress): Promise<void> {
  const marker = path.join(tree, PREPARED_MARKER);
  const wanted = preparedFor(stock);
  if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === wanted) return;
  fs.rmSync(marker, { force: true });
  const task = progress.task(`preparing ${path.basename(tree)} for ${stock.release}`, { unit: "percent" });
  try {
    fs.copyFileSync(stock.config, path.join(tree, ".config"));
    fs.copyFileSync(stock.symvers, path.join(tree, "Module.symvers"));
    await run("make", ["olddefconfig"], { step: "make olddefconfig", log, cwd: tree });
    checkConfigDrift(tree, stock, log);
    await run("make", [jobs(), `KERNELRELEASE=${stock.release}`, "modules_prepare"], {
      step: "make modules_prepare",
      log,
      cwd: tree,
      onLine: kbuildProgress(task, 60),
    });
    fs.writeFileSync(marker, wanted);
    task.done();
  } catch (err) {
    task.fail();
    throw err;
  }
}

/**
 * Builds arch/x86/kvm. With `stock`, the tree is first configured and prepared for that
 * image; without, it must already be (a user's own tree), and `release` is its own.
 */
export async function buildKvmModules(options: {
  tree: string;
  stock: StockKernel | null;
  release: string;
  log: string;
  progress: Progress;
}): Promise<KernelModulesBuild> {
  const { tree, stock, release, log, progress } = options;
  await ensureStep("kernel-modules", log, progress);
  if (stock) await prepareKernelTree(tree, stock, log, progress);
  const torn = removeTornCmdFiles(tree, ["arch/x86/kvm", "virt/kvm"]);
  if (torn.length) progress.info(`an interrupted build left ${torn.join(", ")} half-written: rebuilding them`);
  const task = progress.task("building arch/x86/kvm", { unit: "percent" });
  let result;
  try {
    result = await run("make", [jobs(), `KERNELRELEASE=${release}`, "M=arch/x86/kvm", "modules"], {
      step: "make M=arch/x86/kvm modules",
      log,
      cwd: tree,
      onLine: kbuildProgress(task, 80),
    });
    task.done();
  } catch (err) {
    task.fail();
    throw withCompilerErrors(err, log, tree);
  }
  const modules = MODULES.map((m) => path.join(tree, "arch/x86/kvm", m));
  const missing = modules.filter((m) => !fs.existsSync(m));
  if (missing.length) {
    throw new DevgenError([{ location: null, message: `the kvm build finished without ${missing.map((m) => path.basename(m)).join(", ")}`, hint: `see ${log}` }], 3);
  }
  return { tree, release, modules, durationMs: result.durationMs };
}

/**
 * Puts the compiler's own error lines (file:line: error) first, so a failure in a generated
 * file or in hooks.c is named directly rather than buried in make's output.
 */
function withCompilerErrors(err: unknown, log: string, tree: string): unknown {
  if (!(err instanceof DevgenError) || !fs.existsSync(log)) return err;
  const errors = fs
    .readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => /^[^\s:]+\.[ch]:\d+:\d+: error:/.test(line));
  if (!errors.length) return err;
  const [first] = err.diagnostics;
  return new DevgenError(
    [
      ...errors.slice(0, 10).map((line) => ({
        location: null,
        message: `${path.join(tree, line.slice(0, line.indexOf(": error:")))}: ${line.slice(line.indexOf("error:"))}`,
        hint: "",
      })),
      first!,
    ],
    3,
  );
}

/** The vermagic a module was built with, as `modinfo` reports it. */
export async function vermagic(module: string, log: string): Promise<string> {
  const { stdout } = await run("modinfo", ["-F", "vermagic", module], { step: `modinfo ${path.basename(module)}`, log });
  return stdout.trim();
}
