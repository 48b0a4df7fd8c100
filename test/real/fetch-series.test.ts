/**
 * The series Debian ships outside bookworm, for real (DEVGEN_REAL=1): Linux 7.3 from
 * trixie-backports and the newest QEMU Debian serves, fetched into a temporary cache. The pure
 * parts, on output captured from sid and trixie-backports: test/unit/fetch-series.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchKernel } from "../../src/toolchain/kernel-fetch.js";
import { fetchQemu, NEWEST_QEMU } from "../../src/toolchain/qemu-fetch.js";
import { createProgress } from "../../src/util/progress.js";

// Downloads ~330 MB and unpacks ~2 GB into a temporary cache: only when asked.
const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;
real("real fetch of the series outside bookworm (DEVGEN_REAL=1)", () => {
  let cache: string;
  const progress = createProgress({ mode: "plain" });
  beforeAll(() => {
    cache = mkdtempSync(join(tmpdir(), "devgen-series-"));
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it("fetches Linux 7.3 from trixie-backports, split image and headers, and says which compiler it needs", async () => {
    const tree = await fetchKernel({ version: "7.3", cache, progress });
    expect(tree.sourceVersion).toMatch(/^7\.3\./);
    expect(existsSync(join(tree.srcDir, "Makefile"))).toBe(true);
    expect(existsSync(tree.vmlinuz)).toBe(true);
    expect(readFileSync(tree.config, "utf8")).toContain("CONFIG_KVM=m");
    expect(readFileSync(tree.symvers, "utf8")).toMatch(/\tkvm_\w+\t/);
    expect(existsSync(join(tree.modulesDir, "kernel", "arch", "x86", "kvm"))).toBe(true);
    expect(tree.compiler?.package).toMatch(/^gcc-\d+$/);
    expect(existsSync(join(cache, "apt", "trixie-backports", "lists"))).toBe(true);
    expect(await fetchKernel({ version: "7.3", cache })).toEqual(tree);
  }, 30 * 60_000);

  it("fetches the newest QEMU Debian serves", async () => {
    const tree = await fetchQemu({ version: NEWEST_QEMU, cache, progress });
    expect(Number(tree.series.split(".")[0])).toBeGreaterThanOrEqual(10);
    expect(existsSync(join(tree.srcDir, "configure"))).toBe(true);
    expect(tree.buildNeeds.python).toBe("/usr/bin/python3");
  }, 30 * 60_000);
});
