/**
 * What core.c needs of each FIFO storage: its push and pop (the only code that moves its
 * head and level), the statements keeping its status fields in step, and the data ports
 * whose reads pop and writes push. The semantics are src/reference/fifo-model.ts's.
 */
import { lowestBit } from "../../ir/bits.js";
import { fieldMacro, indexName, storageMacro } from "../../ir/names.js";
import type { BitTarget, Device } from "../../ir/types.js";
import { cConst } from "../c.js";
import { list } from "../docs/markdown.js";
import { C_TYPE } from "./accessors.js";

export function fifoNames(device: Device, storageName: string) {
  const stem = storageName.toLowerCase();
  return { push: `${device.name}_push_${stem}`, pop: `${device.name}_pop_${stem}`, status: `${device.name}_${stem}_status` };
}

export function fifoViews(device: Device) {
  const fifos = device.storage
    .filter((store) => store.fifo)
    .map((store) => {
      const fifo = store.fifo!;
      const macro = storageMacro(device, store);
      const status: string[] = [];
      if (fifo.notEmpty) status.push(...flag(device, fifo.notEmpty, "level"));
      if (fifo.full) status.push(...flag(device, fifo.full, `level == ${macro}_COUNT`));
      if (fifo.levelField) {
        const { reg, mask, shift } = place(device, fifo.levelField);
        status.push(`${reg} &= ~(u64)${mask};`, `${reg} |= level${shift ? ` << ${shift}` : ""};`);
      }
      const overrun = fifo.overrun ? `${place(device, fifo.overrun).reg} |= ${place(device, fifo.overrun).mask};` : null;
      const labels = [fifo.notEmpty, fifo.full, fifo.levelField].filter((f) => f).map((f) => f!.label);
      return {
        storage: store.name,
        type: C_TYPE[store.width],
        first: macro,
        count: `${macro}_COUNT`,
        head: `${macro}_HEAD`,
        level: `${macro}_LEVEL`,
        ...fifoNames(device, store.name),
        statusLines: status.length ? status : null,
        statusFollow: `${list(labels)} ${labels.length > 1 ? "follow" : "follows"}`,
        overrun,
        overrunLabel: fifo.overrun?.label ?? null,
      };
    });
  const ports = (readable: boolean) =>
    device.registers
      .filter((r) => r.fifo && (readable ? r.masks.readable : r.masks.writable))
      .map((r) => ({ index: indexName(device, r), ...fifoNames(device, r.fifo!.name) }));
  return { fifos, fifoReads: ports(true), fifoWrites: ports(false) };
}

/** `if (cond) R |= M; else R &= ~M;` over four lines, as kernel style wants it. */
function flag(device: Device, field: BitTarget, condition: string): string[] {
  const { reg, mask } = place(device, field);
  return [`if (${condition})`, `\t${reg} |= ${mask};`, "else", `\t${reg} &= ~(u64)${mask};`];
}

function place(device: Device, field: BitTarget) {
  const r = device.registers[field.register]!;
  const f = r.fields.find((candidate) => candidate.mask === field.mask);
  const shift = lowestBit(field.mask);
  return {
    reg: `s->regs[${indexName(device, r)}]`,
    mask: f ? fieldMacro(device, r, f) : cConst(field.mask, r.width),
    shift: shift === 0 ? "" : f && f.width > 1 ? `${fieldMacro(device, r, f)}_SHIFT` : String(shift),
  };
}
