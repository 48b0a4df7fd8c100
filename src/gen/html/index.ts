/**
 * html/: the register map as one self-contained page (`docs/<name>.html`): inline CSS, no
 * script, no external font. The prose is the Markdown docs' (src/gen/docs, converted by
 * inlineHtml); this view adds what a table cannot show well: per register, a diagram of its
 * bits msb→lsb with the fields as coloured spans, their access kinds and the reset value.
 */
import { reservedRanges, wholeRegisterAccess } from "../../ir/access.js";
import { declaredRegisters } from "../../ir/arrays.js";
import type { AccessKind } from "../../dsl/types.js";
import type { Device, Field, Register } from "../../ir/types.js";
import { docsView } from "../docs/device-page.js";
import { anchor, bitRange, hexPad } from "../docs/markdown.js";
import type { Generator } from "../types.js";
import { inlineHtml, renderHtml } from "./html-render.js";

export const generateHtml: Generator = ({ device }) => [{ path: `docs/${device.name}.html`, contents: renderHtmlPage(device) }];

export function renderHtmlPage(device: Device): string {
  return renderHtml("html/page.html.hbs", htmlView(device));
}

/** Width of one bit cell in the diagram, in pixels (32 bits: 960 px). */
export const BIT_PX = 30;
/** Bits per diagram row: 64-bit registers get two rows. */
const ROW_BITS = 32;
/** Approximate width of a label character (12 px monospace) and the padding of a span. */
const CHAR_PX = 7.3;
const PAD_PX = 8;

export type SpanKind = AccessKind | "reserved";

export interface DiagramSpan {
  /** Grid column of the span's msb (column 1 holds the row labels). */
  column: number;
  span: number;
  msb: number;
  lsb: number;
  label: string;
  /** Hover text: name, bits, access, description. */
  title: string;
  kind: SpanKind;
  /** Show the access kind as a badge (not for reserved bits). */
  badge: boolean;
  /** The label does not fit across the span: it is written vertically. */
  vertical: boolean;
}

export interface DiagramRow {
  msb: number;
  lsb: number;
  columns: number;
  /** msb→lsb. */
  bits: { bit: number; column: number; reset: string; reserved: boolean; nibble: boolean }[];
  spans: DiagramSpan[];
  /** Height of the field row in pixels: taller when a label is vertical. */
  labelHeight: number;
}

interface Piece {
  msb: number;
  lsb: number;
  field: Field | null;
}

/** Fields and reserved ranges covering every bit, msb first. */
export function pieces(r: Register): Piece[] {
  const result: Piece[] = r.fields.map((f) => ({ msb: f.msb, lsb: f.lsb, field: f }));
  if (r.fields.length === 0) return [{ msb: r.width - 1, lsb: 0, field: null }];
  for (const { msb, lsb } of reservedRanges(r)) result.push({ msb, lsb, field: null });
  return result.sort((a, b) => b.lsb - a.lsb);
}


/** The name a span shows: the field's, with its own bit range when a row boundary cuts it. */
function spanLabel(r: Register, p: Piece, msb: number, lsb: number): string {
  if (!p.field && r.fields.length > 0) return (msb - lsb + 1) * BIT_PX >= 72 ? "reserved" : "";
  const name = p.field ? p.field.name : r.name;
  if (msb === p.msb && lsb === p.lsb) return name;
  return `${name}[${bitRange(msb - p.lsb, lsb - p.lsb)}]`;
}

export function diagramRows(r: Register): DiagramRow[] {
  const rows: DiagramRow[] = [];
  const all = pieces(r);
  for (let top = r.width - 1; top >= 0; top -= ROW_BITS) {
    const bottom = Math.max(0, top - ROW_BITS + 1);
    const columns = top - bottom + 1;
    // Column 1 is the row labels' gutter; bit `top` is column 2.
    const column = (bit: number) => top - bit + 2;
    const bits = [];
    for (let bit = top; bit >= bottom; bit--) {
      bits.push({
        bit,
        column: column(bit),
        reset: ((r.reset >> BigInt(bit)) & 1n).toString(),
        reserved: r.fields.length > 0 && !((r.masks.defined >> BigInt(bit)) & 1n),
        nibble: bit % 4 === 0 && bit !== bottom,
      });
    }
    const spans: DiagramSpan[] = [];
    for (const p of all) {
      const msb = Math.min(p.msb, top);
      const lsb = Math.max(p.lsb, bottom);
      if (msb < lsb) continue;
      const span = msb - lsb + 1;
      const label = spanLabel(r, p, msb, lsb);
      const kind: SpanKind = p.field ? p.field.access : r.fields.length === 0 ? wholeRegisterAccess(r) : "reserved";
      const bitsText = `[${bitRange(msb, lsb)}]`;
      const what = p.field ? `${p.field.access}${p.field.description ? `: ${p.field.description}` : ""}` : kind === "reserved" ? "reads as zero, writes ignored" : kind;
      spans.push({
        column: column(msb),
        span,
        msb,
        lsb,
        label,
        title: `${p.field ? p.field.name : label} ${bitsText} ${what}`.replace(/\s+/g, " "),
        kind,
        badge: kind !== "reserved",
        vertical: kind !== "reserved" && label.length * CHAR_PX + PAD_PX > span * BIT_PX,
      });
    }
    const longest = Math.max(0, ...spans.filter((s) => s.vertical).map((s) => s.label.length));
    rows.push({ msb: top, lsb: bottom, columns, bits, spans, labelHeight: longest ? Math.ceil(longest * CHAR_PX + 16) : 40 });
  }
  return rows;
}

/** `ro` from the Markdown's code span `` `ro` ``; "reserved" stays. */
function plainKind(kind: string): string {
  return kind.replace(/`/g, "");
}

export function htmlView(device: Device) {
  const docs = docsView(device);
  const sections = Array.from(docs.registers);
  const firsts = declaredRegisters(device);
  const digits = Math.max(2, device.bar.decodeMask.toString(16).length);
  const { pci, bar } = device;
  const irq = device.interrupt;
  return {
    name: device.name,
    title: docs.title,
    description: device.description,
    banner: docs.banner,
    sourceHtml: inlineHtml(docs.source),
    header: docs.header,
    createHtml: inlineHtml(docs.abi.create),
    chips: [
      { label: "PCI", value: `${hexPad(pci.vendorId, 4).slice(2)}:${hexPad(pci.deviceId, 4).slice(2)}` },
      { label: `BAR ${bar.index}`, value: `${bar.space === "io" ? "port I/O" : "MMIO"}, ${hexPad(bar.size, 1)} bytes` },
      { label: "window", value: `${hexPad(bar.decodeMask + 1, 1)} bytes` },
      { label: "registers", value: String(device.registers.length) },
      { label: "interrupt", value: irq ? "INTx, level" : "none" },
      { label: "KVM", value: device.kvm.api.kind === "ioctl" ? device.kvm.api.create.name : device.kvm.api.type.name },
    ],
    summary: docs.summary.map((s) => ({ property: s.property, valueHtml: inlineHtml(s.value) })),
    decodeHtml: inlineHtml(docs.decode),
    gapsHtml: docs.gaps ? inlineHtml(docs.gaps) : null,
    sizes: docs.sizes,
    policyScope: docs.policyScope,
    cutHtml: inlineHtml(docs.cut),
    policyRulesHtml: docs.policyRules.map(inlineHtml),
    accessKinds: docs.accessKinds.map((k) => ({ kind: plainKind(k.kind), readHtml: inlineHtml(k.read), writeHtml: inlineHtml(k.write) })),
    window: docs.window,
    macrosHtml: {
      offset: inlineHtml(docs.macros.offset),
      field: inlineHtml(docs.macros.field),
      shift: inlineHtml(docs.macros.shift),
      value: inlineHtml(docs.macros.value),
      example: inlineHtml(docs.macros.example),
    },
    mapRows: Array.from(docs.mapRows, (m) => ({
      offsetHtml: inlineHtml(m.offset),
      registerHtml: inlineHtml(m.register),
      width: m.width,
      accesses: m.access.split(", ").map(plainKind),
      resetHtml: inlineHtml(m.reset),
      descriptionHtml: inlineHtml(m.description),
      gap: m.register === "—",
    })),
    registers: firsts.map((r, i) => {
      const section = sections[i]!;
      const fieldRows = (section.fields ?? []).map((row) => {
        const field = r.fields.find((f) => f.lsb === row.lsb && row.access !== "reserved") ?? null;
        return {
          bits: row.bits,
          name: field ? field.name : "reserved",
          access: row.access,
          reserved: field === null,
          resetHtml: inlineHtml(row.reset),
          descriptionHtml: inlineHtml(row.description),
          values: field
            ? field.values.map((v) => ({ value: v.value < 10n ? v.value.toString() : hexPad(v.value, 1), name: v.name, reset: v.value === field.reset }))
            : [],
        };
      });
      const accesses = r.fields.length ? [...new Set(r.fields.map((f) => f.access))] : [wholeRegisterAccess(r)];
      return {
        id: anchor(section.heading),
        name: section.heading.replace(/ \(0x[0-9a-f]+\)$/, ""),
        offset: hexPad(r.offset, digits),
        width: r.width,
        reset: hexPad(r.reset, r.width / 4),
        accesses,
        descriptionHtml: section.description ? inlineHtml(section.description) : null,
        factsHtml: section.facts.map(inlineHtml),
        policyRulesHtml: section.policyRules ? section.policyRules.map(inlineHtml) : null,
        diagram: diagramRows(r),
        fields: fieldRows.length ? fieldRows : null,
        hasValues: fieldRows.some((f) => f.values.length > 0),
        effectsHtml: section.effects.map(inlineHtml),
      };
    }),
    storage: docs.storage.map((store) => ({
      nameHtml: inlineHtml(store.name),
      count: store.count,
      width: store.width,
      resetHtml: inlineHtml(store.reset),
      throughHtml: inlineHtml(store.through),
      descriptionHtml: inlineHtml(store.description),
    })),
    fifoNotesHtml: docs.fifoNotes.map(inlineHtml),
    interrupt: docs.interrupt
      ? {
          status: docs.interrupt.status,
          enable: docs.interrupt.enable,
          expressionHtml: inlineHtml(docs.interrupt.expression),
          acknowledgeHtml: inlineHtml(docs.interrupt.acknowledge),
          causes: docs.interrupt.causes.map((c) => ({
            bits: c.bits,
            causeHtml: inlineHtml(c.cause),
            enableHtml: inlineHtml(c.enable),
            macroHtml: inlineHtml(c.macro),
            descriptionHtml: inlineHtml(c.description),
          })),
        }
      : null,
    hooksFileHtml: inlineHtml(docs.hooksFile),
    hooks: docs.hooks.map((h) => ({
      nameHtml: inlineHtml(h.name),
      cNameHtml: inlineHtml(h.cName),
      whenHtml: inlineHtml(h.when),
      descriptionHtml: inlineHtml(h.description),
      modelHtml: inlineHtml(h.model),
    })),
    scenarios: docs.scenarios.map((s) => ({
      nameHtml: inlineHtml(s.name),
      descriptionHtml: inlineHtml(s.description),
      stepsHtml: inlineHtml(s.steps),
    })),
    abi: {
      uapi: docs.abi.uapi,
      busHtml: inlineHtml(docs.abi.busWords),
      ioctl: docs.abi.ioctl
        ? {
            capabilityHtml: inlineHtml(docs.abi.ioctl.capability.name),
            capabilityNumber: docs.abi.ioctl.capability.number,
            ioctls: docs.abi.ioctl.ioctls.map((x) => ({
              nameHtml: inlineHtml(x.name),
              definitionHtml: inlineHtml(x.definition),
              valueHtml: inlineHtml(x.value),
              directionHtml: inlineHtml(x.direction),
              purposeHtml: inlineHtml(x.purpose),
            })),
          }
        : null,
      device: docs.abi.device
        ? {
            typeHtml: inlineHtml(docs.abi.device.type.name),
            typeNumber: docs.abi.device.type.number,
            groups: docs.abi.device.groups.map((g) => ({ nameHtml: inlineHtml(g.name), number: g.number, structHtml: inlineHtml(g.struct), set: g.set, get: g.get })),
          }
        : null,
      configHtml: inlineHtml(docs.abi.config),
      stateHtml: inlineHtml(docs.abi.state),
      baseWordsHtml: inlineHtml(docs.abi.baseWords),
      gsiWordsHtml: inlineHtml(docs.abi.gsiWords),
      unmappedHtml: inlineHtml(docs.abi.unmapped),
      size: docs.abi.size,
      nrRegs: docs.abi.nrRegs,
      nrRegsHtml: inlineHtml(docs.abi.nrRegsName),
      order: Array.from(docs.abi.order, (o) => ({ index: o.index, register: o.register, nameHtml: inlineHtml(o.name) })),
      errors: [
        { titleHtml: inlineHtml(docs.abi.create), rows: docs.abi.createErrors },
        { titleHtml: inlineHtml(docs.abi.configure), rows: docs.abi.configureErrors },
        { titleHtml: inlineHtml(docs.abi.getState), rows: docs.abi.getErrors },
        { titleHtml: inlineHtml(docs.abi.setState), rows: docs.abi.setErrors },
      ].map((e) => ({ titleHtml: e.titleHtml, rows: e.rows.map((row) => ({ errorHtml: inlineHtml(row.error), whenHtml: inlineHtml(row.when) })) })),
    },
    bitPx: BIT_PX,
  };
}
