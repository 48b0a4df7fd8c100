/**
 * A kernel build killed while fixdep wrote a target's `.cmd` file leaves it cut short, and
 * every later make stops on it ("unterminated call to function 'wildcard'"). Kbuild writes
 * `deps_<target> := \` near the top and `$(deps_<target>):` at the end, then a newline: a
 * file with the first and not the last, or not ending in a newline, is torn. Removing it
 * and its target makes make build that target again.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export function isTornCmdFile(text: string): boolean {
  if (!text.endsWith("\n")) return true;
  const deps = /^deps_(\S+) := /m.exec(text);
  return deps !== null && !text.includes(`\n$(deps_${deps[1]}):\n`);
}

/** Removes torn `.cmd` files under `dirs` (relative to `tree`) and their targets; returns the targets. */
export function removeTornCmdFiles(tree: string, dirs: readonly string[]): string[] {
  const removed: string[] = [];
  const stack = dirs.map((dir) => path.join(tree, dir)).filter((dir) => fs.existsSync(dir));
  while (stack.length) {
    const dir = stack.pop()!;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) stack.push(file);
      if (!entry.isFile() || !/^\..+\.cmd$/.test(entry.name) || !isTornCmdFile(fs.readFileSync(file, "utf8"))) continue;
      const target = path.join(dir, entry.name.slice(1, -".cmd".length));
      fs.rmSync(file, { force: true });
      fs.rmSync(target, { force: true });
      removed.push(path.relative(tree, target));
    }
  }
  return removed;
}
