/**
 * The normalized device: every default filled in, arrays unrolled, names resolved to
 * indices, bit behaviour reduced to masks. Generators and the reference model read only
 * this; none of them sees the DSL's optional fields.
 */
import type { AccessKind, AccessSize, HookSpec } from "../dsl/types.js";

export type ResolvedPolicy = "combine" | "split" | "ignore" | "error";

export interface Policy {
  narrower: ResolvedPolicy;
  wider: ResolvedPolicy;
  unaligned: ResolvedPolicy;
  /** Access sizes the register takes, ascending; every size when unrestricted. */
  sizes: AccessSize[];
  /** What an access of another size does, before the cases above. */
  otherSizes: "ignore" | "error";
}

/** Per-register masks, each a subset of the register's width. */
export interface BitMasks {
  /** Bits a read returns from the stored value (ro, rw, w1c, w1s, rc). */
  readable: bigint;
  /** Bits a read returns from the reset value, whatever is stored (const). */
  constant: bigint;
  /** Bits a write stores (rw, wo). */
  writable: bigint;
  w1c: bigint;
  w1s: bigint;
  /** Bits cleared after being read (rc). */
  readClear: bigint;
  /** Bits of any field; the rest are reserved. */
  defined: bigint;
}

export interface EnumValue {
  name: string;
  value: bigint;
}

export interface Field {
  name: string;
  lsb: number;
  msb: number;
  width: number;
  /** Positioned mask within the register. */
  mask: bigint;
  access: AccessKind;
  /** Right-aligned. */
  reset: bigint;
  description: string;
  values: EnumValue[];
  /** Writes of a value not in `values` leave the field as it was. */
  onlyValues: boolean;
}

export type ActionKind = "set" | "clear" | "toggle" | "increment" | "decrement" | "hook" | "raise";

export interface BitTarget {
  register: number;
  /** Positioned mask of the bits acted on. */
  mask: bigint;
  /** `REG` or `REG.FIELD`, as written. */
  label: string;
}

export type Action =
  | { kind: "set" | "clear" | "toggle"; target: BitTarget; when: BitTarget | null }
  | { kind: "increment" | "decrement"; target: BitTarget; saturate: boolean; when: BitTarget | null }
  | { kind: "hook"; hook: string; when: BitTarget | null }
  /** The interrupt's test register: sets in `target` the bits of it the write sets. */
  | { kind: "raise"; target: BitTarget; when: null };

/** Bits a write changes only while another field allows it (`regwen`, `swwe`/`swwel`). */
export interface WriteGate {
  /** The gated bits of the register. */
  mask: bigint;
  /** The field deciding. */
  by: BitTarget;
  /** Writable while `by` is non-zero ("set", a write enable) or zero ("clear", a lock). */
  writableWhile: "set" | "clear";
  /** `by` is a write-once field's flag, an entry of the `WRITTEN` storage. */
  once: boolean;
}

/** A write-once field (or register): its first write since reset sets `flag`, which locks it. */
export interface WriteOnce {
  mask: bigint;
  /** Index of its `WRITTEN` entry in the state array. */
  flag: number;
  /** `REG.FIELD` or `REG`. */
  label: string;
}

/** Entries of private state, in the state array after the registers. */
export interface Storage {
  name: string;
  description: string;
  count: number;
  width: 8 | 16 | 32 | 64;
  reset: bigint;
  /** The bits an entry may hold: all of its width, or 1 for a flag. */
  holds: bigint;
  /** Index of entry 0 in the state array (`Device.stateSize` entries in all). */
  first: number;
  /** Set when the storage is a queue: its bookkeeping follows its entries in the state array. */
  fifo: Fifo | null;
  /** A device reset leaves the entries as they are; they take `reset` at creation only. */
  keepOnReset: boolean;
}

/**
 * A queue of a storage's `count` entries: `level` of them are queued, the oldest at entry
 * `head`. A state with head >= count or level > count is refused (state-rules.ts).
 */
export interface Fifo {
  /** State-array index of the head (`first + count`) and of the level (`first + count + 1`). */
  head: number;
  level: number;
  /** Status fields kept in step after every push, pop and reset (null: none). */
  notEmpty: BitTarget | null;
  full: BitTarget | null;
  /** Holds the level, right-aligned in the field. */
  levelField: BitTarget | null;
  /** Set when a push finds the queue full. */
  overrun: BitTarget | null;
}

/** A data register whose accesses reach `storage` at the entry `index` selects. */
export interface Indirect {
  storage: Storage;
  index: BitTarget;
  autoIncrement: boolean;
}

/** The register is decoded only while `select` (a field) holds `value`. */
export interface Bank {
  select: BitTarget;
  value: bigint;
}

export interface Register {
  /** Index in `Device.registers` and in the C core's state array. */
  index: number;
  name: string;
  /** The DSL register it came from, and its position in an array (null when not an array). */
  arrayName: string | null;
  arrayIndex: number | null;
  offset: number;
  width: 8 | 16 | 32 | 64;
  bytes: number;
  reset: bigint;
  description: string;
  /** In lsb order, none overlapping another; `masks.defined` is their union. */
  fields: Field[];
  masks: BitMasks;
  policy: Policy;
  bank: Bank | null;
  indirect: Indirect | null;
  /** The FIFO storage a read pops (readable bits) and a write pushes (writable bits), or null. */
  fifo: Storage | null;
  writeGates: WriteGate[];
  writeOnce: WriteOnce[];
  onRead: Action[];
  onWrite: Action[];
}

export interface Hook {
  name: string;
  /** The C function in hooks.c. */
  cName: string;
  direction: "read" | "write";
  description: string;
  model: HookSpec["model"] | null;
  /** Register indices whose values are unknown after the hook runs when it has no model. */
  touches: number[];
}

export interface KvmNumbered {
  name: string;
  number: number;
}

/** Four VM ioctls and a capability of the device's own, as `KVM_CREATE_PIT2` has. */
export interface KvmIoctlApi {
  kind: "ioctl";
  create: KvmNumbered;
  configure: KvmNumbered;
  getState: KvmNumbered;
  setState: KvmNumbered;
  capability: KvmNumbered;
}

/**
 * `KVM_CREATE_DEVICE` of a device type of its own, configured and migrated through the
 * attribute groups of its fd: what upstream asks of new in-kernel devices.
 */
export interface KvmDeviceApi {
  kind: "device";
  type: KvmNumbered;
  /** Attribute group whose attribute 0 is `struct kvm_<name>_config`. */
  configGroup: KvmNumbered;
  /** Attribute group whose attribute 0 is `struct kvm_<name>_state`. */
  stateGroup: KvmNumbered;
}

export interface KvmNames {
  bus: "pio" | "mmio";
  api: KvmIoctlApi | KvmDeviceApi;
}

/** "ioctl" (VM ioctls) or "device" (KVM_CREATE_DEVICE). */
export type KvmApiKind = KvmNames["api"]["kind"];

export interface Device {
  name: string;
  /** Upper-case prefix for macros. */
  prefix: string;
  description: string;
  /** The device file, relative to the working directory, for banners. */
  source: string;
  pci: {
    vendorId: number;
    deviceId: number;
    subsystemVendorId: number;
    subsystemId: number;
    classCode: number;
    revision: number;
  };
  bar: {
    index: number;
    space: "io" | "mmio";
    size: number;
    decodeMask: number;
  };
  kvm: KvmNames;
  /** Sizes the bus can issue: 1, 2, 4 for port I/O; 1, 2, 4, 8 for MMIO. */
  busSizes: number[];
  registers: Register[];
  storage: Storage[];
  /** Entries of the state array: the registers, then every storage's entries (and a FIFO's head and level). */
  stateSize: number;
  /** The line: `status & enable`, and `gate` non-zero when there is one. */
  interrupt: { status: number; enable: number; gate: BitTarget | null; test: number | null } | null;
  hooks: Hook[];
  /** In the order written; each step at the same index as in the device file. */
  scenarios: Scenario[];
}

/** An access sequence of the device file, with every place resolved to a BAR offset and size. */
export interface Scenario {
  name: string;
  description: string;
  steps: ScenarioStep[];
}

export type ScenarioStep =
  | { op: "write"; offset: number; size: number; value: bigint; label: string }
  | { op: "read"; offset: number; size: number; label: string; expect: { value: bigint; mask: bigint } | null }
  | { op: "reset" }
  | { op: "irq"; expect: boolean };
