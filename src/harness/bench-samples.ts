/**
 * What the bench program prints (kernel-harness/kvm_bench.c), read back: one sample per
 * line, then per device each path's rate and the ratios of paths paired round by round,
 * so that two paths are compared on samples close in time on a busy machine.
 */

export const BENCH_MODES = ["generated", "baseline", "userspace", "qemu-off", "qemu-on"] as const;
export type BenchMode = (typeof BENCH_MODES)[number];

export interface BenchSample {
  device: string;
  round: number;
  mode: BenchMode;
  reads: number;
  seconds: number;
  /** Reads that came back to userspace (the userspace path: all of them). */
  exits: number;
}

export interface BenchError {
  device: string;
  mode: string;
  error: string;
}

const SAMPLE_LINE = /^devgen-bench: device=(\S+) round=(\d+) mode=(\S+) reads=(\d+) ns=(\d+) exits=(\d+)\s*$/;
const ERROR_LINE = /^devgen-bench: device=(\S+)(?: round=\d+)? mode=(\S+) error=(.*)$/;

/** The bench program's output lines (kernel-harness/kvm_bench.c) as samples and errors. */
export function parseBenchLines(lines: readonly string[]): { samples: BenchSample[]; errors: BenchError[] } {
  const samples: BenchSample[] = [];
  const errors: BenchError[] = [];
  for (const raw of lines) {
    const line = raw.replace(/\r/g, "").trimEnd();
    const sample = SAMPLE_LINE.exec(line);
    if (sample && (BENCH_MODES as readonly string[]).includes(sample[3]!)) {
      samples.push({
        device: sample[1]!,
        round: Number(sample[2]),
        mode: sample[3] as BenchMode,
        reads: Number(sample[4]),
        seconds: Number(sample[5]) / 1e9,
        exits: Number(sample[6]),
      });
      continue;
    }
    const error = ERROR_LINE.exec(line);
    if (error) errors.push({ device: error[1]!, mode: error[2]!, error: error[3]! });
  }
  return { samples, errors };
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median (the mean of the middle two for an even count), min and max; null when empty. */
export function spread(values: readonly number[]): Spread | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

export interface DeviceBench {
  device: string;
  /** Reads per second of each path. */
  rates: Partial<Record<BenchMode, Spread>>;
  /** Ratios of rates within a round (a / b), over the rounds that have both. */
  ratio(a: BenchMode, b: BenchMode): Spread | null;
  /** Samples of an in-kernel path during which reads came back to userspace. */
  leakedExits: number;
}

/** Per device: each path's rate, and ratios paired round by round. */
export function summarizeBench(samples: readonly BenchSample[]): DeviceBench[] {
  const devices = [...new Set(samples.map((s) => s.device))];
  return devices.map((device) => {
    const mine = samples.filter((s) => s.device === device && s.seconds > 0);
    const rateOf = (s: BenchSample) => s.reads / s.seconds;
    const rates: DeviceBench["rates"] = {};
    for (const mode of BENCH_MODES) {
      const r = spread(mine.filter((s) => s.mode === mode).map(rateOf));
      if (r) rates[mode] = r;
    }
    const byRound = (mode: BenchMode) => new Map(mine.filter((s) => s.mode === mode).map((s) => [s.round, rateOf(s)]));
    return {
      device,
      rates,
      ratio(a, b) {
        const top = byRound(a);
        const bottom = byRound(b);
        return spread([...top].filter(([round]) => bottom.has(round)).map(([round, rate]) => rate / bottom.get(round)!));
      },
      leakedExits: mine.filter((s) => (s.mode === "generated" || s.mode === "baseline") && s.exits > 0).length,
    };
  });
}
