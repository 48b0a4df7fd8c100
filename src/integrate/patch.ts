/**
 * Marker-based, all-or-nothing edits of a source tree (a kernel or a QEMU checkout).
 *
 * - Every insertion is wrapped in begin/end markers naming the device, so patching twice
 *   changes nothing and unpatching removes exactly what was added.
 * - Planning is pure: every anchor is found and every new file content computed in memory
 *   before anything is written; a missing anchor fails the whole plan, naming file and anchor.
 * - Applying is journaled: the original bytes of every file about to change are saved under
 *   `.devgen/journal/` first, so a patch interrupted half way is rolled back on the next run
 *   instead of leaving a half-patched tree.
 *
 * What holds when devgen is killed (SIGKILL) at any point while applying: either no journal
 * index is left, and every file outside `.devgen/journal/` is as before or as after the
 * patch; or the index is left, and the next planPatch, patchedOwners or applyPlan on the tree
 * (any devgen build or unpatch) first restores every file as it was before. A write that
 * fails (read-only tree, full disk) is rolled back at once, in the same run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DevgenError, type Diagnostic } from "../util/diagnostics.js";

/** How a file type writes a comment line, for the markers. */
export type CommentStyle = "c" | "hash";

/** Text inserted next to an anchor: a line, or a run of consecutive lines, of the file. */
export interface Insertion {
  kind: "insert";
  file: string;
  /**
   * Matched against each line, or a run of lines matched one regexp each; must match
   * exactly once in the file. `before` inserts above its first line, `after` below its last.
   */
  anchor: RegExp | RegExp[];
  /** Human description of the anchor for error messages, e.g. "case KVM_CREATE_PIT2:". */
  anchorLabel: string;
  where: "before" | "after";
  text: string;
  comment: CommentStyle;
  /** Indentation for the marker lines, matching the code around them. */
  indent?: string;
  /**
   * Orders the blocks of several devices at this anchor by the number this captures from a
   * block's first line, instead of by owner: enumerators whose last one must be the highest.
   */
  orderBy?: RegExp;
}

/** A file devgen owns entirely (generated code), created or replaced. */
export interface AddedFile {
  kind: "file";
  file: string;
  contents: string;
}

export type Edit = Insertion | AddedFile;

export interface Plan {
  tree: string;
  owner: string;
  /** New contents by relative path; `null` deletes the file. */
  writes: Map<string, string | null>;
}

const STATE_DIR = ".devgen";
const JOURNAL_DIR = path.join(STATE_DIR, "journal");
const MANIFEST = path.join(STATE_DIR, "manifest.json");

interface Manifest {
  /** Files devgen created, by owner (device name). */
  files: Record<string, string[]>;
  /** Files holding an owner's marked blocks. */
  edited: Record<string, string[]>;
}

export function beginMarker(owner: string, style: CommentStyle): string {
  return style === "c" ? `/* devgen:${owner} begin */` : `# devgen:${owner} begin`;
}

export function endMarker(owner: string, style: CommentStyle): string {
  return style === "c" ? `/* devgen:${owner} end */` : `# devgen:${owner} end`;
}

const MARKER = /^\s*(?:\/\*|#) devgen:(\S+) (begin|end)(?: \*\/)?\s*$/;

/** A file's text with every devgen block (any owner, markers included) left out. */
export function withoutDevgenBlocks(text: string): string {
  const kept: string[] = [];
  let inside: string | null = null;
  for (const line of text.split("\n")) {
    const marker = MARKER.exec(line);
    if (marker && marker[2] === "begin" && inside === null) inside = marker[1]!;
    else if (marker && marker[2] === "end" && marker[1] === inside) inside = null;
    else if (inside === null) kept.push(line);
  }
  return kept.join("\n");
}

/**
 * Where `owner`'s block goes at an anchor other devices' blocks already sit at: among them
 * in order of owner, whatever order the devices were patched in. Re-patching one device of
 * several then leaves the shared files byte for byte as they were, so make rebuilds
 * nothing that includes them.
 */
function amongBlocks(lines: readonly string[], at: number, owner: string, where: "before" | "after", mine: string, orderBy?: RegExp): number {
  /** Whether the block whose first content line is `first`, of `other`, goes before this one. */
  const goesFirst = (other: string, first: string): boolean => {
    const theirs = orderBy?.exec(first)?.[1];
    const ours = orderBy?.exec(mine)?.[1];
    return theirs !== undefined && ours !== undefined ? Number(theirs) < Number(ours) : other < owner;
  };
  if (where === "after") {
    for (let m = MARKER.exec(lines[at] ?? ""); m && m[2] === "begin" && goesFirst(m[1]!, lines[at + 1] ?? ""); m = MARKER.exec(lines[at] ?? "")) {
      const end = lines.findIndex((line, i) => i > at && MARKER.exec(line)?.[1] === m![1] && MARKER.exec(line)?.[2] === "end");
      if (end < 0) break;
      at = end + 1;
    }
    return at;
  }
  for (let m = MARKER.exec(lines[at - 1] ?? ""); m && m[2] === "end"; m = MARKER.exec(lines[at - 1] ?? "")) {
    let begin = at - 2;
    while (begin >= 0 && !(MARKER.exec(lines[begin]!)?.[1] === m[1] && MARKER.exec(lines[begin]!)?.[2] === "begin")) begin--;
    if (begin < 0 || goesFirst(m[1]!, lines[begin + 1] ?? "")) break;
    at = begin;
  }
  return at;
}

/** Removes `owner`'s marked blocks (markers included) from a file's text. */
export function stripOwner(text: string, owner: string): string {
  const lines = text.split("\n");
  const kept: string[] = [];
  let inside = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === beginMarker(owner, "c") || trimmed === beginMarker(owner, "hash")) {
      inside = true;
    } else if (inside && (trimmed === endMarker(owner, "c") || trimmed === endMarker(owner, "hash"))) {
      inside = false;
    } else if (!inside) {
      kept.push(line);
    }
  }
  return kept.join("\n");
}

/** The 1-based line of an `owner` begin marker whose block never ends, or null. */
function unterminatedBlock(text: string, owner: string): number | null {
  let open: number | null = null;
  text.split("\n").forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === beginMarker(owner, "c") || trimmed === beginMarker(owner, "hash")) open ??= i + 1;
    else if (trimmed === endMarker(owner, "c") || trimmed === endMarker(owner, "hash")) open = null;
  });
  return open;
}

/**
 * Files `owner` would create that are already in the tree but are not its own: a file
 * written by hand, or another device's. devgen never overwrites them (unpatching would
 * then delete them).
 */
function foreignFiles(tree: string, owner: string, manifest: Manifest, edits: Edit[]): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const edit of edits) {
    if (edit.kind !== "file" || manifest.files[owner]?.includes(edit.file) || !fs.existsSync(path.join(tree, edit.file))) continue;
    const other = Object.keys(manifest.files).find((o) => manifest.files[o]!.includes(edit.file));
    problems.push({
      location: null,
      message: other
        ? `${edit.file}: already created by devgen for device ${other}`
        : `${edit.file}: already exists and was not created by devgen`,
      hint: "devgen does not overwrite files it did not create for this device; rename the device or move the file away",
    });
  }
  return problems;
}

function readManifest(tree: string): Manifest {
  const file = path.join(tree, MANIFEST);
  const empty: Manifest = { files: {}, edited: {} };
  return fs.existsSync(file) ? { ...empty, ...(JSON.parse(fs.readFileSync(file, "utf8")) as Manifest) } : empty;
}

function withOwner(manifest: Manifest, owner: string, files: string[], edited: string[]): Manifest {
  const next: Manifest = { files: { ...manifest.files }, edited: { ...manifest.edited } };
  delete next.files[owner];
  delete next.edited[owner];
  if (files.length) next.files[owner] = [...new Set(files)].sort();
  if (edited.length) next.edited[owner] = [...new Set(edited)].sort();
  return next;
}

function manifestText(manifest: Manifest): string | null {
  const sortKeys = (record: Record<string, string[]>) =>
    Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]!]));
  if (!Object.keys(manifest.files).length && !Object.keys(manifest.edited).length) return null;
  return `${JSON.stringify({ files: sortKeys(manifest.files), edited: sortKeys(manifest.edited) }, null, 2)}\n`;
}

function readText(tree: string, file: string): string | null {
  const full = path.join(tree, file);
  return fs.existsSync(full) ? fs.readFileSync(full, "utf8") : null;
}

/**
 * Computes the tree after `owner`'s edits: its previous blocks and files are removed first,
 * then the edits applied, so re-patching after a regenerate replaces rather than stacks.
 */
export function planPatch(tree: string, owner: string, edits: Edit[]): Plan {
  // Plan against the tree as it was before an interrupted patch, not against its half.
  recoverInterrupted(tree);
  const writes = new Map<string, string | null>();
  const problems: Diagnostic[] = [];
  const manifest = readManifest(tree);

  // Start from the tree without this owner's previous blocks and files.
  for (const file of manifest.files[owner] ?? []) writes.set(file, null);
  const inserted = edits.filter((e): e is Insertion => e.kind === "insert");
  for (const file of new Set([...(manifest.edited[owner] ?? []), ...inserted.map((e) => e.file)])) {
    const text = readText(tree, file);
    const unterminated = text === null ? null : unterminatedBlock(text, owner);
    if (text === null) {
      problems.push({ location: null, message: `${file}: file not found`, hint: "is this the right tree and version?" });
    } else if (unterminated !== null) {
      problems.push({
        location: null,
        message: `${file}:${unterminated}: \`devgen:${owner} begin\` has no matching end marker`,
        hint: "the file was edited by hand; restore the end marker or remove the block, then run devgen again",
      });
    } else {
      writes.set(file, stripOwner(text, owner));
    }
  }
  problems.push(...foreignFiles(tree, owner, manifest, edits));

  for (const edit of edits) {
    if (edit.kind === "file") {
      writes.set(edit.file, edit.contents);
      continue;
    }
    const text = writes.get(edit.file);
    if (text === undefined || text === null) continue;
    const lines = text.split("\n");
    const anchor = Array.isArray(edit.anchor) ? edit.anchor : [edit.anchor];
    const matches = lines.flatMap((_line, i) => (anchor.every((re, k) => re.test(lines[i + k] ?? "")) ? [i] : []));
    if (matches.length !== 1) {
      problems.push({
        location: null,
        message: `${edit.file}: anchor \`${edit.anchorLabel}\` ${matches.length ? `found ${matches.length} times` : "not found"}`,
        hint: "the tree is of another version or was edited by hand; nothing was changed",
      });
      continue;
    }
    const indent = edit.indent ?? "";
    const block = [
      `${indent}${beginMarker(owner, edit.comment)}`,
      ...edit.text.replace(/\n$/, "").split("\n"),
      `${indent}${endMarker(owner, edit.comment)}`,
    ];
    const at = edit.where === "after" ? matches[0]! + anchor.length : matches[0]!;
    lines.splice(amongBlocks(lines, at, owner, edit.where, block[1] ?? "", edit.orderBy), 0, ...block);
    writes.set(edit.file, lines.join("\n"));
  }
  if (problems.length) throw new DevgenError(problems);

  const added = edits.filter((e): e is AddedFile => e.kind === "file").map((e) => e.file);
  const next = withOwner(manifest, owner, added, inserted.map((e) => e.file));
  writes.set(MANIFEST, manifestText(next));
  return dropUnchanged(tree, owner, writes);
}

/** Removes everything `owner` added: its marked blocks and its files. */
export function planUnpatch(tree: string, owner: string): Plan {
  return planPatch(tree, owner, []);
}

/** Leaves out writes that change nothing, so an idempotent re-patch touches no file. */
function dropUnchanged(tree: string, owner: string, writes: Map<string, string | null>): Plan {
  for (const [file, contents] of writes) if (contents === readText(tree, file)) writes.delete(file);
  return { tree, owner, writes };
}

/** Owners (device names) patched into a tree. */
export function patchedOwners(tree: string): string[] {
  recoverInterrupted(tree);
  const manifest = readManifest(tree);
  return [...new Set([...Object.keys(manifest.files), ...Object.keys(manifest.edited)])].sort();
}

interface JournalEntry {
  file: string;
  /** Name of the original's copy in the journal; null when the file did not exist. */
  saved: string | null;
}

const TEMPORARY_SUFFIX = ".devgen-tmp";

/** Rolls back a patch that was interrupted, restoring the journaled originals. */
export function recoverInterrupted(tree: string): boolean {
  const journal = path.join(tree, JOURNAL_DIR);
  if (!fs.existsSync(journal)) return false;
  const index = path.join(journal, "index.json");
  const hint = `${journal} holds the tree's original files; run devgen again once the tree is writable to restore them`;
  return failingWith(hint, (writing) => {
    if (!fs.existsSync(index)) {
      // Killed before the index was written: no file of the tree was changed yet.
      writing(journal);
      fs.rmSync(journal, { recursive: true, force: true });
      removeEmptyStateDir(tree);
      return false;
    }
    const entries = JSON.parse(fs.readFileSync(index, "utf8")) as JournalEntry[];
    for (const { file, saved } of entries) {
      const target = writing(path.join(tree, file));
      fs.rmSync(`${target}${TEMPORARY_SUFFIX}`, { force: true });
      if (saved === null) {
        fs.rmSync(target, { force: true });
        continue;
      }
      const original = fs.readFileSync(path.join(journal, saved));
      // Files the patch never reached are left alone, so a tree with read-only parts rolls back too.
      if (!fs.existsSync(target) || !fs.readFileSync(target).equals(original)) writeAtomically(target, original);
    }
    dropJournal(tree);
    return true;
  });
}

/** Writes a plan: journal the originals, write each file atomically, drop the journal. */
export function applyPlan(plan: Plan): void {
  recoverInterrupted(plan.tree);
  if (plan.writes.size === 0) return;
  const journal = path.join(plan.tree, JOURNAL_DIR);
  try {
    failingWith("the tree was left as it was; make it writable and run devgen again", (writing) => {
      // One level at a time: a recursive mkdir reports ENOENT instead of EROFS on a read-only tree.
      for (const dir of [path.dirname(journal), journal]) if (!fs.existsSync(writing(dir))) fs.mkdirSync(dir);
      const entries: JournalEntry[] = [...plan.writes.keys()].map((file, i) => {
        const full = path.join(plan.tree, file);
        if (!fs.existsSync(full)) return { file, saved: null };
        fs.copyFileSync(full, writing(path.join(journal, String(i))));
        return { file, saved: String(i) };
      });
      // The index is written last: until it exists the journal is incomplete and means nothing.
      writeAtomically(writing(path.join(journal, "index.json")), JSON.stringify(entries));
      for (const [file, contents] of plan.writes) {
        const full = writing(path.join(plan.tree, file));
        if (contents === null) {
          fs.rmSync(full, { force: true });
        } else {
          fs.mkdirSync(path.dirname(full), { recursive: true });
          writeAtomically(full, contents);
        }
      }
    });
  } catch (err) {
    // A write failed (read-only tree, full disk): put back what was written before it.
    recoverInterrupted(plan.tree);
    throw err;
  }
  dropJournal(plan.tree);
}

/**
 * Runs `body`, which names each path before writing it; a failed write becomes a DevgenError
 * naming that path and why (read-only file system, permission denied, no space left...).
 */
function failingWith<T>(hint: string, body: (writing: (file: string) => string) => T): T {
  let current = "";
  try {
    return body((file) => (current = file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!current || !code) throw err;
    const why = /^\w+: ([^,]+),/.exec((err as Error).message)?.[1] ?? code;
    throw new DevgenError([{ location: null, message: `cannot write ${current}: ${why}`, hint }], 3);
  }
}

/** Removes the journal, its index first, so a kill half way leaves no index to act on. */
function dropJournal(tree: string): void {
  const journal = path.join(tree, JOURNAL_DIR);
  fs.rmSync(path.join(journal, "index.json"), { force: true });
  fs.rmSync(journal, { recursive: true, force: true });
  removeEmptyStateDir(tree);
}

function writeAtomically(file: string, contents: string | Buffer): void {
  const temporary = `${file}${TEMPORARY_SUFFIX}`;
  const mode = fs.existsSync(file) ? fs.statSync(file).mode : undefined;
  fs.writeFileSync(temporary, contents, mode === undefined ? undefined : { mode });
  fs.renameSync(temporary, file);
}

function removeEmptyStateDir(tree: string): void {
  const dir = path.join(tree, STATE_DIR);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}
