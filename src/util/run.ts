/**
 * Running external commands (apt-get, dpkg-deb, tar, make, ninja...) the same way everywhere:
 * the full output goes to a log file, callers may watch it line by line, and a failure becomes
 * a DevgenError (exit code 3) that names the step, the log and its last lines.
 */
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { execa, type ExecaError } from "execa";
import { DevgenError } from "./diagnostics.js";

export type OutputStream = "stdout" | "stderr";

export interface RunOptions {
  /** What this command does, for people: "download linux-source-6.1". */
  step: string;
  /** Log file the command line and its whole output are appended to. */
  log: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Kill the command after this many milliseconds (default: no limit). */
  timeoutMs?: number;
  /** Called for every line the command prints, on either stream. */
  onLine?: (line: string, stream: OutputStream) => void;
  /** What to tell the user when the command fails, e.g. which package provides it. */
  hint?: string;
}

export interface RunResult {
  stdout: string;
  durationMs: number;
}

/** How many lines of the log a failure shows. */
export const TAIL_LINES = 20;

/** The last `count` non-empty lines of a log file ("" when it cannot be read). */
export function logTail(log: string, count = TAIL_LINES): string[] {
  let text: string;
  try {
    text = readFileSync(log, "utf8");
  } catch {
    return [];
  }
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  return lines.slice(-count);
}

/** Shell-like rendering of a command line, for logs and messages. */
export function formatCommand(command: string, args: readonly string[]): string {
  const quote = (word: string): string => (/^[\w@%+=:,./~-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);
  return [command, ...args].map(quote).join(" ");
}

function appendLog(log: string, text: string): void {
  appendFileSync(log, text);
}

/** Builds the error a failed step raises: the step, why, the log's path and its tail. */
export function stepFailure(step: string, why: string, log: string, hint = ""): DevgenError {
  const tail = logTail(log);
  const shown = tail.length ? `\n  last ${tail.length} lines of the log:\n${tail.map((l) => `    ${l}`).join("\n")}` : "";
  const message = `${step} failed: ${why}\n  full log: ${log}${shown}`;
  return new DevgenError([{ location: null, message, hint }], 3);
}

/**
 * Runs `command args`, appending `$ command` and all of its output to `options.log`.
 * Resolves with its stdout; rejects with a DevgenError (exit code 3) when it cannot be
 * started, exits non-zero, is killed or times out.
 */
export async function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  mkdirSync(dirname(options.log), { recursive: true });
  const where = options.cwd ? ` (in ${options.cwd})` : "";
  appendLog(options.log, `\n### ${new Date().toISOString()} ${options.step}${where}\n$ ${formatCommand(command, args)}\n`);

  const tee = (stream: OutputStream) =>
    function* (line: unknown): Generator<string, void, unknown> {
      const text = String(line);
      appendLog(options.log, `${text}\n`);
      options.onLine?.(text, stream);
      if (stream === "stdout") yield text;
    };

  const started = Date.now();
  try {
    const result = await execa(command, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: true,
      stdin: "ignore",
      stdout: [tee("stdout")],
      stderr: [tee("stderr")],
      timeout: options.timeoutMs,
      forceKillAfterDelay: 5000,
      stripFinalNewline: false,
    });
    const durationMs = Date.now() - started;
    appendLog(options.log, `### done in ${(durationMs / 1000).toFixed(1)} s\n`);
    const out = result.stdout as unknown;
    return { stdout: Array.isArray(out) ? out.join("\n") : String(out ?? ""), durationMs };
  } catch (err) {
    const error = err as ExecaError;
    const why = describeFailure(command, error, options.timeoutMs);
    const failure = stepFailure(options.step, why, options.log, options.hint ?? "");
    appendLog(options.log, `### failed: ${why}\n`);
    throw failure;
  }
}

function describeFailure(command: string, error: ExecaError, timeoutMs: number | undefined): string {
  if (error.code === "ENOENT") return `command not found: ${command}`;
  if (error.timedOut) return `\`${command}\` timed out after ${(timeoutMs ?? 0) / 1000} s`;
  if (error.isCanceled) return `\`${command}\` was cancelled`;
  if (error.signal) return `\`${command}\` was killed by ${error.signal}`;
  if (typeof error.exitCode === "number") return `\`${command}\` exited with code ${error.exitCode}`;
  return error.shortMessage ?? error.message;
}
