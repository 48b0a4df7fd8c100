/**
 * The view of `<name>_regs.h`, the standalone C header a guest driver includes: the PCI IDs
 * and the register map, with the same names as the core's through `regmapText`.
 */
import type { Device } from "../../ir/types.js";
import { defineLine } from "../c.js";
import { banner } from "../core/index.js";
import { regmapText } from "../regmap.js";
import { hexPad } from "./markdown.js";

export function headerView(device: Device) {
  const id = (n: number) => hexPad(n, 4);
  return {
    name: device.name,
    guard: `${device.prefix}_REGS_H`,
    banner: banner(device, "register map for guest drivers"),
    barIndex: device.bar.index,
    barSpace: device.bar.space === "io" ? "port I/O" : "memory",
    pciDefines: [
      defineLine(`${device.prefix}_PCI_VENDOR_ID`, id(device.pci.vendorId)),
      defineLine(`${device.prefix}_PCI_DEVICE_ID`, id(device.pci.deviceId)),
      defineLine(`${device.prefix}_PCI_SUBSYSTEM_VENDOR_ID`, id(device.pci.subsystemVendorId)),
      defineLine(`${device.prefix}_PCI_SUBSYSTEM_ID`, id(device.pci.subsystemId)),
      defineLine(`${device.prefix}_PCI_CLASS`, id(device.pci.classCode)),
      defineLine(`${device.prefix}_PCI_REVISION`, hexPad(device.pci.revision, 2)),
    ],
    regmap: regmapText(device),
  };
}
