/** The "Device" table at the top of the page: PCI identity, BAR, decoding, access sizes, interrupt, KVM. */
import type { Device } from "../../ir/types.js";
import type { InterruptRegisters } from "./interrupt.js";
import { cell, code, hexPad, list } from "./markdown.js";

/** PCI base classes (PCI Code and ID Assignment Specification), for the summary. */
const PCI_BASE_CLASSES: Record<number, string> = {
  0x00: "unclassified",
  0x01: "mass storage controller",
  0x02: "network controller",
  0x03: "display controller",
  0x04: "multimedia device",
  0x05: "memory controller",
  0x06: "bridge",
  0x07: "communication controller",
  0x08: "generic system peripheral",
  0x09: "input device controller",
  0x0a: "docking station",
  0x0b: "processor",
  0x0c: "serial bus controller",
  0x0d: "wireless controller",
  0x0e: "intelligent I/O controller",
  0x0f: "satellite communication controller",
  0x10: "encryption controller",
  0x11: "signal processing controller",
  0x12: "processing accelerator",
  0x13: "non-essential instrumentation",
  0xff: "device-specific: fits no defined class",
};

export function summaryRows(device: Device, window: number, irq: InterruptRegisters | null) {
  const { pci, bar } = device;
  return [
    { property: "PCI vendor:device", value: code(`${hexPad(pci.vendorId, 4).slice(2)}:${hexPad(pci.deviceId, 4).slice(2)}`) },
    { property: "Subsystem vendor:device", value: code(`${hexPad(pci.subsystemVendorId, 4).slice(2)}:${hexPad(pci.subsystemId, 4).slice(2)}`) },
    {
      property: "Class",
      value: cell(
        `${code(hexPad(pci.classCode, 4))}: base class ${hexPad(pci.classCode >> 8, 2)} (${PCI_BASE_CLASSES[pci.classCode >> 8] ?? "reserved"}), subclass ${hexPad(pci.classCode & 0xff, 2)}`,
      ),
    },
    { property: "Revision", value: code(hexPad(pci.revision, 2)) },
    {
      property: "BAR",
      value: `BAR ${bar.index}, ${bar.space === "io" ? "port I/O" : "memory (MMIO)"}, ${hexPad(bar.size, 1)} bytes`,
    },
    {
      property: "Decode mask",
      value:
        window === bar.size
          ? `${code(hexPad(bar.decodeMask, 1))}: no aliasing`
          : `${code(hexPad(bar.decodeMask, 1))}: a ${hexPad(window, 1)}-byte register window, repeated ${bar.size / window} times across the BAR`,
    },
    { property: "Access sizes", value: `${list(device.busSizes.map(String))} bytes` },
    {
      property: "Interrupt",
      value: irq ? `PCI INTx, level: asserted while ${code(`${irq.status.name} & ${irq.enable.name}`)} is non-zero` : "none",
    },
    {
      property: "KVM",
      value:
        device.kvm.api.kind === "ioctl"
          ? `${code(device.kvm.api.create.name)}, capability ${code(device.kvm.api.capability.name)} (${device.kvm.api.capability.number})`
          : `${code("KVM_CREATE_DEVICE")} of ${code(device.kvm.api.type.name)} (${device.kvm.api.type.number})`,
    },
  ];
}
