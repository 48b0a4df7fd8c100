/**
 * `npm run bench -- --mutants`: what counts as reached, and the score. The mutants
 * themselves are test/unit/c-mutants.test.ts's.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { executedLines, fingerprint, formatScores, reached, score, type MutantResult } from "../../bench/mutants.js";
import { mutants } from "../../bench/c-mutants.js";

const GCOV = [
  "        -:    0:Source:core/t_core.c",
  "        -:    0:Runs:1",
  "        3:    1:int f(int a)",
  "        -:    2:{",
  "        3:    3:\tif (a)",
  "    #####:    4:\t\treturn 1;",
  "        3:    5:\treturn 2;",
].join("\n");

const SOURCE = [
  "static const struct d t[1] = {",
  "\t[0] = { .holds = 0x1ULL, .mask = 0x2ULL, },",
  "};",
  "int f(int a)",
  "{",
  "\tif (a)",
  "\t\treturn t[0].holds;",
  "\treturn t[0].mask;",
  "}",
].join("\n");

test("gcov's text: a count ran, ##### did not, - has no code", () => {
  expect([...executedLines(GCOV)]).toEqual([
    [1, true],
    [3, true],
    [4, false],
    [5, true],
  ]);
});

test("a mutant is reached on a line that ran, or in a table field a line that ran reads", () => {
  const executed = new Map([
    [4, true],
    [6, true],
    [7, false],
    [8, true],
  ]);
  const byScope = Object.fromEntries(mutants(SOURCE).map((m) => [`${m.scope} ${m.original}`, reached(m, SOURCE, executed)]));
  expect(byScope).toMatchObject({ "t.holds 0x1ULL": false, "t.mask 0x2ULL": true });
});

test("the score counts timeouts, crashes and sanitizer reports as kills, leaves stillborn, equivalent and duplicate mutants out, and unreached ones in", () => {
  const [mutant] = mutants("int x = 1;");
  const { source: _source, ...change } = mutant!;
  const results: MutantResult[] = (["killed", "timeout", "crashed", "sanitizer", "survived", "unreached", "equivalent", "duplicate", "stillborn"] as const).map((outcome) => ({
    file: "core/t_core.c",
    mutant: change,
    outcome,
  }));
  const s = score("t", results);
  expect(s.score).toBeCloseTo(4 / 6);
  expect(s.reachedScore).toBeCloseTo(4 / 5);
  expect(formatScores([s]).join("\n")).toContain("t: 1 survivors\n  core/t_core.c:1:9 constant \"1\" → \"0\" (x)");
});

test("TCE: a mutant gcc -O2 compiles to the same code has the same fingerprint, one that changes behaviour another, one gcc rejects none", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-tce-"));
  const print = async (body: string) => {
    const file = path.join(dir, `m${Math.random().toString(36).slice(2)}.c`);
    fs.writeFileSync(file, `unsigned int f(unsigned int a)\n{\n${body}\n}\n`);
    return fingerprint(dir, ["-Wall"], file);
  };
  try {
    const original = await print("\treturn (a & 0xff) >> 4;");
    expect(original).not.toBeNull();
    // Bits 8 and up are shifted out either way: the mask's mutant is equivalent.
    expect(await print("\treturn (a & 0xfff) >> 4 & 0xf;")).toBe(original);
    expect(await print("\treturn (a & 0xff) >> 5;")).not.toBe(original);
    expect(await print("\treturn (a & 0xff) >>;")).toBeNull();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
