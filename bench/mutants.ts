/**
 * `npm run bench -- --mutants [DIR...]`: how much of a device's behaviour its conformance
 * vectors can tell apart (issue 15). Each mutant of the generated core and of the device's
 * hooks.c (bench/c-mutants.ts) is compiled with the native vector runner and run: the
 * vectors kill it when they fail, or when it loops (timeout) or crashes; a mutant that
 * passes gets a second chance to fail in the sanitized build the native tests also run
 * (ASan, UBSan); otherwise it survives. A mutant gcc rejects is stillborn and left out of
 * the score.
 *
 * Before any is run, each mutant is compiled at -O2 (Trivial Compiler Equivalence): one
 * whose object code is the unmutated file's is "equivalent", no vector could tell it apart;
 * one whose code an earlier mutant of the same file already has is a "duplicate" of it.
 * Both are counted in columns of their own and left out of the score. So is a mutant of the
 * core that bench/equivalent.ts shows equivalent by construction, with its reason logged.
 *
 * A mutant on a line the unmutated run never executes (gcov), or in a descriptor field that
 * only such lines read, is "unreached" (the native runner calls the state check of
 * KVM_SET_STATE and migration after every vector, so `.holds` and `.fixed` are reached): it cannot change what the
 * vectors see, so it is not run. It counts against the score (no vector reaches it), and
 * the reached score beside it leaves it out.
 *
 * A bench, not a devgen command: it measures devgen's vector generator against the C it
 * generates, takes minutes, and needs gcc and gcov; like `--core`, it is for devgen's
 * developers. Progress goes to stderr, every mutant's outcome to a log file.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { CORE_CFLAGS, HOOK_CFLAGS } from "../src/gen/core/index.js";
import { SANITIZER_ENV, SANITIZER_EXIT, SANITIZER_FLAGS, SANITIZER_REPORT } from "../src/gen/tests/native-build.js";
import { formatTable } from "../src/pipeline/bench.js";
import { compileAll, writeGenerated } from "../src/pipeline/generate.js";
import { mutants, type Mutant } from "./c-mutants.js";
import { equivalentByConstruction } from "./equivalent.js";

const run = promisify(execFile);
/** Issue 15's target, for each device. */
export const TARGET_SCORE = 0.9;
const WORKERS = 2;
/**
 * A mutant's warnings (an unused variable once a store is dropped) do not make it another
 * program: without -Werror it compiles, and `-w` keeps the log to what matters.
 */
const MUTANT_FLAGS = (flags: readonly string[]) => [...flags.filter((f) => f !== "-Werror"), "-w"];

export type Outcome =
  | "killed"
  | "timeout"
  | "crashed"
  | "sanitizer"
  | "survived"
  | "unreached"
  | "equivalent"
  | "duplicate"
  | "construction"
  | "stillborn";

export interface MutantResult {
  /** Where the change is: the committed file's path, relative to the working directory. */
  file: string;
  mutant: Omit<Mutant, "source">;
  outcome: Outcome;
  /** A duplicate's first mutant with the same object code, as `where` prints it. */
  duplicateOf?: string;
  /** Why a mutant is equivalent by construction (bench/equivalent.ts). */
  reason?: string;
}

export interface DeviceScore {
  device: string;
  counts: Record<Outcome, number>;
  /**
   * Killed (vectors, timeout, crash or sanitizer report) over every mutant that compiles to
   * object code of its own: equivalent and duplicate mutants are left out (TCE).
   */
  score: number;
  /** The same, over the mutants some vector reaches. */
  reachedScore: number;
  results: MutantResult[];
}

/** gcov's intermediate text: for each line, whether the run executed it (absent: no code on it). */
export function executedLines(gcovText: string): Map<number, boolean> {
  const lines = new Map<number, boolean>();
  for (const match of gcovText.matchAll(/^\s*([^:\s]+):\s*(\d+):/gm)) {
    const [, count, line] = match;
    if (count === "-") continue;
    lines.set(Number(line), !count!.startsWith("#") && !count!.startsWith("="));
  }
  return lines;
}

/**
 * Whether a vector can reach `mutant`: its line ran, or, for a line with no code (a
 * descriptor table's data), the field it initializes is read on a line that ran.
 */
export function reached(mutant: Omit<Mutant, "source">, source: string, executed: Map<number, boolean>): boolean {
  const ran = executed.get(mutant.line);
  if (ran !== undefined) return ran;
  const field = /\.(\w+)$/.exec(mutant.scope)?.[1];
  if (!field) return true;
  const lines = source.split("\n");
  const reads = new RegExp(`(->|\\.)${field}\\b(?!\\s*=[^=])`);
  return [...executed].some(([line, ran]) => ran && reads.test(lines[line - 1] ?? ""));
}

export function score(device: string, results: MutantResult[]): DeviceScore {
  const counts = { killed: 0, timeout: 0, crashed: 0, sanitizer: 0, survived: 0, unreached: 0, equivalent: 0, duplicate: 0, construction: 0, stillborn: 0 };
  for (const r of results) counts[r.outcome]++;
  const killed = counts.killed + counts.timeout + counts.crashed + counts.sanitizer;
  const reachedTotal = killed + counts.survived;
  return {
    device,
    counts,
    score: killed / Math.max(1, reachedTotal + counts.unreached),
    reachedScore: killed / Math.max(1, reachedTotal),
    results,
  };
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
export const where = ({ file, mutant: m }: MutantResult) =>
  `${file}:${m.line}:${m.column} ${m.operator} ${JSON.stringify(m.original)} → ${JSON.stringify(m.replacement)} (${m.scope})`;

export function formatScores(scores: readonly DeviceScore[]): string[] {
  const outcomes = ["killed", "timeout", "crashed", "sanitizer", "survived", "unreached", "equivalent", "duplicate", "construction", "stillborn"] as const;
  const header = ["device", "mutants", ...outcomes.map((o) => (o === "equivalent" ? "equivalent (TCE)" : o === "duplicate" ? "duplicate (TCE)" : o === "construction" ? "equivalent by construction" : o)), "score", "reached score"];
  const rows = scores.map((s) => [
    s.device,
    String(s.results.length),
    ...outcomes.map((o) => String(s.counts[o])),
    percent(s.score),
    percent(s.reachedScore),
  ]);
  const lines = [...formatTable(header, rows), ""];
  for (const s of scores) {
    const survivors = s.results.filter((r) => r.outcome === "survived");
    lines.push(`${s.device}: ${survivors.length} survivors`, ...survivors.map((r) => `  ${where(r)}`));
    const unreached = s.results.filter((r) => r.outcome === "unreached");
    if (unreached.length) lines.push(`${s.device}: ${unreached.length} unreached`, ...unreached.map((r) => `  ${where(r)}`));
  }
  return lines;
}

interface Target {
  /** The file in the generated tree, relative to its output directory. */
  generated: string;
  /** The same file as committed: the generated core, or the device's own hooks.c. */
  shown: string;
  flags: readonly string[];
}

/** gcc in `cwd`; its diagnostics on failure. */
async function gcc(cwd: string, args: readonly string[]): Promise<string | null> {
  try {
    await run("gcc", args, { cwd });
    return null;
  } catch (err) {
    return (err as { stderr?: string }).stderr ?? String(err);
  }
}

/**
 * Runs the vector program with `env` added: killed when vectors fail, sanitizer when ASan or
 * UBSan stopped it, timeout or crashed when it does not end normally.
 */
async function runVectors(program: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<{ outcome: Outcome; detail: string }> {
  try {
    await run(program, [], { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, ...env } });
    return { outcome: "survived", detail: "" };
  } catch (err) {
    const e = err as { killed?: boolean; signal?: string | null; code?: number; stdout?: string; stderr?: string };
    if (e.killed) return { outcome: "timeout", detail: `no end within ${timeoutMs} ms` };
    if (e.code === SANITIZER_EXIT) return { outcome: "sanitizer", detail: SANITIZER_REPORT.exec(e.stderr ?? "")?.[0] ?? "a sanitizer report" };
    if (e.signal || e.code !== 1) return { outcome: "crashed", detail: `signal ${e.signal ?? "-"}, status ${e.code ?? "-"}` };
    const fails = (e.stdout ?? "").split("\n").filter((l) => l.startsWith("FAIL"));
    return { outcome: "killed", detail: `${fails.length} failing vectors, first: ${fails[0] ?? "-"}` };
  }
}

/** Runs `task(0..count-1, worker)` on WORKERS workers, each index once. */
async function pool(count: number, task: (index: number, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (id: number) => {
    for (let i = next++; i < count; i = next++) await task(i, id);
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, id) => worker(id)));
}

/**
 * What TCE compares: `file`'s assembly at -O2 without debug information, its `.file` and
 * `.ident` lines dropped (the name and compiler banner are not code); null when gcc rejects it.
 */
export async function fingerprint(cwd: string, flags: readonly string[], file: string): Promise<string | null> {
  try {
    const { stdout } = await run("gcc", [...MUTANT_FLAGS(flags), "-O2", "-g0", "-I", "core", "-S", "-o", "-", file], { cwd, maxBuffer: 256 * 1024 * 1024 });
    return createHash("sha256").update(stdout.replace(/^\s*\.(file|ident)\b.*$/gm, "")).digest("hex");
  } catch {
    return null;
  }
}

/** Lines the unmutated program executes, per target: built with --coverage apart from the plain build. */
function coverage(dir: string, name: string, targets: readonly Target[]): Map<string, Map<number, boolean>> {
  const cov = path.join(dir, "coverage");
  fs.mkdirSync(cov);
  const objects = targets.map((t) => {
    const object = path.join(cov, `${path.basename(t.generated, ".c")}.o`);
    execFileSync("gcc", [...t.flags, "--coverage", "-I", "core", "-c", t.generated, "-o", object], { cwd: dir });
    return object;
  });
  const program = path.join(cov, "vectors");
  execFileSync("gcc", [...CORE_CFLAGS, "--coverage", "-I", "core", "-I", "tests", `tests/${name}_native.c`, ...objects, "-o", program], { cwd: dir });
  execFileSync(program, { stdio: "ignore" });
  return new Map(
    targets.map((t, i) => {
      const text = execFileSync("gcov", ["--stdout", "-o", cov, objects[i]!], { cwd: dir, encoding: "utf8" });
      // gcov --stdout prints each source of the object, headers included: keep the target's.
      const own = text.split(/^(?=\s*-:\s*0:Source:)/m).find((part) => part.includes(`Source:${t.generated}`)) ?? "";
      return [t.generated, executedLines(own)];
    }),
  );
}

/**
 * A build of the vector program: plain, as the native tests first run it, or sanitized,
 * as they also do; each keeps its own objects of the unmutated files.
 */
interface Build {
  tag: string;
  flags: readonly string[];
  env: NodeJS.ProcessEnv;
}
const BUILDS: readonly Build[] = [
  { tag: "", flags: [], env: {} },
  { tag: "-asan", flags: SANITIZER_FLAGS, env: SANITIZER_ENV },
];

/** Scores one device: generates it into `work`, then compiles and runs each mutant, two at a time. */
async function scoreDevice(deviceDir: string, work: string, log: fs.WriteStream): Promise<DeviceScore> {
  const [compiled] = compileAll([deviceDir]);
  const [{ out }] = writeGenerated([compiled!], work);
  const name = compiled!.device.name;
  const dir = path.resolve(out!);
  const targets: Target[] = [{ generated: `core/${name}_core.c`, shown: `generated/${name}/core/${name}_core.c`, flags: CORE_CFLAGS }];
  if (compiled!.hooks) targets.push({ generated: `core/${name}_hooks.c`, shown: path.relative(process.cwd(), compiled!.hooks.path), flags: HOOK_CFLAGS });

  // The unmutated objects of each build, each linked with the other file's mutants.
  const objectOf = (t: Target, b: Build) => `${t.generated.replace(/\.c$/, "")}${b.tag}.o`;
  const runnerOf = (b: Build) => `tests/${name}_native${b.tag}.o`;
  for (const b of BUILDS) {
    for (const t of targets) execFileSync("gcc", [...t.flags, ...b.flags, "-I", "core", "-c", t.generated, "-o", objectOf(t, b)], { cwd: dir });
    execFileSync("gcc", [...CORE_CFLAGS, ...b.flags, "-I", "core", "-I", "tests", "-c", `tests/${name}_native.c`, "-o", runnerOf(b)], { cwd: dir });
  }
  execFileSync("gcc", ["-o", "vectors", runnerOf(BUILDS[0]!), ...targets.map((t) => objectOf(t, BUILDS[0]!))], { cwd: dir });
  const started = Date.now();
  execFileSync(path.join(dir, "vectors"), { stdio: "ignore" });
  // Generous: the unmutated run takes milliseconds, a sanitized one some times more, a mutant that loops never ends.
  const timeoutMs = Math.max(5000, 100 * (Date.now() - started));
  const executed = coverage(dir, name, targets);

  const jobs = targets.flatMap((t) => {
    const source = fs.readFileSync(path.join(dir, t.generated), "utf8");
    return mutants(source).map((mutant) => ({ target: t, mutant, source }));
  });
  const results: MutantResult[] = jobs.map(({ target, mutant: { source: _, ...change } }) => ({ file: target.shown, mutant: change, outcome: "unreached" }));
  const scratchOf = (id: number) => {
    const scratch = path.join(dir, `mutant-${id}`);
    fs.mkdirSync(scratch, { recursive: true });
    return scratch;
  };

  // Trivial Compiler Equivalence: a mutant whose -O2 object code is the original's is
  // equivalent, one whose code an earlier mutant of the same file already has is a duplicate.
  const original = new Map<Target, string>();
  for (const t of targets) original.set(t, (await fingerprint(dir, t.flags, t.generated))!);
  const prints: (string | null)[] = new Array(jobs.length);
  await pool(jobs.length, async (i, id) => {
    const { target, mutant } = jobs[i]!;
    const file = path.join(scratchOf(id), path.basename(target.generated));
    fs.writeFileSync(file, mutant.source);
    prints[i] = await fingerprint(dir, target.flags, file);
    process.stderr.write(`\r${name}: ${i + 1}/${jobs.length} mutants compiled with -O2`);
  });
  process.stderr.write("\n");
  const hooksSource = compiled!.hooks ? fs.readFileSync(path.join(dir, `core/${name}_hooks.c`), "utf8") : "";
  const first = new Map<string, number>();
  const toRun: number[] = [];
  for (const [i, print] of prints.entries()) {
    const { target } = jobs[i]!;
    const key = `${target.generated} ${print}`;
    if (print === null) toRun.push(i); // gcc rejects it: the build below says why
    else if (print === original.get(target)) results[i]!.outcome = "equivalent";
    else if (first.has(key)) {
      results[i]!.outcome = "duplicate";
      results[i]!.duplicateOf = where(results[first.get(key)!]!);
    } else {
      first.set(key, i);
      toRun.push(i);
    }
    const why = target === targets[0] && print !== null && results[i]!.outcome === "unreached" ? equivalentByConstruction(results[i]!.mutant, jobs[i]!.source, hooksSource) : null;
    if (why) {
      results[i]!.outcome = "construction";
      results[i]!.reason = why;
      toRun.splice(toRun.indexOf(i), 1);
      log.write(`${"construction".padEnd(9)} ${where(results[i]!)}\n    ${why}\n`);
    }
    if (results[i]!.outcome === "equivalent" || results[i]!.outcome === "duplicate") {
      log.write(`${results[i]!.outcome.padEnd(9)} ${where(results[i]!)}\n    ${results[i]!.duplicateOf ? `as ${results[i]!.duplicateOf}` : "the original's -O2 object code"}\n`);
    }
  }

  let done = 0;
  await pool(toRun.length, async (k, id) => {
    const scratch = scratchOf(id);
    /** Builds and runs the mutant `target` as `file` with `build`: its outcome, or stillborn. */
    const attempt = async (target: Target, file: string, build: Build): Promise<{ outcome: Outcome; detail: string }> => {
      const object = path.join(scratch, `mutant${build.tag}.o`);
      const program = path.join(scratch, `vectors${build.tag}`);
      const others = targets.filter((t) => t !== target).map((t) => objectOf(t, build));
      const error =
        (await gcc(dir, [...MUTANT_FLAGS(target.flags), ...build.flags, "-I", "core", "-c", file, "-o", object])) ??
        (await gcc(dir, [...build.flags, "-o", program, runnerOf(build), object, ...others]));
      if (error) return { outcome: "stillborn", detail: error.split("\n").find((l) => l.includes("error")) ?? error };
      return runVectors(program, timeoutMs, build.env);
    };
    const i = toRun[k]!;
    const { target, mutant, source } = jobs[i]!;
    const result = results[i]!;
    let detail = "not run: no vector executes it";
    if (prints[i] === null || reached(result.mutant, source, executed.get(target.generated)!)) {
      const file = path.join(scratch, path.basename(target.generated));
      fs.writeFileSync(file, mutant.source);
      // Only a survivor pays for the sanitized build: what it adds is undefined behaviour the plain run let pass.
      for (const build of BUILDS) {
        ({ outcome: result.outcome, detail } = await attempt(target, file, build));
        if (result.outcome !== "survived") break;
      }
    }
    log.write(`${result.outcome.padEnd(9)} ${where(result)}\n    ${detail}\n`);
    process.stderr.write(`\r${name}: ${++done}/${toRun.length} mutants run`);
  });
  process.stderr.write("\n");
  return score(name, results);
}

/**
 * Scores each device directory; prints the table and the survivors (or JSON); returns
 * whether every device met the target.
 */
export async function benchMutants(deviceDirs: readonly string[], json: boolean): Promise<boolean> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-mutants-"));
  const logPath = path.join(work, "mutants.log");
  const log = fs.createWriteStream(logPath);
  const scores: DeviceScore[] = [];
  try {
    for (const dir of deviceDirs) scores.push(await scoreDevice(path.resolve(dir), work, log));
  } finally {
    await new Promise((resolve) => log.end(resolve));
  }
  const met = scores.every((s) => s.score >= TARGET_SCORE);
  if (json) {
    console.log(JSON.stringify({ target: TARGET_SCORE, met, log: met ? null : logPath, devices: scores }, null, 2));
  } else {
    console.log(`devgen bench --mutants: native vectors against mutants of each device's core and hooks.c\n`);
    console.log(formatScores(scores).join("\n"));
    console.log(`\ntarget: at least ${percent(TARGET_SCORE)} of the mutants killed for each device: ${met ? "PASS" : "MISS"}`);
  }
  // The generated trees and builds go; the log stays when a device misses the target.
  if (met) {
    fs.rmSync(work, { recursive: true, force: true });
  } else {
    console.error(`every mutant's outcome: ${logPath}`);
    for (const entry of fs.readdirSync(work)) if (entry !== path.basename(logPath)) fs.rmSync(path.join(work, entry), { recursive: true, force: true });
  }
  return met;
}
