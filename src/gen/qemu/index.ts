/**
 * qemu/: the QEMU PCI device (`hw/misc/<name>.c`) around the core, with its build wiring
 * and the kernel ABI block for QEMU's `linux-headers/linux/kvm.h`.
 *
 * The device emulates the registers with the core, and when KVM has the in-kernel device
 * (`KVM_CAP_<NAME>`) hands the BAR to it: create at realize, tell it where the guest put
 * the BAR and which GSI pin A reaches, and copy the registers around migration.
 *
 * What differs between QEMU releases is data (`QemuTarget`), not template logic, so the
 * tree integration can render the same device for the tree it patches.
 */
import type { Device } from "../../ir/types.js";
import { cHex } from "../c.js";
import { render } from "../render.js";
import { wrapCalls } from "../wrap-calls.js";
import type { Generator } from "../types.js";
import { uapiBlock } from "../uapi.js";
import type { QemuReset, QemuTarget } from "./target.js";

export const generateQemu: Generator = ({ device, hooks, targets }) => [
  { path: `qemu/${device.name}.c`, contents: renderQemuDevice(device, targets.qemu) },
  { path: `qemu/${device.name}_linux_headers.h`, contents: uapiBlock(device) },
  { path: "qemu/meson.build.snippet", contents: mesonSnippet(device, hooks !== null) },
  { path: "qemu/Kconfig.snippet", contents: render("qemu/Kconfig.snippet.hbs", { config: device.prefix }) },
];

/** QEMU's 80 columns, whatever the device's name: its checkpatch warns past them. */
export function renderQemuDevice(device: Device, target: QemuTarget): string {
  return wrapCalls(render("qemu/device.c.hbs", qemuView(device, target)), 80, "    ");
}

/**
 * The device's files in `hw/misc/meson.build`. `specific_ss`: the glue tests `CONFIG_KVM`
 * and calls `kvm_vm_ioctl`, which only per-target objects may (common objects see
 * CONFIG_KVM poisoned); the core and hooks go with it so one line wires the device.
 */
export function mesonSnippet(device: Device, hasHooks: boolean): string {
  const sources = [`${device.name}.c`, `${device.name}_core.c`, ...(hasHooks ? [`${device.name}_hooks.c`] : [])];
  return render("qemu/meson.build.snippet.hbs", {
    config: device.prefix,
    files: sources.map((f) => `'${f}'`).join(", "),
  });
}

/** `xche` -> `Xche`, `my_dev` -> `MyDev`: QEMU's CamelCase for type names. */
/** The name of the BAR's MemoryRegion: what QEMU's memory_region_ops_* trace events show. */
export function qemuBarRegionName(device: Device): string {
  return `${device.name}-${device.bar.space === "io" ? "io" : "mmio"}`;
}

function camel(name: string): string {
  return name
    .split(/[_-]/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

export function qemuView(device: Device, target: QemuTarget) {
  const n = device.name;
  const p = device.prefix;
  const minSize = device.busSizes[0]!;
  const maxSize = device.busSizes[device.busSizes.length - 1]!;
  return {
    name: n,
    prefix: p,
    title: `${n}: QEMU PCI device`,
    source: device.source,
    /** A C string literal. */
    description: cString(device.description || device.name),
    target,
    reset: resetView(target.reset),
    typeMacro: `TYPE_${p}`,
    state: `${camel(n)}State`,
    checker: p,
    bar: {
      index: `${p}_BAR_INDEX`,
      size: `${p}_BAR_SIZE`,
      space: device.bar.space === "io" ? "PCI_BASE_ADDRESS_SPACE_IO" : "PCI_BASE_ADDRESS_SPACE_MEMORY",
      regionName: qemuBarRegionName(device),
    },
    access: { min: minSize, max: maxSize },
    pci: {
      vendorId: hex4(device.pci.vendorId),
      deviceId: hex4(device.pci.deviceId),
      subsystemVendorId: hex4(device.pci.subsystemVendorId),
      subsystemId: hex4(device.pci.subsystemId),
      classId: hex4(device.pci.classCode),
      revision: cHex(device.pci.revision),
    },
    kvm: {
      ...kvmApiView(device),
      unmapped: `KVM_${p}_UNMAPPED`,
      noGsi: `KVM_${p}_NO_GSI`,
      config: `kvm_${n}_config`,
      stateStruct: `kvm_${n}_state`,
    },
    keepsStorage: device.storage.some((store) => store.keepOnReset),
    /** Pin A when the device has an interrupt; no pin, no INTx routing otherwise. */
    irq: device.interrupt ? { pin: 1 } : null,
    gsi: device.interrupt ? `${n}_kvm_gsi(s)` : "0",
  };
}

/**
 * How the glue reaches the in-kernel device: VM ioctls, or attribute 0 of a group on the
 * device's fd. Names are for messages; calls are C expressions yielding 0 or -errno.
 */
function kvmApiView(device: Device) {
  const { api } = device.kvm;
  if (api.kind === "ioctl") {
    return {
      partial: "qemu-vm-ioctls",
      deviceApi: false,
      create: api.create.name,
      configure: api.configure.name,
      getState: api.getState.name,
      setState: api.setState.name,
      absent: `!kvm_check_extension(kvm_state, ${api.capability.name})`,
      offered: api.capability.name,
      configureCall: `kvm_vm_ioctl(kvm_state, ${api.configure.name}, &config)`,
      getStateCall: `kvm_vm_ioctl(kvm_state, ${api.getState.name}, &state)`,
      setStateCall: `kvm_vm_ioctl(kvm_state, ${api.setState.name}, &state)`,
    };
  }
  const attr = (request: string, group: string, data: string) => `${device.name}_kvm_attr(s, ${request}, ${group}, ${data})`;
  return {
    partial: "qemu-device-attrs",
    deviceApi: true,
    type: api.type.name,
    noGsiAtCreate: device.interrupt ? `KVM_${device.prefix}_NO_GSI` : "0",
    create: `KVM_CREATE_DEVICE(${api.type.name})`,
    configure: `KVM_SET_DEVICE_ATTR(${api.configGroup.name})`,
    getState: `KVM_GET_DEVICE_ATTR(${api.stateGroup.name})`,
    setState: `KVM_SET_DEVICE_ATTR(${api.stateGroup.name})`,
    absent: `${device.name}_kvm_create_device(true) < 0`,
    offered: api.type.name,
    configureCall: attr("KVM_SET_DEVICE_ATTR", api.configGroup.name, "&config"),
    getStateCall: attr("KVM_GET_DEVICE_ATTR", api.stateGroup.name, "&state"),
    setStateCall: attr("KVM_SET_DEVICE_ATTR", api.stateGroup.name, "&state"),
  };
}

/** The reset function's parameters, the object it resets, and the class member it goes into. */
function resetView(reset: QemuReset) {
  if (reset.hook === "legacy-member") return { parameters: "DeviceState *dev", subject: "dev", holdPhase: false };
  return { parameters: reset.parameters, subject: "obj", holdPhase: true };
}

function cString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\s+/g, " ")}"`;
}

function hex4(value: number): string {
  return `0x${value.toString(16).padStart(4, "0")}`;
}
