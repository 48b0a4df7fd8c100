/** How the page names the header's macros: the patterns, and an example a driver would write. */
import { fieldMacro, offsetExpression, valueMacro } from "../../ir/names.js";
import type { Device } from "../../ir/types.js";
import { code, list } from "./markdown.js";

export function macroNames(device: Device) {
  return {
    offset: code(`${device.prefix}_<REG>`),
    field: code(`${device.prefix}_<REG>_<FIELD>`),
    shift: code(`${device.prefix}_<REG>_<FIELD>_SHIFT`),
    value: code(`${device.prefix}_<REG>_<FIELD>_<VALUE>`),
    example: exampleMacros(device),
  };
}

/** A field with values if any, else any field: the names a driver would write first. */
function exampleMacros(device: Device): string {
  const r = device.registers.find((x) => x.fields.some((f) => f.values.length)) ?? device.registers.find((x) => x.fields.length);
  if (!r) return code(offsetExpression(device, device.registers[0]!));
  const f = r.fields.find((x) => x.values.length) ?? r.fields[0]!;
  const names = [offsetExpression(device, r), fieldMacro(device, r, f)];
  if (f.width > 1) names.push(`${fieldMacro(device, r, f)}_SHIFT`);
  if (f.values.length) names.push(valueMacro(device, r, f, f.values[0]!.name));
  return list(names.map(code));
}
