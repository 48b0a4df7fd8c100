/**
 * The overrun typed accessors exist to prevent, caught where a hooks.c written before them
 * (or past them) still indexes the state array by hand: `s->regs[XCHE_DATA_OUT]` takes
 * DATA_OUT's byte offset (0x14) for its index (5). It compiles without a warning (kernel
 * builds pass -Wno-array-bounds) and writes past the device's heap object in the host
 * kernel on the guest's first access.
 */
import { registerStem } from "../ir/names.js";
import type { Device } from "../ir/types.js";
import type { Diagnostic } from "../util/diagnostics.js";
import { positionIn, withoutComments, type HooksFile } from "./hooks-file.js";

export function checkHooksOffsets(device: Device, hooks: HooksFile): Diagnostic[] {
  const offsets = new Map(
    device.registers
      .filter((r) => r.arrayIndex === null || r.arrayIndex === 0)
      .map((r) => [registerStem(device, r), r] as const),
  );
  const code = withoutComments(hooks.text);
  const diagnostics: Diagnostic[] = [];
  for (const match of code.matchAll(/\bregs\s*\[\s*(\w+)/g)) {
    const r = offsets.get(match[1]!);
    if (!r) continue;
    const name = (r.arrayName ?? r.name).toLowerCase();
    const accessors = r.arrayName === null ? `${device.name}_get_${name}(s)` : `${device.name}_get_${name}(s, n)`;
    diagnostics.push({
      location: { file: hooks.path, ...positionIn(code, match.index! + match[0].indexOf(match[1]!)) },
      message: `${match[1]} is ${r.arrayName ?? r.name}'s byte offset (0x${r.offset.toString(16)}), not its index in regs[]: this access overruns the device's state`,
      hint: `use the accessors of ${device.name}_core.h, ${accessors} and ${accessors.replace("_get_", "_set_").replace(")", ", val)")}`,
    });
  }
  return diagnostics;
}
