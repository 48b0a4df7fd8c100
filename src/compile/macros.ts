/** Generated C names must be unique: `CTRL_MODE` the register and `CTRL.MODE` the field both want XCHE_CTRL_MODE. */
import type { Origins } from "./lowering.js";
import { definedNames, storageMacro } from "../ir/names.js";
import type { Device, Register } from "../ir/types.js";
import type { Reporter } from "../util/diagnostics.js";

const FIXED_SUFFIXES = [
  "NR_REGS", "BAR_SIZE", "DECODE_MASK", "BAR_INDEX", "CORE_H", "TYPES_H", "REGS_H", "VECTORS_H",
  "PCI_VENDOR_ID", "PCI_DEVICE_ID", "PCI_SUBSYSTEM_VENDOR_ID", "PCI_SUBSYSTEM_ID", "PCI_CLASS", "PCI_REVISION",
  "ACCESS_LANES", "ACCESS_IGNORE", "ACCESS_ERROR", "VEC_RESET", "VEC_READ", "VEC_WRITE", "VEC_IRQ", "NR_VECTORS",
  "NR_STATE", "STATE_LAYOUT",
];

export function checkMacroNames(device: Device, origins: Origins, report: Reporter): void {
  const seen = new Map<string, Register | null>(FIXED_SUFFIXES.map((s) => [`${device.prefix}_${s}`, null]));
  const storageOf = new Map<string, string>();
  for (const store of device.storage) {
    const macro = storageMacro(device, store);
    for (const name of [macro, `${macro}_COUNT`, ...(store.fifo ? [`${macro}_HEAD`, `${macro}_LEVEL`] : [])]) {
      seen.set(name, null);
      storageOf.set(name, store.name);
    }
  }
  for (const { name, register } of definedNames(device)) {
    if (!seen.has(name)) {
      seen.set(name, register);
      continue;
    }
    const other = seen.get(name);
    if (other && other !== register && other.name === register.name) continue; // lower() reports duplicate names
    const store = storageOf.get(name);
    const what = other ? `also generated for register ${other.name}` : store ? `also generated for storage ${store}` : "reserved by devgen";
    report.error([...origins.register.get(register)!, "name"], `the C name ${name} for register ${register.name} is ${what}`, "rename the register or field so the generated names differ");
  }
}
