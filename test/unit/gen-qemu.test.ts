import { DEFAULT_TARGETS } from "../../src/gen/index.js";
import { compileDevice } from "../../src/compile/index.js";
import { generateQemu, renderQemuDevice } from "../../src/gen/qemu/index.js";
import { DEFAULT_QEMU_TARGET, type QemuTarget } from "../../src/gen/qemu/target.js";
import { probeQemuTree } from "../../src/integrate/qemu-probes.js";
import { uapiBlock } from "../../src/gen/uapi.js";
import type { Device } from "../../src/ir/types.js";
import { headerReader, QEMU_HEADERS } from "../helpers/qemu-headers.js";

const compiled = compileDevice("devices/xche");
const files = generateQemu({ device: compiled.device, hooks: compiled.hooks, targets: DEFAULT_TARGETS });
const file = (path: string): string => {
  const found = files.find((f) => f.path === path);
  if (!found) throw new Error(`no ${path} in ${files.map((f) => f.path).join(", ")}`);
  return found.contents;
};
const glue = file("qemu/xche.c");

describe("qemu backend for devices/xche", () => {
  test("emits the device, the ABI block and the build wiring", () => {
    expect(files.map((f) => f.path).sort()).toEqual([
      "qemu/Kconfig.snippet",
      "qemu/meson.build.snippet",
      "qemu/xche.c",
      "qemu/xche_linux_headers.h",
    ]);
  });

  test("follows edu.c's order: licence, osdep.h first, type, state, ops, realize, TypeInfo", () => {
    expect(glue.startsWith("/*\n * xche: QEMU PCI device\n")).toBe(true);
    expect(glue).toContain("SPDX-License-Identifier: GPL-2.0-or-later");
    const includes = [...glue.matchAll(/^#include (\S+)/gm)].map((m) => m[1]);
    expect(includes[0]).toBe('"qemu/osdep.h"');
    const order = [
      '#define TYPE_XCHE "xche"',
      "OBJECT_DECLARE_SIMPLE_TYPE(XcheState, XCHE)",
      "struct XcheState {",
      "static const MemoryRegionOps xche_bar_ops",
      "static void xche_realize(",
      "static void xche_class_init(",
      "static const TypeInfo xche_info",
      "type_init(xche_register_types)",
    ];
    const positions = order.map((s) => glue.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  test("state holds the PCI parent, the BAR, the core, the irq level and the KVM fields", () => {
    const state = glue.slice(glue.indexOf("struct XcheState {"), glue.indexOf("};", glue.indexOf("struct XcheState {")));
    for (const field of [
      "PCIDevice parent_obj;",
      "MemoryRegion bar;",
      "struct xche_core core;",
      "bool irq_level;",
      "OnOffAuto in_kernel;",
      "bool created;",
      "bool mapped;",
      "uint64_t base;",
      "uint32_t gsi;",
    ]) {
      expect(state).toContain(field);
    }
  });

  test("PCI identity, pin A and an I/O BAR from the IR", () => {
    expect(glue).toContain("k->vendor_id = 0x1af4;");
    expect(glue).toContain("k->device_id = 0x10f0;");
    expect(glue).toContain("k->subsystem_vendor_id = 0x1af4;");
    expect(glue).toContain("k->subsystem_id = 0x10f0;");
    expect(glue).toContain("k->class_id = 0xff00;");
    expect(glue).toContain("k->revision = 0x1;");
    expect(glue).toContain("pci_config_set_interrupt_pin(pdev->config, 1);");
    expect(glue).toMatch(/memory_region_init_io\(&s->bar, OBJECT\(s\), &xche_bar_ops, s,\s+"xche-io", XCHE_BAR_SIZE\);/);
    expect(glue).toContain("pci_register_bar(pdev, XCHE_BAR_INDEX, PCI_BASE_ADDRESS_SPACE_IO, &s->bar);");
  });

  test("MemoryRegionOps call the core, are little-endian and take 1..4 bytes, unaligned", () => {
    expect(glue).toContain("xche_core_read(&s->core, addr, size, &val);");
    expect(glue).toContain("xche_core_write(&s->core, addr, size, val);");
    expect(glue).toContain(".endianness = DEVICE_LITTLE_ENDIAN,");
    const ops = glue.slice(glue.indexOf("static const MemoryRegionOps"), glue.indexOf("};", glue.indexOf("static const MemoryRegionOps")));
    expect(ops.match(/\.min_access_size = 1,/g)).toHaveLength(2);
    expect(ops.match(/\.max_access_size = 4,/g)).toHaveLength(2);
    expect(ops.match(/\.unaligned = true,/g)).toHaveLength(2);
    expect(glue).toContain("s->irq_level = xche_core_irq_level(&s->core);\n    pci_set_irq(&s->parent_obj, s->irq_level);");
  });

  test("with KVM's device created, what reaches the region is dropped before QEMU's copy of the core sees it", () => {
    // KVM passes up whole an access straddling the end of an I/O or sub-page BAR; the kernel holds the registers.
    for (const [handler, core] of [
      ["static uint64_t xche_bar_read(", "xche_core_read(&s->core"],
      ["static void xche_bar_write(", "xche_core_write(&s->core"],
    ] as const) {
      const body = glue.slice(glue.indexOf(handler), glue.indexOf("\n}\n", glue.indexOf(handler)));
      expect(body.indexOf("if (xche_owed_to_kvm(s, addr, size)) {")).toBeGreaterThan(0);
      expect(body.indexOf("if (xche_owed_to_kvm(s, addr, size)) {")).toBeLessThan(body.indexOf(core));
    }
    expect(glue).toMatch(/static bool xche_owed_to_kvm\(XcheState \*s, hwaddr addr, unsigned size\)\n\{\n    if \(!s->kvm\.created\) \{\n        return false;\n    \}\n    qemu_log_mask\(LOG_UNIMP,/);
  });

  test("KVM delegation: create unmapped, configure on BAR moves and INTx routing, state get/put", () => {
    expect(glue).toContain("#ifdef CONFIG_KVM\n#include <linux/kvm.h>\n#endif");
    expect(glue).toContain("kvm_check_extension(kvm_state, KVM_CAP_XCHE)");
    expect(glue).toMatch(/struct kvm_xche_config config = \{\n\s+\.gsi = xche_kvm_gsi\(s\),\n\s+\.flags = KVM_XCHE_UNMAPPED,\n\s+\};/);
    expect(glue).toContain("kvm_vm_ioctl(kvm_state, KVM_CREATE_XCHE, &config)");
    expect(glue).toContain('error_setg(errp, "xche: in-kernel=on, but %s", missing);');
    expect(glue).toMatch(/DEFINE_PROP_ON_OFF_AUTO\("in-kernel", XcheState, in_kernel,\s+ON_OFF_AUTO_AUTO\),/);
    expect(glue).toContain("pci_default_write_config(pdev, addr, val, len);");
    expect(glue).toContain("xche_kvm_configure(s, pci_get_bar_addr(pdev, XCHE_BAR_INDEX)) < 0) {");
    expect(glue).toContain("kvm_vm_ioctl(kvm_state, KVM_CONFIGURE_XCHE, &config)");
    expect(glue).toContain("config.flags = KVM_XCHE_UNMAPPED;");
    expect(glue).toContain("pci_device_route_intx_to_irq(pdev, pci_intx(pdev))");
    expect(glue).toContain("route.mode == PCI_INTX_ENABLED");
    expect(glue).toContain("pci_device_set_intx_routing_notifier(PCI_DEVICE(s),");
    expect(glue).toContain("kvm_vm_ioctl(kvm_state, KVM_GET_XCHE_STATE, &state)");
    expect(glue).toContain("kvm_vm_ioctl(kvm_state, KVM_SET_XCHE_STATE, &state)");
    // The ABI comes from linux-headers, never redefined here.
    expect(glue).not.toMatch(/#define KVM_|struct kvm_xche_config \{/);
  });

  describe("a failed KVM ioctl never leaves QEMU serving a stale copy", () => {
    /** The text of the C function `name`, from its signature to its closing brace. */
    const fn = (name: string): string => {
      const start = glue.search(new RegExp(`^static [^\\n]*\\b${name}\\(`, "m"));
      expect({ name, start: start >= 0 }).toEqual({ name, start: true });
      return glue.slice(start, glue.indexOf("\n}\n", start) + 3);
    };

    test("KVM_CONFIGURE's failure is returned, with the reason reported", () => {
      const configure = fn("xche_kvm_configure");
      expect(configure).toMatch(/^static int xche_kvm_configure\(/);
      expect(configure).toContain('error_report("xche: KVM_CONFIGURE_XCHE failed: %s", strerror(-ret));\n        return ret;');
    });

    test("where the guest runs on, a failure stops the VM with the reason", () => {
      const stop = fn("xche_kvm_stop");
      expect(stop).toContain("error_report(");
      expect(stop).toContain("vm_stop(RUN_STATE_INTERNAL_ERROR);");
      expect(glue).toContain('#include "sysemu/runstate.h"');
      expect(fn("xche_write_config")).toMatch(/if \(s->kvm\.created &&\s+xche_kvm_configure\(s, pci_get_bar_addr\(pdev, XCHE_BAR_INDEX\)\) < 0\) \{\n\s+xche_kvm_stop\(\);/);
      expect(fn("xche_kvm_intx_routing_changed")).toMatch(/if \(xche_kvm_configure\(s, s->kvm\.base\) < 0\) \{\n\s+xche_kvm_stop\(\);/);
      expect(fn("xche_reset")).toMatch(/if \(xche_kvm_configure\(s, PCI_BAR_UNMAPPED\) < 0 \|\|\s+xche_kvm_put\(s\) < 0\) \{\n\s+xche_kvm_stop\(\);/);
    });

    test("migration fails instead: post_load returns KVM_CONFIGURE's error, pre_save KVM_GET_STATE's", () => {
      // Calls past 80 columns are wrapped: compare with one space for each run of blanks.
      expect(fn("xche_post_load").replace(/\s+/g, " ")).toContain(
        "ret = xche_kvm_configure(s, pci_get_bar_addr(PCI_DEVICE(s), XCHE_BAR_INDEX)); if (ret < 0) { return ret; } return xche_kvm_put(s);",
      );
      expect(fn("xche_pre_save")).toContain("return s->kvm.created ? xche_kvm_get(s) : 0;");
    });
  });

  test("reset and vmstate", () => {
    expect(glue).toContain("xche_core_reset(&s->core);");
    expect(glue).toContain("dc->reset = xche_reset;");
    expect(glue).toContain("VMSTATE_PCI_DEVICE(parent_obj, XcheState),");
    expect(glue).toContain("VMSTATE_UINT64_ARRAY(core.regs, XcheState, XCHE_NR_STATE),");
    expect(glue).toContain(".pre_save = xche_pre_save,");
    expect(glue).toContain(".post_load = xche_post_load,");
    // The layout goes before the registers; a stream of another layout or an impossible state is refused.
    expect(glue.indexOf("VMSTATE_UINT32(layout, XcheState),")).toBeLessThan(glue.indexOf("VMSTATE_UINT64_ARRAY(core.regs"));
    expect(glue).toContain(".version_id = 2,\n    .minimum_version_id = 2,");
    const postLoad = glue.slice(glue.indexOf("static int xche_post_load("));
    expect(postLoad.indexOf("if (s->layout != XCHE_STATE_LAYOUT) {")).toBeLessThan(postLoad.indexOf("if (!xche_core_state_valid(s->core.regs)) {"));
    expect(postLoad.indexOf("if (!xche_core_state_valid(s->core.regs)) {")).toBeLessThan(postLoad.indexOf("if (!s->kvm.created) {"));
    expect(glue).toContain(".layout = XCHE_STATE_LAYOUT,");
  });

  test("QEMU style: 4-space indent, no tabs, no C99 comments, lines within 80 columns", () => {
    const lines = glue.split("\n");
    expect(lines.filter((l) => l.includes("\t"))).toEqual([]);
    expect(lines.filter((l) => l.length > 80)).toEqual([]);
    expect(lines.filter((l) => /^\s*\/\//.test(l))).toEqual([]);
    // A statement (not a continuation of the previous line) starts on a 4-column stop.
    const statements = lines.filter((l, i) => i > 0 && /^$|[;{}]$/.test(lines[i - 1]!) && l.trim() !== "");
    expect(statements.filter((l) => (l.length - l.trimStart().length) % 4 !== 0)).toEqual([]);
    expect(glue.endsWith("\n")).toBe(true);
    expect(glue).not.toMatch(/\n\n\n/);
  });

  test("the ABI block is uapiBlock's, for the tree patcher", () => {
    expect(file("qemu/xche_linux_headers.h")).toBe(uapiBlock(compiled.device));
  });

  test("build wiring: specific_ss with core and hooks, Kconfig on PCI", () => {
    expect(file("qemu/meson.build.snippet")).toBe(
      "specific_ss.add(when: 'CONFIG_XCHE', if_true: files('xche.c', 'xche_core.c', 'xche_hooks.c'))\n",
    );
    expect(file("qemu/Kconfig.snippet")).toBe("config XCHE\n    bool\n    default y if PCI_DEVICES\n    depends on PCI\n");
    const noHooks = generateQemu({ device: compiled.device, hooks: null, targets: DEFAULT_TARGETS }).find((f) => f.path === "qemu/meson.build.snippet")!;
    expect(noHooks.contents).not.toContain("xche_hooks.c");
  });
});

describe("qemu backend variants", () => {
  /** The target the probes find in excerpts of a release's headers. */
  function probed(release: keyof typeof QEMU_HEADERS): QemuTarget {
    return probeQemuTree(headerReader(QEMU_HEADERS[release]), `QEMU ${release}`).target;
  }

  test("the spellings of a tree are data of the target", () => {
    const v102 = renderQemuDevice(compiled.device, probed("10.2"));
    expect(v102).toContain('#include "system/kvm.h"');
    expect(v102).toContain('#include "hw/pci/pci_device.h"');
    expect(v102).toContain("static const Property xche_properties[]");
    expect(v102).not.toContain("DEFINE_PROP_END_OF_LIST");
    expect(v102).toContain("static void xche_class_init(ObjectClass *klass, const void *data)");
    expect(v102).toContain(".fields = (const VMStateField[]) {");
    expect(v102).toContain(".interfaces    = (const InterfaceInfo[]) {");
    const v100 = renderQemuDevice(compiled.device, probed("10.0"));
    expect(v100).toContain("static void xche_class_init(ObjectClass *klass, void *data)");
    expect(v100).toContain(".interfaces    = (InterfaceInfo[]) {");
  });

  test("reset is Resettable's hold phase, with the parameters the tree's hold phase has", () => {
    const v102 = renderQemuDevice(compiled.device, probed("10.2"));
    expect(v102).toContain("static void xche_reset(Object *obj, ResetType type)\n{\n    XcheState *s = XCHE(obj);\n");
    expect(v102).toContain("    ResettableClass *rc = RESETTABLE_CLASS(klass);\n");
    expect(v102).toContain("    rc->phases.hold = xche_reset;\n");
    expect(v102).not.toMatch(/dc->reset|legacy_reset/);
    const v72 = renderQemuDevice(compiled.device, probed("7.2"));
    expect(v72).toContain("static void xche_reset(Object *obj)\n");
    expect(v72).toContain("    rc->phases.hold = xche_reset;\n");
  });

  test("the example output uses the default target: DeviceClass's reset member, as 7.2 devices did", () => {
    const example = renderQemuDevice(compiled.device, DEFAULT_QEMU_TARGET);
    expect(example).toBe(glue);
    expect(example).toContain("static void xche_reset(DeviceState *dev)\n");
    expect(example).toContain("    dc->reset = xche_reset;\n");
    expect(example).not.toContain("ResettableClass");
  });

  test("a device without interrupt has no pin, no INTx routing and a zero GSI", () => {
    const quiet: Device = { ...compiled.device, interrupt: null };
    const c = renderQemuDevice(quiet, DEFAULT_QEMU_TARGET);
    expect(c).not.toContain("pci_config_set_interrupt_pin");
    expect(c).not.toContain("irq_level");
    expect(c).not.toContain("pci_set_irq");
    expect(c).not.toContain("intx");
    expect(c).not.toContain("kernel-irqchip");
    expect(c).toContain(".gsi = 0,");
  });

  test("an MMIO BAR registers memory space and allows 8-byte accesses", () => {
    const mmio: Device = {
      ...compiled.device,
      bar: { ...compiled.device.bar, space: "mmio" },
      busSizes: [1, 2, 4, 8],
    };
    const c = renderQemuDevice(mmio, DEFAULT_QEMU_TARGET);
    expect(c).toMatch(/PCI_BASE_ADDRESS_SPACE_MEMORY,\s+&s->bar\);/);
    expect(c).toContain(".max_access_size = 8,");
    expect(c).toContain('"xche-mmio"');
  });
});

describe("kvm.api \"device\" (examples/hpet_timer): the glue reaches KVM through the device's fd", () => {
  const hpet = compileDevice("examples/hpet_timer").device;
  const c = renderQemuDevice(hpet, DEFAULT_QEMU_TARGET);
  /** Calls folded at 80 columns, unfolded. */
  const flat = c.replace(/\n */g, " ");

  test("the type's presence is tested, then one device is created and its fd kept", () => {
    expect(flat).toContain('} else if (hpet_timer_kvm_create_device(true) < 0) { missing = "the kernel has no KVM_DEV_TYPE_HPET_TIMER";');
    expect(c).toMatch(/static int hpet_timer_kvm_new\(HpetTimerState \*s\)\n\{\n    int fd = hpet_timer_kvm_create_device\(false\);\n\n    if \(fd < 0\) \{\n        return fd;\n    \}\n    s->kvm.fd = fd;\n    s->kvm.gsi = KVM_HPET_TIMER_NO_GSI;/);
    expect(c).toContain("        int fd;                 /* the device's, for its attributes */\n");
  });

  test("KVM_CREATE_DEVICE is called directly: kvm_create_device() asks for a capability 6.1's x86 lacks", () => {
    expect(c).toContain("int ret = kvm_vm_ioctl(kvm_state, KVM_CREATE_DEVICE, &create);");
    expect(c).toContain(".flags = test ? KVM_CREATE_DEVICE_TEST : 0,");
    expect(c).not.toContain("kvm_create_device(kvm_state");
  });

  test("configure and the state go through attribute 0 of their groups", () => {
    expect(c).toContain("return kvm_device_ioctl(s->kvm.fd, request, &attr);");
    expect(flat).toContain("ret = hpet_timer_kvm_attr(s, KVM_SET_DEVICE_ATTR, KVM_DEV_HPET_TIMER_GRP_CONFIG, &config);");
    expect(flat).toContain("ret = hpet_timer_kvm_attr(s, KVM_GET_DEVICE_ATTR, KVM_DEV_HPET_TIMER_GRP_STATE, &state);");
    expect(flat).toContain("ret = hpet_timer_kvm_attr(s, KVM_SET_DEVICE_ATTR, KVM_DEV_HPET_TIMER_GRP_STATE, &state);");
    // The one VM ioctl is KVM_CREATE_DEVICE; everything else goes through the device's fd.
    expect(c.match(/kvm_vm_ioctl\(kvm_state, \w+/g)).toEqual(["kvm_vm_ioctl(kvm_state, KVM_CREATE_DEVICE"]);
    expect(c.replace(/\/\*[\s\S]*?\*\//g, "")).not.toMatch(/kvm_check_extension|KVM_CAP_/);
  });

  test("the ioctl API's glue has neither the fd nor the attribute helper", () => {
    expect(glue).not.toMatch(/kvm_device_ioctl|kvm_create_device|s->kvm\.fd/);
    expect(glue).toContain("return kvm_vm_ioctl(kvm_state, KVM_CREATE_XCHE, &config);");
  });
});
