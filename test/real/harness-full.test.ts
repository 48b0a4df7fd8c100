/**
 * The VM harness, level full, for real (DEVGEN_REAL=1): the payload against QEMU's emulated
 * device under TCG on the host (port I/O devices: TCG splits misaligned MMIO, which is why
 * MMIO needs KVM), a tampered vector that must fail there, and the full level itself (QEMU on
 * the built kvm modules in the outer VM, the device in the kernel and then emulated) for a
 * port I/O and an MMIO device, and for xche on the other trees devgen supports: Linux 6.12
 * and QEMU 10.0. What needs no VM: test/unit/harness-full.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { fetchKernel, type KernelTree } from "../../src/toolchain/kernel-fetch.js";
import { runFullLevel } from "../../src/harness/full-level.js";
import { buildPayload } from "../../src/harness/payload.js";
import { ensureStep } from "../../src/toolchain/packages.js";
import { createProgress, quietProgress } from "../../src/util/progress.js";
import { devgenBuild, EXAMPLES, tamperedXche, TEN_MINUTES, useScratch } from "../helpers/harness.js";
import type { Generated } from "../helpers/native.js";

const { tmpDir, generate } = useScratch();

async function payloadFor(out: Generated, generated = out.files): Promise<string> {
  const cache = tmpDir("devgen-payload-");
  const built = await buildPayload({ device: out.device, generated, dir: cache, log: path.join(cache, "build.log"), progress: quietProgress });
  return built.file;
}

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;

interface L3Run {
  status: number | null;
  lines: string[];
}

/** The payload as QEMU's BIOS under TCG on the host: the emulated device, no KVM. */
function runPayloadUnderTcg(qemuBinary: string, device: string, payload: string): L3Run {
  const result = spawnSync(
    qemuBinary,
    [
      ...["-accel", "tcg", "-machine", "pc", "-cpu", "qemu64", "-m", "32", "-nodefaults", "-no-reboot"],
      ...["-display", "none", "-monitor", "none", "-serial", "stdio", "-L", "/usr/share/seabios", "-L", "/usr/share/qemu"],
      ...["-bios", payload, "-device", "pci-bridge,id=br,chassis_nr=1,shpc=off", "-device", `${device},bus=br,addr=0x1`],
      ...["-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
  return { status: result.status, lines: result.stdout.replace(/\r/g, "").split("\n") };
}

real("level full for real (DEVGEN_REAL=1)", () => {
  let kernel: KernelTree;
  let built: { release: string; modules: string[]; modulesDir?: string };
  let qemuBinary: string;

  beforeAll(async () => {
    const json = devgenBuild(["devices/xche", ...EXAMPLES, "--kernel", "6.1", "--qemu", "7.2"]);
    built = json.kernel;
    qemuBinary = json.qemu.binary;
    kernel = await fetchKernel({ version: "6.1", progress: quietProgress });
  }, 2 * TEN_MINUTES);

  test.each(["devices/xche", "examples/uart16550"])("the payload passes against QEMU's emulated %s under TCG", async (dir) => {
    const out = generate(dir);
    const run = runPayloadUnderTcg(qemuBinary, out.name, await payloadFor(out));
    expect(run.lines.filter((l) => l.startsWith("not ok"))).toEqual([]);
    expect(run.lines.filter((l) => /^ok \d+ - BAR at 0x[0-9a-f]+: \d+ reads return/.test(l))).toHaveLength(2);
    expect(run.status).toBe(1);
  }, 120_000);

  test("a tampered vector fails the payload, naming the vector, expected and actual", async () => {
    const xche = generate("devices/xche");
    const { files: tampered, index } = tamperedXche(xche.files);

    const run = runPayloadUnderTcg(qemuBinary, "xche", await payloadFor(xche, tampered));
    expect(run.status).toBe(3);
    expect(run.lines).toContainEqual(expect.stringMatching(/^not ok 3 - BAR at 0xc000: \d+ reads return the reference model's values$/));
    expect(run.lines).toContain(`# vector ${index} (read size 4 at BAR+0x0): expected 0x58434846 (mask 0xffffffff), got 0x58434845`);
  }, 120_000);

  test("in-kernel=on without KVM stops QEMU with a message instead of emulating", async () => {
    // QEMU loads its firmware before it realizes the device: what step qtest declares.
    await ensureStep("qtest", path.join(os.tmpdir(), "devgen-harness-full-packages.log"), quietProgress);
    const firmware = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"];
    const result = spawnSync(qemuBinary, ["-accel", "tcg", "-machine", "pc", "-nodefaults", "-display", "none", ...firmware, "-device", "xche,in-kernel=on"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("xche: in-kernel=on, but KVM is not in use");
  }, TEN_MINUTES);

  /** The run on the 6.1 tree built above, unless another built tree and its stock kernel are given. */
  const options = (out: Generated, runDir: string, on = { built, kernel }) => ({
    device: out.device,
    generated: out.files,
    kernel: on.built,
    stockModulesDir: on.built.modulesDir ?? on.kernel.modulesDir,
    vmlinuz: on.kernel.vmlinuz,
    qemuBinary,
    runDir,
    progress: createProgress({ mode: "plain" }),
  });

  /** Every check passed, and the ones that prove where the accesses went are among them. */
  const expectFullLevelPassed = (result: Awaited<ReturnType<typeof runFullLevel>>, out: Generated): void => {
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    const names = result.checks.map((c) => c.name);
    const region = `${out.name}-${out.device.bar.space === "io" ? "io" : "mmio"}`;
    expect(names.some((n) => new RegExp(`^in-kernel=on: none of the payload's [1-9]\\d* accesses reached QEMU \\(${region}\\)$`).test(n))).toBe(true);
    expect(names.some((n) => new RegExp(`^in-kernel=off: QEMU emulated all [1-9]\\d* accesses \\([1-9]\\d* calls into ${region}\\)$`).test(n))).toBe(true);
    expect(names).toContain("in-kernel=on with a split irqchip: QEMU refuses to start and says why");
    for (const mode of ["on", "off"]) {
      expect(names).toContain(`in-kernel=${mode}: the L3 payload ran to its end and passed`);
      expect(names).toContain(`in-kernel=${mode}, migrated: the L3 payload ran to its end and passed`);
      expect(names.filter((n) => n.startsWith(`in-kernel=${mode}, migrated: after migration: BAR at `))).not.toHaveLength(0);
      expect(names.filter((n) => n.startsWith(`in-kernel=${mode}: BAR at `) && n.includes("reads return the reference model's values"))).toHaveLength(2);
      expect(names).toContain(`in-kernel=${mode}: the old address ${out.device.bar.space === "io" ? "0xc000" : "0xe0000000"} no longer answers`);
    }
  };

  test.each(["devices/xche", "examples/hpet_timer"])(
    "%s: QEMU on KVM in the outer VM; in-kernel, no access reaches QEMU; emulated, every one does",
    async (dir) => {
      const out = generate(dir);
      expectFullLevelPassed(await runFullLevel(options(out, tmpDir("devgen-full-run-"))), out);
    },
    TEN_MINUTES,
  );

  // 6.12 tears io devices down differently (DESIGN.md): its modules must load, serve and unload the same.
  test("devices/xche on Linux 6.12: the same checks pass", async () => {
    const on612 = {
      built: devgenBuild(["devices/xche", "--only", "kernel", "--kernel", "6.12"]).kernel,
      kernel: await fetchKernel({ version: "6.12", progress: quietProgress }),
    };
    const out = generate("devices/xche");
    expectFullLevelPassed(await runFullLevel(options(out, tmpDir("devgen-full-run-"), on612)), out);
  }, 2 * TEN_MINUTES);

  // QEMU 10.0 changed the APIs the glue uses (DESIGN.md): its delegation must work the same.
  test("devices/xche with QEMU 10.0: the same checks pass", async () => {
    const qemu10 = devgenBuild(["devices/xche", "--only", "qemu", "--qemu", "10.0"]).qemu.binary;
    const out = generate("devices/xche");
    expectFullLevelPassed(await runFullLevel({ ...options(out, tmpDir("devgen-full-run-")), qemuBinary: qemu10 }), out);
  }, 2 * TEN_MINUTES);
});
