/**
 * kvm.api "device" (issue 14, item 4) where it meets a tree and other devices: its type in
 * the tree's `enum kvm_device_type`, numbered explicitly so that the kernel's and QEMU's
 * copies of the header agree; its registration where kvm.ko starts; and the checks that
 * keep its number free. The generated C itself: test/unit/gen-kvm.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compileDevice, type CompiledDevice } from "../../src/compile/index.js";
import { checkDeviceSet } from "../../src/compile/device-set.js";
import { generateAll } from "../../src/gen/index.js";
import { LINUX_6_1 } from "../../src/gen/kvm/target.js";
import { kernelEdits } from "../../src/integrate/kernel-edits.js";
import { qemuEdits } from "../../src/integrate/qemu-edits.js";
import { applyPlan, planPatch } from "../../src/integrate/patch.js";
import { kvmHeaderEdits } from "../../src/integrate/kvm-header-edits.js";
import { checkNumbers, usedNumbers } from "../../src/integrate/tree-numbers.js";
import { caught } from "../helpers/caught.js";

const hpet = compileDevice("examples/hpet_timer");
const xche = compileDevice("devices/xche");

/** Linux 6.1's enum, whose last type is 13; QEMU 7.2's copy ends at the same place. */
const ENUM = [
  "enum kvm_device_type {",
  "\tKVM_DEV_TYPE_FSL_MPIC_20\t= 1,",
  "#define KVM_DEV_TYPE_FSL_MPIC_20\tKVM_DEV_TYPE_FSL_MPIC_20",
  "\tKVM_DEV_TYPE_FSL_MPIC_42,",
  "#define KVM_DEV_TYPE_FSL_MPIC_42\tKVM_DEV_TYPE_FSL_MPIC_42",
  "\tKVM_DEV_TYPE_LOONGARCH_PCHPIC = 13,",
  "\tKVM_DEV_TYPE_MAX,",
  "};",
].join("\n");
const KVM_H = `#ifndef __LINUX_KVM_H\n#define __LINUX_KVM_H\n\n${ENUM}\n\n#endif /* __LINUX_KVM_H */\n`;

const trees: string[] = [];
afterAll(() => trees.forEach((t) => fs.rmSync(t, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-device-api-"));
  trees.push(dir);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

test("the type goes into the enum, numbered, before KVM_DEV_TYPE_MAX; the declarations before the #endif", () => {
  const header = "include/uapi/linux/kvm.h";
  const dir = tree({ [header]: KVM_H });
  const edits = kernelEdits(hpet.device, generateAll(hpet), LINUX_6_1, null).filter((e) => e.file === header);
  applyPlan(planPatch(dir, "hpet_timer", edits));
  const text = fs.readFileSync(path.join(dir, header), "utf8");
  expect(text).toContain(
    "\tKVM_DEV_TYPE_LOONGARCH_PCHPIC = 13,\n\t/* devgen:hpet_timer begin */\n\tKVM_DEV_TYPE_HPET_TIMER = 128,\n#define KVM_DEV_TYPE_HPET_TIMER\tKVM_DEV_TYPE_HPET_TIMER\n\t/* devgen:hpet_timer end */\n\tKVM_DEV_TYPE_MAX,\n",
  );
  expect(text).toMatch(/#define KVM_DEV_HPET_TIMER_GRP_STATE\t2\n[^]*\/\* devgen:hpet_timer end \*\/\n#endif \/\* __LINUX_KVM_H \*\/\n$/);
  // What the tree now says, as C counts it: the device's type is 128, and MAX follows it.
  expect(usedNumbers(text).deviceTypes.get(128)).toBe("KVM_DEV_TYPE_HPET_TIMER");
});

test("QEMU's copy of the header gets the same type, and the declarations", () => {
  const kernel = kernelEdits(hpet.device, generateAll(hpet), LINUX_6_1, null).filter((e) => e.file === "include/uapi/linux/kvm.h");
  const qemu = qemuEdits(hpet.device, generateAll(hpet)).filter((e) => e.file === "linux-headers/linux/kvm.h");
  expect(qemu).toHaveLength(2);
  expect({ ...qemu[0]!, file: "" }).toEqual({ ...kernel[0]!, file: "" });
  expect(qemu[1]!.kind === "insert" && qemu[1]!.text).toContain("#define KVM_DEV_HPET_TIMER_GRP_CONFIG");
});

test("kvm.ko registers the type when it loads; no VM ioctl, capability or kvm_arch field is added", () => {
  const edits = kernelEdits(hpet.device, generateAll(hpet), LINUX_6_1, null);
  const x86 = edits.filter((e) => e.kind === "insert" && e.file === "arch/x86/kvm/x86.c");
  expect(x86.map((e) => (e.kind === "insert" ? e.text : ""))).toEqual(['#include "hpet_timer.h"', "\tkvm_hpet_timer_register_ops();"]);
  expect(edits.some((e) => e.file === "arch/x86/include/asm/kvm_host.h")).toBe(false);
  // 7.x builds the device only with the PIT's config symbol; so is the call.
  const linux7 = { ...LINUX_6_1, objectsVar: "kvm-$(CONFIG_KVM_IOAPIC)" };
  const register = kernelEdits(hpet.device, generateAll(hpet), linux7, null).find((e) => e.kind === "insert" && e.text.includes("register_ops"));
  expect(register?.kind === "insert" && register.text).toBe("#ifdef CONFIG_KVM_IOAPIC\n\tkvm_hpet_timer_register_ops();\n#endif");
});

test("enum values are counted as C counts them", () => {
  const types = usedNumbers(KVM_H).deviceTypes;
  expect([...types]).toEqual([
    [1, "KVM_DEV_TYPE_FSL_MPIC_20"],
    [2, "KVM_DEV_TYPE_FSL_MPIC_42"],
    [13, "KVM_DEV_TYPE_LOONGARCH_PCHPIC"],
  ]);
});

test("a type the tree already gives to another device is refused, at the device file", () => {
  const dir = tree({ "include/uapi/linux/kvm.h": KVM_H.replace("\tKVM_DEV_TYPE_MAX,", "\tKVM_DEV_TYPE_VENDOR = 128,\n\tKVM_DEV_TYPE_MAX,") });
  const error = caught(() => checkNumbers(dir, "include/uapi/linux/kvm.h", [hpet, xche]));
  expect(error.diagnostics.map((d) => d.message)).toEqual([
    "KVM_DEV_TYPE_HPET_TIMER would be device type 128, which include/uapi/linux/kvm.h of this tree already gives to KVM_DEV_TYPE_VENDOR",
  ]);
  expect(error.diagnostics[0]!.location?.file).toMatch(/examples\/hpet_timer\/device\.ts$/);
  expect(() => checkNumbers(tree({ "include/uapi/linux/kvm.h": KVM_H }), "include/uapi/linux/kvm.h", [hpet, xche])).not.toThrow();
});

test("two device-API devices of one set cannot share a type; the ioctl numbers of the others are not theirs", () => {
  const twin: CompiledDevice = { ...hpet, device: { ...hpet.device, name: "hpet_twin", pci: { ...hpet.device.pci, deviceId: 0x10fe } } };
  expect(checkDeviceSet([hpet, twin]).map((d) => d.message)).toEqual([
    expect.stringMatching(/^KVM device type 128 is already used by device hpet_timer at .*examples\/hpet_timer\/device\.ts:\d+:\d+$/),
  ]);
  expect(checkDeviceSet([hpet, twin]).map((d) => d.hint)).toEqual(["use a number no other device takes, e.g. 129"]);
  expect(checkDeviceSet([xche, hpet])).toEqual([]);
});

test("kvmApi generates a device with the API its file does not say, defaults for the other API's names and numbers", () => {
  const xcheAsDevice = compileDevice("devices/xche", { kvmApi: "device" }).device;
  expect(xcheAsDevice.kvm.api).toEqual({
    kind: "device",
    type: { name: "KVM_DEV_TYPE_XCHE", number: 128 },
    configGroup: { name: "KVM_DEV_XCHE_GRP_CONFIG", number: 1 },
    stateGroup: { name: "KVM_DEV_XCHE_GRP_STATE", number: 2 },
  });
  const hpetAsIoctl = compileDevice("examples/hpet_timer", { kvmApi: "ioctl" }).device.kvm.api;
  expect(hpetAsIoctl).toMatchObject({ kind: "ioctl", create: { name: "KVM_CREATE_HPET_TIMER", number: 0xfc }, capability: { name: "KVM_CAP_HPET_TIMER", number: 1000 } });
  // Everything else is the file's, and the file's own API changes nothing.
  const beyondKvm = ({ kvm: _kvm, hooks, ...rest }: typeof xcheAsDevice) => ({ ...rest, hooks: hooks.map(({ model: _model, ...hook }) => hook) });
  expect(beyondKvm(xcheAsDevice)).toEqual(beyondKvm(xche.device));
  expect(compileDevice("devices/xche", { kvmApi: "ioctl" }).device.kvm).toEqual(xche.device.kvm);
  expect(generateAll({ ...xche, device: xcheAsDevice }).some((f) => f.contents.includes("kvm_device_ops"))).toBe(true);
});

test("devices' types come in increasing order before KVM_DEV_TYPE_MAX, whatever their names and the order they are patched in", () => {
  const header = "include/uapi/linux/kvm.h";
  const typed = (name: string, number: number) => {
    const api = hpet.device.kvm.api as Extract<typeof hpet.device.kvm.api, { kind: "device" }>;
    const type = { name: `KVM_DEV_TYPE_${name.toUpperCase()}`, number };
    return { ...hpet.device, name, kvm: { ...hpet.device.kvm, api: { ...api, type } } };
  };
  // "aaa" sorts first by name but has the higher type: by owner it would end up last but one.
  const devices = [typed("zzz", 128), typed("aaa", 129), typed("mmm", 130)];
  for (const order of [devices, [...devices].reverse(), [devices[1]!, devices[2]!, devices[0]!]]) {
    const dir = tree({ [header]: KVM_H });
    for (const device of order) applyPlan(planPatch(dir, device.name, kvmHeaderEdits(device, header, "")));
    const types = usedNumbers(fs.readFileSync(path.join(dir, header), "utf8")).deviceTypes;
    expect([...types.entries()].filter(([n]) => n >= 128)).toEqual([
      [128, "KVM_DEV_TYPE_ZZZ"],
      [129, "KVM_DEV_TYPE_AAA"],
      [130, "KVM_DEV_TYPE_MMM"],
    ]);
    const text = fs.readFileSync(path.join(dir, header), "utf8");
    expect(text.indexOf("KVM_DEV_TYPE_MMM = 130")).toBeLessThan(text.indexOf("\tKVM_DEV_TYPE_MAX,"));
    expect(text.indexOf("KVM_DEV_TYPE_AAA = 129")).toBeLessThan(text.indexOf("KVM_DEV_TYPE_MMM = 130"));
    expect(text.indexOf("KVM_DEV_TYPE_ZZZ = 128")).toBeLessThan(text.indexOf("KVM_DEV_TYPE_AAA = 129"));
  }
});
