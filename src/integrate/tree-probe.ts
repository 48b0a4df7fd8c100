/**
 * Tree probes: how devgen learns which spelling of an API a kernel or QEMU tree uses, by
 * reading the tree rather than trusting its version string, so that a release devgen was
 * never told about is patched when its files say how, and refused when they don't.
 *
 * A probe lists alternatives, each a file, what is looked for there and the value it stands
 * for. The probe decides when the alternatives found agree; none found (or their files
 * missing), or found ones that disagree, leave it undecided and the tree is refused before
 * anything is written, naming every undecided probe, its files and what was looked for.
 *
 * Probes read the tree as it was before devgen: blocks devgen inserted are left out.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DevgenError, type Diagnostic } from "../util/diagnostics.js";
import { escapeRegExp } from "../util/regexp.js";
import { withoutDevgenBlocks } from "./patch.js";

/** A file of the tree (a path relative to its top) as text, or null when it has no such file. */
export type TreeReader = (file: string) => string | null;

/** One way a tree can show an API, and what it means for the generated code. */
export interface Alternative<T> {
  file: string;
  /** What is looked for, for messages: "`#define kzalloc_obj(`". */
  lookingFor: string;
  /** The value when the file shows this alternative, else null. */
  match: (text: string) => T | null;
}

export interface Probe<T> {
  /** A stable name, used in messages and tests: "irq-source-ids". */
  name: string;
  alternatives: readonly Alternative<T>[];
}

/** What a decided probe found, and where. */
export interface ProbeOutcome<T> {
  probe: string;
  file: string;
  found: string;
  value: T;
}

export type ProbeResult<T> = { decided: true; outcome: ProbeOutcome<T> } | { decided: false; problem: string };

/** The declaration at the start of a line (after indentation), any run of blanks matching any other. */
function declarationPattern(declaration: string): RegExp {
  return new RegExp(`^[ \\t]*${declaration.trim().split(/\s+/).map(escapeRegExp).join("\\s+")}`, "m");
}

/** An alternative that holds when `file` declares `declaration` (C text, matched at a line's start). */
export function declared<T>(file: string, declaration: string, value: T): Alternative<T> {
  const pattern = declarationPattern(declaration);
  return { file, lookingFor: `\`${declaration}\``, match: (text) => (pattern.test(text) ? value : null) };
}

/** An alternative that holds when the tree has `file` at all: where a header lives. */
export function present<T>(file: string, value: T): Alternative<T> {
  return { file, lookingFor: "the file", match: () => value };
}

const where = (a: Alternative<unknown>): string => `${a.lookingFor} in ${a.file}`;

export function runProbe<T>(probe: Probe<T>, read: TreeReader): ProbeResult<T> {
  const found: { alternative: Alternative<T>; value: T }[] = [];
  for (const alternative of probe.alternatives) {
    const text = read(alternative.file);
    const value = text === null ? null : alternative.match(text);
    if (value !== null) found.push({ alternative, value });
  }
  const values = new Set(found.map((f) => JSON.stringify(f.value)));
  if (values.size === 1) {
    const [{ alternative, value }] = found as [(typeof found)[number]];
    return { decided: true, outcome: { probe: probe.name, file: alternative.file, found: alternative.lookingFor, value } };
  }
  if (values.size > 1) {
    return { decided: false, problem: `probe ${probe.name}: found both ${found.map((f) => where(f.alternative)).join(" and ")}, which disagree` };
  }
  const missing = [...new Set(probe.alternatives.map((a) => a.file))].filter((file) => read(file) === null);
  const absent = missing.length ? ` (no ${missing.join(", no ")})` : "";
  return { decided: false, problem: `probe ${probe.name}: found none of ${probe.alternatives.map(where).join(", ")}${absent}` };
}

/**
 * Runs a table of probes: every value by key, or one error listing every probe that could
 * not decide (each message starting with the tree).
 */
export function runProbes<Table extends Record<string, Probe<unknown>>>(
  table: Table,
  read: TreeReader,
  tree: string,
  hint: string,
): { values: { [K in keyof Table]: Table[K] extends Probe<infer T> ? T : never }; outcomes: ProbeOutcome<unknown>[] } {
  const values: Record<string, unknown> = {};
  const outcomes: ProbeOutcome<unknown>[] = [];
  const problems: Diagnostic[] = [];
  for (const [key, probe] of Object.entries(table)) {
    const result = runProbe(probe, read);
    if (result.decided) {
      values[key] = result.outcome.value;
      outcomes.push(result.outcome);
    } else {
      problems.push({ location: null, message: `${tree}: ${result.problem}`, hint });
    }
  }
  if (problems.length) throw new DevgenError(problems);
  return { values: values as never, outcomes };
}

/** What the probes decided, by probe name: for `--json` and the build's summary line. */
export function probeValues(outcomes: readonly ProbeOutcome<unknown>[]): Record<string, unknown> {
  return Object.fromEntries(outcomes.map((o) => [o.probe, o.value]));
}

/** Reads a tree's files as they were before devgen patched them. */
export function pristineReader(tree: string): TreeReader {
  return (file) => {
    try {
      return withoutDevgenBlocks(fs.readFileSync(path.join(tree, file), "utf8"));
    } catch (err) {
      if (["ENOENT", "ENOTDIR", "EISDIR"].includes((err as NodeJS.ErrnoException).code ?? "")) return null;
      throw err;
    }
  };
}
