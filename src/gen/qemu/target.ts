/**
 * The QEMU API spellings that changed between releases. The tree integration reads each
 * one from the tree it patches (integrate/qemu-probes.ts); only `devgen generate`, which has
 * no tree at hand, uses a fixed target.
 */
export interface QemuTarget {
  /** The release, for messages and for how its tree is configured: "7.2", "10.2.2". */
  version: string;
  /** Where `PCIDevice` is declared: `hw/pci/pci.h` until 7.2, `hw/pci/pci_device.h` from 8.0. */
  pciHeader: string;
  /** Where the qdev property macros live: `hw/qdev-properties.h`, or `hw/core/qdev-properties.h` on QEMU's master. */
  qdevPropertiesHeader: string;
  /** Where `kvm_vm_ioctl` is declared: `sysemu/kvm.h` until 9.2, `system/kvm.h` from 10.0. */
  kvmHeader: string;
  /** Where `vm_stop` is declared: `sysemu/runstate.h` until 9.2, `system/runstate.h` from 10.0. */
  runstateHeader: string;
  /** `static Property` while device_class_set_props takes `Property *`, `static const Property` once it takes `const Property *`. */
  propertyQualifier: string;
  /** Whether `DEFINE_PROP_END_OF_LIST()` terminates property arrays; 10.0 counts them instead. */
  propertyListEnd: boolean;
  /** The `data` parameter of class_init: `void *data` until 10.0, `const void *data` from 10.1. */
  classInitData: string;
  /** How reset is hooked into the class. */
  reset: QemuReset;
  /** The compound literal of `VMStateDescription.fields`: `(const VMStateField[])` once the member is const. */
  vmstateFieldsCast: string;
  /** The compound literal of `TypeInfo.interfaces`: `(const InterfaceInfo[])` from 10.1. */
  interfacesCast: string;
}

/**
 * DeviceClass's legacy `reset` member, or the hold phase of the Resettable interface (what
 * QEMU asks new devices to use), whose parameters gained `ResetType type` in 9.0.
 */
export type QemuReset =
  | { hook: "legacy-member" }
  /** `parameters`: the hold phase's, the object first as `Object *obj`. */
  | { hook: "hold-phase"; parameters: string };

/**
 * What `devgen generate` writes the example glue with: QEMU 7.2's spellings as devgen first
 * wrote them, which the committed outputs under generated/ keep. The tree integration
 * renders with what the tree's headers say instead.
 */
export const DEFAULT_QEMU_TARGET: QemuTarget = {
  version: "7.2",
  pciHeader: "hw/pci/pci.h",
  kvmHeader: "sysemu/kvm.h",
  runstateHeader: "sysemu/runstate.h",
  qdevPropertiesHeader: "hw/qdev-properties.h",
  propertyQualifier: "static Property",
  propertyListEnd: true,
  classInitData: "void *data",
  reset: { hook: "legacy-member" },
  vmstateFieldsCast: "(VMStateField[])",
  interfacesCast: "(InterfaceInfo[])",
};
