/**
 * The VM harness, level kvm, without a VM: the TAP parser, where the test puts the BAR, the
 * module load order, the timeout message, and that the guest-side test compiles cleanly for
 * every device (port I/O and MMIO). Real VM runs: test/real/harness-kvm.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadOrder } from "../../src/harness/initramfs.js";
import { deviceHeaderView, renderDeviceHeader, testPlacement } from "../../src/gen/guest/index.js";
import { buildKvmTest } from "../../src/harness/kvm-level.js";
import { parseResults, vmChecks } from "../../src/harness/level-vm.js";
import type { VmRun } from "../../src/harness/vm.js";
import { quietProgress } from "../../src/util/progress.js";
import { DEVICES, EXAMPLES, expectWarningFreeAndReused, useScratch } from "../helpers/harness.js";

const { tmpDir, generate } = useScratch();

describe("results", () => {
  test("TAP lines become checks, diagnostics their detail, /init's notes nobody's", () => {
    const { checks, status } = parseResults([
      "# init: kernel 6.1.0-56-amd64, up 1.99 s",
      "ok - insmod kvm.ko",
      "# init: modules loaded, up 2.27 s",
      "TAP version 13",
      "# xche: KVM test, 1436 vectors",
      "ok 1 - KVM_CHECK_EXTENSION(KVM_CAP_XCHE) == 1\r",
      "not ok 2 - vectors: 723 reads return the reference model's values",
      "# 1 of 723 failed",
      "# vector 2 (read size 4 at BAR+0x0): expected 0x58434846 (mask 0xffffffff), got 0x58434845",
      "1..2",
      "DEVGEN-RESULT level=kvm status=fail",
    ]);
    expect(status).toBe("fail");
    expect(checks).toEqual([
      { name: "insmod kvm.ko", ok: true, detail: "" },
      { name: "KVM_CHECK_EXTENSION(KVM_CAP_XCHE) == 1", ok: true, detail: "" },
      {
        name: "vectors: 723 reads return the reference model's values",
        ok: false,
        detail: "1 of 723 failed\nvector 2 (read size 4 at BAR+0x0): expected 0x58434846 (mask 0xffffffff), got 0x58434845",
      },
    ]);
  });

  test("a VM that times out is a failed check naming the level and the console log", () => {
    const dir = tmpDir("devgen-vm-");
    const consoleLog = path.join(dir, "console.log");
    fs.writeFileSync(consoleLog, "SeaBIOS (version 1.16.2)\nBooting from ROM..\n");
    const vm: VmRun = {
      level: "kvm",
      consoleLog,
      resultsLog: path.join(dir, "results.log"),
      qemuLog: path.join(dir, "qemu.log"),
      lines: [{ text: "ok - insmod kvm.ko", atMs: 5000 }],
      durationMs: 300_000,
      exitCode: null,
      signal: "SIGTERM",
      timedOut: true,
      command: [],
    };
    const { checks, status } = vmChecks(vm, 300_000);
    expect(status).toBeNull();
    const last = checks[checks.length - 1]!;
    expect(last.ok).toBe(false);
    expect(last.detail).toContain(`level kvm: the test VM did not finish within 300 s and was killed; console log: ${consoleLog}`);
    expect(last.detail).toContain("Booting from ROM..");
  });
});

describe("placement and modules", () => {
  test("port I/O BARs go at 0xc000, MMIO BARs below the IOAPIC, each with a moved and a misaligned base", () => {
    const xche = generate("devices/xche").device;
    expect(testPlacement(xche)).toEqual({ base: 0xc000n, moved: 0xc800n, misaligned: 0xc400n, busEnd: 0x10000n });
    expect(deviceHeaderView(xche)).toMatchObject({ mmio: 0, barSize: "0x800", base: "0xc000", hasIrq: 1, nrRegs: 9 });
    for (const dir of EXAMPLES) {
      const device = generate(dir).device;
      const place = testPlacement(device);
      const size = BigInt(device.bar.size);
      expect(place.base % size).toBe(0n);
      expect(place.moved).toBe(place.base + size);
      expect(place.misaligned % size).not.toBe(0n);
      if (device.kvm.bus === "mmio") expect(place.moved + size <= 0xfec00000n).toBe(true);
      else expect(place.moved + size <= 0x10000n).toBe(true);
    }
  });

  test("the device header names an ioctl-API device's VM ioctls and capability", () => {
    const xche = generate("devices/xche").device;
    expect(xche.kvm.api.kind).toBe("ioctl");
    expect(deviceHeaderView(xche)).toMatchObject({
      apiDevice: 0,
      device: null,
      ioctl: { capability: "KVM_CAP_XCHE", create: "KVM_CREATE_XCHE", configure: "KVM_CONFIGURE_XCHE", getState: "KVM_GET_XCHE_STATE", setState: "KVM_SET_XCHE_STATE" },
    });
    const header = renderDeviceHeader(xche);
    expect(header).toContain("#define DEV_API_DEVICE\t\t0\n");
    expect(header).toContain("#define DEV_CAP\t\t\tKVM_CAP_XCHE\n");
    expect(header).toContain("#define DEV_CREATE\t\tKVM_CREATE_XCHE\n");
    expect(header).not.toMatch(/DEV_TYPE|DEV_GRP_/);
  });

  test("the device header gives a device-API device's type by number, its groups, and pseudo requests for dev_request()", () => {
    const hpet = generate("examples/hpet_timer");
    const { api } = hpet.device.kvm;
    if (api.kind !== "device") throw new Error("hpet_timer is the device-API example");
    expect(deviceHeaderView(hpet.device)).toMatchObject({
      apiDevice: 1,
      ioctl: null,
      device: { typeName: "KVM_DEV_TYPE_HPET_TIMER", typeNumber: api.type.number, configGroup: "KVM_DEV_HPET_TIMER_GRP_CONFIG", stateGroup: "KVM_DEV_HPET_TIMER_GRP_STATE" },
    });
    const header = renderDeviceHeader(hpet.device);
    expect(header).toContain("#define DEV_API_DEVICE\t\t1\n");
    // The system's <linux/kvm.h> has no KVM_DEV_TYPE_HPET_TIMER: the number, named in a comment.
    expect(header).toContain(`/* KVM_DEV_TYPE_HPET_TIMER: the system's <linux/kvm.h> has no entry for it. */\n#define DEV_TYPE\t\t${api.type.number}\n`);
    expect(header).toContain("#define DEV_GRP_CONFIG\t\tKVM_DEV_HPET_TIMER_GRP_CONFIG\n");
    expect(header).toContain("#define DEV_GRP_STATE\t\tKVM_DEV_HPET_TIMER_GRP_STATE\n");
    // The groups come from the generated uapi header the programs include.
    const uapi = hpet.files.find((f) => f.path === "kvm/hpet_timer_uapi.h")!.contents;
    expect(uapi).toContain("#define KVM_DEV_HPET_TIMER_GRP_CONFIG\t");
    expect(uapi).toContain("#define KVM_DEV_HPET_TIMER_GRP_STATE\t");
    // Four distinct pseudo requests, and nothing of the ioctl API.
    const requests = ["CREATE", "CONFIGURE", "GET_STATE", "SET_STATE"].map((r) => header.match(new RegExp(`#define DEV_${r}\\t+(\\S+)\\n`))?.[1]);
    expect(requests).toEqual(["1", "2", "3", "4"]);
    expect(header).not.toMatch(/DEV_CAP|KVM_CREATE_HPET_TIMER|KVM_CAP_HPET_TIMER/);
  });

  test("modules load dependencies first, built ones before stock ones of the same name", async () => {
    const built = new Map([
      ["kvm", "/b/kvm.ko"],
      ["kvm_amd", "/b/kvm-amd.ko"],
    ]);
    const stock = new Map([
      ["kvm", "/s/kvm.ko"],
      ["ccp", "/s/ccp.ko"],
      ["irqbypass", "/s/irqbypass.ko"],
    ]);
    const deps: Record<string, string[]> = { "/b/kvm-amd.ko": ["kvm", "ccp"], "/b/kvm.ko": ["irqbypass"] };
    const order = await loadOrder("kvm-amd", built, stock, (file) => deps[file] ?? []);
    expect(order.map((m) => m.file)).toEqual(["/s/irqbypass.ko", "/b/kvm.ko", "/s/ccp.ko", "/b/kvm-amd.ko"]);
    await expect(loadOrder("kvm-amd", built, new Map(), (file) => deps[file] ?? [])).rejects.toThrow(
      "module irqbypass (needed by irqbypass <- kvm <- kvm-amd) is neither built nor in the stock image's modules",
    );
  });
});

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
(hasGcc ? describe.each(DEVICES) : describe.skip.each(DEVICES))("the guest-side KVM test for %s", (dir) => {
  test("compiles without a warning, and is reused while its sources do not change", async () => {
    const out = generate(dir);
    const cache = tmpDir("devgen-kvm-test-");
    const log = path.join(cache, "build.log");
    await expectWarningFreeAndReused("kvm_test.c", () =>
      buildKvmTest({ device: out.device, generated: out.files, dir: cache, log, progress: quietProgress }),
    );
  }, 60_000);
});
