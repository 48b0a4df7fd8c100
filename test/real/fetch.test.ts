/**
 * The real download of the default trees (DEVGEN_REAL=1): Debian's 6.1 kernel and QEMU 7.2
 * into devgen's cache, then reused. The pure parts of fetching: test/unit/fetch.test.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fetchKernel } from "../../src/toolchain/kernel-fetch.js";
import { fetchQemu } from "../../src/toolchain/qemu-fetch.js";

// Downloads ~260 MB and unpacks ~1.6 GB: only when asked.
const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;
real("real fetch (DEVGEN_REAL=1)", () => {
  it("fetches the 6.1 kernel tree, then reuses it", async () => {
    const tree = await fetchKernel({ version: "6.1" });
    expect(existsSync(join(tree.srcDir, "Makefile"))).toBe(true);
    expect(existsSync(tree.vmlinuz)).toBe(true);
    expect(readFileSync(tree.config, "utf8")).toContain("CONFIG_KVM=m");
    expect(readFileSync(tree.symvers, "utf8")).toMatch(/\tkvm_\w+\t/);
    expect(existsSync(join(tree.modulesDir, "kernel", "arch", "x86", "kvm"))).toBe(true);
    const started = Date.now();
    expect(await fetchKernel({ version: "6.1" })).toEqual(tree);
    expect(Date.now() - started).toBeLessThan(2000);
  }, 30 * 60_000);

  it("fetches QEMU 7.2 with the edk2 placeholders", async () => {
    const tree = await fetchQemu({ version: "7.2" });
    expect(tree.sourceVersion).toMatch(/^1:7\.2\+/);
    expect(existsSync(join(tree.srcDir, "configure"))).toBe(true);
    expect(existsSync(join(tree.srcDir, "pc-bios", "edk2-x86_64-code.fd.bz2"))).toBe(true);
  }, 30 * 60_000);
});
