/**
 * The VM harness, level qemu, for real (DEVGEN_REAL=1): `devgen build --only qemu`, then real
 * VM runs for devices/xche (port I/O, interrupt) and examples/hpet_timer (MMIO) with every
 * check passing, and a run with a tampered vector that must fail and name that vector. What
 * needs no VM: test/unit/harness-qemu.test.ts.
 */
import { fetchKernel, type KernelTree } from "../../src/toolchain/kernel-fetch.js";
import { runQemuLevel } from "../../src/harness/qemu-level.js";
import { createProgress, quietProgress } from "../../src/util/progress.js";
import { devgenBuild, EXAMPLES, tamperedXche, TEN_MINUTES, useScratch } from "../helpers/harness.js";
import type { GeneratedFile } from "../../src/gen/types.js";
import type { Generated } from "../helpers/native.js";

const { tmpDir, generate } = useScratch();

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;

real("level qemu in a real VM (DEVGEN_REAL=1)", () => {
  let kernel: KernelTree;
  let qemuBinary: string;

  beforeAll(async () => {
    qemuBinary = devgenBuild(["devices/xche", ...EXAMPLES, "--only", "qemu", "--qemu", "7.2"]).qemu.binary;
    kernel = await fetchKernel({ version: "6.1", progress: quietProgress });
  }, TEN_MINUTES);

  const options = (out: Generated, generated: readonly GeneratedFile[], runDir: string) => ({
    device: out.device,
    generated,
    qemuBinary,
    vmlinuz: kernel.vmlinuz,
    stockModulesDir: kernel.modulesDir,
    runDir,
    progress: createProgress({ mode: "plain" }),
  });

  test("xche (port I/O, INTx): every vector, the line level, interrupts delivered, resets", async () => {
    const xche = generate("devices/xche");
    const result = await runQemuLevel(options(xche, xche.files, tmpDir("devgen-qemu-run-")));
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    const names = result.checks.map((c) => c.name);
    expect(names).toContain("uio_pci_generic drives 0000:01:01.0");
    expect(names).toContain("the function can be reset alone (reset_method bus)");
    expect(names.some((n) => /^vectors: \d+ reads return the reference model's values$/.test(n))).toBe(true);
    expect(names.some((n) => /^vectors: \d+ interrupt-line checks match the reference model/.test(n))).toBe(true);
    expect(names.some((n) => /^vectors: [1-9]\d* rising lines with INTx unmasked interrupt the guest/.test(n))).toBe(true);
    expect(names.some((n) => /^vectors: [1-9]\d* resets/.test(n))).toBe(true);
  }, TEN_MINUTES);

  test("hpet_timer (MMIO, 8-byte accesses): every check passes", async () => {
    const hpet = generate("examples/hpet_timer");
    const result = await runQemuLevel(options(hpet, hpet.files, tmpDir("devgen-qemu-run-")));
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.name)).toContain("BAR 0 is memory of 0x400 bytes");
  }, TEN_MINUTES);

  test("a tampered vector fails, naming the vector, expected and actual", async () => {
    const xche = generate("devices/xche");
    const { files: tampered, index } = tamperedXche(xche.files);

    const result = await runQemuLevel(options(xche, tampered, tmpDir("devgen-qemu-run-")));
    expect(result.ok).toBe(false);
    const reads = result.checks.find((c) => /^vectors: \d+ reads return the reference model's values$/.test(c.name));
    expect(reads?.ok).toBe(false);
    expect(reads?.detail).toContain(`vector ${index} (read size 4 at BAR+0x0): expected 0x58434846 (mask 0xffffffff), got 0x58434845`);
  }, TEN_MINUTES);
});
