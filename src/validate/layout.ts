/** Rules between registers: alignment, staying inside the decode window, no overlaps. */
import type { Origins } from "../ir/lower.js";
import { hex } from "../ir/lower.js";
import type { Device } from "../ir/types.js";
import type { Reporter } from "../util/diagnostics.js";

export function checkLayout(device: Device, origins: Origins, report: Reporter): void {
  const window = device.bar.decodeMask + 1;
  // The register reaching furthest so far: one wide register can cover several after it.
  let reach: Device["registers"][number] | null = null;
  for (const r of device.registers) {
    const at = [...origins.register.get(r)!, "offset"];
    if (r.offset % r.bytes !== 0) {
      report.error(at, `register ${r.name} at ${hex(r.offset)} is not aligned to its ${r.bytes}-byte width`, `use an offset that is a multiple of ${r.bytes}`);
    }
    if (r.offset + r.bytes > window) {
      const where = window === device.bar.size ? `the ${hex(window)}-byte BAR` : `the ${hex(window)}-byte decode window (bar.decodeMask ${hex(device.bar.decodeMask)})`;
      report.error(at, `register ${r.name} at ${hex(r.offset)} lies outside ${where}`, "move it down or enlarge the BAR");
    }
    if (reach && r.offset < reach.offset + reach.bytes) {
      report.error(at, `register ${r.name} at ${hex(r.offset)} overlaps ${reach.name} (${hex(reach.offset)}..${hex(reach.offset + reach.bytes - 1)})`, `move it to ${hex(reach.offset + reach.bytes)} or later`);
    }
    if (!reach || r.offset + r.bytes > reach.offset + reach.bytes) reach = r;
  }
}
