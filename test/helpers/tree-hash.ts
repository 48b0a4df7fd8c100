/** A hash of every file's path and bytes below a directory, for byte-identity checks. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export function treeHash(tree: string): string {
  const hash = createHash("sha256");
  const walk = (dir: string): void => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isSymbolicLink()) hash.update(path.relative(tree, full)).update("\0->").update(fs.readlinkSync(full)).update("\0");
      else hash.update(path.relative(tree, full)).update("\0").update(fs.readFileSync(full)).update("\0");
    }
  };
  walk(tree);
  return hash.digest("hex");
}
