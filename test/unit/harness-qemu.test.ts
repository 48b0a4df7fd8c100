/**
 * The VM harness, level qemu. Always: the device header's view, QEMU's machine arguments,
 * and that the guest-side test compiles without a warning for every device (port I/O and
 * MMIO). With DEVGEN_REAL=1: `devgen build --only qemu`, then real VM runs for devices/xche
 * (port I/O, interrupt) and examples/hpet_timer (MMIO) with every check passing, and a run
 * with a tampered vector that must fail and name that vector.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { fetchKernel, type KernelTree } from "../../src/toolchain/kernel-fetch.js";
import { buildQemuTest, pciIdsParam, qemuDeviceHeaderView, qemuLevelMachineArgs, runQemuLevel } from "../../src/harness/qemu-level.js";
import { createProgress, quietProgress } from "../../src/util/progress.js";
import { devgenBuild, DEVICES, EXAMPLES, expectWarningFreeAndReused, tamperedXche, TEN_MINUTES, useScratch } from "../helpers/harness.js";
import type { Generated } from "../helpers/native.js";

const { tmpDir, generate } = useScratch();

describe("the machine and the device header", () => {
  test("xche: port I/O BAR 1, an interrupt, the IDs uio_pci_generic is given", () => {
    const xche = generate("devices/xche").device;
    expect(qemuDeviceHeaderView(xche)).toMatchObject({
      vendorId: "0x1b36",
      deviceId: "0x100",
      barIndex: 1,
      mmio: 0,
      barSize: "0x800",
      hasIrq: 1,
      unalignedRegs: [],
    });
    expect(pciIdsParam(xche)).toBe("devgen.ids=1b36:0100");
  });

  test("the device is emulated (in-kernel=off) alone behind its own bridge", () => {
    const xche = generate("devices/xche").device;
    const args = qemuLevelMachineArgs(xche, ["/usr/share/seabios", "/usr/share/qemu"]);
    expect(args).toEqual(expect.arrayContaining(["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]));
    const devices = args.filter((_, i) => args[i - 1] === "-device");
    expect(devices).toEqual(["pci-bridge,id=devgen_br,chassis_nr=1,shpc=off", "xche,in-kernel=off,bus=devgen_br,addr=0x1"]);
  });

  test("registers that act on misaligned accesses are listed for the MMIO test", () => {
    for (const dir of EXAMPLES) {
      const device = generate(dir).device;
      const view = qemuDeviceHeaderView(device);
      const expected = device.registers.filter((r) => r.policy.unaligned === "split" || r.policy.unaligned === "combine").map((r) => r.name);
      expect(view.unalignedRegs.map((r) => r.name)).toEqual(expected);
    }
  });
});

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
(hasGcc ? describe.each(DEVICES) : describe.skip.each(DEVICES))("the guest-side QEMU test for %s", (dir) => {
  test("compiles without a warning, and is reused while its sources do not change", async () => {
    const out = generate(dir);
    const cache = tmpDir("devgen-qemu-test-");
    const log = path.join(cache, "build.log");
    await expectWarningFreeAndReused("qemu_test.c", () =>
      buildQemuTest({ device: out.device, generatedDir: out.dir, dir: cache, log, progress: quietProgress }),
    );
  }, 60_000);
});

// ---------------------------------------------------------------------------------------

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;

real("level qemu in a real VM (DEVGEN_REAL=1)", () => {
  let kernel: KernelTree;
  let qemuBinary: string;

  beforeAll(async () => {
    qemuBinary = devgenBuild(["devices/xche", ...EXAMPLES, "--only", "qemu", "--qemu", "7.2"]).qemu.binary;
    kernel = await fetchKernel({ version: "6.1", progress: quietProgress });
  }, TEN_MINUTES);

  const options = (out: Generated, generatedDir: string, runDir: string) => ({
    device: out.device,
    generatedDir,
    qemuBinary,
    vmlinuz: kernel.vmlinuz,
    stockModulesDir: kernel.modulesDir,
    runDir,
    progress: createProgress({ mode: "plain" }),
  });

  test("xche (port I/O, INTx): every vector, the line level, interrupts delivered, resets", async () => {
    const xche = generate("devices/xche");
    const result = await runQemuLevel(options(xche, xche.dir, tmpDir("devgen-qemu-run-")));
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
    const result = await runQemuLevel(options(hpet, hpet.dir, tmpDir("devgen-qemu-run-")));
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.name)).toContain("BAR 0 is memory of 0x400 bytes");
  }, TEN_MINUTES);

  test("a tampered vector fails, naming the vector, expected and actual", async () => {
    const xche = generate("devices/xche");
    const { dir: copy, index } = tamperedXche(xche.dir, tmpDir("devgen-qemu-tampered-"));

    const result = await runQemuLevel(options(xche, copy, tmpDir("devgen-qemu-run-")));
    expect(result.ok).toBe(false);
    const reads = result.checks.find((c) => /^vectors: \d+ reads return the reference model's values$/.test(c.name));
    expect(reads?.ok).toBe(false);
    expect(reads?.detail).toContain(`vector ${index} (read size 4 at BAR+0x0): expected 0x58434846 (mask 0xffffffff), got 0x58434845`);
  }, TEN_MINUTES);
});
