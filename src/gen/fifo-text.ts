/**
 * How the docs, the HTML page and the register map put a FIFO storage and its data ports
 * into words: one place, so they say the same thing.
 */
import type { Device, Register, Storage } from "../ir/types.js";

/** What an access to a FIFO's data port does: "reads pop RXQ (16 entries; empty, 0)". */
export function fifoPortText(r: Register): string {
  const store = r.fifo!;
  const does = [
    r.masks.readable ? "a read pops its oldest entry (an empty queue reads 0)" : null,
    r.masks.writable ? `a write pushes the value (a full queue drops it${store.fifo!.overrun ? ` and sets ${store.fifo!.overrun.label}` : ""})` : null,
  ].filter((s) => s !== null);
  return `FIFO ${store.name} of ${store.count} entries: ${does.join("; ") || "reaches it neither way (no readable or writable bits)"}`;
}

/** The status fields a FIFO keeps, as a sentence, or null when it keeps none. */
export function fifoStatusText(store: Storage, code: (s: string) => string): string {
  const fifo = store.fifo!;
  const kept = [
    fifo.notEmpty ? `${code(fifo.notEmpty.label)} is set while it holds an entry` : null,
    fifo.full ? `${code(fifo.full.label)} while it is full` : null,
    fifo.levelField ? `${code(fifo.levelField.label)} holds how many it holds` : null,
    fifo.overrun ? `${code(fifo.overrun.label)} is set when a push finds it full (the value is dropped)` : null,
  ].filter((s) => s !== null);
  return `${code(store.name)} is a FIFO of ${store.count} entries, empty after reset; a pop of an empty one returns 0 and changes nothing${kept.length ? `. ${kept.join("; ")}` : ""}. Its head and level follow its entries in the state array.`;
}

/** The registers and hook functions reaching a FIFO. */
export function fifoReach(device: Device, store: Storage, code: (s: string) => string): string[] {
  const ports = device.registers
    .filter((r) => r.fifo === store)
    .map((r) => `${r.name} (${[r.masks.readable ? "pops" : null, r.masks.writable ? "pushes" : null].filter((s) => s).join(", ") || "neither"})`);
  const stem = store.name.toLowerCase();
  const hooks = [`push_${stem}`, `pop_${stem}`, `get_${stem}`].map((f) => code(`${device.name}_${f}()`));
  return [...ports, ...(device.hooks.length ? [`hooks (${hooks.join(", ")})`] : [])];
}
