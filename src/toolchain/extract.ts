/**
 * Extracting into the cache so that an interrupted run never leaves a half tree that a later
 * run would trust: everything is unpacked into a temporary sibling, marked complete, then
 * renamed into place. A directory without its marker is deleted and redone.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { execa, type ExecaError } from "execa";
import { COMPLETE_MARKER } from "./download-cache.js";
import type { ProgressTask } from "../util/progress.js";
import { formatCommand, run, stepFailure } from "../util/run.js";

export function isComplete(dir: string): boolean {
  return existsSync(join(dir, COMPLETE_MARKER));
}

/** Temporary names devgen uses in the cache end in the owning process id: `.x.partial-<pid>`, `.stage-x-<pid>`. */
const TEMP_NAME = /^\..*(?:partial|stage)[^/]*-(\d+)$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Deletes temporaries left in `dir` by devgen runs that were interrupted (their process is gone). */
export function sweepStale(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Produces `final` with `fill(tmp)` unless it is already complete. `fill` gets an empty
 * temporary directory next to `final`; after it resolves the marker is written and the
 * directory renamed. Returns true when work was done.
 */
export async function buildOnce(final: string, fill: (tmp: string) => Promise<void>): Promise<boolean> {
  if (isComplete(final)) return false;
  if (existsSync(final)) rmSync(final, { recursive: true, force: true });
  const parent = dirname(final);
  mkdirSync(parent, { recursive: true });
  sweepStale(parent);
  const tmp = join(parent, `.${basename(final)}.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    await fill(tmp);
    writeFileSync(join(tmp, COMPLETE_MARKER), `${JSON.stringify({ completed: new Date().toISOString() })}\n`);
    try {
      renameSync(tmp, final);
    } catch (err) {
      // Another devgen finished the same entry first: keep theirs.
      if (!isComplete(final)) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return true;
}

/** Writes JSON through a temporary file and a rename, so readers never see half of it. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** `dpkg-deb -x deb dest` (into the cache, never into /). */
export async function extractDeb(deb: string, dest: string, log: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  await run("dpkg-deb", ["-x", deb, dest], { step: `extract ${basename(deb)}`, log, timeoutMs: 30 * 60_000, hint: "dpkg-deb comes with dpkg" });
}

/**
 * Unpacks a .tar.xz into `dest`, dropping its top directory, reporting the share of the
 * compressed file read so far.
 */
export async function extractTarXz(tarball: string, dest: string, log: string, task?: ProgressTask): Promise<void> {
  const total = statSync(tarball).size;
  let read = 0;
  // A binary transform on stdin counts the compressed bytes tar has been fed.
  const count = {
    transform: function* (chunk: unknown): Generator<unknown, void, unknown> {
      read += (chunk as Uint8Array).length;
      task?.update(read, total);
      yield chunk;
    },
    binary: true,
  };
  const args = ["-xJ", "-f", "-", "-C", dest, "--strip-components=1", "--no-same-owner"];
  appendFileSync(log, `\n### ${new Date().toISOString()} extract ${basename(tarball)}\n$ ${formatCommand("tar", args)} < ${tarball}\n`);
  mkdirSync(dest, { recursive: true });
  try {
    await execa("tar", args, {
      stdin: [{ file: tarball }, count],
      stdout: { file: log, append: true },
      stderr: { file: log, append: true },
      timeout: 60 * 60_000,
    });
  } catch (err) {
    const error = err as ExecaError;
    const why = error.code === "ENOENT" ? "command not found: tar" : `tar exited with code ${error.exitCode ?? "?"}`;
    throw stepFailure(`extract ${basename(tarball)}`, why, log, "is the disk full? `df -h` the cache directory");
  }
}
