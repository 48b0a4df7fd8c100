/** devgen cache ls|clean on a temporary DEVGEN_CACHE: the table, selecting entries, refusing paths outside. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatCache, runCache, table } from "../../src/pipeline/cache.js";
import { cacheRoot } from "../../src/util/cache-dir.js";
import { DevgenError } from "../../src/util/diagnostics.js";

function write(file: string, contents: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, contents);
}

/** kernel 6.1 complete, kernel 6.12 complete, qemu 7.2 interrupted, logs. */
function fakeCache(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-cache-"));
  write(path.join(root, "kernel/6.1/6.1.192-2/tree.json"), JSON.stringify({ sourceVersion: "6.1.192-2" }));
  write(path.join(root, "kernel/6.1/6.1.192-2/linux-6.1.192/Makefile"), "x".repeat(10000));
  write(path.join(root, "kernel/6.12/6.12.117-1/tree.json"), JSON.stringify({ sourceVersion: "6.12.117-1" }));
  write(path.join(root, "qemu/7.2/7.2+dfsg-7/dl/qemu.orig.tar.xz"), "partial");
  write(path.join(root, "logs/fetch.log"), "log\n");
  return root;
}

let savedEnv: string | undefined;
beforeEach(() => {
  savedEnv = process.env.DEVGEN_CACHE;
});
afterEach(() => {
  if (savedEnv === undefined) delete process.env.DEVGEN_CACHE;
  else process.env.DEVGEN_CACHE = savedEnv;
});

test("the cache follows DEVGEN_CACHE, then XDG_CACHE_HOME, then ~/.cache", () => {
  expect(cacheRoot({ DEVGEN_CACHE: "/tmp/c" }, "/home/me")).toBe("/tmp/c");
  expect(cacheRoot({ XDG_CACHE_HOME: "/xdg" }, "/home/me")).toBe("/xdg/devgen");
  expect(cacheRoot({}, "/home/me")).toBe("/home/me/.cache/devgen");
});

test("ls lists every entry with kind, version, size, completeness and path", () => {
  const root = fakeCache();
  process.env.DEVGEN_CACHE = root;
  const result = runCache({ action: "ls" });
  if (result.action !== "ls") throw new Error("not ls");
  expect(result.root).toBe(root);
  expect(result.entries.map((e) => [e.name, e.kind, e.version, e.complete])).toEqual([
    ["kernel 6.1 (6.1.192-2)", "kernel", "6.1.192-2", true],
    ["kernel 6.12 (6.12.117-1)", "kernel", "6.12.117-1", true],
    ["qemu 7.2 (7.2+dfsg-7)", "qemu", "7.2+dfsg-7", false],
    ["logs", "logs", "", true],
  ]);
  expect(result.entries[0]!.size).toBeGreaterThanOrEqual(10000);
  expect(result.total).toBe(result.entries.reduce((s, e) => s + e.size, 0));
  const text = formatCache(result);
  const [header, ...rows] = text.split("\n");
  expect(header).toMatch(/^NAME +KIND +VERSION +SIZE +COMPLETE +PATH$/);
  // Columns line up: every row has its path where the header has PATH.
  const pathColumn = header!.indexOf("PATH");
  for (const row of rows.slice(0, 4)) expect(row.slice(pathColumn)).toMatch(new RegExp(`^${root}/`));
  expect(rows[2]).toMatch(/qemu 7\.2 \(7\.2\+dfsg-7\) +qemu +7\.2\+dfsg-7 +\S+ \S+ +no /);
  expect(text).toMatch(new RegExp(`in ${root}$`));
});

test("ls on a cache that does not exist yet says so", () => {
  const root = path.join(os.tmpdir(), `devgen-none-${process.pid}`);
  const result = runCache({ action: "ls", root });
  expect(formatCache(result)).toBe(`the devgen cache (${root}) is empty; devgen fetch fills it`);
});

test.each([
  ["its name", "kernel 6.1 (6.1.192-2)", ["kernel 6.1 (6.1.192-2)"]],
  ["its path in the cache", "kernel/6.1/6.1.192-2", ["kernel 6.1 (6.1.192-2)"]],
  ["its series", "kernel 6.12", ["kernel 6.12 (6.12.117-1)"]],
  ["its kind", "kernel", ["kernel 6.1 (6.1.192-2)", "kernel 6.12 (6.12.117-1)"]],
  ["the name ls showed for an interrupted fetch", "qemu 7.2 (7.2+dfsg-7) [incomplete]", ["qemu 7.2 (7.2+dfsg-7)"]],
  ["logs", "logs", ["logs"]],
])("clean removes one entry named by %s", (_what, entry, removed) => {
  const root = fakeCache();
  const result = runCache({ action: "clean", entry, root });
  if (result.action !== "clean") throw new Error("not clean");
  expect(result.removed.map((e) => e.name)).toEqual(removed);
  for (const e of result.removed) expect(fs.existsSync(e.path)).toBe(false);
  const left = runCache({ action: "ls", root });
  if (left.action !== "ls") throw new Error("not ls");
  expect(left.entries).toHaveLength(4 - removed.length);
});

test("clean by absolute path inside the cache works; empty series directories go too", () => {
  const root = fakeCache();
  runCache({ action: "clean", entry: path.join(root, "kernel/6.12/6.12.117-1"), root });
  expect(fs.existsSync(path.join(root, "kernel/6.12"))).toBe(false);
  expect(fs.existsSync(path.join(root, "kernel/6.1/6.1.192-2/tree.json"))).toBe(true);
});

test("clean refuses paths outside the cache and names it does not know", () => {
  const root = fakeCache();
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-keep-"));
  for (const entry of [outside, "/", `${root}/../${path.basename(outside)}`, root]) {
    let error: unknown;
    try {
      runCache({ action: "clean", entry, root });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DevgenError);
    expect((error as DevgenError).exitCode).toBe(2);
    expect((error as DevgenError).message).toMatch(/refusing to remove/);
  }
  expect(fs.existsSync(outside)).toBe(true);
  expect(() => runCache({ action: "clean", entry: "kernel 5.10", root })).toThrow(/has no entry "kernel 5.10"[\s\S]*hint: entries: "kernel 6.1 \(6.1.192-2\)"/);
  // Nothing was removed by the refused requests.
  const left = runCache({ action: "ls", root });
  expect(left.action === "ls" && left.entries.length).toBe(4);
});

test("clean without an entry empties the cache and reports what it freed", () => {
  const root = fakeCache();
  const result = runCache({ action: "clean", root });
  if (result.action !== "clean") throw new Error("not clean");
  expect(result.removed).toHaveLength(4);
  expect(fs.readdirSync(root)).toEqual([]);
  expect(formatCache(result)).toMatch(/^removed kernel 6\.1 \(6\.1\.192-2\): .*\n[\s\S]*freed \d/);
  const again = runCache({ action: "clean", root });
  expect(formatCache(again)).toBe(`the devgen cache (${root}) was already empty`);
});

test("table pads every column but the last", () => {
  expect(table(["A", "BB", "C"], [["xxx", "y", "z"]])).toBe("A    BB  C\nxxx  y   z");
});
