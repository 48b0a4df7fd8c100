#!/usr/bin/env node
/** The devgen command line. */
import * as fs from "node:fs";
import * as path from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { DevgenError, formatDiagnostic } from "../util/diagnostics.js";
import { runNew } from "../pipeline/new.js";
import { compileAll, DEFAULT_OUT, runGenerate, writeGenerated } from "../pipeline/generate.js";
import { ensureHooksCompiler } from "../pipeline/hooks-compile.js";
import { KVM_APIS } from "../compile/index.js";
import type { KvmApiKind } from "../ir/types.js";
import { buildKernel, buildQemuTree, unpatchTree } from "../pipeline/build.js";
import { formatCache, runCache } from "../pipeline/cache.js";
import { doctorExitCode, formatDoctor, runDoctor } from "../pipeline/doctor.js";
import { formatDocs, runDocs } from "../pipeline/docs.js";
import { runDemo } from "../pipeline/demo.js";
import { formatFetch, runFetch } from "../pipeline/fetch.js";
import { formatTestInVm, LEVEL_CHOICES, runTestInVm, type LevelChoice, type TestInVmOptions, type TestInVmResult } from "../pipeline/test-in-vm.js";
import { LEVEL_NAMES, levelHelp, type LevelName } from "../harness/levels.js";
import { cellId } from "../ci/cell.js";
import { cellSummaryMarkdown } from "../ci/cell-summary.js";
import { DEFAULT_CI_LEVELS } from "../ci/matrix.js";
import { aloneInCachedTrees, cellCacheKey, ciFile, formatCells, loadMatrix, resolveCell } from "../pipeline/ci.js";
import { formatBench, runBench } from "../pipeline/bench.js";
import { DEFAULT_DEVICES_DIR, deviceDirs } from "../pipeline/devices.js";
import { cacheRoot } from "../util/cache-dir.js";
import { DEFAULT_FUZZ_SECONDS, DEFAULT_FUZZ_SEED } from "../harness/fuzz-level.js";
import { DEFAULT_BENCH_QEMU_ROUNDS, DEFAULT_BENCH_READS, DEFAULT_BENCH_ROUNDS } from "../harness/bench-level.js";
import { createProgress } from "../util/progress.js";
import { EXIT } from "../util/exit-codes.js";
import { DEFAULT_SCOPE, SCOPES, type Scope } from "../toolchain/step-needs.js";
import { DEFAULT_KERNEL, KERNEL_SERIES, KERNEL_SOURCES, type KernelSeries } from "../toolchain/kernel-fetch.js";
import { DEFAULT_QEMU, NEWEST_QEMU, QEMU_CHOICES, QEMU_SERIES, QEMU_SOURCES, type QemuSeries } from "../toolchain/qemu-fetch.js";

/** "6.1 (bookworm), 7.2 (sid)": each series with the Debian suite it comes from. */
const KERNEL_SUITES = KERNEL_SERIES.map((s) => `${s} (${KERNEL_SOURCES[s].suite})`).join(", ");
const QEMU_SUITES = `${QEMU_SERIES.map((s) => `${s} (${QEMU_SOURCES[s].suite})`).join(", ")}, ${NEWEST_QEMU} (the newest Debian serves)`;

/** The `[devices..]` of every command that takes devices. */
const DEVICES_ARG = { type: "string", array: true, describe: "Device directories (default: every devices/*)" } as const;
/** --kernel and --qemu: one of Debian's series (fetch: only those given). */
const KERNEL_CHOICE = { type: "string", choices: KERNEL_SERIES, describe: `Debian kernel series: ${KERNEL_SUITES}` } as const;
const QEMU_CHOICE = { type: "string", choices: QEMU_CHOICES, describe: `Debian QEMU series: ${QEMU_SUITES}` } as const;
/** Where no series is given, the default pair (README, "Which trees"). */
const KERNEL_OPTION = { ...KERNEL_CHOICE, default: DEFAULT_KERNEL } as const;
const QEMU_OPTION = { ...QEMU_CHOICE, default: DEFAULT_QEMU } as const;

interface Common {
  json?: boolean;
  verbose?: boolean;
}

/** `irq-source-ids {"kind":"fixed","first":3}, zero-alloc kzalloc_obj`: one line for people. */
function formatProbeValues(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([probe, value]) => `${probe} ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

function fail(err: unknown, options: Common): never {
  if (err instanceof DevgenError) {
    if (options.json) {
      print(true, { ok: false, errors: err.diagnostics }, "");
    } else {
      process.stderr.write(`${err.diagnostics.map(formatDiagnostic).join("\n")}\n`);
    }
    process.exit(err.exitCode);
  }
  const error = err as Error;
  process.stderr.write(`devgen: internal error: ${error?.message ?? String(err)}\n`);
  if (options.verbose && error?.stack) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write("run again with --verbose for the stack trace, and please report it\n");
  process.exit(EXIT.environment);
}

function guarded<T extends Common>(action: (argv: T) => void | Promise<void>): (argv: T) => Promise<void> {
  return async (argv) => {
    try {
      await action(argv);
    } catch (err) {
      fail(err, argv);
    }
  };
}

function progressFor(argv: Common) {
  return createProgress({ mode: argv.json ? "plain" : "auto" });
}

/**
 * `devgen test-in-vm`, and each cell of `devgen ci --run-cell`, which must run exactly the
 * same: generate, build, boot, print, exit 1 on a failed check. Returns the result for what
 * the caller adds.
 */
async function testInVm(
  argv: Common & { devices?: string[]; kvmApi?: string },
  options: Omit<TestInVmOptions, "devices" | "progress">,
): Promise<TestInVmResult> {
  const progress = progressFor(argv);
  await ensureHooksCompiler(progress);
  const kvmApi = argv.kvmApi as KvmApiKind | undefined;
  const compiled = compileAll(deviceDirs(argv.devices), { kvmApi });
  // Generated with an API its file does not say, the device's files would overwrite the
  // committed ones with something no file describes: the levels take them from memory.
  if (!kvmApi) writeGenerated(compiled);
  const result = await runTestInVm({ ...options, devices: compiled, progress });
  print(argv.json, result, formatTestInVm(result));
  if (!result.ok) process.exitCode = EXIT.testFailure;
  return result;
}

await yargs(hideBin(process.argv))
  .scriptName("devgen")
  .usage("$0 <command> [options]\n\nGenerate a KVM in-kernel device and its QEMU twin from one TypeScript description.")
  .option("json", { type: "boolean", describe: "Print machine-readable JSON on stdout" })
  .option("verbose", { type: "boolean", describe: "Show stack traces and full logs" })
  .command(
    "demo",
    "Run the whole loop on xche: scaffold, generate, build Debian's kernel and QEMU, test in VMs",
    (y) =>
      y
        .option("leak-cycles", { type: "number", describe: "VMs the kvm level creates and destroys to look for leaks (default 1000)" })
        .example("$0 demo", "First run: about 25 minutes on 2 cores (downloads and builds); later runs reuse the cache"),
    guarded(async (argv) => {
      const result = await runDemo({ progress: progressFor(argv), leakCycles: argv.leakCycles });
      const lines = [
        formatTestInVm(result.test),
        "",
        `devices:   ${result.generated.map((g) => path.join(DEFAULT_DEVICES_DIR, path.basename(g))).join(", ")}${result.scaffolded ? " (scaffolded now)" : ""}`,
        `generated: ${result.generated.join(", ")} (docs/ has the register map; devgen docs --html draws it)`,
        `cache:     ${cacheRoot()} (kernel and QEMU trees, builds, logs)`,
        `demo ${result.ok ? "passed" : "FAILED"} in ${Math.round(result.seconds)} s`,
      ];
      print(argv.json, result, lines.join("\n"));
      if (!result.ok) process.exitCode = EXIT.testFailure;
    }),
  )
  .command(
    "new <name>",
    "Scaffold devices/<name>/device.ts and hooks.c",
    (y) =>
      y
        .positional("name", { type: "string", demandOption: true, describe: "Device name, a lower-case C identifier" })
        .option("dir", { type: "string", describe: "Directory to create (default devices/<name>)" })
        .example("$0 new xche", "Create devices/xche/ with the xche example device"),
    guarded((argv) => {
      const dir = runNew({ name: argv.name, dir: argv.dir });
      print(argv.json, { ok: true, dir }, `created ${dir}/device.ts and ${dir}/hooks.c\nnext: devgen generate ${dir}`);
    }),
  )
  .command(
    "check [devices..]",
    "Validate device descriptions without writing anything",
    (y) =>
      y
        .positional("devices", DEVICES_ARG)
        .example("$0 check devices/xche", "Type-check and validate one device"),
    guarded((argv) => {
      const compiled = compileAll(deviceDirs(argv.devices));
      const summary = compiled.map((c) => ({ device: c.device.name, registers: c.device.registers.length }));
      print(argv.json, { ok: true, devices: summary }, summary.map((s) => `ok: ${s.device} (${s.registers} registers)`).join("\n"));
    }),
  )
  .command(
    "generate [devices..]",
    "Write the core, KVM, QEMU, docs and tests for each device",
    (y) =>
      y
        .positional("devices", DEVICES_ARG)
        .option("out", { type: "string", default: DEFAULT_OUT, describe: "Output root: each device goes to <out>/<name>/" })
        .example("$0 generate", "Generate every device under devices/ into generated/")
        .example("$0 generate examples/uart16550 --out /tmp/gen", "Generate one device elsewhere"),
    guarded((argv) => {
      const results = runGenerate(deviceDirs(argv.devices), argv.out);
      print(argv.json, { ok: true, results }, results.map((r) => `${r.device}: ${r.files.length} files in ${r.out}/`).join("\n"));
    }),
  )
  .command(
    "fetch",
    "Download the default kernel and QEMU trees into the cache",
    (y) =>
      y
        .option("kernel", KERNEL_CHOICE)
        .option("qemu", QEMU_CHOICE)
        .option("refresh", { type: "boolean", describe: "Ask apt for newer versions instead of reusing cached trees" })
        .example("$0 fetch", "Fetch Linux 6.1 and QEMU 7.2")
        .example("$0 fetch --kernel 6.12", "Fetch only Debian's Linux 6.12"),
    guarded(async (argv) => {
      const result = await runFetch({ kernel: argv.kernel, qemu: argv.qemu, refresh: argv.refresh, json: argv.json });
      print(argv.json, result, formatFetch(result));
    }),
  )
  .command(
    "build [devices..]",
    "Patch the devices into a kernel tree and a QEMU tree and build both",
    (y) =>
      y
        .positional("devices", DEVICES_ARG)
        .option("kernel-src", { type: "string", describe: "Kernel tree to patch (default: Debian's, fetched into the cache)" })
        .option("kernel", { ...KERNEL_OPTION, describe: `${KERNEL_OPTION.describe} (when no --kernel-src)` })
        .option("qemu-src", { type: "string", describe: "QEMU tree to patch (default: Debian's, fetched into the cache)" })
        .option("qemu", { ...QEMU_OPTION, describe: `${QEMU_OPTION.describe} (when no --qemu-src)` })
        .option("only", { type: "string", choices: ["kernel", "qemu"], describe: "Build one side only" })
        .option("full", { type: "boolean", describe: "Build a minimal bootable kernel (bzImage + modules) from the tree instead of modules for Debian's image" })
        .option("debug", {
          type: "boolean",
          implies: "full",
          describe: "With --full: a debug kernel (KASAN, lockdep, atomic-sleep checks, kmemleak, UBSAN), built in its own directory",
        })
        .option("emit-patch", {
          type: "string",
          describe: "Also write each tree's change as git format-patch mails into this directory (kernel.patch; qemu.patch, a series of two), authored by your git identity",
        })
        .option("signoff", { type: "boolean", implies: "emit-patch", describe: "With --emit-patch: add your Signed-off-by to each commit, as git commit -s does" })
        .option("force", { type: "boolean", describe: "Patch even if the files devgen edits have uncommitted changes" })
        .example("$0 build", "Fetch Debian's 6.1 and QEMU 7.2, patch every device in, build kvm.ko and QEMU")
        .example("$0 build devices/xche --kernel-src ~/linux --only kernel", "Patch and build your own (prepared) kernel tree")
        .example("$0 build --emit-patch out/ --signoff", "Also write out/kernel.patch and out/qemu.patch, ready for git send-email"),
    guarded(async (argv) => {
      const progress = progressFor(argv);
      await ensureHooksCompiler(progress);
      const compiled = compileAll(deviceDirs(argv.devices));
      writeGenerated(compiled);
      const patchFile = (side: string) => (argv.emitPatch ? path.join(argv.emitPatch, `${side}.patch`) : undefined);
      const kernel =
        argv.only === "qemu"
          ? undefined
          : await buildKernel({
              devices: compiled,
              kernelSrc: argv.kernelSrc,
              kernel: argv.kernel,
              force: argv.force,
              full: argv.full,
              debug: argv.debug,
              emitPatch: patchFile("kernel"),
              signoff: argv.signoff,
              progress,
            });
      const qemu =
        argv.only === "kernel"
          ? undefined
          : await buildQemuTree({ devices: compiled, qemuSrc: argv.qemuSrc, qemu: argv.qemu, force: argv.force, emitPatch: patchFile("qemu"), signoff: argv.signoff, progress });
      const lines: string[] = [];
      if (kernel) {
        lines.push(
          `kernel: ${kernel.devices.join(", ")} built into ${kernel.tree} in ${kernel.seconds.toFixed(0)} s`,
          `  vermagic: ${kernel.vermagic}`,
          ...(kernel.bzImage ? [`  bzImage: ${kernel.bzImage}`] : []),
          ...kernel.modules.map((m) => `  ${m}`),
          ...(kernel.patch ? [`  patch: ${kernel.patch}`] : []),
          `  tree probes: ${formatProbeValues(kernel.probes)}`,
          `  log: ${kernel.log}`,
        );
      }
      if (qemu) {
        lines.push(
          `qemu ${qemu.version}: ${qemu.devices.join(", ")} built into ${qemu.tree} in ${qemu.seconds.toFixed(0)} s`,
          `  binary: ${qemu.binary}`,
          ...(qemu.patch ? [`  patch: ${qemu.patch}`] : []),
          `  tree probes: ${formatProbeValues(qemu.probes)}`,
          `  log: ${qemu.log}`,
        );
      }
      print(argv.json, { ok: true, kernel, qemu }, lines.join("\n"));
    }),
  )
  .command(
    "unpatch",
    "Remove devgen's devices from a kernel or QEMU tree, restoring it byte for byte",
    (y) =>
      y
        .option("kernel-src", { type: "string", describe: "Kernel tree to restore" })
        .option("qemu-src", { type: "string", describe: "QEMU tree to restore" })
        .option("device", { type: "string", array: true, describe: "Only these devices (default: all devgen added)" })
        .example("$0 unpatch --kernel-src ~/linux", "Remove every devgen device from ~/linux"),
    guarded((argv) => {
      const trees = [argv.kernelSrc, argv.qemuSrc].filter((t): t is string => Boolean(t));
      // Checked here, not with .check(): a failed .check() escapes .fail() as an uncaught exception.
      if (!trees.length) throw DevgenError.single("devgen unpatch: name a tree: --kernel-src DIR and/or --qemu-src DIR", "devgen unpatch --help");
      const results = trees.map((tree) => ({ tree, removed: unpatchTree(tree, argv.device) }));
      print(
        argv.json,
        { ok: true, results },
        results.map((r) => (r.removed.length ? `removed ${r.removed.join(", ")} from ${r.tree}` : `no devgen device in ${r.tree}`)).join("\n"),
      );
    }),
  )
  .command(
    "test-in-vm [devices..]",
    "Boot VMs and run each device's conformance vectors against each implementation",
    (y) =>
      y
        .positional("devices", DEVICES_ARG)
        .option("level", {
          type: "string",
          array: true,
          choices: LEVEL_CHOICES,
          default: ["all"],
          describe: levelHelp(),
        })
        .option("kernel", KERNEL_OPTION)
        .option("qemu", QEMU_OPTION)
        .option("full", { type: "boolean", describe: "Level kvm boots a minimal kernel built from the tree (devgen build --full)" })
        .option("debug", {
          type: "boolean",
          implies: "full",
          describe: "With --full: boot the debug kernel (devgen build --full --debug); any kernel splat in the console fails the run",
        })
        .option("keep", { type: "boolean", describe: "Keep the run directory (console logs, results) even on success" })
        .option("junit", { type: "string", describe: "Write the checks as JUnit XML to this file" })
        .option("leak-cycles", { type: "number", describe: "VMs the kvm level creates and destroys to look for leaks (default 1000)" })
        .option("seconds", { type: "number", describe: `Level fuzz: how long the fuzzer runs (default ${DEFAULT_FUZZ_SECONDS})` })
        .option("seed", { type: "number", describe: `Level fuzz: the seed of every random choice, to replay a run (default ${DEFAULT_FUZZ_SEED})` })
        .option("kvm-api", {
          type: "string",
          choices: KVM_APIS,
          describe: "Generate the devices with this KVM API whatever their files say (their other API's names and numbers dropped); nothing is written to generated/",
        })
        .example("$0 test-in-vm --level kvm", "Build if needed, boot the stock kernel with the built kvm modules, run every check"),
    guarded(async (argv) => {
      await testInVm(argv, {
        levels: argv.level as LevelChoice[],
        kernel: argv.kernel,
        full: argv.full,
        debug: argv.debug,
        qemu: argv.qemu,
        keep: argv.keep,
        junit: argv.junit,
        leakCycles: argv.leakCycles,
        fuzzSeconds: argv.seconds,
        fuzzSeed: argv.seed,
      });
    }),
  )
  .command(
    "bench [devices..]",
    "Measure guest reads/s through the generated in-kernel device, a hand-written baseline, a userspace VMM and QEMU, and the edit→tested loop",
    (y) =>
      y
        .positional("devices", DEVICES_ARG)
        .option("kernel", KERNEL_OPTION)
        .option("qemu", QEMU_OPTION)
        .option("skip-qemu", { type: "boolean", describe: "Measure only the paths inside the outer VM's kernel and the userspace VMM" })
        .option("skip-loop", { type: "boolean", describe: "Skip the edit→tested loop" })
        .option("rounds", { type: "number", describe: `Interleaved rounds, each measuring every path once (default ${DEFAULT_BENCH_ROUNDS})` })
        .option("reads", { type: "number", describe: `Guest reads per sample (default ${DEFAULT_BENCH_READS})` })
        .option("qemu-rounds", { type: "number", describe: `Rounds that also start QEMU, in-kernel off and on (default ${DEFAULT_BENCH_QEMU_ROUNDS})` })
        .example("$0 bench devices/xche examples/uart16550", "Both devices, every path, then the edit loop on xche"),
    guarded(async (argv) => {
      const progress = progressFor(argv);
      await ensureHooksCompiler(progress);
      const compiled = compileAll(deviceDirs(argv.devices));
      writeGenerated(compiled);
      const result = await runBench({
        devices: compiled,
        kernel: argv.kernel as KernelSeries,
        qemu: argv.qemu,
        noQemu: argv.skipQemu,
        noLoop: argv.skipLoop,
        rounds: argv.rounds,
        reads: argv.reads,
        qemuRounds: argv.qemuRounds,
        progress,
      });
      print(argv.json, result, formatBench(result));
    }),
  )
  .command(
    "docs [device]",
    "Render a device's register map as Markdown, or as an HTML page with bit-field diagrams",
    (y) =>
      y
        .positional("device", { type: "string", describe: "Device directory (default: the only one under devices/)" })
        .option("html", { type: "boolean", describe: "Write an HTML page instead of Markdown" })
        .option("out", { type: "string", describe: "File or directory to write (default: Markdown to stdout, HTML to <name>.html)" })
        .example("$0 docs devices/xche", "Print the Markdown register map")
        .example("$0 docs devices/xche --html --out xche.html", "Write the HTML page"),
    guarded((argv) => {
      const result = runDocs({ dir: argv.device, out: argv.out, format: argv.html ? "html" : "md" });
      print(argv.json, result, formatDocs(result));
    }),
  )
  .command(
    "doctor",
    "Check this machine for what devgen needs, and say what to do",
    (y) =>
      y
        .option("for", {
          type: "string",
          choices: Object.keys(SCOPES),
          default: DEFAULT_SCOPE,
          describe: "Check the packages of this command's steps (all: every step, every kernel and QEMU)",
        })
        .option("fix", { type: "boolean", describe: "Install missing Debian packages with apt-get (as root), or print the command" })
        .example("$0 doctor", "Check node, the packages the demo needs, disk, KVM, nesting and the cache")
        .example("$0 doctor --for build", "Only what devgen build needs")
        .example("sudo $0 doctor --fix", "Install what is missing"),
    guarded(async (argv) => {
      const result = await runDoctor({ scope: argv.for as Scope, fix: argv.fix, json: argv.json });
      print(argv.json, result, formatDoctor(result));
      process.exitCode = doctorExitCode(result);
    }),
  )
  .command(
    "ci [devices..]",
    "The test matrix (devices × oldest and newest kernel/QEMU pair × levels, and a fuzz cell per device) for a CI engine, or one cell of it run here",
    (y) =>
      y
        .positional("devices", { ...DEVICES_ARG, describe: "Device directories (default: every devices/* and examples/*)" })
        .option("list", { type: "boolean", describe: "Print the matrix, one cell id (device/kernel/qemu/api/level) a line" })
        .option("github", { type: "boolean", describe: "Print a GitHub Actions workflow: a job per cell" })
        .option("gitlab", { type: "boolean", describe: "Print a GitLab CI pipeline: a job per cell" })
        .option("run-cell", { type: "string", describe: "Run one cell here, as devgen test-in-vm would" })
        .option("cache-key", { type: "string", describe: "Print the CI cache key of a cell's trees (after it ran): Debian versions and devgen's patch hash" })
        .option("kernels", { type: "string", array: true, choices: KERNEL_SERIES, describe: "Kernel series (default: the oldest and the newest, each with its QEMU)" })
        .option("qemus", { type: "string", array: true, choices: QEMU_SERIES, describe: "QEMU series (default: the oldest and the newest); with --kernels, every kernel with every QEMU" })
        .option("levels", { type: "string", array: true, choices: LEVEL_NAMES, describe: `Levels (default: ${DEFAULT_CI_LEVELS.join(", ")})` })
        .option("fuzz-seconds", { type: "number", describe: `How long each fuzz cell fuzzes (default ${DEFAULT_FUZZ_SECONDS})` })
        .option("apis", { type: "string", array: true, choices: KVM_APIS, describe: "KVM APIs (default: both, each device's own first)" })
        .option("junit", { type: "string", describe: "With --run-cell: write the checks as JUnit XML to this file" })
        .option("summary", { type: "string", describe: "With --run-cell: append a Markdown table of the results to this file (a job summary)" })
        .example("$0 ci --github > .github/workflows/devgen.yml", "A GitHub Actions workflow for every device")
        .example("$0 ci --list --levels kvm", "The kvm cells only")
        .example("$0 ci --run-cell xche/6.1/7.2/device/kvm", "What that cell runs in CI, here: xche generated with KVM_CREATE_DEVICE"),
    guarded(async (argv) => {
      // Checked here, not with .check(): a failed .check() escapes .fail() as an uncaught exception.
      const actions = [argv.list, argv.github, argv.gitlab, argv.runCell, argv.cacheKey].filter((a) => a !== undefined && a !== false);
      if (actions.length !== 1) throw DevgenError.single("devgen ci: name one of --list, --github, --gitlab, --run-cell ID, --cache-key ID", "devgen ci --help");
      const seconds = argv.fuzzSeconds;
      if (seconds !== undefined && !(Number.isInteger(seconds) && seconds > 0)) {
        throw DevgenError.single(`devgen ci: --fuzz-seconds takes a whole number of seconds above 0, not ${seconds}`, "e.g. --fuzz-seconds 600");
      }
      const options = {
        devices: argv.devices,
        kernels: argv.kernels as KernelSeries[] | undefined,
        qemus: argv.qemus as QemuSeries[] | undefined,
        levels: argv.levels as LevelName[] | undefined,
        fuzzSeconds: argv.fuzzSeconds,
        apis: argv.apis as KvmApiKind[] | undefined,
      };
      const cells = loadMatrix(options);
      if (argv.runCell !== undefined) {
        const cell = resolveCell(cells, argv.runCell);
        const removed = aloneInCachedTrees(cell);
        if (removed.length) progressFor(argv).info(`removed ${removed.join(", ")} from the cached trees: the cell builds ${cell.device} alone`);
        const result = await testInVm(
          { ...argv, devices: [cell.dir], kvmApi: cell.api },
          { levels: [cell.level], kernel: cell.kernel, qemu: cell.qemu, junit: argv.junit, fuzzSeconds: cell.fuzzSeconds },
        );
        if (argv.summary) fs.appendFileSync(argv.summary, cellSummaryMarkdown(argv.runCell, result.results));
      } else if (argv.cacheKey !== undefined) {
        process.stdout.write(`${cellCacheKey(resolveCell(cells, argv.cacheKey))}\n`);
      } else if (argv.github || argv.gitlab) {
        process.stdout.write(ciFile(argv.github ? "github" : "gitlab", cells, options));
      } else {
        print(argv.json, cells.map((cell) => ({ id: cellId(cell), ...cell })), formatCells(cells));
      }
    }),
  )
  .command(
    "cache <action> [entry]",
    "List (ls) or remove (clean) the kernel and QEMU trees devgen downloaded",
    (y) =>
      y
        .positional("action", { type: "string", choices: ["ls", "clean"], demandOption: true, describe: "ls: list the entries; clean: remove them" })
        .positional("entry", { type: "string", describe: "For clean: one entry (as ls names it, a kind, a series, or a path in the cache); default: all" })
        .example("$0 cache ls", "Show what the cache holds and its size")
        .example('$0 cache clean "kernel 6.12"', "Remove every cached 6.12 kernel tree")
        .example("$0 cache clean", "Empty the cache"),
    guarded((argv) => {
      const result = runCache({ action: argv.action as "ls" | "clean", entry: argv.entry, json: argv.json });
      print(argv.json, result, formatCache(result));
    }),
  )
  .demandCommand(1, "name a command; see devgen --help")
  .strict()
  .completion("completion", "Print a shell completion script")
  .fail((message, err, y) => {
    if (err) throw err;
    process.stderr.write(`${y.help().toString?.() ?? ""}\n\ndevgen: ${message}\n`);
    process.exit(EXIT.usage);
  })
  .help()
  .version()
  .parseAsync();
