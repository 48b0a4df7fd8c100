/**
 * docs/: the register map a reviewer reads (`<name>.md`) and the standalone C header a
 * guest driver includes (`<name>_regs.h`, the same names as the core's through
 * `regmapText`). The views below decide every word; the templates only lay them out.
 */
import { reservedRanges, wholeRegisterAccess } from "../../ir/access.js";
import { arrayElements, declaredRegisters } from "../../ir/arrays.js";
import * as path from "node:path";
import { fieldMacro, offsetExpression, registerStem, valueMacro } from "../../ir/names.js";
import type { Action, Device, Field, Policy, Register } from "../../ir/types.js";
import { defineLine } from "../c.js";
import { banner } from "../core/index.js";
import { regmapText } from "../regmap.js";
import { LazyViews, render } from "../render.js";
import type { Generator } from "../types.js";
import { abiView } from "./abi.js";
import { anchor, bitRange, cell, code, hexPad, list, sentence, small } from "./markdown.js";
import {
  ACCESS_MEANING,
  ACCESS_ORDER,
  RESERVED_TEXT,
  accessEffects,
  actionSentence,
  policyRules,
  registerWord,
  samePolicy,
  trigger,
} from "./words.js";

export const generateDocs: Generator = ({ device }) => [
  { path: `docs/${device.name}.md`, contents: render("docs/device.md.hbs", docsView(device)) },
  { path: `docs/${device.name}_regs.h`, contents: render("docs/regs.h.hbs", headerView(device)) },
];

export function headerView(device: Device) {
  const id = (n: number) => hexPad(n, 4);
  return {
    name: device.name,
    guard: `${device.prefix}_REGS_H`,
    banner: banner(device, "register map for guest drivers"),
    barIndex: device.bar.index,
    barSpace: device.bar.space === "io" ? "port I/O" : "memory",
    pciDefines: [
      defineLine(`${device.prefix}_PCI_VENDOR_ID`, id(device.pci.vendorId)),
      defineLine(`${device.prefix}_PCI_DEVICE_ID`, id(device.pci.deviceId)),
      defineLine(`${device.prefix}_PCI_SUBSYSTEM_VENDOR_ID`, id(device.pci.subsystemVendorId)),
      defineLine(`${device.prefix}_PCI_SUBSYSTEM_ID`, id(device.pci.subsystemId)),
      defineLine(`${device.prefix}_PCI_CLASS`, id(device.pci.classCode)),
      defineLine(`${device.prefix}_PCI_REVISION`, hexPad(device.pci.revision, 2)),
    ],
    regmap: regmapText(device),
  };
}

/** PCI base classes (PCI Code and ID Assignment Specification), for the summary. */
const PCI_BASE_CLASSES: Record<number, string> = {
  0x00: "unclassified",
  0x01: "mass storage controller",
  0x02: "network controller",
  0x03: "display controller",
  0x04: "multimedia device",
  0x05: "memory controller",
  0x06: "bridge",
  0x07: "communication controller",
  0x08: "generic system peripheral",
  0x09: "input device controller",
  0x0a: "docking station",
  0x0b: "processor",
  0x0c: "serial bus controller",
  0x0d: "wireless controller",
  0x0e: "intelligent I/O controller",
  0x0f: "satellite communication controller",
  0x10: "encryption controller",
  0x11: "signal processing controller",
  0x12: "processing accelerator",
  0x13: "non-essential instrumentation",
  0xff: "device-specific: fits no defined class",
};

/** A register, or all elements of an array: one row of the map, one section. */
interface Group {
  first: Register;
  elements: Register[];
  title: string;
  stride: number;
  end: number;
}

function groups(device: Device): Group[] {
  return declaredRegisters(device).map((first) => {
    const elements = arrayElements(device, first);
    const last = elements[elements.length - 1]!;
    return {
      first,
      elements,
      title: elements.length > 1 ? `${first.name}..${last.name}` : first.name,
      stride: elements.length > 1 ? elements[1]!.offset - first.offset : first.bytes,
      end: last.offset + last.bytes,
    };
  });
}

/** Byte ranges of the decode window that no register holds, outside arrays' spans. */
function gaps(device: Device, all: Group[]): { start: number; end: number }[] {
  const result: { start: number; end: number }[] = [];
  let next = 0;
  for (const g of all) {
    if (g.first.offset > next) result.push({ start: next, end: g.first.offset });
    next = Math.max(next, g.end);
  }
  if (next <= device.bar.decodeMask) result.push({ start: next, end: device.bar.decodeMask + 1 });
  return result;
}

/** The policy most registers share; registers with another one say so in their section. */
function commonPolicy(device: Device): Policy {
  const counts = new Map<string, { policy: Policy; count: number }>();
  for (const r of device.registers) {
    const key = `${r.policy.narrower}/${r.policy.wider}/${r.policy.unaligned}`;
    const entry = counts.get(key) ?? { policy: r.policy, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  // The first policy to reach the highest count wins, as registers are in offset order.
  let best = { policy: device.registers[0]!.policy, count: 0 };
  for (const entry of counts.values()) if (entry.count > best.count) best = entry;
  return best.policy;
}

/** The access kinds of a register's fields, or the one kind of a register without fields. */
function registerAccess(r: Register): string {
  if (r.fields.length === 0) return wholeRegisterAccess(r);
  const kinds: string[] = [];
  for (const f of r.fields) if (!kinds.includes(f.access)) kinds.push(f.access);
  return kinds.join(", ");
}

function byteRange(start: number, end: number, digits: number): string {
  return end - start === 1 ? code(hexPad(start, digits)) : `${code(hexPad(start, digits))}–${code(hexPad(end - 1, digits))}`;
}

/** Up to 16 element offsets, else the first and last few. */
function elementOffsets(g: Group, digits: number): string {
  const all = g.elements.map((e) => hexPad(e.offset, digits));
  return (all.length <= 16 ? all : [...all.slice(0, 4), "…", ...all.slice(-2)]).join(", ");
}

/** The default description of an interrupt enable field: the cause it enables. */
function enableText(f: Field, status: Register | null): string {
  if (!status) return "";
  const cause = status.fields.find((c) => c.mask & f.mask);
  return `Enables ${cause ? `${status.name}.${cause.name}` : `${status.name}[${bitRange(f.msb, f.lsb)}]`}`;
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

export function docsView(device: Device) {
  const all = groups(device);
  const digits = Math.max(2, device.bar.decodeMask.toString(16).length);
  const window = device.bar.decodeMask + 1;
  const policy = commonPolicy(device);
  const holes = gaps(device, all);
  const strided = all.filter((g) => g.stride > g.first.bytes);
  const irq = device.interrupt;
  const status = irq ? device.registers[irq.status]! : null;
  const enable = irq ? device.registers[irq.enable]! : null;
  const sizes = device.busSizes.map(String);
  const { pci, bar } = device;
  const heading = (g: Group) => `${g.title} (${hexPad(g.first.offset, digits)})`;

  const usedKinds = new Set<string>();
  for (const r of device.registers) {
    if (r.fields.length === 0) usedKinds.add(registerAccess(r));
    for (const f of r.fields) usedKinds.add(f.access);
  }
  const hasReserved = device.registers.some((r) => r.fields.length > 0 && r.masks.defined !== (1n << BigInt(r.width)) - 1n);

  const hookTriggers = new Map<string, string[]>();
  const addTriggers = (r: Register, direction: "read" | "write", actions: Action[]): void => {
    for (const a of actions) {
      if (a.kind !== "hook") continue;
      const triggers = hookTriggers.get(a.hook) ?? [];
      triggers.push(trigger(r, direction, a.when).replace(/^./, (c) => c.toLowerCase()));
      hookTriggers.set(a.hook, triggers);
    }
  };
  for (const g of all) {
    addTriggers(g.first, "read", g.first.onRead);
    addTriggers(g.first, "write", g.first.onWrite);
  }

  // The map's rows: registers and the holes between them, in offset order.
  const mapEntries = [
    ...all.map((group) => ({ at: group.first.offset, group })),
    ...holes.map((hole) => ({ at: hole.start, hole })),
  ].sort((a, b) => a.at - b.at);
  const mapRows = new LazyViews(mapEntries, (entry) => {
    if ("group" in entry) {
      const g = entry.group;
      const r = g.first;
      const isArray = g.elements.length > 1;
      const elements = isArray
        ? ` ${g.elements.length} elements, stride ${hexPad(g.stride, 1)}: ${elementOffsets(g, digits)}.` +
          (g.stride > r.bytes ? " The bytes between elements hold no register." : "")
        : "";
      return {
        offset: isArray ? `${code(hexPad(r.offset, digits))} + n × ${code(hexPad(g.stride, 1))}` : code(hexPad(r.offset, digits)),
        register: `[${isArray ? `${registerWord(r)} (n = 0..${g.elements.length - 1})` : r.name}](#${anchor(heading(g))})`,
        width: String(r.width),
        access: registerAccess(r),
        reset: code(hexPad(r.reset, r.width / 4)),
        description: cell(`${sentence(r.description)}${elements}`),
      };
    }
    const h = entry.hole;
    return {
      offset: byteRange(h.start, h.end, digits),
      register: "—",
      width: "—",
      access: "reserved",
      reset: "—",
      description: cell(`No register (${h.end - h.start} byte${h.end - h.start > 1 ? "s" : ""}): reads as zero, writes ignored.`),
    };
  });

  const aliasExample = device.registers.find((r) => r.offset > 0) ?? device.registers[0]!;
  const decode =
    window === bar.size
      ? `The registers fill a window as large as the BAR (${code(hexPad(bar.decodeMask, 1))} decode mask): every BAR offset decodes to itself, nothing is aliased.`
      : `The device decodes ${code(`offset & ${hexPad(bar.decodeMask, 1)}`)}, where offset is relative to the start of the BAR: ` +
        `the ${hexPad(window, 1)}-byte register window repeats ${bar.size / window} times across the ${hexPad(bar.size, 1)}-byte BAR, ` +
        `and every copy reaches the same registers (and their side effects). ` +
        `For example BAR offset ${code(hexPad(window + aliasExample.offset, digits))} reaches ${aliasExample.name} just as ${code(hexPad(aliasExample.offset, digits))} does. ` +
        `A driver should use the first copy.`;

  return {
    name: device.name,
    prefix: device.prefix,
    title: `${device.name}: ${device.description}`.replace(/\s+/g, " "),
    banner: `Generated by devgen from ${device.source}; do not edit. Change the device file and run \`devgen generate\`.`,
    source: code(device.source),
    header: `${device.name}_regs.h`,
    summary: [
      { property: "PCI vendor:device", value: code(`${hexPad(pci.vendorId, 4).slice(2)}:${hexPad(pci.deviceId, 4).slice(2)}`) },
      { property: "Subsystem vendor:device", value: code(`${hexPad(pci.subsystemVendorId, 4).slice(2)}:${hexPad(pci.subsystemId, 4).slice(2)}`) },
      {
        property: "Class",
        value: cell(
          `${code(hexPad(pci.classCode, 4))}: base class ${hexPad(pci.classCode >> 8, 2)} (${PCI_BASE_CLASSES[pci.classCode >> 8] ?? "reserved"}), subclass ${hexPad(pci.classCode & 0xff, 2)}`,
        ),
      },
      { property: "Revision", value: code(hexPad(pci.revision, 2)) },
      {
        property: "BAR",
        value: `BAR ${bar.index}, ${bar.space === "io" ? "port I/O" : "memory (MMIO)"}, ${hexPad(bar.size, 1)} bytes`,
      },
      {
        property: "Decode mask",
        value:
          window === bar.size
            ? `${code(hexPad(bar.decodeMask, 1))}: no aliasing`
            : `${code(hexPad(bar.decodeMask, 1))}: a ${hexPad(window, 1)}-byte register window, repeated ${bar.size / window} times across the BAR`,
      },
      { property: "Access sizes", value: `${list(sizes)} bytes` },
      {
        property: "Interrupt",
        value: status && enable ? `PCI INTx, level: asserted while ${code(`${status.name} & ${enable.name}`)} is non-zero` : "none",
      },
      {
        property: "KVM",
        value: `${code(device.kvm.create.name)}, capability ${code(device.kvm.capability.name)} (${device.kvm.capability.number})`,
      },
    ],
    decode,
    gaps: holes.length || strided.length
      ? list([
          ...holes.map((h) => byteRange(h.start, h.end, digits)),
          ...strided.map((g) => `between the elements of ${registerWord(g.first)}`),
        ])
      : null,
    sizes: list(sizes),
    policyRules: policyRules(policy),
    policyScope: device.registers.every((r) => samePolicy(r.policy, policy)) ? "every register" : "every register unless its section says otherwise",
    accessKinds: [
      ...ACCESS_ORDER.filter((k) => usedKinds.has(k)).map((k) => ({ kind: code(k), ...ACCESS_MEANING[k] })),
      ...(hasReserved ? [{ kind: "reserved", ...ACCESS_MEANING.reserved }] : []),
    ].map((k) => ({ kind: k.kind, read: cell(k.read), write: cell(k.write) })),
    window: hexPad(window, 1),
    mapRows,
    registers: new LazyViews(all, (g) => {
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
      const effects = accessEffects(r);
      if (status === r) effects.push(`Drives the interrupt: the line is asserted while a bit here and the same bit of ${enable!.name} are both set.`);
      if (enable === r) effects.push(`Enables each interrupt cause of ${status!.name}, bit by bit.`);
      for (const a of r.onRead) effects.push(actionSentence(device, r, a, "read"));
      for (const a of r.onWrite) effects.push(actionSentence(device, r, a, "write"));
      return {
        heading: heading(g),
        description: sentence(r.description) || null,
        facts,
        policyRules: samePolicy(r.policy, policy) ? null : policyRules(r.policy),
        fields: r.fields.length ? fieldRows(r, enable === r ? status : null) : null,
        effects,
      };
    }),
    interrupt:
      status && enable
        ? {
            status: status.name,
            enable: enable.name,
            acknowledge:
              (status.masks.w1c & status.masks.defined) === status.masks.defined
                ? `writing 1 to its bit in ${status.name}`
                : (status.masks.readClear & status.masks.defined) === status.masks.defined
                  ? `reading ${status.name}`
                  : `as ${status.name} describes`,
            expression: code(`(${status.name} & ${enable.name} & ${hexPad(status.masks.defined, 1)}) != 0`),
            causes: (status.fields.length
              ? status.fields
              : [{ name: status.name, msb: status.width - 1, lsb: 0, mask: status.masks.defined, description: status.description } as Field]
            ).map((f) => {
              const enableField = enable.fields.find((e) => e.mask & f.mask);
              return {
                bits: bitRange(f.msb, f.lsb),
                cause: code(status.fields.length ? `${status.name}.${f.name}` : status.name),
                enable: code(enableField ? `${enable.name}.${enableField.name}` : `${enable.name}[${bitRange(f.msb, f.lsb)}]`),
                macro: code(status.fields.length ? fieldMacro(device, status, f) : offsetExpression(device, status)),
                description: cell(f.description),
              };
            }),
          }
        : null,
    hooks: device.hooks.map((h) => ({
      name: code(h.name),
      cName: code(`${h.cName}()`),
      when: cell(list(hookTriggers.get(h.name) ?? [], "or")),
      description: cell(sentence(h.description) || "(no description)"),
      model: h.model
        ? "yes: the vectors check the C hook against it"
        : cell(`none: after it runs the vectors do not compare ${list(h.touches.map((i) => device.registers[i]!.name))}`),
    })),
    hooksFile: code(path.posix.join(path.posix.dirname(device.source), "hooks.c")),
    macros: {
      offset: code(`${device.prefix}_<REG>`),
      field: code(`${device.prefix}_<REG>_<FIELD>`),
      shift: code(`${device.prefix}_<REG>_<FIELD>_SHIFT`),
      value: code(`${device.prefix}_<REG>_<FIELD>_<VALUE>`),
      example: exampleMacros(device),
    },
    abi: abiView(device),
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
