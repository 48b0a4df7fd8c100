/**
 * Replaces a directory's contents with a set of files in one step: everything is written
 * into a sibling staging directory first, then swapped in by rename, so an error (or a
 * kill) never leaves a half-written output.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface TreeFile {
  path: string;
  contents: string;
}

export function replaceDirectory(dir: string, files: readonly TreeFile[]): void {
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.new-`));
  try {
    for (const file of files) {
      const target = path.join(staging, file.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.contents);
    }
    const old = `${staging}.old`;
    const existed = fs.existsSync(dir);
    if (existed) fs.renameSync(dir, old);
    fs.renameSync(staging, dir);
    if (existed) fs.rmSync(old, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}
