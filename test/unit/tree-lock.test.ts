/** One devgen at a time per tree: waiting, stale locks, giving up. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { quietProgress } from "../../src/util/progress.js";
import { treeLockFile, withTreeLock } from "../../src/util/tree-lock.js";

let dir: string;
let tree: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-lock-"));
  tree = path.join(dir, "tree");
  fs.mkdirSync(tree);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const options = () => ({ progress: quietProgress, dir: path.join(dir, "locks"), pollMs: 10 });

test("a second user of the tree waits until the first is done", async () => {
  const events: string[] = [];
  let release!: () => void;
  const first = withTreeLock(tree, options(), async () => {
    events.push("first starts");
    await new Promise<void>((resolve) => (release = resolve));
    events.push("first ends");
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const second = withTreeLock(tree, options(), async () => {
    events.push("second starts");
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(events).toEqual(["first starts"]);
  release();
  await Promise.all([first, second]);
  expect(events).toEqual(["first starts", "first ends", "second starts"]);
  expect(fs.existsSync(treeLockFile(tree, options().dir))).toBe(false);
});

test("the lock is released when the work fails", async () => {
  await expect(withTreeLock(tree, options(), async () => Promise.reject(new Error("make failed")))).rejects.toThrow("make failed");
  expect(fs.existsSync(treeLockFile(tree, options().dir))).toBe(false);
});

test("a lock whose process is gone is taken over", async () => {
  const lock = treeLockFile(tree, options().dir);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  fs.writeFileSync(lock, "999999999\n");
  await expect(withTreeLock(tree, options(), async () => "ran")).resolves.toBe("ran");
});

test("waiting for a live holder ends with a message naming it, the tree and the lock", async () => {
  const lock = treeLockFile(tree, options().dir);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  fs.writeFileSync(lock, `${process.ppid}\n`);
  await expect(withTreeLock(tree, { ...options(), timeoutMs: 50 }, async () => "ran")).rejects.toMatchObject({
    exitCode: 3,
    diagnostics: [{ message: `another devgen (pid ${process.ppid}) has been using ${tree} for over 0 minutes`, hint: `wait for it, or stop it; its lock is ${lock}` }],
  });
});

test("the lock lives outside the tree", () => {
  expect(treeLockFile(tree, options().dir).startsWith(tree)).toBe(false);
});
