/**
 * The VM harness, level qemu, without a VM: the device header's view, QEMU's machine
 * arguments, and that the guest-side test compiles without a warning for every device (port
 * I/O and MMIO). Real VM runs: test/real/harness-qemu.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { qemuDeviceHeaderView } from "../../src/gen/guest/index.js";
import { buildQemuTest, pciIdsParam, qemuLevelMachineArgs } from "../../src/harness/qemu-level.js";
import { quietProgress } from "../../src/util/progress.js";
import { DEVICES, EXAMPLES, expectWarningFreeAndReused, useScratch } from "../helpers/harness.js";

const { tmpDir, generate } = useScratch();

describe("the machine and the device header", () => {
  test("xche: port I/O BAR 1, an interrupt, the IDs uio_pci_generic is given", () => {
    const xche = generate("devices/xche").device;
    expect(qemuDeviceHeaderView(xche)).toMatchObject({
      vendorId: "0x1af4",
      deviceId: "0x10f0",
      barIndex: 1,
      mmio: 0,
      barSize: "0x800",
      hasIrq: 1,
      unalignedRegs: [],
    });
    expect(pciIdsParam(xche)).toBe("devgen.ids=1af4:10f0");
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
      buildQemuTest({ device: out.device, generated: out.files, dir: cache, log, progress: quietProgress }),
    );
  }, 60_000);
});
