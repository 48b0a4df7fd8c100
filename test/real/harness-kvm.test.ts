/**
 * The VM harness, level kvm, for real (DEVGEN_REAL=1): `devgen build` then a real VM run for
 * each KVM API, devices/xche (VM ioctls) and examples/hpet_timer (KVM_CREATE_DEVICE), all
 * checks passing, and a run with a tampered vector that must fail and name that vector.
 * What needs no VM: test/unit/harness-kvm.test.ts.
 */
import * as fs from "node:fs";
import type { KernelTree } from "../../src/toolchain/kernel-fetch.js";
import { runKvmLevel } from "../../src/harness/kvm-level.js";
import { createProgress } from "../../src/util/progress.js";
import { devicesOn61, tamperedXche, TEN_MINUTES, useScratch } from "../helpers/harness.js";
import type { GeneratedFile } from "../../src/gen/types.js";
import type { Generated } from "../helpers/native.js";

const { tmpDir, generate } = useScratch();

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;

real("level kvm in a real VM (DEVGEN_REAL=1)", () => {
  let kernel: KernelTree;
  let built: { tree: string; release: string; modules: string[] };
  let xche: Generated;

  beforeAll(async () => {
    ({ built, kernel } = await devicesOn61());
    xche = generate("devices/xche");
  }, TEN_MINUTES);

  const options = (generated: readonly GeneratedFile[], runDir: string, device = xche.device) => ({
    device,
    generated,
    kernel: built,
    stockModulesDir: kernel.modulesDir,
    vmlinuz: kernel.vmlinuz,
    runDir,
    progress: createProgress({ mode: "plain" }),
  });

  test("every check passes for xche: vectors, no exits, move, unmap, misuse errors, 1,000 VMs without a leak", async () => {
    const result = await runKvmLevel(options(xche.files, tmpDir("devgen-kvm-run-")));
    const failed = result.checks.filter((c) => !c.ok);
    expect(failed).toEqual([]);
    expect(result.ok).toBe(true);
    expect(fs.existsSync(result.consoleLog)).toBe(true);
    const names = result.checks.map((c) => c.name);
    for (const expected of [
      "insmod kvm.ko",
      "KVM_CHECK_EXTENSION(KVM_CAP_XCHE) gives its flags, 0x1",
      "a second create fails with EEXIST",
      "create with unknown flags fails with EINVAL",
      "create at a misaligned base fails with EINVAL",
      "after the move, the old base exits to userspace",
      "with KVM_XCHE_UNMAPPED, accesses exit to userspace",
      "1000 VMs created and destroyed with the device leak nothing",
      "no kernel BUG, WARNING or oops in dmesg",
    ]) {
      expect(names).toContain(expected);
    }
    expect(names.some((n) => /^vectors: \d+ reads return the reference model's values$/.test(n))).toBe(true);
    expect(names.some((n) => /^vectors: \d+ accesses to the device never exit to userspace$/.test(n))).toBe(true);
  }, TEN_MINUTES);

  test("every check passes for hpet_timer (kvm.api \"device\"): the type, its attributes, a second device, no leak", async () => {
    const hpet = generate("examples/hpet_timer");
    const result = await runKvmLevel(options(hpet.files, tmpDir("devgen-kvm-run-"), hpet.device));
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    const names = result.checks.map((c) => c.name);
    for (const expected of [
      "KVM_CREATE_DEVICE_TEST of type 128 succeeds",
      "KVM_CREATE_DEVICE_TEST of type 0xffffffff fails with ENODEV",
      "create with a split irqchip fails with ENOENT",
      "a move that fails on a full bus returns ENOSPC and leaves the line on GSI 20",
      "KVM_SET_DEVICE_ATTR(config) moves the BAR to 0xe0000400 and keeps the registers",
      "SET_STATE with another register layout fails with EINVAL",
      "KVM_HAS_DEVICE_ATTR(config, 1) fails with ENXIO",
      "KVM_GET_DEVICE_ATTR(config, 0) fails with ENXIO",
      "the second device, at 0xe0000400, has registers of its own",
      "with its fd closed, the second device still answers at 0xe0000400",
      "1000 VMs created and destroyed with the device leak nothing",
      "no kernel BUG, WARNING or oops in dmesg",
    ]) {
      expect(names).toContain(expected);
    }
    // Only the VM-ioctl API has a capability and a one-device rule.
    expect(names.some((n) => /KVM_CAP_|EEXIST/.test(n))).toBe(false);
  }, TEN_MINUTES);

  test("a tampered vector fails, naming the vector, expected and actual", async () => {
    const { files: tampered, index } = tamperedXche(xche.files);

    const result = await runKvmLevel({ ...options(tampered, tmpDir("devgen-kvm-run-")), leakCycles: 0 });
    expect(result.ok).toBe(false);
    const reads = result.checks.find((c) => /^vectors: \d+ reads return the reference model's values$/.test(c.name));
    expect(reads?.ok).toBe(false);
    expect(reads?.detail).toContain(`vector ${index} (read size 4 at BAR+0x0): expected 0x58434846 (mask 0xffffffff), got 0x58434845`);
    expect(result.consoleLog).toMatch(/console\.log$/);
  }, TEN_MINUTES);
});
