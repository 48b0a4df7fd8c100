/**
 * One devgen at a time per tree. `devgen build` patches a tree and runs make or ninja in it;
 * two doing that at once (two terminals, a test run beside a demo) interleave patches and
 * object files and fail in ways that look like compiler bugs. The lock is a file named after
 * the tree's real path, kept in the cache (never in the tree, which may be read-only and
 * must stay byte-identical after unpatch), holding the owner's pid. A lock whose process is
 * gone is stale and taken over.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot } from "./cache-dir.js";
import { DevgenError } from "./diagnostics.js";
import type { Progress } from "./progress.js";

export interface TreeLockOptions {
  progress: Progress;
  /** Where lock files live (default <cache>/locks). */
  dir?: string;
  pollMs?: number;
  /** Give up waiting for another devgen after this long (default 30 minutes: a cold build). */
  timeoutMs?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function treeLockFile(tree: string, dir = path.join(cacheRoot(), "locks")): string {
  const real = fs.existsSync(tree) ? fs.realpathSync(tree) : path.resolve(tree);
  return path.join(dir, `${path.basename(real)}-${createHash("sha256").update(real).digest("hex").slice(0, 12)}.lock`);
}

/** The pid holding the lock, or null when the lock is free (or stale, and then removed). */
function holder(lock: string): number | null {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(lock, "utf8"), 10);
  } catch {
    return null;
  }
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) return pid;
  fs.rmSync(lock, { force: true });
  return null;
}

/** Runs `work` holding the tree's lock, waiting (with a note on progress) while another devgen holds it. */
export async function withTreeLock<T>(tree: string, options: TreeLockOptions, work: () => Promise<T>): Promise<T> {
  const lock = treeLockFile(tree, options.dir);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  let waiting: ReturnType<Progress["task"]> | null = null;
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const pid = holder(lock);
    if (pid === null) continue;
    if (Date.now() - started > timeoutMs) {
      waiting?.fail();
      throw new DevgenError(
        [{ location: null, message: `another devgen (pid ${pid}) has been using ${tree} for over ${Math.round(timeoutMs / 60_000)} minutes`, hint: `wait for it, or stop it; its lock is ${lock}` }],
        3,
      );
    }
    waiting ??= options.progress.task(`waiting for another devgen (pid ${pid}) to finish with ${tree}`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
  waiting?.done();
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
