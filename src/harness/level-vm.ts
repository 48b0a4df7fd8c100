/**
 * What every test-in-vm level does once its initramfs is built: boot the VM under a progress
 * task that shows the latest check, read its checks, add the host's own reading of the whole
 * console (a kernel splat counts even when /init never got to look), and turn it into the
 * level's result, kept as result.json in the run directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Progress, ProgressTask } from "../util/progress.js";
import { formatDuration } from "../util/progress.js";
import type { Accel } from "./accel.js";
import type { Check, LevelResult } from "./level-result.js";
import { splatCheck } from "./splats.js";
import { bootVm, tailLines, timeoutMessage, type VmOptions, type VmRun } from "./vm.js";

export interface ParsedResults {
  checks: Check[];
  /** From the DEVGEN-RESULT line; null when the guest never printed it. */
  status: "pass" | "fail" | null;
}

export const CHECK_LINE = /^(not )?ok\b(?:\s+\d+)?(?:\s+-)?\s*(.*)$/;
export const RESULT_LINE = /^DEVGEN-RESULT\b.*\bstatus=(pass|fail)\b/;

/** TAP lines (numbered or not) with their "# " diagnostics, and the final result line. */
export function parseResults(lines: readonly string[]): ParsedResults {
  const checks: Check[] = [];
  let status: ParsedResults["status"] = null;
  let current: Check | null = null;
  for (const raw of lines) {
    const line = raw.replace(/\r/g, "").trimEnd();
    const result = RESULT_LINE.exec(line);
    if (result) {
      status = result[1] as "pass" | "fail";
      current = null;
      continue;
    }
    // A new TAP stream (the test program after /init's own lines), its plan, and /init's
    // progress notes belong to no check.
    if (/^TAP version\b/.test(line) || /^1\.\.\d+$/.test(line) || line.startsWith("# init:")) {
      current = null;
      continue;
    }
    const check = CHECK_LINE.exec(line);
    if (check) {
      current = { name: check[2]!.trim(), ok: check[1] === undefined, detail: "" };
      checks.push(current);
      continue;
    }
    if (line.startsWith("#") && current) {
      const text = line.replace(/^#\s?/, "");
      current.detail = current.detail ? `${current.detail}\n${text}` : text;
    }
  }
  return { checks, status };
}

/** The checks of one VM run, plus one for the VM itself when it did not run to the end. */
export function vmChecks(vm: VmRun, timeoutMs: number): { checks: Check[]; status: ParsedResults["status"] } {
  let lines = vm.lines.map((l) => l.text);
  // No second serial port in the guest: fall back to the console.
  if (!lines.some((l) => RESULT_LINE.test(l) || CHECK_LINE.test(l))) lines = tailLines(vm.consoleLog, 100_000);
  const parsed = parseResults(lines);
  const checks = [...parsed.checks];
  if (vm.timedOut) {
    checks.push({ name: "the test VM finishes in time", ok: false, detail: timeoutMessage(vm, timeoutMs) });
  } else if (parsed.status === null) {
    const tail = tailLines(vm.consoleLog, 15).map((l) => `  ${l}`);
    const qemuTail = tailLines(vm.qemuLog, 5).filter((l) => !l.startsWith("$ "));
    checks.push({
      name: "the test VM runs to the end",
      ok: false,
      detail: [
        `level ${vm.level}: the VM stopped (QEMU ${vm.signal ? `killed by ${vm.signal}` : `exit code ${vm.exitCode}`}) before the test printed its result; console log: ${vm.consoleLog}`,
        ...(qemuTail.length ? [`QEMU: ${qemuTail.join(" / ")}`] : []),
        ...(tail.length ? ["last lines of the console:", ...tail] : []),
      ].join("\n"),
    });
  }
  return { checks, status: parsed.status };
}

/** A level's own reading of a run: a further condition of success, and a summary line. */
export interface Verdict {
  ok: boolean;
  summary?: string;
  /** What the run lacked, when it failed for it. */
  missing?: string;
}

export interface LevelVmOptions<L extends string> extends Omit<VmOptions, "level" | "onLine"> {
  level: L;
  /** The implementation under test, for messages and the result. */
  implementation: string;
  /** What the progress line says while the VM runs. */
  label: string;
  progress: Progress;
  /** When the level started (compiling, packing, probing), for its total time. */
  started: number;
  /** Further conditions of success, read from the run. */
  verdict?: (vm: VmRun) => Verdict;
  /** Called for each line of the results channel, after the progress task noted a check's. */
  onLine?: (line: string, task: ProgressTask) => void;
}

export interface LevelVm<L extends string> {
  result: LevelResult<L>;
  vm: VmRun;
}

function lineTime(vm: VmRun, test: (text: string) => boolean): number | null {
  return vm.lines.find((l) => test(l.text))?.atMs ?? null;
}

export async function runLevelVm<L extends string>(options: LevelVmOptions<L>): Promise<LevelVm<L>> {
  const { level, implementation, label, progress, started, verdict, onLine, ...vmOptions } = options;
  const prepareMs = Date.now() - started;
  const task = progress.task(label);
  let vm: VmRun;
  try {
    vm = await bootVm({
      ...vmOptions,
      level,
      onLine: (line) => {
        const check = CHECK_LINE.exec(line);
        if (check) task.note(check[2]!.slice(0, 60));
        onLine?.(line, task);
      },
    });
  } catch (err) {
    task.fail();
    throw err;
  }
  const { checks, status } = vmChecks(vm, options.timeoutMs);
  checks.push(splatCheck(vm.consoleLog));
  const extra = verdict?.(vm) ?? { ok: true };
  const ok = status === "pass" && checks.every((c) => c.ok) && extra.ok;
  const failed = checks.filter((c) => !c.ok).length;
  const summary = extra.summary ? `${extra.summary}; ` : "";
  if (ok) task.done(`${summary}${checks.length} checks passed in ${formatDuration(vm.durationMs)}`);
  else task.fail(`${failed} of ${checks.length} checks failed${extra.missing ? `, ${extra.missing}` : ""}; console log: ${vm.consoleLog}`);

  const initAt = lineTime(vm, (t) => t.startsWith("# init:"));
  const endAt = lineTime(vm, (t) => RESULT_LINE.test(t));
  const result: LevelResult<L> = {
    level,
    implementation,
    ok,
    checks,
    consoleLog: vm.consoleLog,
    resultsLog: vm.resultsLog,
    accel: options.accel as Accel,
    timings: {
      prepareMs,
      bootMs: initAt,
      testMs: initAt !== null && endAt !== null ? endAt - initAt : null,
      totalMs: Date.now() - started,
    },
  };
  return { result, vm };
}

/** Keeps the level's result beside its logs. */
export function saveResult(runDir: string, result: object): void {
  fs.writeFileSync(path.join(runDir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
}
