/**
 * `devgen fetch [--kernel <series>] [--qemu <series>|newest] [--refresh]`: download and
 * unpack the default kernel and QEMU trees into the cache (what `devgen build` does when given
 * no tree). With neither option it fetches both defaults.
 */
import { cacheRoot } from "../util/cache-dir.js";
import { DevgenError } from "../util/diagnostics.js";
import { createProgress, formatDuration, type Progress } from "../util/progress.js";
import { DEFAULT_KERNEL, fetchKernel, KERNEL_SERIES, type KernelSeries, type KernelTree } from "../toolchain/kernel-fetch.js";
import { DEFAULT_QEMU, fetchQemu, QEMU_CHOICES, type QemuChoice, type QemuTree } from "../toolchain/qemu-fetch.js";

export interface FetchOptions {
  kernel?: string;
  qemu?: string;
  json?: boolean;
  /** Resolve versions with apt again instead of reusing cached trees. */
  refresh?: boolean;
  /** Defaults to a terminal progress on stderr (plain lines when not a TTY). */
  progress?: Progress;
}

export interface FetchResult {
  ok: true;
  cache: string;
  kernel?: KernelTree & { seconds: number };
  qemu?: QemuTree & { seconds: number };
}

function checkSeries<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw DevgenError.single(`unknown ${what} version "${value}"`, `use one of ${allowed.join(", ")}`);
}

export async function runFetch(options: FetchOptions): Promise<FetchResult> {
  const both = options.kernel === undefined && options.qemu === undefined;
  const kernel = options.kernel ?? (both ? DEFAULT_KERNEL : undefined);
  const qemu = options.qemu ?? (both ? DEFAULT_QEMU : undefined);
  // Check both before fetching either.
  const kernelSeries = kernel === undefined ? undefined : checkSeries<KernelSeries>("kernel", kernel, KERNEL_SERIES);
  const qemuSeries = qemu === undefined ? undefined : checkSeries<QemuChoice>("QEMU", qemu, QEMU_CHOICES);
  const progress = options.progress ?? (options.json ? createProgress({ mode: "plain" }) : createProgress());

  const result: FetchResult = { ok: true, cache: cacheRoot() };
  if (kernelSeries) {
    const started = Date.now();
    const tree = await fetchKernel({ version: kernelSeries, progress, refresh: options.refresh });
    result.kernel = { ...tree, seconds: (Date.now() - started) / 1000 };
  }
  if (qemuSeries) {
    const started = Date.now();
    const tree = await fetchQemu({ version: qemuSeries, progress, refresh: options.refresh });
    result.qemu = { ...tree, seconds: (Date.now() - started) / 1000 };
  }
  return result;
}

/** The text `devgen fetch` prints without --json. */
export function formatFetch(result: FetchResult): string {
  const lines: string[] = [];
  if (result.kernel) {
    const k = result.kernel;
    lines.push(
      `kernel ${k.series}: linux-source ${k.sourceVersion}, image ${k.release} (${formatDuration(k.seconds * 1000)})`,
      `  source:  ${k.srcDir}`,
      `  vmlinuz: ${k.vmlinuz}`,
      `  config:  ${k.config}`,
      `  symvers: ${k.symvers}`,
      `  modules: ${k.modulesDir}`,
      `  built with: ${k.compiler?.text ?? "(the config does not say)"}`,
    );
    if (k.moduleModeBlocker) lines.push(`  module mode: no. ${k.moduleModeBlocker}`);
  }
  if (result.qemu) {
    const q = result.qemu;
    lines.push(`qemu ${q.series}: ${q.sourceVersion} from ${q.suite} (${formatDuration(q.seconds * 1000)})`, `  source:  ${q.srcDir}`);
    const needs = q.buildNeeds;
    if (needs.python) lines.push(`  configure with --python=${needs.python}`);
  }
  return lines.join("\n");
}
