/**
 * What each probe of src/integrate/qemu-probes.ts decides on each QEMU release devgen fetches:
 * the table the header excerpts (qemu-headers.ts) and Debian's real trees are checked against.
 */
import type { QemuTarget } from "../../src/gen/qemu/target.js";
import { QEMU_PROBES } from "../../src/integrate/qemu-probes.js";
import { QEMU_HEADERS } from "./qemu-headers.js";

export type Release = keyof typeof QEMU_HEADERS;
export type ProbedField = keyof typeof QEMU_PROBES;

export const RELEASES = Object.keys(QEMU_HEADERS) as Release[];
export const FIELDS = Object.keys(QEMU_PROBES) as ProbedField[];

export const EXPECTED: Record<Release, Omit<QemuTarget, "version">> = {
  "7.2": {
    pciHeader: "hw/pci/pci.h",
    kvmHeader: "sysemu/kvm.h",
    runstateHeader: "sysemu/runstate.h",
    qdevPropertiesHeader: "hw/qdev-properties.h",
    propertyQualifier: "static Property",
    propertyListEnd: true,
    classInitData: "void *data",
    reset: { hook: "hold-phase", parameters: "Object *obj" },
    vmstateFieldsCast: "(const VMStateField[])",
    interfacesCast: "(InterfaceInfo[])",
  },
  "10.0": {
    pciHeader: "hw/pci/pci_device.h",
    kvmHeader: "system/kvm.h",
    runstateHeader: "system/runstate.h",
    qdevPropertiesHeader: "hw/qdev-properties.h",
    propertyQualifier: "static const Property",
    propertyListEnd: false,
    classInitData: "void *data",
    reset: { hook: "hold-phase", parameters: "Object *obj, ResetType type" },
    vmstateFieldsCast: "(const VMStateField[])",
    interfacesCast: "(InterfaceInfo[])",
  },
  "10.2": {
    pciHeader: "hw/pci/pci_device.h",
    kvmHeader: "system/kvm.h",
    runstateHeader: "system/runstate.h",
    qdevPropertiesHeader: "hw/qdev-properties.h",
    propertyQualifier: "static const Property",
    propertyListEnd: false,
    classInitData: "const void *data",
    reset: { hook: "hold-phase", parameters: "Object *obj, ResetType type" },
    vmstateFieldsCast: "(const VMStateField[])",
    interfacesCast: "(const InterfaceInfo[])",
  },
};
