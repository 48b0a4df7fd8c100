/**
 * The C names every backend uses for a device's registers and fields, in one place so the
 * core, the guest header and the glue agree, and validation can refuse collisions.
 */
import type { Device, Field, Register, Storage } from "./types.js";

/** Array elements share their array's macros: `XCHE_DATA(n)`, `XCHE_DATA_VALID`. */
export function registerStem(device: Device, r: Register): string {
  return `${device.prefix}_${r.arrayName ?? r.name}`;
}

export function offsetExpression(device: Device, r: Register): string {
  return r.arrayName === null ? registerStem(device, r) : `${registerStem(device, r)}(${r.arrayIndex})`;
}

export function fieldMacro(device: Device, r: Register, f: Field): string {
  return `${registerStem(device, r)}_${f.name}`;
}

export function valueMacro(device: Device, r: Register, f: Field, valueName: string): string {
  return `${fieldMacro(device, r, f)}_${valueName}`;
}

/** Entry 0 of a storage in the core's state array; `<macro>_COUNT` is its length. */
export function storageMacro(device: Device, storage: Storage): string {
  return `${device.prefix}_STORE_${storage.name}`;
}

/** The register's index in the core's state array. */
export function indexName(device: Device, r: Register): string {
  return `${device.prefix}_REG_${r.name}`;
}

export interface MacroUse {
  name: string;
  register: Register;
}

/** Every name the generated headers define, with the register that defines it. */
export function definedNames(device: Device): MacroUse[] {
  const names: MacroUse[] = [];
  for (const r of device.registers) {
    names.push({ name: indexName(device, r), register: r });
    if (r.arrayIndex !== null && r.arrayIndex > 0) continue;
    const stem = registerStem(device, r);
    names.push({ name: stem, register: r });
    if (r.arrayName !== null) names.push({ name: `${stem}_COUNT`, register: r });
    for (const f of r.fields) {
      names.push({ name: fieldMacro(device, r, f), register: r });
      if (f.width > 1) names.push({ name: `${fieldMacro(device, r, f)}_SHIFT`, register: r });
      for (const v of f.values) names.push({ name: valueMacro(device, r, f, v.name), register: r });
    }
  }
  return names;
}
