/** A git tree with uncommitted changes in files devgen must edit is refused unless forced. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkClean } from "../../src/pipeline/build.js";

function gitTree(): string {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-dirty-"));
  const git = (...args: string[]) => execFileSync("git", ["-C", tree, ...args], { stdio: "ignore" });
  git("init", "-q");
  fs.mkdirSync(path.join(tree, "arch/x86/kvm"), { recursive: true });
  fs.writeFileSync(path.join(tree, "arch/x86/kvm/x86.c"), "int x;\n");
  fs.writeFileSync(path.join(tree, "README"), "linux\n");
  git("add", ".");
  git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init");
  return tree;
}

const EDITED = ["arch/x86/kvm/x86.c", "arch/x86/kvm/Makefile"];

test("a clean git tree passes", () => {
  expect(() => checkClean(gitTree(), EDITED, false)).not.toThrow();
});

test("uncommitted changes elsewhere do not matter", () => {
  const tree = gitTree();
  fs.appendFileSync(path.join(tree, "README"), "edited\n");
  expect(() => checkClean(tree, EDITED, false)).not.toThrow();
});

test("an uncommitted change in a file devgen edits is refused, naming it, unless --force", () => {
  const tree = gitTree();
  fs.appendFileSync(path.join(tree, "arch/x86/kvm/x86.c"), "int y;\n");
  expect(() => checkClean(tree, EDITED, false)).toThrow(
    `${tree} has uncommitted changes in files devgen must edit: arch/x86/kvm/x86.c`,
  );
  expect(() => checkClean(tree, EDITED, true)).not.toThrow();
});
