/**
 * The VM harness, level full, without a VM: the payload builds for every device without a
 * warning and is a BIOS image QEMU accepts (whole 64 KiB units, the reset vector's jump in its
 * last 16 bytes); the outer VM's arguments and /init's parameters. In VMs, on real trees:
 * test/real/harness-full.test.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fullLevelAppend, fullLevelMachineArgs } from "../../src/harness/full-level.js";
import { payloadDeviceHeaderView } from "../../src/gen/guest/index.js";
import { buildPayload, PAYLOAD_CFLAGS } from "../../src/harness/payload.js";
import { quietProgress } from "../../src/util/progress.js";
import { DEVICES, useScratch } from "../helpers/harness.js";

const { tmpDir, generate } = useScratch();

describe("what the outer VM and /init are told", () => {
  test("xche: the BAR placed at 0xc000 and moved next to it; the trace names xche-io", () => {
    const xche = generate("devices/xche").device;
    expect(payloadDeviceHeaderView(xche)).toMatchObject({ vendorId: "0x1af4", deviceId: "0x10f0", barIndex: 1, mmio: 0, base: "0xc000", movedBase: "0xc800" });
    expect(fullLevelAppend(xche, "/q/qemu-system-x86_64", { vectors: "/p/xche-payload.bin", migration: "/p/xche-migration-payload.bin" })).toEqual([
      "devgen.device=xche",
      "devgen.qemu=/q/qemu-system-x86_64",
      "devgen.payload=/p/xche-payload.bin",
      "devgen.migrate_payload=/p/xche-migration-payload.bin",
      "devgen.region=xche-io",
      "devgen.irq=1",
    ]);
  });

  test("hpet_timer: a memory BAR, below the IOAPIC; the trace names hpet_timer-mmio", () => {
    const hpet = generate("examples/hpet_timer").device;
    expect(payloadDeviceHeaderView(hpet)).toMatchObject({ mmio: 1, base: "0xe0000000", movedBase: "0xe0000400" });
    expect(fullLevelAppend(hpet, "/q", { vectors: "/p", migration: "/m" })).toContain("devgen.region=hpet_timer-mmio");
  });

  test("the host's root goes to the outer VM read-only", () => {
    expect(fullLevelMachineArgs()).toEqual(["-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on"]);
  });
});

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
(hasGcc ? describe.each(DEVICES) : describe.skip.each(DEVICES))("the L3 payload for %s", (dir) => {
  test("compiles without a warning into a BIOS image QEMU accepts, and is reused", async () => {
    const out = generate(dir);
    const cache = tmpDir("devgen-payload-");
    const log = path.join(cache, "build.log");
    const first = await buildPayload({ device: out.device, generated: out.files, dir: cache, log, progress: quietProgress });
    expect(first.reused).toBe(false);
    const image = fs.readFileSync(first.file);
    expect(image.length % 0x10000).toBe(0);
    // jmp rel16 (0xe9) at 0xfffffff0, to the start of the boot block 4 KiB below 4 GiB.
    expect(image[image.length - 16]).toBe(0xe9);
    expect((0xfff3 + image.readUInt16LE(image.length - 15)) & 0xffff).toBe(0xf000);
    execFileSync("gcc", [...PAYLOAD_CFLAGS, "-Werror", "-fsyntax-only", "-I.", "payload.c"], { cwd: path.dirname(first.file), stdio: "pipe" });
    const again = await buildPayload({ device: out.device, generated: out.files, dir: cache, log, progress: quietProgress });
    expect(again).toEqual({ file: first.file, reused: true });
  }, 60_000);
});
