/**
 * What the QEMU glue must spell differently from one release to the next, read from the
 * tree it patches rather than inferred from its version string, so that a release devgen
 * was never told about is patched when its headers say how, and refused when they don't.
 *
 * Each field of QemuTarget is decided by one probe (tree-probe.ts): the declarations that
 * spell it in each release, and the value each stands for. Pure functions of a file reader.
 */
import type { QemuReset, QemuTarget } from "../gen/qemu/target.js";
import { DevgenError } from "../util/diagnostics.js";
import { declared, present, runProbes, type Probe, type ProbeOutcome, type TreeReader } from "./tree-probe.js";

/** The oldest release devgen supports: the glue's API was verified on 7.2 and newer only. */
export const OLDEST_QEMU = [7, 2, 0] as const;

const OBJECT_H = "include/qom/object.h";
const QDEV_CORE_H = "include/hw/qdev-core.h";
// QEMU's master moved the qdev headers under hw/core/ (November 2025), without stubs.
const CORE_QDEV_H = "include/hw/core/qdev.h";
const RESETTABLE_H = "include/hw/resettable.h";
const CORE_RESETTABLE_H = "include/hw/core/resettable.h";
const HOLD_PHASE_WITH_TYPE: QemuReset = { hook: "hold-phase", parameters: "Object *obj, ResetType type" };
const HOLD_PHASE: QemuReset = { hook: "hold-phase", parameters: "Object *obj" };

type TargetProbes = { [K in Exclude<keyof QemuTarget, "version">]: Probe<QemuTarget[K]> };

/** One probe per field of QemuTarget (the version aside, which VERSION gives). */
export const QEMU_PROBES: TargetProbes = {
  pciHeader: {
    name: "pci-device-header",
    alternatives: [
      declared("include/hw/pci/pci_device.h", "struct PCIDevice {", "hw/pci/pci_device.h"),
      declared("include/hw/pci/pci.h", "struct PCIDevice {", "hw/pci/pci.h"),
    ],
  },
  kvmHeader: {
    name: "kvm-header",
    alternatives: [
      declared("include/system/kvm.h", "int kvm_vm_ioctl(KVMState *s,", "system/kvm.h"),
      declared("include/sysemu/kvm.h", "int kvm_vm_ioctl(KVMState *s,", "sysemu/kvm.h"),
    ],
  },
  runstateHeader: {
    name: "runstate-header",
    alternatives: [
      declared("include/system/runstate.h", "int vm_stop(RunState state);", "system/runstate.h"),
      declared("include/sysemu/runstate.h", "int vm_stop(RunState state);", "sysemu/runstate.h"),
    ],
  },
  qdevPropertiesHeader: {
    name: "qdev-properties-header",
    alternatives: [
      present("include/hw/qdev-properties.h", "hw/qdev-properties.h"),
      present("include/hw/core/qdev-properties.h", "hw/core/qdev-properties.h"),
    ],
  },
  propertyQualifier: {
    name: "const-properties",
    alternatives: [
      declared(CORE_QDEV_H, "void device_class_set_props_n(DeviceClass *dc, const Property *props,", "static const Property"),
      declared(QDEV_CORE_H, "void device_class_set_props_n(DeviceClass *dc, const Property *props,", "static const Property"),
      declared(QDEV_CORE_H, "void device_class_set_props(DeviceClass *dc, const Property *props);", "static const Property"),
      declared(QDEV_CORE_H, "void device_class_set_props(DeviceClass *dc, Property *props);", "static Property"),
    ],
  },
  propertyListEnd: {
    name: "property-list-end",
    alternatives: [
      declared("include/hw/qdev-properties.h", "#define DEFINE_PROP_END_OF_LIST()", true),
      // Counted arrays (10.0): device_class_set_props passes ARRAY_SIZE to this one.
      declared(QDEV_CORE_H, "void device_class_set_props_n(DeviceClass *dc,", false),
      declared(CORE_QDEV_H, "void device_class_set_props_n(DeviceClass *dc,", false),
    ],
  },
  classInitData: {
    name: "class-init-data",
    alternatives: [
      declared(OBJECT_H, "void (*class_init)(ObjectClass *klass, const void *data);", "const void *data"),
      declared(OBJECT_H, "void (*class_init)(ObjectClass *klass, void *data);", "void *data"),
    ],
  },
  reset: {
    name: "reset-hold-phase",
    alternatives: [
      declared(RESETTABLE_H, "typedef void (*ResettableHoldPhase)(Object *obj, ResetType type);", HOLD_PHASE_WITH_TYPE),
      declared(CORE_RESETTABLE_H, "typedef void (*ResettableHoldPhase)(Object *obj, ResetType type);", HOLD_PHASE_WITH_TYPE),
      declared(RESETTABLE_H, "typedef void (*ResettableHoldPhase)(Object *obj);", HOLD_PHASE),
    ],
  },
  vmstateFieldsCast: {
    name: "const-vmstate-fields",
    // Const in every release devgen supports; the literal says so as QEMU's own devices do from 8.2.
    alternatives: [declared("include/migration/vmstate.h", "const VMStateField *fields;", "(const VMStateField[])")],
  },
  interfacesCast: {
    name: "const-interfaces",
    alternatives: [
      declared(OBJECT_H, "const InterfaceInfo *interfaces;", "(const InterfaceInfo[])"),
      declared(OBJECT_H, "InterfaceInfo *interfaces;", "(InterfaceInfo[])"),
    ],
  },
};

const RELEASE_HINT =
  `pass the top of a QEMU ${OLDEST_QEMU.slice(0, 2).join(".")} or newer source tree to --qemu-src, ` +
  "or omit it to let devgen fetch one (--qemu 7.2 or newer)";
const UNKNOWN_SPELLING_HINT =
  "devgen patches a QEMU tree only when its headers say how to spell each API the glue uses; the tree was left untouched " +
  "(a new spelling is a new alternative in src/integrate/qemu-probes.ts)";

/** The release in VERSION ("10.2.2"), or why the tree cannot be used. */
export function probeRelease(read: TreeReader): { version: string } | { problem: string } {
  const text = read("VERSION");
  if (text === null) return { problem: "probe release: no VERSION file (not the top of a QEMU source tree)" };
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!m) return { problem: `probe release: VERSION holds \`${text.trim()}\`, not MAJOR.MINOR.MICRO` };
  const parts = m.slice(1).map(Number);
  const older = parts.findIndex((n, i) => n !== OLDEST_QEMU[i]!);
  if (older >= 0 && parts[older]! < OLDEST_QEMU[older]!) {
    return { problem: `probe release: VERSION holds ${m[0]}, older than ${OLDEST_QEMU.join(".")}, the oldest QEMU devgen supports` };
  }
  return { version: m[0] };
}

export interface ProbedQemu {
  target: QemuTarget;
  outcomes: ProbeOutcome<unknown>[];
}

/** The tree's QemuTarget, or an error naming every probe that could not decide. */
export function probeQemuTree(read: TreeReader, tree: string): ProbedQemu {
  const release = probeRelease(read);
  if ("problem" in release) throw new DevgenError([{ location: null, message: `${tree}: ${release.problem}`, hint: RELEASE_HINT }]);
  const { values, outcomes } = runProbes(QEMU_PROBES, read, tree, UNKNOWN_SPELLING_HINT);
  return { target: { version: release.version, ...values }, outcomes };
}
