/**
 * The QEMU API spellings that differ between the releases devgen patches. What differs is
 * data, not template logic, so the same device renders for every tree.
 */

/** The QEMU API spellings that changed between the releases devgen targets. */
export interface QemuTarget {
  version: string;
  /** `hw/pci/pci.h` until 7.2; `PCIDevice` moved to `hw/pci/pci_device.h` in 8.0. */
  pciHeader: string;
  /** `sysemu/kvm.h` until 9.2; `system/kvm.h` from 10.0. */
  kvmHeader: string;
  /** `static Property` until 9.2; `static const Property` from 10.0. */
  propertyQualifier: string;
  /** `DEFINE_PROP_END_OF_LIST()` terminates property arrays until 9.2; 10.0 removed it. */
  propertyListEnd: boolean;
  /** The `data` parameter of class_init: `void *` until 10.0, `const void *` from 10.1. */
  classInitData: string;
  /** `dc->reset = fn;` until 9.1; `device_class_set_legacy_reset(dc, fn);` from 9.2. */
  legacyResetSetter: boolean;
  /** `(VMStateField[])` until 8.1; `(const VMStateField[])` from 8.2. */
  vmstateFieldsCast: string;
  /** `TypeInfo.interfaces` points to const from 10.1. */
  interfacesCast: string;
}

export const QEMU_TARGETS: Record<"7.2" | "10.0" | "10.1", QemuTarget> = {
  "7.2": {
    version: "7.2",
    pciHeader: "hw/pci/pci.h",
    kvmHeader: "sysemu/kvm.h",
    propertyQualifier: "static Property",
    propertyListEnd: true,
    classInitData: "void *data",
    legacyResetSetter: false,
    vmstateFieldsCast: "(VMStateField[])",
    interfacesCast: "(InterfaceInfo[])",
  },
  "10.0": {
    version: "10.0",
    pciHeader: "hw/pci/pci_device.h",
    kvmHeader: "system/kvm.h",
    propertyQualifier: "static const Property",
    propertyListEnd: false,
    classInitData: "void *data",
    legacyResetSetter: true,
    vmstateFieldsCast: "(const VMStateField[])",
    interfacesCast: "(InterfaceInfo[])",
  },
  "10.1": {
    version: "10.1",
    pciHeader: "hw/pci/pci_device.h",
    kvmHeader: "system/kvm.h",
    propertyQualifier: "static const Property",
    propertyListEnd: false,
    classInitData: "const void *data",
    legacyResetSetter: true,
    vmstateFieldsCast: "(const VMStateField[])",
    interfacesCast: "(const InterfaceInfo[])",
  },
};

/** The release `devgen generate` writes for; the tree integration re-renders for its tree. */
export const DEFAULT_QEMU_TARGET = QEMU_TARGETS["7.2"];
