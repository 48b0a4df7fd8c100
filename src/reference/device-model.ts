/**
 * The reference model: the exact semantics of a Device, which the C core in the kernel, in
 * QEMU and on the host must reproduce. Values are bigint so 64-bit registers are exact.
 *
 * It also tracks which bits it cannot predict (set by a C hook that has no TypeScript
 * model), so vectors compare only what the model knows.
 */
import type { HookAccess } from "../dsl/types.js";
import { bitMask, lowestBit } from "../ir/bits.js";
import type { Action, BitTarget, Device, Register, Storage } from "../ir/types.js";
import type { CoverageRecorder } from "./coverage.js";
import { registerAt } from "./decode.js";
import { fifoKey } from "./coverage-fifo.js";
import { fifoForget, fifoPop, fifoPush, fifoReset, type FifoHit } from "./fifo-model.js";

export interface ReadResult {
  claimed: boolean;
  value: bigint;
  /** Bits of `value` the model cannot predict. */
  unknown: bigint;
}

export type Decision = "lanes" | "ignore" | "error";

/** Where the bus cuts an access to a memory BAR (see `chunks`). */
export const PAGE_SIZE = 4096;

/** `8n * byte` for each byte of a register: made once, as every bigint is an allocation. */
const BYTE_SHIFTS = Array.from({ length: 8 }, (_, byte) => BigInt(8 * byte));

interface Lane {
  /** Byte of the access. */
  byte: number;
  /** Byte within the register. */
  registerByte: number;
}

/**
 * What an access does: only its fixed result ("ignore", "error"), or lanes. Lanes are one
 * register's consecutive bytes (byte 0 of the access is bit `shift` of `register`), the
 * case of nearly every access, or bytes grouped by the register holding them.
 */
type Plan =
  | { decision: "ignore" }
  | { decision: "error" }
  | { decision: "lanes"; register: Register; shift: bigint }
  | { decision: "lanes"; groups: Map<Register, Lane[]> };

export class DeviceModel {
  readonly regs: bigint[];
  readonly unknown: bigint[];
  private readonly byName: Map<string, number>;
  /** Set while planning an access whose bank bits the model does not know. */
  private uncertain = false;
  /** Told what behaviour each access reaches, when vectors are being made (coverage.ts). */
  coverage: CoverageRecorder | null = null;

  constructor(readonly device: Device) {
    this.regs = [];
    this.unknown = [];
    this.reset(true);
    // Storage entries are named as array elements are: NVRAM_3.
    this.byName = new Map(device.registers.map((r) => [r.name, r.index]));
    for (const store of device.storage) {
      for (let n = 0; n < store.count; n++) this.byName.set(`${store.name}_${n}`, store.first + n);
    }
  }

  /** A device reset; `created`: the device's creation, when even kept storage takes its reset value. */
  reset(created = false): void {
    for (const r of this.device.registers) {
      this.regs[r.index] = r.reset;
      this.unknown[r.index] = 0n;
    }
    for (const store of this.device.storage) {
      if (store.keepOnReset && !created) continue;
      for (let at = store.first; at < store.first + store.count; at++) {
        this.regs[at] = store.reset;
        this.unknown[at] = 0n;
      }
      if (store.fifo) fifoReset(this, store);
    }
  }

  /**
   * An access the bus delivers whole is one access (`readOne`). One that the bus cuts, at the
   * BAR's end or at a 4 KiB boundary of a memory BAR, acts as its pieces inside the BAR do
   * (`chunks`); the bytes past the BAR are whatever decodes there, which the model does not
   * know, so they are returned as unknown.
   */
  read(offset: number, size: number): ReadResult {
    this.uncertain = false;
    const result = this.readCut(offset, size);
    if (this.uncertain) this.forgetFifos();
    return this.uncertain ? { ...result, unknown: bitMask(size * 8) } : result;
  }

  private readCut(offset: number, size: number): ReadResult {
    const chunks = this.chunks(offset, size);
    if (chunks === null) return this.readOne(offset, size);
    let value = 0n;
    let unknown = bitMask(size * 8);
    for (const [at, bytes] of chunks) {
      const result = this.readOne(at, bytes);
      const shift = BigInt(8 * (at - offset));
      value |= result.value << shift;
      unknown = (unknown & ~(bitMask(bytes * 8) << shift)) | (result.unknown << shift);
    }
    return { claimed: chunks.length > 0, value, unknown };
  }

  private readOne(offset: number, size: number): ReadResult {
    const plan = this.plan(offset, size);
    if (plan === null) return { claimed: false, value: 0n, unknown: 0n };
    if (plan.decision === "ignore") return { claimed: true, value: 0n, unknown: 0n };
    if (plan.decision === "error") return { claimed: true, value: bitMask(size * 8), unknown: 0n };
    if ("register" in plan) {
      const { register, shift } = plan;
      const accessMask = bitMask(size * 8);
      const result = this.readRegister(register, accessMask << shift);
      return { claimed: true, value: (result.value >> shift) & accessMask, unknown: (result.unknown >> shift) & accessMask };
    }
    let value = 0n;
    let unknown = 0n;
    for (const [register, lanes] of plan.groups) {
      const result = this.readRegister(register, laneMask(lanes));
      for (const lane of lanes) {
        value |= byteOf(result.value, lane.registerByte) << BigInt(8 * lane.byte);
        unknown |= byteOf(result.unknown, lane.registerByte) << BigInt(8 * lane.byte);
      }
    }
    return { claimed: true, value, unknown };
  }

  /** Returns whether the device took part in the access: as `read`, a cut access acts as its pieces. */
  write(offset: number, size: number, value: bigint): boolean {
    this.uncertain = false;
    const claimed = this.writeCut(offset, size, value);
    // Which bank or entry took the write is unknown: any of them may hold anything now.
    if (this.uncertain) {
      this.forget(this.device.registers.filter((r) => r.bank !== null).map((r) => r.index));
      for (const r of this.device.registers) {
        if (r.indirect) this.unknown.fill(bitMask(r.width), r.indirect.storage.first, r.indirect.storage.first + r.indirect.storage.count);
      }
      this.forgetFifos();
    }
    return claimed;
  }

  private writeCut(offset: number, size: number, value: bigint): boolean {
    const chunks = this.chunks(offset, size);
    if (chunks === null) return this.writeOne(offset, size, value);
    for (const [at, bytes] of chunks) this.writeOne(at, bytes, (value >> BigInt(8 * (at - offset))) & bitMask(bytes * 8));
    return chunks.length > 0;
  }

  private writeOne(offset: number, size: number, value: bigint): boolean {
    const plan = this.plan(offset, size);
    if (plan === null) return false;
    if (plan.decision !== "lanes") return true;
    if ("register" in plan) {
      const { register, shift } = plan;
      const accessMask = bitMask(size * 8);
      this.writeRegister(register, accessMask << shift, (value & accessMask) << shift);
      return true;
    }
    for (const [register, lanes] of plan.groups) {
      let positioned = 0n;
      for (const lane of lanes) {
        positioned |= byteOf(value, lane.byte) << BigInt(8 * lane.registerByte);
      }
      this.writeRegister(register, laneMask(lanes), positioned);
    }
    return true;
  }

  /** The interrupt line: true, false, or null when unknown bits decide it. */
  irqLevel(): boolean | null {
    const irq = this.device.interrupt;
    if (!irq) return false;
    const defined = this.device.registers[irq.status]!.masks.defined;
    const status = this.regs[irq.status]!;
    const enable = this.regs[irq.enable]!;
    const unknownStatus = this.unknown[irq.status]!;
    const unknownEnable = this.unknown[irq.enable]!;
    const gate = irq.gate ? this.fieldState(irq.gate) : true;
    const requested = status & enable & ~unknownStatus & ~unknownEnable & defined;
    if (irq.gate && requested && gate !== null) this.coverage?.requested(gate);
    if (gate === false) return false;
    if (gate === true && requested) return true;
    if ((status | unknownStatus) & (enable | unknownEnable) & defined) return null;
    return false;
  }

  /** Whether a field is non-zero: null when bits the model does not know decide it. */
  private fieldState(field: BitTarget): boolean | null {
    if (this.regs[field.register]! & field.mask & ~this.unknown[field.register]!) return true;
    return this.unknown[field.register]! & field.mask ? null : false;
  }

  /**
   * The register decoding `decoded` now: of banks sharing it, the one its selecting field
   * picks (or none). `uncertain` is set when bits the model does not know pick it.
   */
  private decode(decoded: number): Register | null {
    const found = registerAt(this.device, decoded);
    if (found === null || found.bank === null) return found;
    const { select } = found.bank;
    if (this.unknown[select.register]! & select.mask) this.uncertain = true;
    const value = (this.regs[select.register]! & select.mask) >> BigInt(lowestBit(select.mask));
    return bankOf(this.device.registers, found, value);
  }

  /**
   * Null when the bus delivers the access whole: a power-of-two size, inside the BAR or wholly
   * past it, not crossing a page of a memory BAR. Otherwise the accesses it becomes on the
   * device, as [offset, size]: the bus cuts it at the BAR's end (the rest goes to whatever
   * decodes there) and, in memory space, at every 4 KiB boundary (the CPU, KVM and PCIe, whose
   * requests never cross one, all cut there; a BAR is aligned to its size, so the BAR's own
   * offsets show the boundaries). Each piece inside the BAR then goes to the device as the
   * largest power of two that fits from its first byte, then the next: the way QEMU's memory
   * core hands a piece to a MemoryRegion, and the kernel glue a piece KVM hands it.
   */
  private chunks(offset: number, size: number): Array<[number, number]> | null {
    const { bar } = this.device;
    const end = offset + size;
    const page = bar.space === "mmio" ? PAGE_SIZE : Infinity;
    const cut = end > bar.size || Math.floor(offset / page) !== Math.floor((end - 1) / page);
    if (offset >= bar.size || (!cut && (size & (size - 1)) === 0)) return null;
    const chunks: Array<[number, number]> = [];
    for (let at = offset; at < Math.min(end, bar.size); ) {
      const pieceEnd = Math.min(end, bar.size, (Math.floor(at / page) + 1) * page);
      let bytes = 8;
      while (bytes > pieceEnd - at) bytes /= 2;
      chunks.push([at, bytes]);
      at += bytes;
    }
    return chunks;
  }

  private plan(offset: number, size: number): Plan | null {
    const { bar, busSizes } = this.device;
    if (!Number.isInteger(offset) || offset < 0 || offset + size > bar.size) return null;
    if (!busSizes.includes(size)) return { decision: "error" };
    const start = offset & bar.decodeMask;
    const first = this.decode(start);
    const decision = first === null ? "lanes" : policyFor(first, offset, size);
    if (decision !== "lanes") return { decision };
    // Within one register and not wrapping around the decode window: no lane list to build.
    if (first !== null && start + size <= first.offset + first.bytes && start + size <= bar.decodeMask + 1) {
      return { decision, register: first, shift: BYTE_SHIFTS[start - first.offset]! };
    }
    const groups = new Map<Register, Lane[]>();
    for (let byte = 0; byte < size; byte++) {
      const decoded = (offset + byte) & bar.decodeMask;
      const register = this.decode(decoded);
      if (!register) continue;
      const lanes = groups.get(register) ?? [];
      lanes.push({ byte, registerByte: decoded - register.offset });
      groups.set(register, lanes);
    }
    return { decision, groups };
  }

  private readRegister(r: Register, lanes: bigint): { value: bigint; unknown: bigint } {
    const widthMask = bitMask(r.width);
    const slot = this.slotOf(r);
    if (slot === null) this.coverage?.past(r, "read");
    let value = ((slot === null ? 0n : this.regs[slot]!) & r.masks.readable) | (r.reset & r.masks.constant);
    let unknown = slot === null ? 0n : this.unknown[slot]! & r.masks.readable;
    if (r.fifo && r.masks.readable) {
      // A FIFO's data port reads the entry it pops, not a value of its own.
      const popped = fifoPop(this, r.fifo, this.fifoHit(r.fifo));
      value = (popped.value & r.masks.readable) | (r.reset & r.masks.constant);
      unknown = popped.unknown & r.masks.readable;
    }
    this.coverage?.observed(r, value);
    for (const action of r.onRead) {
      const fires = this.fires(action, value & lanes, unknown & lanes);
      this.coverage?.action(action, fires, value, lanes, slot === null ? 0n : this.regs[slot]!);
      if (fires === false) continue;
      if (action.kind === "hook") {
        const hook = this.hook(action.hook);
        if (fires === true && hook.model) {
          const context = this.context(unknown !== 0n, accessOf(r, lanes));
          const result = hook.model(context, value);
          if (typeof result === "bigint") value = result & widthMask;
          if (context.tainted) unknown = widthMask;
        } else {
          unknown = widthMask;
          this.forget(hook.touches);
        }
      } else {
        this.act(action, fires);
      }
    }
    const cleared = r.masks.readClear & lanes;
    if (cleared && slot !== null) {
      this.regs[slot]! &= ~cleared;
      this.unknown[slot]! &= ~cleared;
    }
    this.advanceIndex(r);
    return { value, unknown };
  }

  private writeRegister(r: Register, lanes: bigint, value: bigint): void {
    const written = value & lanes;
    const { locked, undecided } = this.lockedBits(r);
    this.coverage?.written(r, lanes, locked, undecided);
    const writable = r.masks.writable & ~locked;
    const w1c = r.masks.w1c & ~locked;
    const w1s = r.masks.w1s & ~locked;
    const slot = this.slotOf(r);
    if (slot === null) this.coverage?.past(r, "write");
    const before = slot === null ? 0n : this.regs[slot]!;
    const unknownBefore = slot === null ? 0n : this.unknown[slot]!;
    let stored = (before & ~(writable & lanes)) | (written & writable);
    stored &= ~(written & w1c);
    stored |= written & w1s;
    let unknownAfter = unknownBefore & ~((writable & lanes) | (written & (w1c | w1s)));
    for (const field of r.fields) {
      if (!field.onlyValues || !(field.mask & writable & lanes)) continue;
      const value = (stored & field.mask) >> BigInt(field.lsb);
      if (unknownBefore & field.mask & ~(writable & lanes)) {
        unknownAfter |= field.mask;
      } else if (!field.values.some((v) => v.value === value)) {
        stored = (stored & ~field.mask) | (before & field.mask);
        unknownAfter |= unknownBefore & field.mask;
      }
    }
    // A gate the model cannot decide leaves the bits a write would change unknown.
    unknownAfter |= undecided & ((r.masks.writable & lanes) | (written & (r.masks.w1c | r.masks.w1s)));
    if (r.fifo && r.masks.writable) {
      // A FIFO's data port pushes what is written and keeps nothing itself.
      fifoPush(this, r.fifo, written & r.masks.writable, false, this.fifoHit(r.fifo));
      stored = before;
      unknownAfter = unknownBefore;
    }
    if (slot !== null) {
      this.regs[slot] = stored;
      this.unknown[slot] = unknownAfter;
    }
    for (const once of r.writeOnce) {
      if (lanes & once.mask & ~locked) {
        this.regs[once.flag] = 1n;
        this.unknown[once.flag] = 0n;
      } else if (lanes & once.mask & undecided && !this.regs[once.flag]) {
        this.unknown[once.flag] = 1n;
      }
    }
    for (const action of r.onWrite) {
      const fires = this.fires(action, written, 0n);
      this.coverage?.action(action, fires, written, lanes, slot === null ? 0n : this.regs[slot]!);
      if (fires === false) continue;
      if (action.kind === "hook") {
        const hook = this.hook(action.hook);
        if (fires === true && hook.model) hook.model(this.context(false, accessOf(r, lanes)), written);
        else this.forget(hook.touches);
      } else if (action.kind === "raise") {
        this.regs[action.target.register]! |= written & action.target.mask;
        this.unknown[action.target.register]! &= ~(written & action.target.mask);
      } else {
        this.act(action, fires);
      }
    }
    this.advanceIndex(r);
  }

  /**
   * Where `r`'s value lives in the state array: its own entry, or for an indirect register
   * the storage entry its index field selects (null past the storage's end).
   */
  private slotOf(r: Register): number | null {
    if (!r.indirect) return r.index;
    const { index, storage } = r.indirect;
    if (this.unknown[index.register]! & index.mask) this.uncertain = true;
    const n = (this.regs[index.register]! & index.mask) >> BigInt(lowestBit(index.mask));
    return n < BigInt(storage.count) ? storage.first + Number(n) : null;
  }

  /** An auto-incrementing index moves on after each access to its data register. */
  private advanceIndex(r: Register): void {
    if (r.indirect?.autoIncrement) this.act({ kind: "increment", target: r.indirect.index, saturate: false, when: null }, true);
  }

  /** true: runs; false: does not; null: depends on bits the model does not know. */
  private fires(action: Action, value: bigint, unknown: bigint): boolean | null {
    if (!action.when) return true;
    if (value & action.when.mask) return true;
    return unknown & action.when.mask ? null : false;
  }

  /** Bits of `r` a write may not change now, and those whose gate the model cannot decide. */
  private lockedBits(r: Register): { locked: bigint; undecided: bigint } {
    let locked = 0n;
    let undecided = 0n;
    for (const gate of r.writeGates) {
      const set = this.fieldState(gate.by);
      if (set === null) {
        locked |= gate.mask;
        undecided |= gate.mask;
      } else if (set !== (gate.writableWhile === "set")) {
        locked |= gate.mask;
      }
    }
    return { locked, undecided };
  }

  private act(action: Extract<Action, { target: BitTarget }>, fires: boolean | null): void {
    const { register, mask } = action.target;
    const counts = action.kind === "increment" || action.kind === "decrement";
    if (fires === null || (counts && this.unknown[register]! & mask)) {
      this.unknown[register]! |= mask;
      return;
    }
    const stored = this.regs[register]!;
    const shift = BigInt(lowestBit(mask));
    const count = (stored & mask) >> shift;
    const top = mask >> shift;
    if (counts && count === (action.kind === "increment" ? top : 0n)) this.coverage?.atLimit(action);
    switch (action.kind) {
      case "set":
        this.regs[register] = stored | mask;
        break;
      case "clear":
        this.regs[register] = stored & ~mask;
        break;
      case "toggle":
        this.regs[register] = stored ^ mask;
        break;
      case "increment":
        if (!(action.saturate && count === top)) this.regs[register] = (stored & ~mask) | (((count + 1n) & top) << shift);
        break;
      case "decrement":
        if (!(action.saturate && count === 0n)) this.regs[register] = (stored & ~mask) | (((count - 1n) & top) << shift);
        break;
    }
    if (action.kind !== "toggle") this.unknown[register]! &= ~mask;
  }

  private fifoHit(store: Storage): FifoHit | undefined {
    return this.coverage ? (edge) => this.coverage?.hit(fifoKey(store, edge)) : undefined;
  }

  /** Which entry a FIFO's head and level point at is unknown when an access's bank was. */
  private forgetFifos(): void {
    for (const store of this.device.storage) if (store.fifo) fifoForget(this, store);
  }

  private hook(name: string) {
    return this.device.hooks.find((h) => h.name === name)!;
  }

  private forget(registers: number[]): void {
    for (const index of registers) {
      this.unknown[index] = bitMask(this.widthAt(index));
    }
  }

  private widthAt(index: number): number {
    const register = this.device.registers[index];
    if (register) return register.width;
    const store = this.device.storage.find((s) => index >= s.first && index < s.first + s.count);
    // A FIFO's head and level are whole 64-bit entries of the state array.
    return store ? store.width : 64;
  }

  /**
   * What a hook model sees. A model that reads a register holding unknown bits (or is
   * handed an unknown value) produces unknown results: everything it stores afterwards,
   * and a read hook's return value, is marked unknown.
   */
  private context(inputUnknown: boolean, access: HookAccess) {
    const lookup = (name: string): number => {
      const index = this.byName.get(name);
      if (index === undefined) throw new Error(`no register is named "${name}"`);
      return index;
    };
    const queue = (name: string) => {
      const store = this.device.storage.find((s) => s.name === name && s.fifo);
      if (!store) throw new Error(`no FIFO storage is named "${name}"`);
      return store;
    };
    const context = {
      tainted: inputUnknown,
      access,
      get: (name: string) => {
        const index = lookup(name);
        if (this.unknown[index]) context.tainted = true;
        // Storage entries select no behaviour by field: only registers are coverage targets.
        if (index < this.device.registers.length) this.coverage?.consulted(index, this.regs[index]!);
        return this.regs[index]!;
      },
      set: (name: string, value: bigint) => {
        const index = lookup(name);
        const width = this.widthAt(index);
        this.regs[index] = BigInt.asUintN(width, value);
        this.unknown[index] = context.tainted ? bitMask(width) : 0n;
      },
      push: (name: string, value: bigint) => {
        const store = queue(name);
        const queued = fifoPush(this, store, value, context.tainted, this.fifoHit(store));
        if (queued === null) context.tainted = true;
        return queued === true;
      },
      pop: (name: string) => {
        const store = queue(name);
        const popped = fifoPop(this, store, this.fifoHit(store));
        if (popped.unknown) context.tainted = true;
        return popped.value;
      },
    };
    return context;
  }
}

/** What register `r`'s policy makes of an access of `size` at `offset` starting in it. */
export function policyFor(r: Register, offset: number, size: number): Decision {
  let policy: string;
  if (!(r.policy.sizes as number[]).includes(size)) policy = r.policy.otherSizes;
  else if (offset % size !== 0) policy = r.policy.unaligned;
  else if (size < r.bytes) policy = r.policy.narrower;
  else if (size > r.bytes) policy = r.policy.wider;
  else return "lanes";
  return policy === "ignore" || policy === "error" ? policy : "lanes";
}

function accessOf(r: Register, lanes: bigint): HookAccess {
  return { register: r.name, element: r.arrayIndex, lanes };
}

/** Of the banks sharing `found`'s offset (neighbours in offset order), the one `value` selects. */
function bankOf(registers: readonly Register[], found: Register, value: bigint): Register | null {
  let first = found.index;
  while (first > 0 && registers[first - 1]!.offset === found.offset) first--;
  for (let i = first; i < registers.length && registers[i]!.offset === found.offset; i++) {
    if (registers[i]!.bank?.value === value) return registers[i]!;
  }
  return null;
}

function laneMask(lanes: Lane[]): bigint {
  return lanes.reduce((mask, lane) => mask | (0xffn << BigInt(8 * lane.registerByte)), 0n);
}

function byteOf(value: bigint, byte: number): bigint {
  return (value >> BigInt(8 * byte)) & 0xffn;
}
