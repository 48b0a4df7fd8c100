/**
 * The PCI IDs a QEMU tree already assigns, read from its include/hw/pci/pci.h: a device
 * must not answer to one (the guest would bind the other device's driver). devgen's own
 * table (compile/pci-ids.ts) knows QEMU's assignments when it was written; the tree knows
 * those made since.
 */
import type { CompiledDevice } from "../compile/index.js";
import { formatPciId } from "../compile/pci-ids.js";
import { DevgenError } from "../util/diagnostics.js";
import type { TreeReader } from "./tree-probe.js";

const PCI_IDS_HEADER = "include/hw/pci/pci.h";

/** `PCI_DEVICE_ID_<VENDOR>_<NAME>` by vendor:device, each vendor's the longest `PCI_VENDOR_ID_<VENDOR>` its name starts with. */
export function assignedPciIds(header: string): Map<string, string> {
  const defines = (kind: string) => [...header.matchAll(new RegExp(`^#define\\s+PCI_${kind}_ID_(\\w+)\\s+0x([0-9a-fA-F]+)\\b`, "gm"))];
  const vendors = defines("VENDOR")
    .map((m) => ({ name: m[1]!, id: parseInt(m[2]!, 16) }))
    .sort((a, b) => b.name.length - a.name.length);
  const assigned = new Map<string, string>();
  for (const [, name, id] of defines("DEVICE")) {
    const vendor = vendors.find((v) => name!.startsWith(`${v.name}_`));
    if (vendor) assigned.set(formatPciId(vendor.id, parseInt(id!, 16)), `PCI_DEVICE_ID_${name}`);
  }
  return assigned;
}

/** Refuses, before anything is written, a device whose PCI ID the tree assigns to another. */
export function checkTreePciIds(read: TreeReader, tree: string, devices: readonly CompiledDevice[]): void {
  const header = read(PCI_IDS_HEADER);
  if (header === null) return;
  const assigned = assignedPciIds(header);
  const clashes = devices.flatMap(({ device }) => {
    const id = formatPciId(device.pci.vendorId, device.pci.deviceId);
    const define = assigned.get(id);
    return define ? [{ location: null, message: `${device.name}: PCI ID ${id} is ${define} in ${tree}/${PCI_IDS_HEADER}`, hint: "give the device an ID the tree does not assign; for experiments 1af4:10f0..10ff" }] : [];
  });
  if (clashes.length) throw new DevgenError(clashes);
}
