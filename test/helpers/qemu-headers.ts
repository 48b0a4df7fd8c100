/**
 * The lines of real QEMU trees that the probes of src/integrate/qemu-probes.ts read, copied
 * from Debian's 7.2.22, 10.0.13 and 10.2.2 (with a neighbouring line or two, so a probe must
 * find its declaration among others), as files of a small fake tree.
 */
import type { TreeReader as ReadTreeFile } from "../../src/integrate/tree-probe.js";

export type QemuHeaders = Record<string, string>;

const lines = (...text: string[]): string => `${text.join("\n")}\n`;

const QEMU_7_2: QemuHeaders = {
  VERSION: "7.2.22\n",
  "include/hw/pci/pci.h": lines("struct PCIDevice {", "    DeviceState qdev;", "    bool partially_hotplugged;"),
  "include/sysemu/kvm.h": lines("int kvm_vm_ioctl(KVMState *s, int type, ...);"),
  "include/sysemu/runstate.h": lines("int vm_prepare_start(bool step_pending);", "int vm_stop(RunState state);", "int vm_stop_force_state(RunState state);"),
  "include/hw/qdev-core.h": lines(
    "    DeviceReset reset;",
    "    DeviceRealize realize;",
    "void device_class_set_props(DeviceClass *dc, Property *props);",
  ),
  "include/hw/qdev-properties.h": lines("#define DEFINE_PROP_END_OF_LIST()               \\", "    {}"),
  "include/qom/object.h": lines(
    "    void (*class_base_init)(ObjectClass *klass, void *data);",
    "    void (*class_init)(ObjectClass *klass, void *data);",
    "    void *class_data;",
    "    InterfaceInfo *interfaces;",
  ),
  "include/hw/resettable.h": lines("typedef void (*ResettableEnterPhase)(Object *obj, ResetType type);", "typedef void (*ResettableHoldPhase)(Object *obj);"),
  "include/migration/vmstate.h": lines("    int (*post_save)(void *opaque);", "    const VMStateField *fields;"),
};

const QEMU_10_0: QemuHeaders = {
  VERSION: "10.0.13\n",
  "include/hw/pci/pci.h": lines('#include "hw/pci/pcie.h"', '#include "hw/pci/pci_device.h"'),
  "include/hw/pci/pci_device.h": lines("struct PCIDevice {", "    DeviceState qdev;"),
  "include/system/kvm.h": lines("int kvm_vm_ioctl(KVMState *s, unsigned long type, ...);"),
  "include/system/runstate.h": lines("void vm_resume(RunState state);", "", "int vm_stop(RunState state);", "int vm_stop_force_state(RunState state);"),
  "include/hw/qdev-core.h": lines(
    "    const Property *props_;",
    "#define device_class_set_props(dc, props) \\",
    "        device_class_set_props_n((dc), (props), props_count_);          \\",
    "void device_class_set_props_n(DeviceClass *dc, const Property *props, size_t n);",
  ),
  "include/hw/qdev-properties.h": lines("#define DEFINE_PROP_UNSIGNED_NODEFAULT(_name, _state, _field, _prop, _type) \\"),
  "include/qom/object.h": lines(
    "    void (*class_base_init)(ObjectClass *klass, void *data);",
    "    void (*class_init)(ObjectClass *klass, void *data);",
    "    InterfaceInfo *interfaces;",
  ),
  "include/hw/resettable.h": lines("typedef void (*ResettableHoldPhase)(Object *obj, ResetType type);"),
  "include/migration/vmstate.h": lines("    const VMStateField *fields;"),
};

const QEMU_10_2: QemuHeaders = {
  ...QEMU_10_0,
  VERSION: "10.2.2\n",
  "include/qom/object.h": lines(
    "    void (*class_base_init)(ObjectClass *klass, const void *data);",
    "    void (*class_init)(ObjectClass *klass, const void *data);",
    "    const InterfaceInfo *interfaces;",
  ),
};

export const QEMU_HEADERS = { "7.2": QEMU_7_2, "10.0": QEMU_10_0, "10.2": QEMU_10_2 } as const;

/** A reader over fake files, as the probes read a tree. */
export function headerReader(files: QemuHeaders): ReadTreeFile {
  return (file) => files[file] ?? null;
}
