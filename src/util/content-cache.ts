/**
 * Results of slow, pure steps, by the content they were computed from, under
 * `<cache>/<kind>/`: device files that passed the type-check (the JavaScript the compiler
 * emitted for them), V8's compiled code for that JavaScript, compiled templates. A key
 * hashes every input of the step, so an entry is either right or never found; only
 * successes are stored.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot } from "./cache-dir.js";

export type ContentKind = "typecheck" | "templates" | "v8";

/** Entries kept per kind: a device being edited adds one per saved version; old ones are never read again. */
const KEPT_ENTRIES = 64;

/** A key for a step's inputs, each part length-prefixed so that no two lists collide. */
export function contentKey(parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(`${part.length}:`).update(part);
  return hash.digest("hex");
}

/** The entry stored for `key`, or null. */
export function readEntry(kind: ContentKind, key: string): string | null;
export function readEntry(kind: ContentKind, key: string, binary: "binary"): Buffer | null;
export function readEntry(kind: ContentKind, key: string, binary?: "binary"): string | Buffer | null {
  try {
    const file = path.join(cacheRoot(), kind, key);
    return binary ? fs.readFileSync(file) : fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * Stores an entry. Written under a temporary name and renamed, so that a reader never sees
 * half an entry; failures are ignored, as the cache only saves time.
 */
export function storeEntry(kind: ContentKind, key: string, contents: string | Uint8Array): void {
  const dir = path.join(cacheRoot(), kind);
  const temporary = path.join(dir, `.${key}.${process.pid}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(temporary, contents);
    fs.renameSync(temporary, path.join(dir, key));
    pruneOldest(dir);
  } catch {
    // Whatever stopped the write may stop the clean-up too: neither may fail the run.
    fs.rm(temporary, { force: true }, () => {});
  }
}

function pruneOldest(dir: string): void {
  const entries = fs.readdirSync(dir).filter((name) => !name.startsWith("."));
  if (entries.length <= KEPT_ENTRIES) return;
  const byAge = entries
    .map((name) => ({ name, written: fs.statSync(path.join(dir, name)).mtimeMs }))
    .sort((a, b) => b.written - a.written);
  for (const { name } of byAge.slice(KEPT_ENTRIES)) fs.rmSync(path.join(dir, name), { force: true });
}
