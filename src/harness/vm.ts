/**
 * Boots one test VM: the outer QEMU with a kernel, an initramfs and a command line, and
 * nothing else (no disk, no network, no firmware beyond SeaBIOS).
 *
 *   COM1 (ttyS0) ──▶ <runDir>/console.log   the guest's console: kernel messages and all
 *   COM2 (ttyS1) ──▶ our stdout pipe        the results channel: the test's TAP lines only,
 *                                           streamed live and kept in <runDir>/results.log
 *   QEMU stderr  ──▶ <runDir>/qemu.log
 *
 * The guest's /init powers off when done (QEMU then exits); a VM that outlives its timeout
 * is killed and reported with the level's name and the console log's path.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DevgenError } from "../util/diagnostics.js";
import { accelArgs, type Accel } from "./accel.js";

export const QEMU = "qemu-system-x86_64";
export const DEFAULT_MEMORY_MB = 1024;

export interface VmOptions {
  /** The test level this VM serves ("kvm", "probe"...): named in every message. */
  level: string;
  kernel: string;
  initrd: string;
  /** Kernel command-line words after the harness's own (console, panic...). */
  append?: string[];
  accel: Accel;
  /** Further QEMU arguments: firmware directories, devices. */
  extraArgs?: string[];
  memoryMb?: number;
  /** Virtual CPUs (default 1). */
  cpus?: number;
  timeoutMs: number;
  /** Where console.log, results.log and qemu.log go (created if missing). */
  runDir: string;
  /** Log file names inside runDir, for VMs sharing a directory (default: no prefix). */
  logPrefix?: string;
  /** The QEMU binary (default qemu-system-x86_64 on PATH). */
  qemu?: string;
  /** Called for every line of the results channel, with the milliseconds since QEMU started. */
  onLine?: (line: string, atMs: number) => void;
}

export interface VmLine {
  text: string;
  /** Milliseconds since QEMU started. */
  atMs: number;
}

export interface VmRun {
  level: string;
  consoleLog: string;
  resultsLog: string;
  qemuLog: string;
  /** The results channel, line by line, carriage returns removed. */
  lines: VmLine[];
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The QEMU command line, for logs and reproduction. */
  command: string[];
}

/** A broken environment (exit code 3), as opposed to bad input. */
export function environmentError(message: string, hint = ""): DevgenError {
  return new DevgenError([{ location: null, message, hint }], 3);
}

/** The kernel command line every test VM gets. */
export function kernelCommandLine(extra: readonly string[] = []): string {
  return ["console=ttyS0", "panic=-1", ...extra].join(" ");
}

export function qemuArgs(options: VmOptions, consoleLog: string): string[] {
  const cpus = options.cpus ?? 1;
  return [
    ...accelArgs(options.accel, cpus),
    ...(options.extraArgs ?? []),
    "-m",
    String(options.memoryMb ?? DEFAULT_MEMORY_MB),
    "-smp",
    String(cpus),
    "-nodefaults",
    "-no-reboot",
    "-display",
    "none",
    "-monitor",
    "none",
    "-serial",
    `file:${consoleLog}`,
    "-serial",
    "stdio",
    "-kernel",
    options.kernel,
    "-initrd",
    options.initrd,
    "-append",
    kernelCommandLine(options.append),
  ];
}

/** The last `count` non-empty lines of a file, for messages. */
export function tailLines(file: string, count = 15): string[] {
  try {
    return fs
      .readFileSync(file, "utf8")
      .replace(/\r/g, "")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .slice(-count);
  } catch {
    return [];
  }
}

/** What a VM that did not finish in time is reported as. */
export function timeoutMessage(run: Pick<VmRun, "level" | "consoleLog">, timeoutMs: number): string {
  const tail = tailLines(run.consoleLog, 10);
  const shown = tail.length ? `\n  last lines of the console:\n${tail.map((l) => `    ${l}`).join("\n")}` : "";
  return `level ${run.level}: the test VM did not finish within ${Math.round(timeoutMs / 1000)} s and was killed; console log: ${run.consoleLog}${shown}`;
}

/** Boots the VM and waits until it powers off, crashes or times out (the VM is then killed). */
export function bootVm(options: VmOptions): Promise<VmRun> {
  fs.mkdirSync(options.runDir, { recursive: true });
  const prefix = options.logPrefix ?? "";
  const consoleLog = path.join(options.runDir, `${prefix}console.log`);
  const resultsLog = path.join(options.runDir, `${prefix}results.log`);
  const qemuLog = path.join(options.runDir, `${prefix}qemu.log`);
  for (const file of [consoleLog, resultsLog, qemuLog]) fs.writeFileSync(file, "");
  const qemu = options.qemu ?? QEMU;
  const args = qemuArgs(options, consoleLog);
  fs.appendFileSync(qemuLog, `$ ${[qemu, ...args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(" ")}\n`);

  return new Promise((resolve, reject) => {
    const started = Date.now();
    const lines: VmLine[] = [];
    let partial = "";
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;

    const child = spawn(qemu, args, { stdio: ["ignore", "pipe", "pipe"] });
    const takeLine = (raw: string): void => {
      const text = raw.replace(/\r/g, "");
      const atMs = Date.now() - started;
      lines.push({ text, atMs });
      options.onLine?.(text, atMs);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      fs.appendFileSync(resultsLog, chunk);
      partial += chunk.toString("utf8");
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const part of parts) takeLine(part);
    });
    child.stderr.on("data", (chunk: Buffer) => fs.appendFileSync(qemuLog, chunk));

    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), 3000);
    }, options.timeoutMs);

    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      reject(
        err.code === "ENOENT"
          ? environmentError(`level ${options.level}: cannot run ${qemu}: not found`, "install Debian's qemu-system-x86 package")
          : environmentError(`level ${options.level}: cannot run ${qemu}: ${err.message}`, `see ${qemuLog}`),
      );
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (partial) takeLine(partial);
      resolve({
        level: options.level,
        consoleLog,
        resultsLog,
        qemuLog,
        lines,
        durationMs: Date.now() - started,
        exitCode: code,
        signal,
        timedOut,
        command: [qemu, ...args],
      });
    });
  });
}
