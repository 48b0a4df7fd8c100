/**
 * `devgen bench`: guest reads per second of each device through every path, measured side
 * by side in one outer VM (src/harness/bench-level.ts), and the edit→tested loop: one
 * register of a copy of xche changed, regenerated, rebuilt, run through level kvm.
 *
 * Targets (issue 5): the generated device within 5% of the hand-written baseline, at least
 * 1.5x the userspace VMM and 3x QEMU's emulated path; the loop under 30 s.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildKvmModules } from "../toolchain/kernel-build.js";
import { fetchKernel, type KernelSeries } from "../toolchain/kernel-fetch.js";
import { buildBenchKernel, repatchBenchDevice } from "../harness/bench-kernel.js";
import { DEFAULT_BENCH_QEMU_ROUNDS, DEFAULT_BENCH_READS, DEFAULT_BENCH_ROUNDS, runBenchVm } from "../harness/bench-level.js";
import { summarizeBench, type BenchError, type BenchMode, type BenchSample, type Spread } from "../harness/bench-samples.js";
import { generateAll } from "../gen/index.js";
import { runKvmLevel } from "../harness/kvm-level.js";
import { DevgenError } from "../util/diagnostics.js";
import type { Progress } from "../util/progress.js";
import { compileDevice, type CompiledDevice } from "../compile/index.js";
import { buildQemuTree } from "./build.js";
import { writeGenerated } from "./generate.js";

export interface BenchOptions {
  devices: CompiledDevice[];
  kernel?: KernelSeries;
  qemu?: string;
  /** Measure the kernel paths only. */
  noQemu?: boolean;
  /** Skip the edit→tested loop. */
  noLoop?: boolean;
  rounds?: number;
  reads?: number;
  /** Rounds that also measure the two QEMU paths. */
  qemuRounds?: number;
  progress: Progress;
}

export interface LoopStep {
  step: string;
  seconds: number;
}

export interface BenchResult {
  accel: string;
  rounds: number;
  reads: number;
  qemuRounds: number;
  samples: BenchSample[];
  errors: BenchError[];
  loop: { device: string; steps: LoopStep[]; ok: boolean } | null;
  consoleLog: string;
}

// ---------------------------------------------------------------------------------------
// Targets and the table (pure).

export interface Target {
  /** The ratio a / b of two paths' rates, paired by round. */
  a: BenchMode;
  b: BenchMode;
  label: string;
  /** The median must be at least this. */
  atLeast: number;
}

export const TARGETS: readonly Target[] = [
  { a: "generated", b: "baseline", label: "generated / hand-written baseline", atLeast: 0.95 },
  { a: "generated", b: "userspace", label: "generated / userspace VMM", atLeast: 1.5 },
  { a: "generated", b: "qemu-off", label: "generated / QEMU in-kernel=off", atLeast: 3 },
  { a: "qemu-on", b: "qemu-off", label: "QEMU in-kernel=on / off", atLeast: 3 },
];
export const LOOP_TARGET_SECONDS = 30;

const PATH_LABELS: Record<BenchMode, string> = {
  generated: "generated in-kernel device",
  baseline: "hand-written in-kernel baseline",
  userspace: "userspace VMM (each read exits)",
  "qemu-off": "QEMU, in-kernel=off (emulated)",
  "qemu-on": "QEMU, in-kernel=on",
};

/** Plain numbers with thousands separators, two decimals below 100. */
export function formatNumber(value: number): string {
  return value < 100 ? value.toFixed(2) : Math.round(value).toLocaleString("en-US");
}

export function verdict(median: number, atLeast: number): "PASS" | "MISS" {
  return median >= atLeast ? "PASS" : "MISS";
}

/** Columns padded to their widest cell, separated by " | ", with a rule under the header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)];
}

const cells = (s: Spread | null | undefined) => (s ? [formatNumber(s.median), formatNumber(s.min), formatNumber(s.max), String(s.n)] : ["-", "-", "-", "0"]);

export function formatBench(result: BenchResult): string {
  const lines = [
    `devgen bench: guest reads per second, ${result.rounds} interleaved rounds of ${result.reads.toLocaleString("en-US")} reads per path (QEMU's paths in ${result.qemuRounds} of them), one outer VM (${result.accel})`,
    "",
  ];
  const summaries = summarizeBench(result.samples);
  lines.push(
    ...formatTable(
      ["device", "path", "reads/s median", "min", "max", "rounds"],
      summaries.flatMap((d) => (Object.keys(PATH_LABELS) as BenchMode[]).filter((m) => d.rates[m]).map((m) => [d.device, PATH_LABELS[m], ...cells(d.rates[m])])),
    ),
    "",
  );
  lines.push(
    ...formatTable(
      ["device", "ratio (paired by round)", "median", "min", "max", "rounds", "target", "result"],
      summaries.flatMap((d) =>
        TARGETS.map((t) => {
          const ratio = d.ratio(t.a, t.b);
          return [d.device, t.label, ...cells(ratio), `>= ${t.atLeast}`, ratio ? verdict(ratio.median, t.atLeast) : "not measured"];
        }),
      ),
    ),
  );
  for (const d of summaries.filter((s) => s.leakedExits)) {
    lines.push(`note: ${d.device}: in ${d.leakedExits} in-kernel samples some reads exited to userspace`);
  }
  for (const e of result.errors) lines.push(`error: ${e.device} ${e.mode}: ${e.error}`);
  if (result.loop) {
    const total = result.loop.steps.reduce((sum, s) => sum + s.seconds, 0);
    lines.push("", `edit→tested loop (${result.loop.device}: one register's reset value changed)`, "");
    lines.push(
      ...formatTable(
        ["step", "seconds", "target", "result"],
        [
          ...result.loop.steps.map((s) => [s.step, s.seconds.toFixed(1), "", ""]),
          ["total", total.toFixed(1), `< ${LOOP_TARGET_SECONDS}`, !result.loop.ok ? "MISS (level kvm failed)" : total < LOOP_TARGET_SECONDS ? "PASS" : "MISS"],
        ],
      ),
    );
  }
  lines.push("", `console log: ${result.consoleLog}`);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------
// The run.

async function timed<T>(steps: LoopStep[], step: string, body: () => Promise<T> | T): Promise<T> {
  const started = process.hrtime.bigint();
  const value = await body();
  steps.push({ step, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
  return value;
}

/**
 * xche's SCRATCH register gets a reset value: a one-register change of the description.
 * A new value each run, so that its type check is not already cached, as after a real edit.
 */
function editOneRegister(deviceFile: string): void {
  const before = fs.readFileSync(deviceFile, "utf8");
  const anchor = 'description: "Free for the driver",';
  if (!before.includes(anchor)) {
    throw DevgenError.single(`${deviceFile}: the bench's edit anchor (${anchor}) is not there`, "the loop edits xche's SCRATCH register as `devgen new xche` writes it");
  }
  const reset = 1 + (Date.now() % 0xfffe);
  fs.writeFileSync(deviceFile, before.replace(anchor, `${anchor}\n      reset: 0x${reset.toString(16)},`));
}

async function editLoop(options: {
  /** Patched last into the bench's tree, so that patching it again alone moves nothing. */
  xche: CompiledDevice;
  tree: string;
  stock: Awaited<ReturnType<typeof fetchKernel>>;
  scratch: string;
  progress: Progress;
}): Promise<NonNullable<BenchResult["loop"]>> {
  const { stock, progress } = options;
  const steps: LoopStep[] = [];
  const dir = path.join(options.scratch, "devices", "xche");
  fs.cpSync(options.xche.dir, dir, { recursive: true });
  editOneRegister(path.join(dir, "device.ts"));
  const out = path.join(options.scratch, "generated");
  const edited = await timed(steps, "regenerate (load, validate, generate)", () => {
    // From the scratch project, as a user would: the banners name devices/xche/device.ts,
    // so the generated header x86.c includes stays as it was.
    const cwd = process.cwd();
    process.chdir(options.scratch);
    try {
      const compiled = compileDevice(path.relative(options.scratch, dir));
      writeGenerated([compiled], out);
      return compiled;
    } finally {
      process.chdir(cwd);
    }
  });
  const kernel = await timed(steps, "patch + rebuild arch/x86/kvm (incremental)", async () => {
    repatchBenchDevice(options.tree, edited);
    return buildKvmModules({ tree: options.tree, stock, release: stock.release, log: path.join(options.scratch, "build.log"), progress });
  });
  const level = await timed(steps, "level kvm: boot, every vector (no leak check)", () =>
    runKvmLevel({
      device: edited.device,
      generated: generateAll(edited),
      kernel,
      stockModulesDir: stock.modulesDir,
      vmlinuz: stock.vmlinuz,
      runDir: path.join(options.scratch, "kvm"),
      leakCycles: 0,
      progress,
    }),
  );
  // The unedited device back in the bench's tree: the next bench builds it again.
  repatchBenchDevice(options.tree, options.xche);
  return { device: "xche", steps, ok: level.ok };
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { devices, progress } = options;
  const rounds = options.rounds ?? DEFAULT_BENCH_ROUNDS;
  const reads = options.reads ?? DEFAULT_BENCH_READS;
  const qemuRounds = options.noQemu ? 0 : Math.min(rounds, options.qemuRounds ?? DEFAULT_BENCH_QEMU_ROUNDS);
  const stock = await fetchKernel({ version: options.kernel ?? "6.1", progress });
  const xche = options.noLoop ? undefined : devices.find((c) => c.device.name === "xche");
  // xche last: the loop patches it again alone.
  const kernel = await buildBenchKernel({ stock, devices: [...devices.filter((c) => c !== xche), ...(xche ? [xche] : [])], progress });
  const qemu = options.noQemu ? null : await buildQemuTree({ devices, qemu: options.qemu, progress });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-bench-"));
  const vm = await runBenchVm({
    devices: devices.map((c) => ({ device: c.device, generated: generateAll(c) })),
    kernel,
    stockModulesDir: stock.modulesDir,
    vmlinuz: stock.vmlinuz,
    qemuBinary: qemu?.binary ?? null,
    rounds,
    reads,
    qemuRounds,
    runDir: path.join(scratch, "vm"),
    progress,
  });
  const loop = !xche ? null : await editLoop({ xche, tree: kernel.tree, stock, scratch, progress });
  return { accel: vm.accel.name, rounds, reads, qemuRounds, samples: vm.samples, errors: vm.errors, loop, consoleLog: vm.consoleLog };
}
