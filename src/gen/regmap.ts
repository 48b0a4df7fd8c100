/**
 * The register map as C `#define`s: offsets, field masks and shifts, enumerated values.
 * Shared by the core header and the guest driver header so both spell the same names.
 */
import { offsetExpression, registerStem, fieldMacro, valueMacro } from "../ir/names.js";
import type { Device } from "../ir/types.js";
import { cComment, cConst, cHex, commentText, defineLine } from "./c.js";

export interface RegmapBlock {
  comment: string;
  defines: string[];
}

const blocksOf = new WeakMap<Device, RegmapBlock[]>();

/** Made once per device: the core header and the guest header print the same blocks. */
export function regmapBlocks(device: Device): RegmapBlock[] {
  let blocks = blocksOf.get(device);
  if (!blocks) {
    blocks = registerBlocks(device);
    blocksOf.set(device, blocks);
  }
  return blocks;
}

function registerBlocks(device: Device): RegmapBlock[] {
  const blocks: RegmapBlock[] = [];
  for (const r of device.registers) {
    if (r.arrayIndex !== null && r.arrayIndex > 0) continue;
    const stem = registerStem(device, r);
    const defines: string[] = [];
    let title = r.name;
    if (r.arrayName !== null) {
      const elements = device.registers.filter((e) => e.arrayName === r.arrayName);
      const stride = elements.length > 1 ? elements[1]!.offset - r.offset : r.bytes;
      title = `${r.arrayName}_0..${r.arrayName}_${elements.length - 1}`;
      defines.push(defineLine(`${stem}(n)`, `(${cHex(r.offset)} + (n) * ${cHex(stride)})`));
      defines.push(defineLine(`${stem}_COUNT`, String(elements.length)));
    } else {
      defines.push(defineLine(offsetExpression(device, r), cHex(r.offset)));
    }
    for (const f of r.fields) {
      defines.push(defineLine(fieldMacro(device, r, f), cConst(f.mask, r.width)));
      if (f.width > 1) defines.push(defineLine(`${fieldMacro(device, r, f)}_SHIFT`, String(f.lsb)));
      for (const v of f.values) {
        defines.push(defineLine(valueMacro(device, r, f, v.name), cConst(v.value, r.width)));
      }
    }
    const description = commentText(r.description);
    blocks.push({
      comment: cComment(`${title}: ${r.width}-bit${description ? `, ${description}` : ""}`),
      defines,
    });
  }
  return blocks;
}

export function deviceDefines(device: Device): string[] {
  return [
    defineLine(`${device.prefix}_BAR_INDEX`, String(device.bar.index)),
    defineLine(`${device.prefix}_BAR_SIZE`, cHex(device.bar.size)),
    defineLine(`${device.prefix}_DECODE_MASK`, cHex(device.bar.decodeMask)),
  ];
}
