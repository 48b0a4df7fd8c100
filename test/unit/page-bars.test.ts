/**
 * Accesses the bus cuts (issue 15), natively: the MMIO fixtures of a page and of 64 KiB
 * (test/fixtures/page-bars) have registers at a page's end, so the vectors that straddle
 * the BAR's end, or a page boundary inside it, act on the device. The generated core must
 * agree with the reference model on every one, and a core that still refused straddling
 * accesses, or did not cut at pages, must fail. Level kvm on a real VM:
 * test/real/page-bars.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildNative, generateInto, readVectors, removeGenerated, runNative, summary, type Generated } from "../helpers/native.js";

const PAGE4K = "test/fixtures/page-bars/page4k";
const PAGE64K = "test/fixtures/page-bars/page64k";

const generated: Generated[] = [];
afterAll(() => generated.forEach(removeGenerated));

function generate(dir: string): Generated {
  const out = generateInto(dir);
  generated.push(out);
  return out;
}

/** The generated core with `from` replaced by `to` (which must match once). */
function breakCore(out: Generated, from: string | RegExp, to: string): void {
  const file = path.join(out.dir, `core/${out.name}_core.c`);
  const text = fs.readFileSync(file, "utf8");
  const broken = text.replace(from, to);
  expect(broken).not.toBe(text);
  fs.writeFileSync(file, broken);
}

describe.each([PAGE4K, PAGE64K])("%s", (dir) => {
  let out: Generated;
  beforeAll(() => {
    out = generate(dir);
  });

  test("the generated core passes every vector natively", () => {
    const run = runNative(buildNative(out));
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(summary(out.name, run.stdout)).toEqual({ passed: readVectors(out).length, failed: 0 });
  });

  test("accesses straddling the BAR's end are claimed at every size above 1, their bytes past it not compared", () => {
    const size = out.device.bar.size;
    const straddling = readVectors(out).filter((v) => v.op === "read" && v.offset! < size && v.offset! + v.size! > size);
    expect(straddling.map((v) => v.size).sort()).toEqual([2, 4, 8]);
    for (const v of straddling) {
      expect(v.claimed).toBe(true);
      expect(BigInt(v.mask!) >> BigInt(8 * (size - v.offset!))).toBe(0n);
      expect(BigInt(v.mask!)).not.toBe(0n);
    }
  });
});

describe("the vectors tell a core that does not cut from one that does", () => {
  test("a core that refuses an access straddling the BAR's end, as before issue 15, fails", () => {
    const out = generate(PAGE4K);
    breakCore(out, "if (offset >= PAGE4K_BAR_SIZE || !size || size > 8)", "if (offset >= PAGE4K_BAR_SIZE || !size || size > 8 || size > PAGE4K_BAR_SIZE - offset)");
    const run = runNative(buildNative(out));
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/^FAIL vector \d+: read claimed/m);
  });

  test("a core that does not cut at a page boundary inside a 64 KiB BAR fails", () => {
    const out = generate(PAGE64K);
    breakCore(out, /\tif \(end > \(at \| 0xfff\) \+ 1\)\n\t\tend = \(at \| 0xfff\) \+ 1;\n/, "");
    const run = runNative(buildNative(out));
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/^FAIL vector \d+: read offset 0xf/m);
  });
});
