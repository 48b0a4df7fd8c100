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
  const writes = new Map<string, string | null>();
  const problems: Diagnostic[] = [];
  const manifest = readManifest(tree);

  // Start from the tree without this owner's previous blocks and files.
  for (const file of manifest.files[owner] ?? []) writes.set(file, null);
  const inserted = edits.filter((e): e is Insertion => e.kind === "insert");
  for (const file of new Set([...(manifest.edited[owner] ?? []), ...inserted.map((e) => e.file)])) {
    const text = readText(tree, file);
    if (text === null) {
      problems.push({ location: null, message: `${file}: file not found`, hint: "is this the right tree and version?" });
    } else {
      writes.set(file, stripOwner(text, owner));
    }
  }

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
    lines.splice(edit.where === "after" ? matches[0]! + anchor.length : matches[0]!, 0, ...block);
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
  const manifest = readManifest(tree);
  return [...new Set([...Object.keys(manifest.files), ...Object.keys(manifest.edited)])].sort();
}

/** Rolls back a patch that was interrupted, restoring the journaled originals. */
export function recoverInterrupted(tree: string): boolean {
  const journal = path.join(tree, JOURNAL_DIR);
  const index = path.join(journal, "index.json");
  if (!fs.existsSync(index)) {
    fs.rmSync(journal, { recursive: true, force: true });
    return false;
  }
  const entries = JSON.parse(fs.readFileSync(index, "utf8")) as { file: string; saved: string | null }[];
  for (const { file, saved } of entries) {
    const target = path.join(tree, file);
    if (saved === null) fs.rmSync(target, { force: true });
    else writeAtomically(target, fs.readFileSync(path.join(journal, saved)));
  }
  fs.rmSync(journal, { recursive: true, force: true });
  removeEmptyStateDir(tree);
  return true;
}

/** Writes a plan: journal the originals, write each file atomically, drop the journal. */
export function applyPlan(plan: Plan): void {
  recoverInterrupted(plan.tree);
  if (plan.writes.size === 0) return;
  const journal = path.join(plan.tree, JOURNAL_DIR);
  fs.mkdirSync(journal, { recursive: true });
  const entries: { file: string; saved: string | null }[] = [];
  [...plan.writes.keys()].forEach((file, i) => {
    const full = path.join(plan.tree, file);
    if (fs.existsSync(full)) {
      fs.copyFileSync(full, path.join(journal, String(i)));
      entries.push({ file, saved: String(i) });
    } else {
      entries.push({ file, saved: null });
    }
  });
  // The index is written last: until it exists the journal is incomplete and means nothing.
  writeAtomically(path.join(journal, "index.json"), JSON.stringify(entries));
  for (const [file, contents] of plan.writes) {
    const full = path.join(plan.tree, file);
    if (contents === null) {
      fs.rmSync(full, { force: true });
    } else {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      writeAtomically(full, contents);
    }
  }
  fs.rmSync(journal, { recursive: true, force: true });
  removeEmptyStateDir(plan.tree);
}

function writeAtomically(file: string, contents: string | Buffer): void {
  const temporary = `${file}.devgen-tmp`;
  const mode = fs.existsSync(file) ? fs.statSync(file).mode : undefined;
  fs.writeFileSync(temporary, contents, mode === undefined ? undefined : { mode });
  fs.renameSync(temporary, file);
}

function removeEmptyStateDir(tree: string): void {
  const dir = path.join(tree, STATE_DIR);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}
