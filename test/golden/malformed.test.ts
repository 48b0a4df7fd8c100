/**
 * The malformed-device corpus (test/malformed/, listed in its README.md): each case is a
 * device directory (device.ts, hooks.c when the case needs one, nothing at all for a
 * missing file) and expected.txt, the exact stderr `devgen generate` must print for it,
 * with paths relative to the case. Every device.ts location in expected.txt is also checked
 * against a marker comment in device.ts (test/helpers/fixtures.ts), so an expectation says
 * where a diagnostic should point, not where it happened to point.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compileAll } from "../../src/pipeline/generate.js";
import { DevgenError, formatDiagnostic } from "../../src/util/diagnostics.js";
import { deviceSource, markers } from "../helpers/fixtures.js";

const ROOT = "test/malformed";
const CLI = path.resolve("dist/src/cli/main.js");

/**
 * Cases whose expected.txt is what devgen should print but does not yet: each is a finding
 * in a file this corpus does not own. They run as failing tests, so a fix shows up as a
 * failure here: then move the case out of this list.
 */
const KNOWN_WRONG: Record<string, string> = {};

/** In-process, an evaluation timeout that does not work would hang the test worker for good. */
const CLI_ONLY = new Set(["13-infinite-loop", "85-hook-model-never-returns"]);

const cases = fs
  .readdirSync(ROOT, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  // By number: case 100 comes after 99, not after 10.
  .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
const caseDir = (name: string): string => path.join(ROOT, name);
const expectedText = (name: string): string => fs.readFileSync(path.join(caseDir(name), "expected.txt"), "utf8");
const withoutCaseDirs = (text: string, names: readonly string[]): string =>
  names.reduce((result, name) => result.replaceAll(`${caseDir(name)}/`, ""), text);

/** What checking a case (compileAll, as `devgen check` does) reports, printed as the CLI prints it. */
function reported(name: string): { text: string; exitCode: number } {
  try {
    compileAll([caseDir(name)]);
  } catch (err) {
    if (!(err instanceof DevgenError)) throw err;
    return { text: withoutCaseDirs(`${err.diagnostics.map(formatDiagnostic).join("\n")}\n`, [name]), exitCode: err.exitCode };
  }
  return { text: "(compiled without error)\n", exitCode: 0 };
}

function devgen(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

/** Every file under `dir` with its contents, to show that a run wrote nothing there. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const relative of fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
    const file = path.join(dir, relative);
    if (fs.statSync(file).isFile()) files[relative] = fs.readFileSync(file, "utf8");
  }
  return files;
}

const tempDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "devgen-malformed-"));

describe("the corpus", () => {
  test("has at least 45 cases, and the known-wrong and CLI-only lists name only cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
    expect(cases).toEqual(expect.arrayContaining([...Object.keys(KNOWN_WRONG), ...CLI_ONLY]));
  });

  test("README.md lists every case once, in order, and the known-wrong ones below", () => {
    const [table, knownWrong] = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n## Known wrong\n");
    const listed = (text = ""): string[] => [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    expect(listed(table)).toEqual(cases);
    expect(listed(knownWrong)).toEqual(Object.keys(KNOWN_WRONG));
  });

  test.each(cases)("%s: each device.ts location is at a marker (or 1:1), each hooks.c location at a hook's name, its license, a byte offset used as an index or a marker", (name) => {
    const read = (file: string): string | null =>
      fs.existsSync(path.join(caseDir(name), file)) ? fs.readFileSync(path.join(caseDir(name), file), "utf8") : null;
    const device = read("device.ts") ?? "";
    const hooks = read("hooks.c") ?? "";
    const marked = [...markers(device).values()].map(({ line, column }) => `${line}:${column}`);
    const hooksMarked = [...markers(hooks).values()].map(({ line, column }) => `${line}:${column}`);
    const used = new Set<string>();
    const hooksUsed = new Set<string>();
    for (const [, file, line, column] of expectedText(name).matchAll(/^(device\.ts|hooks\.c):(\d+):(\d+): error: /gm)) {
      const at = `${line}:${column}`;
      if (file === "device.ts") {
        expect([...marked, "1:1"]).toContain(at);
        used.add(at);
      } else if (hooksMarked.includes(at)) {
        hooksUsed.add(at);
      } else {
        const text = hooks.split("\n")[Number(line) - 1]!;
        const at = text.slice(Number(column) - 1);
        if (text.includes("SPDX-License-Identifier: ")) expect(at).toMatch(/^[A-Za-z]/);
        else if (/regs\[$/.test(text.slice(0, Number(column) - 1))) expect(at).toMatch(/^[A-Z][A-Z0-9_]*\]/);
        else expect(at).toMatch(/^foo_hook_\w+\(/);
      }
    }
    expect(marked.filter((at) => !used.has(at))).toEqual([]);
    expect(hooksMarked.filter((at) => !hooksUsed.has(at))).toEqual([]);
  });
});

describe("checking in process reports exactly expected.txt, with exit code 2", () => {
  const runnable = cases.filter((name) => !(name in KNOWN_WRONG) && !CLI_ONLY.has(name));
  test.each(runnable)("%s", (name) => {
    expect(reported(name)).toEqual({ text: expectedText(name), exitCode: 2 });
  });

  // jest refuses an empty table, and the list is empty while every case is right.
  if (Object.keys(KNOWN_WRONG).length) {
    test.failing.each(Object.entries(KNOWN_WRONG))("%s (known wrong: %s)", (name) => {
      expect(reported(name)).toEqual({ text: expectedText(name), exitCode: 2 });
    });
  }
});

describe("devgen generate <dir> --out <tmp>", () => {
  test("one run over the whole corpus: every expected diagnostic in order, exit 2, nothing written", () => {
    const names = cases.filter((name) => !(name in KNOWN_WRONG));
    const out = path.join(tempDir(), "out");
    const before = snapshot(ROOT);
    const result = devgen(["generate", ...names.map(caseDir), "--out", out]);
    expect(result.status).toBe(2);
    expect(withoutCaseDirs(result.stderr, names)).toBe(names.map(expectedText).join(""));
    expect(result.stdout).toBe("");
    expect(fs.existsSync(out)).toBe(false);
    expect(snapshot(ROOT)).toEqual(before);
  }, 180_000);

  // One case from each stage: syntax, evaluation (the timeout), a missing file, layout, hooks.c,
  // a hook model's run (the timeout), hooks.c compiled.
  test.each([
    "01-syntax-missing-brace",
    "13-infinite-loop",
    "17-missing-device-file",
    "31-straddles-bar-end",
    "73-hook-wrong-return-types",
    "85-hook-model-never-returns",
    "88-hooks-c-does-not-compile",
  ])(
    "%s alone: exit 2, expected.txt on stderr, an existing --out directory unchanged",
    (name) => {
      const out = tempDir();
      fs.writeFileSync(path.join(out, "keep.txt"), "written before the run\n");
      const result = devgen(["generate", caseDir(name), "--out", out]);
      expect(result.status).toBe(2);
      expect(withoutCaseDirs(result.stderr, [name])).toBe(expectedText(name));
      expect(snapshot(out)).toEqual({ "keep.txt": "written before the run\n" });
    },
    180_000,
  );

  test("two devices with the same name in one run: exit 2, both places in each clash, nothing written", () => {
    const root = tempDir();
    for (const dir of ["a", "b"]) {
      fs.mkdirSync(path.join(root, dir));
      fs.writeFileSync(path.join(root, dir, "device.ts"), deviceSource());
    }
    const out = path.join(root, "out");
    const result = devgen(["generate", path.join(root, "a"), path.join(root, "b"), "--out", out]);
    expect(result.status).toBe(2);
    // deviceSource() writes the name on line 4 and kvm on line 8.
    expect(result.stderr.replaceAll(`${root}/`, "")).toBe(
      [
        'b/device.ts:4:9: error: device name "foo" is already used by a/device.ts:4:9',
        "  hint: each device is written to <out>/foo/; rename one",
        "b/device.ts:8:27: error: KVM ioctl numbers 0xe4..0xe7 overlap 0xe4..0xe7 of device foo at a/device.ts:8:27",
        "  hint: each device takes four ioctl numbers; use e.g. 0xfc",
        "b/device.ts:6:38: error: PCI ID 1b36:0101 is already used by device foo at a/device.ts:6:38",
        "  hint: a guest driver could not tell them apart; use e.g. 1af4:10f0",
        "b/device.ts:8:57: error: KVM capability 1000 is already used by device foo at a/device.ts:8:57",
        "  hint: use a number no other device takes, e.g. 1001",
        "",
      ].join("\n"),
    );
    expect(fs.existsSync(out)).toBe(false);
  }, 180_000);

  test("one directory given twice is one device", () => {
    const root = tempDir();
    fs.writeFileSync(path.join(root, "device.ts"), deviceSource());
    const out = path.join(root, "out");
    const result = devgen(["generate", root, `${root}/`, "--out", out]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(fs.readdirSync(out)).toEqual(["foo"]);
  }, 180_000);
});
