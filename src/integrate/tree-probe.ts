/**
 * Tree probes: how devgen learns which spelling of an API a kernel or QEMU tree uses, by
 * reading the tree rather than trusting its version string. Each probe reads one file and
 * looks for named alternatives; the first that matches decides. When none matches, the
 * tree is refused before anything is written, with the probe, the file and what was
 * looked for, so a user with a newer or patched tree knows exactly what devgen did not
 * recognise.
 *
 * Probes read the tree as it was before devgen: blocks devgen inserted are left out.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DevgenError, type Diagnostic } from "../util/diagnostics.js";
import { withoutDevgenBlocks } from "./patch.js";

/** A file of the tree, relative to its top, or null when the tree has no such file. */
export type TreeReader = (file: string) => string | null;

/** One spelling a probe recognises, and what it means for the generated code. */
export interface Alternative<T> {
  /** What the file contains when this alternative holds, for messages: "`#define kzalloc_obj(`". */
  lookingFor: string;
  /** The value, or null when the file does not show this alternative. */
  match: (text: string) => T | null;
}

export interface Probe<T> {
  /** A stable name, used in messages and tests: "irq-source-id". */
  name: string;
  /** What the probe decides, for people: "how the device gets an interrupt source id". */
  decides: string;
  file: string;
  /** Tried in order; the first match decides. */
  alternatives: readonly Alternative<T>[];
}

/** What a probe found: its value, and which alternative said so. */
export interface ProbeOutcome<T> {
  probe: string;
  file: string;
  found: string;
  value: T;
}

/** Either an outcome, or the diagnostic that explains why the probe could not decide. */
export type ProbeResult<T> = { ok: true; outcome: ProbeOutcome<T> } | { ok: false; problem: Diagnostic };

export function runProbe<T>(probe: Probe<T>, read: TreeReader): ProbeResult<T> {
  const text = read(probe.file);
  const looked = probe.alternatives.map((a) => a.lookingFor).join(" or ");
  if (text === null) {
    return {
      ok: false,
      problem: {
        location: null,
        message: `probe ${probe.name} (${probe.decides}): ${probe.file} is missing; devgen looks there for ${looked}`,
        hint: "is this the top of a source tree of a supported release?",
      },
    };
  }
  for (const alternative of probe.alternatives) {
    const value = alternative.match(text);
    if (value !== null) return { ok: true, outcome: { probe: probe.name, file: probe.file, found: alternative.lookingFor, value } };
  }
  return {
    ok: false,
    problem: {
      location: null,
      message: `probe ${probe.name} (${probe.decides}): ${probe.file} has none of ${looked}`,
      hint: "devgen does not know this tree's spelling of that API; the tree was left untouched",
    },
  };
}

/**
 * Runs every probe of a table and returns their values by key, or throws one error that
 * lists every probe that could not decide.
 */
export function runProbes<Table extends Record<string, Probe<unknown>>>(
  table: Table,
  read: TreeReader,
  tree: string,
): { values: { [K in keyof Table]: Table[K] extends Probe<infer T> ? T : never }; outcomes: ProbeOutcome<unknown>[] } {
  const values: Record<string, unknown> = {};
  const outcomes: ProbeOutcome<unknown>[] = [];
  const problems: Diagnostic[] = [];
  for (const [key, probe] of Object.entries(table)) {
    const result = runProbe(probe, read);
    if (result.ok) {
      values[key] = result.outcome.value;
      outcomes.push(result.outcome);
    } else {
      problems.push({ ...result.problem, message: `${tree}: ${result.problem.message}` });
    }
  }
  if (problems.length) throw new DevgenError(problems);
  return { values: values as never, outcomes };
}

/** Reads a tree's files as they were before devgen patched them. */
export function pristineReader(tree: string): TreeReader {
  return (file) => {
    const full = path.join(tree, file);
    if (!fs.existsSync(full)) return null;
    return withoutDevgenBlocks(fs.readFileSync(full, "utf8"));
  };
}

/** An alternative that holds when the file matches `pattern`, giving `value`. */
export function whenMatches<T>(lookingFor: string, pattern: RegExp, value: T): Alternative<T> {
  return { lookingFor, match: (text) => (pattern.test(text) ? value : null) };
}
