/**
 * The access rules the page states once for the whole device, so that a register's section
 * only has to say how it differs: the access-size policy most registers share, and the
 * legend of the access kinds the device uses.
 */
import { wholeRegisterAccess } from "../../ir/access.js";
import type { Device, Policy, Register } from "../../ir/types.js";
import { cell, code } from "./markdown.js";
import { ACCESS_MEANING, ACCESS_ORDER, policyKey, samePolicy } from "./semantics.js";

/** The policy most registers share; registers with another one say so in their section. */
export function commonPolicy(device: Device): Policy {
  const counts = new Map<string, { policy: Policy; count: number }>();
  for (const r of device.registers) {
    const key = policyKey(r.policy);
    const entry = counts.get(key) ?? { policy: r.policy, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  // The first policy to reach the highest count wins, as registers are in offset order.
  let best = { policy: device.registers[0]!.policy, count: 0 };
  for (const entry of counts.values()) if (entry.count > best.count) best = entry;
  return best.policy;
}

export function policyScope(device: Device, policy: Policy): string {
  return device.registers.every((r) => samePolicy(r.policy, policy)) ? "every register" : "every register unless its section says otherwise";
}

/** The access kinds of a register's fields, or the one kind of a register without fields. */
export function registerAccess(r: Register): string {
  if (r.fields.length === 0) return wholeRegisterAccess(r);
  const kinds: string[] = [];
  for (const f of r.fields) if (!kinds.includes(f.access)) kinds.push(f.access);
  return kinds.join(", ");
}

/** The legend lists only the kinds the device uses, and "reserved" only if some register has undefined bits. */
export function accessKindRows(device: Device) {
  const usedKinds = new Set<string>();
  for (const r of device.registers) {
    if (r.fields.length === 0) usedKinds.add(registerAccess(r));
    for (const f of r.fields) usedKinds.add(f.access);
  }
  const hasReserved = device.registers.some((r) => r.fields.length > 0 && r.masks.defined !== (1n << BigInt(r.width)) - 1n);
  return [
    ...ACCESS_ORDER.filter((k) => usedKinds.has(k)).map((k) => ({ kind: code(k), ...ACCESS_MEANING[k] })),
    ...(hasReserved ? [{ kind: "reserved", ...ACCESS_MEANING.reserved }] : []),
  ].map((k) => ({ kind: k.kind, read: cell(k.read), write: cell(k.write) }));
}
