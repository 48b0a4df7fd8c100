/** The generated headers the guest programs include come from the artifact set, whatever the trees. */
import { compileDevice } from "../../src/compile/index.js";
import { DEFAULT_TARGETS, generateAll } from "../../src/gen/index.js";
import type { Targets } from "../../src/gen/types.js";
import { generatedHeaders } from "../../src/harness/guest-sources.js";
import { DEVICES } from "../helpers/harness.js";
import { EXPECTED } from "../helpers/qemu-targets.js";

/** Every spelling flipped from the default: what a Linux 7.x tree and QEMU master (hw/core/) get. */
const NEWEST: Targets = {
  kernel: { irqSourceIds: { kind: "fixed", first: 3 }, zeroAlloc: "kzalloc_obj", objectsVar: "kvm-$(CONFIG_KVM_IOAPIC)", fullIrqchip: "irqchip_full" },
  qemu: { ...EXPECTED["10.2"], version: "11.0", qdevPropertiesHeader: "hw/core/qdev-properties.h" },
};

test.each(DEVICES)("%s: the guest headers and vectors are the same for every target", (dir) => {
  const compiled = compileDevice(dir);
  const { device } = compiled;
  const ofTargets = (targets: Targets) => {
    const files = generateAll(compiled, targets);
    return {
      headers: generatedHeaders(device, files, ["types", "uapi", "vectors"]),
      json: files.find((f) => f.path === `tests/${device.name}_vectors.json`)?.contents,
    };
  };
  const fixed = ofTargets(DEFAULT_TARGETS);
  expect(Object.keys(fixed.headers)).toEqual([`${device.name}_types.h`, `${device.name}_uapi.h`, `${device.name}_vectors.h`]);
  expect(fixed.json).toBeDefined();
  expect(ofTargets(NEWEST)).toEqual(fixed);
  // The targets did reach the generators: the kernel glue differs.
  const glue = (targets: Targets) => generateAll(compiled, targets).filter((f) => f.path.startsWith("kvm/") || f.path.startsWith("qemu/"));
  expect(glue(NEWEST)).not.toEqual(glue(DEFAULT_TARGETS));
});

test("a file missing from the artifact set is an error that says to regenerate", () => {
  const compiled = compileDevice("devices/xche");
  const files = generateAll(compiled).filter((f) => f.path !== "kvm/xche_uapi.h");
  expect(() => generatedHeaders(compiled.device, files, ["uapi"])).toThrow(/generated file kvm\/xche_uapi.h is missing/);
});
