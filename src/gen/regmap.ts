/**
 * The register map as C `#define`s: offsets, field masks and shifts, enumerated values.
 * Shared by the core header and the guest driver header so both spell the same names.
 */
import { arrayElements, declaredRegisters } from "../ir/arrays.js";
import { offsetExpression, registerStem, fieldMacro, valueMacro } from "../ir/names.js";
import type { Device, Register } from "../ir/types.js";
import { cComment, cConst, cHex, commentText, defineLine } from "./c.js";
import { fifoPortText } from "./fifo-text.js";
import { LazyViews, render } from "./render.js";

interface RegmapBlock {
  comment: string;
  defines: string[];
}

const textOf = new WeakMap<Device, string>();

/**
 * `partials/regmap.hbs` for the device, rendered once: the core header and the guest header
 * print the same text (70,000 lines on 10,000 registers). Without its last line break, as
 * the templates print it on a line of its own.
 */
export function regmapText(device: Device): string {
  let text = textOf.get(device);
  if (text === undefined) {
    const firsts = declaredRegisters(device);
    const regmap = new LazyViews(firsts, (r) => registerBlock(device, r));
    text = render("partials/regmap.hbs", { deviceDefines: deviceDefines(device), regmap }).replace(/\n$/, "");
    textOf.set(device, text);
  }
  return text;
}

/** A register's block, or an array's (`r` its first element). */
function registerBlock(device: Device, r: Register): RegmapBlock {
  const stem = registerStem(device, r);
  const defines: string[] = [];
  let title = r.name;
  if (r.arrayName !== null) {
    const elements = arrayElements(device, r);
    const stride = elements.length > 1 ? elements[1]!.offset - r.offset : r.bytes;
    title = `${r.arrayName}_0..${r.arrayName}_${elements.length - 1}`;
    defines.push(defineLine(`${stem}(n)`, `(${cHex(r.offset)} + (n) * ${cHex(stride)})`));
    defines.push(defineLine(`${stem}_COUNT`, String(elements.length)));
  } else {
    defines.push(defineLine(offsetExpression(device, r), cHex(r.offset)));
  }
  for (const f of r.fields) {
    const macro = fieldMacro(device, r, f);
    defines.push(defineLine(macro, cConst(f.mask, r.width)));
    if (f.width > 1) defines.push(defineLine(`${macro}_SHIFT`, String(f.lsb)));
    for (const v of f.values) {
      defines.push(defineLine(valueMacro(device, r, f, v.name), cConst(v.value, r.width)));
    }
  }
  if (r.fifo) defines.push(defineLine(`${stem}_FIFO_DEPTH`, String(r.fifo.count)));
  const description = commentText(r.description);
  const fifo = r.fifo ? `; the data port of ${fifoPortText(r)}` : "";
  return {
    comment: cComment(`${title}: ${r.width}-bit${description ? `, ${description}` : ""}${fifo}`),
    defines,
  };
}

function deviceDefines(device: Device): string[] {
  return [
    defineLine(`${device.prefix}_BAR_INDEX`, String(device.bar.index)),
    defineLine(`${device.prefix}_BAR_SIZE`, cHex(device.bar.size)),
    defineLine(`${device.prefix}_DECODE_MASK`, cHex(device.bar.decodeMask)),
  ];
}
