/** One section per register or array: where it is, its fields msb first, and what reading and writing it do. */
import { reservedRanges } from "../../ir/access.js";
import { offsetExpression, registerStem } from "../../ir/names.js";
import type { Device, Field, Policy, Register } from "../../ir/types.js";
import { LazyViews } from "../render.js";
import { registerAccess } from "./access-rules.js";
import type { InterruptRegisters } from "./interrupt.js";
import { elementOffsets, type Group, type Layout } from "./register-groups.js";
import { bitRange, cell, code, hexPad, sentence, small } from "./markdown.js";
import { RESERVED_TEXT, accessEffects, actionSentence, policyRules, samePolicy } from "./semantics.js";
import { fifoPortText } from "../fifo-text.js";

/** A section's heading; the map links to the section through `anchor` of this same text. */
export function sectionHeading(g: Group, digits: number): string {
  return `${g.title} (${hexPad(g.first.offset, digits)})`;
}

/** Sections state the access-size policy only where it differs from `policy`, the one the page states for all. */
export function registerSections(device: Device, { groups, digits }: Layout, policy: Policy, irq: InterruptRegisters | null) {
  const status = irq?.status ?? null;
  const enable = irq?.enable ?? null;
  return new LazyViews(groups, (g) => {
    const r = g.first;
    const isArray = g.elements.length > 1;
    const facts = [
      isArray
        ? `Offsets ${code(`${hexPad(r.offset, digits)} + n * ${hexPad(g.stride, 1)}`)} for n = 0..${g.elements.length - 1} ` +
          `(${code(`${registerStem(device, r)}(n)`)}, ${code(`${registerStem(device, r)}_COUNT`)} = ${g.elements.length}): ${elementOffsets(g, digits)}.`
        : `Offset ${code(hexPad(r.offset, digits))} (${code(offsetExpression(device, r))}), ${r.width} bits, reset ${code(hexPad(r.reset, r.width / 4))}.`,
    ];
    if (isArray) facts.push(`Each element: ${r.width} bits, reset ${code(hexPad(r.reset, r.width / 4))}.`);
    if (r.fields.length === 0) facts.push(`No fields: the whole register is ${code(registerAccess(r))}.`);
    if (r.bank) facts.push(bankFact(device, r));
    if (r.indirect) facts.push(indirectFact(r));
    if (r.fifo) facts.push(`Holds nothing of its own: the data port of ${fifoPortText(r)}.`);
    const effects = [...accessEffects(r), ...relationEffects(r)];
    const gate = device.interrupt?.gate ?? null;
    const gated = gate ? ` and ${code(gate.label)} is non-zero` : "";
    if (status === r) effects.push(`Drives the interrupt: the line is asserted while a bit here and the same bit of ${enable!.name} are both set${gated}.`);
    if (enable === r) effects.push(`Enables each interrupt cause of ${status!.name}, bit by bit.`);
    for (const a of r.onRead) effects.push(actionSentence(device, r, a, "read"));
    for (const a of r.onWrite) effects.push(actionSentence(device, r, a, "write"));
    return {
      heading: sectionHeading(g, digits),
      description: sentence(r.description) || null,
      facts,
      policyRules: samePolicy(r.policy, policy) ? null : policyRules(r.policy, device.busSizes),
      fields: r.fields.length ? fieldRows(r, enable === r ? status : null) : null,
      effects,
    };
  });
}

/** "Decoded only while `LCR.DLAB` is 1; otherwise these bytes are DATA." */
function bankFact(device: Device, r: Register): string {
  const { select, value } = r.bank!;
  const others = device.registers.filter((o) => o !== r && o.offset === r.offset && o.bank).map((o) => `${o.name} (${small(o.bank!.value)})`);
  return `Decoded only while ${code(select.label)} is ${small(value)}${others.length ? `; its other values select ${others.join(", ")}` : ""}.`;
}

/** "Reaches `NVRAM[INDEX.ADDR]`…" */
function indirectFact(r: Register): string {
  const { storage, index, autoIncrement } = r.indirect!;
  const moves = autoIncrement ? `; each access moves ${code(index.label)} on by one, wrapping within the field` : "";
  return `Holds nothing of its own: reaches ${code(`${storage.name}[${index.label}]`)} (${storage.count} entries); an index past the last entry reads 0 and drops writes${moves}.`;
}

/** Write enables and locks, and fields that hold only their listed values. */
function relationEffects(r: Register): string[] {
  const effects: string[] = [];
  const bitsOf = (mask: bigint): string => {
    const named = r.fields.filter((f) => f.mask & mask).map((f) => f.name);
    return named.length === 0 || (mask & r.masks.defined) === r.masks.defined ? "the register" : named.join(", ");
  };
  for (const once of r.writeOnce) {
    effects.push(`${bitsOf(once.mask)} ${once.mask === r.masks.defined ? "is" : "are"} write-once: the first write since reset is kept, and later writes leave ${once.mask === r.masks.defined ? "it" : "them"} as ${once.mask === r.masks.defined ? "it was" : "they were"} until the next reset.`);
  }
  for (const gate of r.writeGates.filter((g) => !g.once)) {
    const by = code(gate.by.label);
    effects.push(
      gate.writableWhile === "set"
        ? `Writes change ${bitsOf(gate.mask)} only while ${by} is non-zero; otherwise they leave it as it was.`
        : `${by} locks ${bitsOf(gate.mask)}: while it is non-zero, writes leave it as it was.`,
    );
  }
  for (const f of r.fields.filter((field) => field.onlyValues)) {
    effects.push(`${code(f.name)} holds only its listed values: a write of another value leaves it as it was.`);
  }
  return effects;
}

/** Bit-field rows, msb first, reserved ranges included; `enables` when `r` is the interrupt enable. */
function fieldRows(r: Register, enables: Register | null) {
  const rows: { lsb: number; bits: string; name: string; access: string; reset: string; description: string; values: string }[] = [];
  const valueName = (f: Field, v: bigint) => f.values.find((e) => e.value === v)?.name;
  for (const f of r.fields) {
    const resetName = valueName(f, f.reset);
    rows.push({
      lsb: f.lsb,
      bits: bitRange(f.msb, f.lsb),
      name: code(f.name),
      access: f.access,
      reset: cell(resetName ? `${small(f.reset)} (${resetName})` : small(f.reset)),
      description: cell(f.description || enableText(f, enables)),
      values: f.values.length ? cell(f.values.map((v) => `${small(v.value)} = ${v.name}`).join(", ")) : "",
    });
  }
  for (const { msb, lsb } of reservedRanges(r)) {
    rows.push({ lsb, bits: bitRange(msb, lsb), name: "—", access: "reserved", reset: "0", description: RESERVED_TEXT, values: "" });
  }
  return rows.sort((a, b) => b.lsb - a.lsb);
}

/** The default description of an interrupt enable field: the cause it enables. */
function enableText(f: Field, status: Register | null): string {
  if (!status) return "";
  const cause = status.fields.find((c) => c.mask & f.mask);
  return `Enables ${cause ? `${status.name}.${cause.name}` : `${status.name}[${bitRange(f.msb, f.lsb)}]`}`;
}
