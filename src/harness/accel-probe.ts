/**
 * Which accelerator the outer (test) VM uses (accel.ts holds the choices).
 *
 * With hardware virtualization, `-accel kvm -cpu host` is the fast choice, and the guest
 * sees the host's VMX or SVM for the nested KVM under test. But a /dev/kvm that exists is
 * not one that can run a standard guest: on a paravirtual backend (kvm_pvm) QEMU aborts on
 * an MSR or the guest kernel hangs after SeaBIOS (DESIGN.md). So we probe: boot the stock
 * kernel with `-accel kvm` and the level's initramfs in "probe" mode, which prints one line
 * (saying whether the guest sees SVM or VMX, i.e. whether nested KVM can work) and powers
 * off. If that line comes back in time with SVM or VMX, KVM it is; otherwise TCG with
 * emulated AMD SVM and nested paging, which the stock kernel's kvm-amd accepts.
 *
 * The verdict is cached per host boot (and QEMU version and kernel), so the probe's cost
 * (up to its timeout where KVM hangs) is paid once. DEVGEN_ACCEL=kvm|tcg skips the probe.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Progress } from "../util/progress.js";
import { kvmAccel, tcgAccel, type Accel } from "./accel.js";
import { bootVm, QEMU, tailLines } from "./vm.js";

export const PROBE_TIMEOUT_MS = 30_000;
/** How the line /init prints in probe mode starts (kernel-harness/init); `virt=` follows. */
export const PROBE_MARKER = "DEVGEN-PROBE-OK";

export interface ChooseAccelOptions {
  /** A kernel and an initramfs whose /init understands devgen.level=probe. */
  kernel: string;
  initrd: string;
  /** Where the verdict is cached and the probe's logs go. */
  cacheDir: string;
  progress: Progress;
  env?: NodeJS.ProcessEnv;
  qemu?: string;
  timeoutMs?: number;
}

/** The probe's verdicts by what they depend on (see verdictKey): why KVM failed, null when it works. */
type CachedVerdicts = Record<string, string | null>;

/** /dev/kvm is there and we may open it read-write: null, else why not. */
export function kvmDeviceProblem(device = "/dev/kvm"): string | null {
  if (!fs.existsSync(device)) return `${device} does not exist`;
  try {
    fs.accessSync(device, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return `${device} is not readable and writable by this user`;
  }
  return null;
}

function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0]!.trim();
  } catch {
    return "";
  }
}

/** What the probe's verdict depends on: this boot of the host, QEMU, the guest kernel. */
function verdictKey(options: ChooseAccelOptions): string {
  const bootId = (() => {
    try {
      return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      return "unknown-boot";
    }
  })();
  return [bootId, firstLine(options.qemu ?? QEMU, ["--version"]), path.basename(options.kernel)].join(" | ");
}

/** What booting the probe VM with `-accel kvm` came to: the facts the verdict is drawn from. */
export interface KvmProbeOutcome {
  /** The probe's line (PROBE_MARKER ...), if the guest printed it. */
  answer: string | null;
  timedOut: boolean;
  timeoutMs: number;
  /** How QEMU ended, when it ended by itself. */
  exit: { signal: string | null; code: number | null };
  /** The last lines QEMU printed (its own errors), the command line left out. */
  qemuErrors: string[];
  consoleLog: string;
}

/** Boots the probe VM with KVM and records what happened. */
export async function runKvmProbe(options: ChooseAccelOptions): Promise<KvmProbeOutcome> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const run = await bootVm({
    level: "accel-probe",
    kernel: options.kernel,
    initrd: options.initrd,
    append: ["devgen.level=probe"],
    accel: kvmAccel("probe"),
    memoryMb: 256,
    timeoutMs,
    runDir: path.join(options.cacheDir, "accel-probe"),
    qemu: options.qemu,
  });
  return {
    answer: run.lines.map((l) => l.text.trim()).find((l) => l.startsWith(PROBE_MARKER)) ?? null,
    timedOut: run.timedOut,
    timeoutMs,
    exit: { signal: run.signal, code: run.exitCode },
    qemuErrors: tailLines(run.qemuLog, 3).filter((l) => !l.startsWith("$ ")),
    consoleLog: run.consoleLog,
  };
}

/** null when the probe guest came up under KVM and sees SVM or VMX (nested KVM can work), else why not. */
export function kvmProbeFailure(outcome: KvmProbeOutcome): string | null {
  if (outcome.answer !== null) {
    return /virt=(svm|vmx)\b/.test(outcome.answer) ? null : `the guest booted with -accel kvm sees no SVM or VMX (nested virtualization is off on the host): ${outcome.answer}`;
  }
  if (outcome.timedOut) return `a guest kernel under -accel kvm did not finish booting within ${outcome.timeoutMs / 1000} s (see ${outcome.consoleLog})`;
  const how = outcome.exit.signal ?? `code ${outcome.exit.code}`;
  return `QEMU with -accel kvm exited with ${how} before the guest came up${outcome.qemuErrors.length ? `: ${outcome.qemuErrors.join(" / ")}` : ""}`;
}

/**
 * The accelerator, from what is known in the order it is learnt: an override, then whether
 * /dev/kvm can be opened, then the probe's verdict (`probe` runs only when it is needed).
 */
export async function decideAccel(facts: { forced: string | undefined; kvmDeviceProblem: string | null; probe: () => Promise<string | null> }): Promise<Accel> {
  if (facts.forced === "kvm") return kvmAccel("DEVGEN_ACCEL=kvm");
  if (facts.forced === "tcg") return tcgAccel("DEVGEN_ACCEL=tcg");
  if (facts.kvmDeviceProblem) return tcgAccel(facts.kvmDeviceProblem);
  const failure = await facts.probe();
  return failure === null ? kvmAccel("a standard guest booted with -accel kvm") : tcgAccel(`/dev/kvm cannot run a standard guest: ${failure}`);
}

/** The probe's verdict for this boot of the host, QEMU and kernel: from the cache, else probed and cached. */
async function cachedKvmProbe(options: ChooseAccelOptions): Promise<string | null> {
  const cacheFile = path.join(options.cacheDir, "accel-probe.json");
  const key = verdictKey(options);
  const bootId = key.split(" | ")[0]!;
  let verdicts: CachedVerdicts = {};
  try {
    verdicts = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as CachedVerdicts;
  } catch {
    // No verdict yet.
  }
  const cached = verdicts[key];
  if (cached !== undefined) return cached;
  const task = options.progress.task("probing whether /dev/kvm runs a standard guest");
  const failure = kvmProbeFailure(await runKvmProbe(options));
  task.done(failure === null ? "yes: -accel kvm -cpu host" : "no: TCG with emulated SVM");
  fs.mkdirSync(options.cacheDir, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}`;
  // Verdicts of earlier boots of the host are dropped.
  const kept = Object.fromEntries(Object.entries(verdicts).filter(([k]) => k.startsWith(`${bootId} | `)));
  fs.writeFileSync(tmp, `${JSON.stringify({ ...kept, [key]: failure } satisfies CachedVerdicts, null, 2)}\n`);
  fs.renameSync(tmp, cacheFile);
  return failure;
}

/** KVM when it can run a standard guest (probed, cached per boot), else TCG with SVM. */
export async function chooseAccel(options: ChooseAccelOptions): Promise<Accel> {
  const env = options.env ?? process.env;
  return decideAccel({ forced: env.DEVGEN_ACCEL, kvmDeviceProblem: kvmDeviceProblem(), probe: () => cachedKvmProbe(options) });
}
