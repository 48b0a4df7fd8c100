/**
 * Which register states the device could be in: what KVM_SET_<NAME>_STATE and QEMU's
 * migration load accept, and refuse otherwise (the PIT's CVE-2015-7513 was a state loaded
 * unchecked, then computed with). A register never holds a bit beyond its width: writes,
 * resets and actions stay inside it, and hooks are held to it. Its constant bits keep their
 * reset value, unless the device has hooks, which are C and may rewrite any register.
 */
import { bitMask } from "../ir/bits.js";
import type { Device, Register } from "../ir/types.js";

export interface StateRule {
  /** The bits the register may hold. */
  holds: bigint;
  /** The bits that must equal the reset value's. */
  fixed: bigint;
}

export function stateRule(device: Device, register: Register): StateRule {
  return { holds: bitMask(register.width), fixed: device.hooks.length ? 0n : register.masks.constant };
}

/**
 * The registers' order, offsets and widths as one 32-bit number (FNV-1a): two builds of a
 * device exchange a state (migration, KVM_SET_STATE) only when theirs are equal, so a
 * reordered or resized register is refused instead of loaded into the wrong slot.
 */
export function stateLayout(device: Device): number {
  let hash = 0x811c9dc5;
  const text = [
    ...device.registers.map((r) => `${r.name}:${r.offset}:${r.width}`),
    ...device.storage.map((s) => `${s.name}[${s.count}]:${s.width}${s.fifo ? ":fifo" : ""}`),
  ].join(";");
  for (const ch of Buffer.from(text, "utf8")) hash = Math.imul(hash ^ ch, 0x01000193) >>> 0;
  return hash;
}

/** The first register `regs` breaks the rules of, or null when the device could be in that state. */
export function stateViolation(device: Device, regs: readonly bigint[]): { register: string; why: string } | null {
  for (const register of device.registers) {
    const value = regs[register.index]!;
    const rule = stateRule(device, register);
    if (value & ~rule.holds) return { register: register.name, why: `bits beyond its ${register.width} bits` };
    if ((value ^ register.reset) & rule.fixed) return { register: register.name, why: "constant bits other than their reset value" };
  }
  for (const store of device.storage) {
    for (let n = 0; n < store.count; n++) {
      if (regs[store.first + n]! & ~store.holds) return { register: `${store.name}_${n}`, why: store.holds === bitMask(store.width) ? `bits beyond its ${store.width} bits` : `a value other than ${store.holds === 1n ? "0 or 1" : `those of mask ${store.holds}`}` };
    }
    // A FIFO's head indexes its entries and its level counts them (the C core bounds both anyway).
    if (store.fifo && regs[store.fifo.head]! >= BigInt(store.count)) return { register: `${store.name}_HEAD`, why: `a head past its ${store.count} entries` };
    if (store.fifo && regs[store.fifo.level]! > BigInt(store.count)) return { register: `${store.name}_LEVEL`, why: `a level above its ${store.count} entries` };
  }
  return null;
}

/** One entry of the state array and its rule, as the harnesses' state tables list them. */
export interface StateEntry extends StateRule {
  name: string;
  reset: bigint;
  /** The largest value it may hold: a FIFO's head and level are bounded, not masked. */
  max: bigint;
  /** A device reset leaves it as it is (storage with keepOnReset). */
  kept: boolean;
}

/** The state array in order: the registers, then each storage's entries (and a FIFO's head and level). */
export function stateEntries(device: Device): StateEntry[] {
  const any = bitMask(64);
  const entries: StateEntry[] = device.registers.map((r) => ({ name: r.name, reset: r.reset, ...stateRule(device, r), max: any, kept: false }));
  for (const store of device.storage) {
    for (let n = 0; n < store.count; n++) {
      entries.push({ name: `${store.name}_${n}`, reset: store.reset, holds: store.holds, fixed: 0n, max: any, kept: store.keepOnReset });
    }
    if (store.fifo) {
      for (const [suffix, max] of [["HEAD", store.count - 1], ["LEVEL", store.count]] as const) {
        entries.push({ name: `${store.name}_${suffix}`, reset: 0n, holds: bitMask(max.toString(2).length), fixed: 0n, max: BigInt(max), kept: false });
      }
    }
  }
  return entries;
}

/**
 * The state the rules accept that differs most from `first`: every bit an entry may hold
 * flipped, constant bits kept, a FIFO's head and level at their largest. A core whose state
 * check is stricter than the rules refuses it.
 */
export function farthestState(device: Device, first: readonly bigint[]): bigint[] {
  return stateEntries(device).map(({ holds, fixed, max }, i) => {
    const flipped = (~first[i]! & holds & ~fixed) | (first[i]! & fixed);
    return flipped > max ? max : flipped;
  });
}

/**
 * States one entry away from the device's first state that the rules refuse, one for each
 * rule an entry has: a bit it cannot hold, a constant bit flipped, a FIFO's head or level
 * out of bounds. A core whose state check is looser than the rules accepts one of them.
 */
export function refusedStates(device: Device, first: readonly bigint[]): Array<{ entry: number; value: bigint }> {
  const lowest = (mask: bigint): bigint => mask & -mask;
  const candidates = stateEntries(device).flatMap(({ holds, fixed, max }, entry) => {
    const outside = ~holds & bitMask(64);
    return [
      ...(outside ? [{ entry, value: first[entry]! | lowest(outside) }] : []),
      ...(fixed ? [{ entry, value: first[entry]! ^ lowest(fixed) }] : []),
      ...(max < holds ? [{ entry, value: max + 1n }] : []),
    ];
  });
  return candidates.filter(({ entry, value }) => {
    const regs = [...first];
    regs[entry] = value;
    return stateViolation(device, regs) !== null;
  });
}
