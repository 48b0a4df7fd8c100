/**
 * `--emit-patch`: what devgen puts into a tree, as a `git format-patch` mail a maintainer
 * can review and apply with `git am` (or `git apply`, `patch -p1`) to the pristine tree.
 *
 * devgen's markers are bookkeeping for patch/unpatch, not code: the patch is the diff of the
 * tree without any devgen block against the patched text with the emitted devices' marker
 * lines removed (and other devices' blocks left out). The mail itself is made by git: the
 * changed files are committed twice in a throw-away repository and `git format-patch`
 * writes the result, so the format is git's own, diffstat included.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { commentLines } from "../gen/c.js";
import { DevgenError } from "../util/diagnostics.js";
import { applyPlan, planPatch, type Edit, type Plan } from "./patch.js";

/** One file before and after, by path relative to the tree; `null`: the file does not exist. */
export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
}

/** One commit of a series: its changes and its message. */
export interface PatchPart {
  changes: FileChange[];
  /** The first line: "hw/misc: add the xche PCI device". */
  subject: string;
  /** The commit message body, free text; a blank line separates it from the subject. */
  body?: string;
}

export interface PatchMeta {
  /** "Name <email>", the author of every commit (gitIdentity gives the user's). */
  author: string;
  /** Adds "Signed-off-by: <author>" to each commit, as `git commit -s` does. */
  signoff?: boolean;
  /** The Date: header; default now. Fix it for reproducible output. */
  date?: Date;
}

const STATE_DIR = ".devgen";
const MARKER = /^\s*(?:\/\*|#) devgen:(\S+) (begin|end)(?: \*\/)?\s*$/;

/**
 * Removes devgen's marked blocks and markers from a file's text: the marker lines of
 * `keep`'s blocks go (their contents stay), every other device's block goes entirely.
 * With `keep` empty the result is the text as it was before devgen touched it.
 */
export function withoutMarkers(text: string, keep: readonly string[] = []): string {
  const kept: string[] = [];
  let inside: string | null = null;
  for (const line of text.split("\n")) {
    const m = MARKER.exec(line);
    if (m && m[2] === "begin" && inside === null) {
      inside = m[1]!;
    } else if (m && m[2] === "end" && m[1] === inside) {
      inside = null;
    } else if (inside === null || keep.includes(inside)) {
      kept.push(line);
    }
  }
  return kept.join("\n");
}

interface Manifest {
  files?: Record<string, string[]>;
  edited?: Record<string, string[]>;
}

function readManifest(tree: string): Manifest {
  const file = path.join(tree, STATE_DIR, "manifest.json");
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Manifest) : {};
}

function readText(tree: string, file: string): string | null {
  const full = path.join(tree, file);
  return fs.existsSync(full) ? fs.readFileSync(full, "utf8") : null;
}

/** Files some devgen device created in the tree (they are absent from the pristine tree). */
function devgenFiles(manifest: Manifest): Set<string> {
  return new Set(Object.values(manifest.files ?? {}).flat());
}

/**
 * The changes of a plan, as a maintainer sees them: the pristine text (no devgen block at
 * all) against the planned text without markers. Only the files the plan writes are there:
 * on a tree where the device is already patched, unchanged files are missing; use
 * `patchChanges` for the complete patch whatever the tree's state.
 */
export function changesFromPlan(plan: Plan): FileChange[] {
  const created = devgenFiles(readManifest(plan.tree));
  const changes: FileChange[] = [];
  for (const [file, after] of plan.writes) {
    if (file === STATE_DIR || file.startsWith(`${STATE_DIR}/`)) continue;
    const current = created.has(file) ? null : readText(plan.tree, file);
    changes.push({
      path: file,
      before: current === null ? null : withoutMarkers(current),
      after: after === null ? null : withoutMarkers(after, [plan.owner]),
    });
  }
  return tidy(changes);
}

/**
 * The complete changes `patches` make to a pristine `tree` (several devices give one
 * combined patch), whether or not they are already patched into it. The tree is not
 * touched: the edits are applied to a scratch copy of the files they concern.
 */
export function patchChanges(tree: string, patches: { owner: string; edits: Edit[] }[]): FileChange[] {
  const manifest = readManifest(tree);
  const owners = patches.map((p) => p.owner);
  const files = new Set<string>();
  for (const { owner, edits } of patches) {
    for (const edit of edits) files.add(edit.file);
    for (const file of [...(manifest.files?.[owner] ?? []), ...(manifest.edited?.[owner] ?? [])]) files.add(file);
  }
  const created = devgenFiles(manifest);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-emit-"));
  try {
    const state = path.join(tree, STATE_DIR, "manifest.json");
    if (fs.existsSync(state)) {
      fs.mkdirSync(path.join(scratch, STATE_DIR));
      fs.copyFileSync(state, path.join(scratch, STATE_DIR, "manifest.json"));
    }
    const before = new Map<string, string | null>();
    for (const file of files) {
      const text = readText(tree, file);
      if (text !== null) {
        fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
        fs.writeFileSync(path.join(scratch, file), text);
      }
      before.set(file, text === null || created.has(file) ? null : withoutMarkers(text));
    }
    for (const { owner, edits } of patches) applyPlan(planPatch(scratch, owner, edits));
    return tidy(
      [...files].map((file) => {
        const after = readText(scratch, file);
        return { path: file, before: before.get(file) ?? null, after: after === null ? null : withoutMarkers(after, owners) };
      }),
    );
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Drops files that do not change, orders by path. */
function tidy(changes: FileChange[]): FileChange[] {
  return changes.filter((c) => c.before !== c.after).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Runs git in `cwd` with no system or user configuration, so the output is git's default. */
function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync("git", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", LC_ALL: "C", TZ: "UTC", ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : (result.stderr || "").trim() || `exit code ${result.status}`;
    throw new DevgenError([{ location: null, message: `git ${args[0]} failed while writing the patch: ${why}`, hint: "devgen needs git to write patches: apt-get install git" }], 3);
  }
  return result.stdout;
}

/**
 * The user's identity, as git would use it for a commit in `cwd`: GIT_AUTHOR_NAME and
 * GIT_AUTHOR_EMAIL, else user.name and user.email. Never made up: a mail under an
 * identity nobody has cannot be signed off or answered.
 */
export function gitIdentity(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const get = (key: string): string => {
    const r = spawnSync("git", ["config", "--get", key], { cwd, encoding: "utf8", env });
    return r.status === 0 ? r.stdout.trim() : "";
  };
  const name = env.GIT_AUTHOR_NAME?.trim() || get("user.name");
  const email = env.GIT_AUTHOR_EMAIL?.trim() || get("user.email");
  if (!name || !email) {
    throw DevgenError.single(
      "the patch mails need your identity (their author, and the Signed-off-by of --signoff), and git has none",
      'run: git config --global user.name "Your Name" && git config --global user.email you@example.org',
    );
  }
  return `${name} <${email}>`;
}

function parseAuthor(author: string): { name: string; email: string } {
  const m = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(author);
  if (!m || !m[1]) throw DevgenError.single(`patch author "${author}" is not of the form "Name <email>"`);
  return { name: m[1], email: m[2]! };
}

function writeSide(root: string, changes: FileChange[], side: "before" | "after"): void {
  for (const change of changes) {
    const full = path.join(root, change.path);
    const text = change[side];
    if (text === null) {
      fs.rmSync(full, { force: true });
    } else {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, text, { mode: 0o644 });
      fs.chmodSync(full, 0o644);
    }
  }
}

/** One commit's message: the subject, the body wrapped as checkpatch wants it, the sign-off. */
function commitMessage(part: PatchPart, meta: PatchMeta): string {
  const paragraphs = [part.subject.trim(), ...(part.body?.trim() ? [wrapParagraphs(part.body.trim(), COMMIT_BODY_COLUMNS)] : [])];
  if (meta.signoff) paragraphs.push(`Signed-off-by: ${meta.author}`);
  return `${paragraphs.join("\n\n")}\n`;
}

/** Both checkpatch scripts want commit descriptions of at most 75 columns; git's own advice is 72. */
const COMMIT_BODY_COLUMNS = 72;

/** Each paragraph (blank-line separated) refilled to `columns`; a word longer than that stays whole. */
export function wrapParagraphs(text: string, columns: number): string {
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => commentLines(paragraph, columns).join("\n"))
    .join("\n\n");
}

/**
 * A `git format-patch` mbox of the parts, one mail each, in order: From line, From:,
 * Date:, `Subject: [PATCH n/m] ...`, the message, `---`, the diffstat, the unified diffs
 * with a/ and b/ prefixes (new files as `new file mode 100644`). Each part's changes are
 * made on top of the previous parts'.
 */
export function formatSeries(parts: readonly PatchPart[], meta: PatchMeta): string {
  const nonEmpty = parts.filter((p) => p.changes.length);
  if (!nonEmpty.length) throw DevgenError.single("nothing to put in the patch: the tree would not change");
  const author = parseAuthor(meta.author);
  const date = `${Math.floor((meta.date ?? new Date()).getTime() / 1000)} +0000`;
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-patch-"));
  const identity = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
    GIT_COMMITTER_DATE: date,
  };
  try {
    git(repo, ["init", "-q"]);
    for (const part of nonEmpty) writeSide(repo, part.changes, "before");
    git(repo, ["add", "-A"]);
    git(repo, ["commit", "-q", "--allow-empty", "--no-verify", "-m", "base"], identity);
    for (const part of nonEmpty) {
      writeSide(repo, part.changes, "after");
      git(repo, ["add", "-A"]);
      fs.writeFileSync(path.join(repo, ".git", "devgen-message"), commitMessage(part, meta));
      git(repo, ["commit", "-q", "--no-verify", "--cleanup=verbatim", "-F", ".git/devgen-message"], identity);
    }
    const numbering = nonEmpty.length > 1 ? ["--numbered"] : [];
    return git(repo, ["format-patch", `-${nonEmpty.length}`, ...numbering, "--stdout", "--zero-commit", "--no-renames", "--signature=devgen", "HEAD"]);
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
}
