/**
 * The device description language: what a user writes in `devices/<name>/device.ts`.
 *
 * Every field is documented here because this file is what an editor shows on hover.
 * Defaults are filled in once, by `src/compile/lower.ts`; nothing downstream sees `undefined`.
 */

/** An integer value. `bigint` lets 64-bit reset values and masks be exact. */
export type Int = number | bigint;

/** Register width in bits. */
export type Width = 8 | 16 | 32 | 64;

/** Size in bytes of one guest access. Port I/O can issue 1, 2 and 4; MMIO also 8. */
export type AccessSize = 1 | 2 | 4 | 8;

/**
 * How a bit behaves when the guest reads or writes it.
 *
 * - `ro`: reads the stored value; writes are ignored (side effects and hooks may change it).
 * - `rw`: reads and writes the stored value.
 * - `wo`: writes are stored; reads return 0.
 * - `w1c`: reads the stored value; writing 1 clears the bit, writing 0 leaves it.
 * - `w1s`: reads the stored value; writing 1 sets the bit, writing 0 leaves it.
 * - `rc`: reads the stored value, then clears the bits that were read; writes are ignored.
 * - `const`: always reads the reset value; nothing can change it.
 *
 * Bits that belong to no field are reserved: they read as zero and ignore writes.
 */
export type AccessKind = "ro" | "rw" | "wo" | "w1c" | "w1s" | "rc" | "const";

/**
 * What an access that does not match the register exactly does. Applies to the register
 * holding the access's first byte.
 *
 * - `combine`: (narrower accesses) the bytes accessed are read, or merged into the
 *   register's current value on write; the other bytes are untouched.
 * - `split`: (wider or unaligned accesses) each byte goes to whatever register holds it,
 *   as if each register had been accessed on its own bytes; bytes in no register read 0.
 * - `ignore`: reads return 0 and writes are dropped.
 * - `error`: reads return all ones (like a PCI master abort) and writes are dropped.
 */
export type SizePolicy = "combine" | "split" | "ignore" | "error";

export interface AccessPolicy {
  /** An access smaller than the register. Default `combine`. */
  narrower?: "combine" | "ignore" | "error";
  /** An access larger than the register, reaching into the next ones. Default `split`. */
  wider?: "split" | "ignore" | "error";
  /** An access whose offset is not a multiple of its size. Default `error`. */
  unaligned?: "split" | "ignore" | "error";
  /**
   * The access sizes the register takes, e.g. `[4, 8]` for "32- and 64-bit accesses only"
   * (HPET). An access of another size starting in the register does what `otherSizes` says,
   * before any of the cases above applies. Default: every size the bus issues.
   */
  sizes?: AccessSize[];
  /** An access of a size `sizes` does not list. Default `error`. */
  otherSizes?: "ignore" | "error";
}

/** A named value of a field, emitted as a `#define` in the guest header. */
export type EnumValues = Record<string, Int>;

export interface FieldSpec {
  /** C identifier, unique within its register (e.g. `"ENABLE"`). */
  name: string;
  /** Bit range `[msb, lsb]` inclusive, or a single bit number. */
  bits: [number, number] | number;
  /** Defaults to the register's `access`. */
  access?: AccessKind;
  /** Reset value of the field, right-aligned. Default 0 (or taken from the register's reset). */
  reset?: Int;
  description?: string;
  /** Named values, e.g. `{ IDLE: 0, BUSY: 1 }`. */
  values?: EnumValues;
  /**
   * `true`: the field only ever holds one of its `values`. A write of any other value
   * leaves the field as it was (the register's other fields are written as usual), as
   * hardware does for a mode field whose encodings are partly reserved.
   */
  onlyValues?: boolean;
  /**
   * A field (`"REG.FIELD"`) that must be non-zero for writes to change this field, as
   * OpenTitan's `regwen` or SystemRDL's `swwe`: while it is zero, writes leave this field
   * as it was. Actions and hooks still change it.
   */
  writeEnable?: string;
  /**
   * A field (`"REG.FIELD"`) that locks this field while it is non-zero (SystemRDL's
   * `swwel`): writes leave the field as it was until the lock field is zero again.
   */
  writeLock?: string;
  /**
   * `true`: the first write reaching the field after reset is its last (RgGen's `w1`, a
   * lock-once configuration field); later writes leave it as it was until the device is
   * reset. Actions and hooks still change it. Which fields have been written is state, the
   * entries of a storage named `WRITTEN`.
   */
  writeOnce?: boolean;
}

/**
 * A side effect run after an access to the register has been applied, in the order given.
 * Targets are `"REGISTER.FIELD"` or `"REGISTER"` (all bits of it).
 */
export type Action =
  | { set: string; when?: string }
  | { clear: string; when?: string }
  | { toggle: string; when?: string }
  | { increment: string; saturate?: boolean; when?: string }
  | { decrement: string; saturate?: boolean; when?: string }
  | { hook: string; when?: string };
// `when` names a field of the accessed register: the action runs only if the value the
// guest wrote has that field non-zero (for reads: the value read).
//
// In an array's actions, a target naming the array itself (`"CTRL.START"` in CTRL's own
// actions) is the element accessed; `"REG[n]"` or `"REG.FIELD[n]"` is bit n of that register
// or field, n being the element accessed. `"CTRL_0.START"` always means element 0.
//
// `increment` and `decrement` count in the target field (a register: all its bits): by one
// per access, wrapping around unless `saturate` holds the count at its maximum or at zero.

export interface RegisterSpec {
  /** C identifier, upper case by convention (e.g. `"CTRL"`). Arrays append `_<index>`. */
  name: string;
  /** Byte offset in the decoded register window; must be a multiple of the width in bytes. */
  offset: Int;
  /** Width in bits. Default 32. */
  width?: Width;
  /** Default access kind for the register's fields (or the whole register if it has none). */
  access?: AccessKind;
  /** Reset value of the whole register. Fields' own `reset` values are merged into it. */
  reset?: Int;
  description?: string;
  fields?: FieldSpec[];
  /** Unroll into `count` registers `NAME_0`… spaced `stride` bytes apart. */
  count?: number;
  /** Distance in bytes between array elements. Default: the width in bytes. */
  stride?: number;
  /** Access-size policy for this register; defaults come from the device's `access`. */
  policy?: AccessPolicy;
  /**
   * Decoded only while a field selects it: `{ select: "LCR.DLAB", value: 1 }`. Registers of
   * one selector field may share offsets (the 16550's divisor latch behind DATA and IER);
   * each then needs a `bank`, of the same width and offset, and where the field's value
   * selects none of them the bytes decode to nothing.
   */
  bank?: BankSpec;
  /**
   * An indirect data register: its accesses reach `storage[index]`, where `index` is a
   * field (`"IDX.ADDR"`) of another register, as a CMOS or VGA index/data port pair does.
   * The register's access kind applies to the entry; an index past the storage reads 0 and
   * drops writes. The register holds nothing of its own.
   */
  indirect?: IndirectSpec;
  /**
   * A FIFO's data port: the name of a `storage` with `fifo`. The register holds no value of
   * its own; its access kind says what reaches the queue. A read of a register with readable
   * bits (`ro`, `rw`) pops the oldest entry and returns it (an empty queue reads 0 and
   * changes nothing); a write to one with writable bits (`wo`, `rw`) pushes the value
   * written (a full queue drops it and sets the `overrun` field). So `ro` is a receive
   * buffer (writes reach only the register's actions and hooks), `wo` a transmit queue
   * (reads return 0 and pop nothing), `rw` both. The register has the entries' width and no
   * `w1c`, `w1s` or `rc` bits; it may be banked, but not `indirect` or an array.
   */
  fifo?: string;
  /** Like a field's `writeEnable`, for every field of the register (or all its bits). */
  writeEnable?: string;
  /** Like a field's `writeLock`, for every field of the register (or all its bits). */
  writeLock?: string;
  /** Like a field's `writeOnce`, for the register's bits as one (one first write for all). */
  writeOnce?: boolean;
  onRead?: Action[];
  onWrite?: Action[];
}

export interface IndirectSpec {
  /** The name of an entry of the device's `storage`. */
  storage: string;
  /** The field selecting the entry, `"REG.FIELD"`. */
  index: string;
  /**
   * `true`: each access moves the index field on by one (wrapping within the field), so a
   * driver can stream through the storage with the data register alone.
   */
  autoIncrement?: boolean;
}

/**
 * State that is not a register: entries no offset decodes, reached through an `indirect`
 * register or by hooks (`<dev>_get_<name>(s, n)`; in a model, `dev.get("<NAME>_<n>")`).
 * Part of the device's state: saved, migrated and checked like the registers.
 */
export interface StorageSpec {
  description?: string;
  /** Number of entries, 1 to 65536. */
  count: number;
  /** Width of each entry in bits. Default 8. */
  width?: Width;
  /** Value of every entry at power-on and after reset. Default 0. */
  reset?: Int;
  /**
   * `true`: a device reset leaves the entries as they are, as battery-backed NVRAM keeps its
   * bytes; they take `reset` only when the device is created. Not for a `fifo`.
   */
  keepOnReset?: boolean;
  /**
   * Makes the storage a queue (first in, first out) of `count` entries, empty after reset.
   * Its head and level are state too, after the entries: KVM's get/set state and QEMU's
   * migration carry them, and a state whose head is not below `count` or whose level is
   * above it is refused. A register's `fifo` pushes and pops it; hooks do with
   * `<device>_push_<storage>()`/`<device>_pop_<storage>()` in C and `dev.push()`/`dev.pop()`
   * in their models.
   */
  fifo?: FifoSpec;
}

/**
 * Status fields the core keeps in step with a FIFO after every push, pop and reset, each
 * `"REG.FIELD"` (or `"REG"` of a register without fields). All are optional; `{}` is a
 * queue nothing reports on. The fields should be `ro` (the guest only reads them) and, but
 * for `overrun`, reset to 0: the queue is empty after reset.
 */
export interface FifoSpec {
  /** Non-zero while the queue holds an entry (a 16550's LSR.DR): set by a push, cleared by the pop that empties it. */
  notEmpty?: string;
  /** Non-zero while the queue holds `count` entries. */
  full?: string;
  /** Holds the number of entries queued, 0 to `count`: the field must be wide enough for `count`. */
  level?: string;
  /**
   * Set (never cleared by the queue) when a push finds the queue full; that value is dropped.
   * Make it `rc` or `w1c` so the guest can clear it (a 16550's LSR.OE).
   */
  overrun?: string;
}

export interface BankSpec {
  /** The selecting field, `"REG.FIELD"`. */
  select: string;
  /** The field's value that selects this register. */
  value: Int;
}

/** Which access ran the hook. */
export interface HookAccess {
  /** The register accessed (`"DATA_3"`). */
  register: string;
  /** Its element number when it belongs to an array, else null. */
  element: number | null;
  /** The bits of the register the access covered (all of them for a full-width access). */
  lanes: bigint;
}

export interface HookContext {
  /** The access that ran the hook. */
  readonly access: HookAccess;
  /** Current value of a register, by name (`"DATA_3"`). */
  get(register: string): bigint;
  /** Store a register's value as the hook's C code would (`s->regs[...] = value`). */
  set(register: string, value: bigint): void;
  /**
   * Append a value to a FIFO storage (`"RXQ"`), as `<device>_push_<storage>(s, value)` does in
   * C: cut to the entries' width, dropped when the queue is full (setting its `overrun`
   * field). Returns whether it was queued.
   */
  push(storage: string, value: bigint): boolean;
  /** Take the oldest entry of a FIFO storage, as `<device>_pop_<storage>(s)` does; 0n when it is empty. */
  pop(storage: string): bigint;
}

export interface HookSpec {
  description?: string;
  /**
   * The hook's behaviour in TypeScript, mirroring the C in `hooks.c`. With it, the
   * conformance vectors check the C hook against this model; without it, the bits a hook
   * may change are not compared after it runs.
   *
   * For a read hook, `value` is what the register would return and the result replaces it.
   * For a write hook, `value` is what the guest wrote; the result is ignored.
   */
  model?: (ctx: HookContext, value: bigint) => bigint | void;
  /**
   * Registers this hook may change when it has no model, so their values are treated as
   * unknown after it runs. Default: the register that triggered it.
   */
  touches?: string[];
}

export interface PciSpec {
  vendorId: number;
  deviceId: number;
  /** Default: `vendorId`. */
  subsystemVendorId?: number;
  /** Default: `deviceId`. */
  subsystemId?: number;
  /** 16-bit class code (base class << 8 | subclass), e.g. 0xff00 "unclassified". */
  classCode?: number;
  revision?: number;
}

export interface BarSpec {
  /** BAR number 0..5. */
  index: number;
  /** `io` for port I/O, `mmio` for memory space. */
  space: "io" | "mmio";
  /**
   * Size in bytes: a power of two (at least 4 for io, 16 for mmio).
   *
   * An access straddling the BAR's end does what it does on real hardware: each part goes to
   * whatever decodes it. The bus cuts it at the BAR's end and, in `mmio` space, at every
   * 4 KiB boundary (the CPU, KVM and PCIe all cut there); the device sees each piece inside
   * the BAR as the largest power-of-two accesses that fit, in address order, each under its
   * register's size policy. So a 4-byte write at `size - 2` writes the BAR's last 2 bytes.
   * Known gap: KVM cuts only at pages, so with the in-kernel device an access straddling the
   * end of a BAR smaller than a page (or of an `io` BAR) reaches userspace whole, and QEMU
   * drops its bytes inside the BAR (KVM has no way to hand them to the kernel's device).
   */
  size: number;
  /**
   * Registers are decoded on `offset & decodeMask`, so the register window repeats
   * across the BAR. Default `size - 1` (no aliasing).
   */
  decodeMask?: number;
}

export interface KvmNamed {
  name?: string;
  number: number;
}

export interface KvmSpec {
  /**
   * How userspace creates and drives the device. `"ioctl"` (the default): four VM ioctls
   * and a capability of its own, as `KVM_CREATE_PIT2` has. `"device"`: `KVM_CREATE_DEVICE`
   * of a new `KVM_DEV_TYPE_<NAME>`, configured and migrated through attribute groups of its
   * fd, with no ioctl number taken; what upstream asks of new in-kernel devices.
   */
  api?: "ioctl" | "device";
  /**
   * api "ioctl": the first of four consecutive ioctl numbers on `KVMIO`: create, configure
   * (move or unmap the device, change its GSI), get state, set state. Its name defaults to
   * `KVM_CREATE_<NAME>`.
   */
  ioctl?: KvmNamed;
  /** api "ioctl": the capability reported by `KVM_CHECK_EXTENSION`. Name defaults to `KVM_CAP_<NAME>`. */
  capability?: KvmNamed;
  /** api "device": the device type. Name defaults to `KVM_DEV_TYPE_<NAME>`. */
  deviceType?: KvmNamed;
}

export interface InterruptSpec {
  /** Register whose bits are the interrupt causes. */
  status: string;
  /** Register enabling each cause; the line is asserted while `status & enable` is non-zero. */
  enable: string;
  /**
   * A field (`"CTRL.IE"`) that gates the whole line: asserted only while it is non-zero
   * and `status & enable` is. The causes are still latched while it is zero.
   */
  gate?: string;
  /**
   * A register (OpenTitan's `INTR_TEST`) whose writes set the bits written in `status`, as if
   * those causes had fired, so a driver can test its interrupt path. Of the width of
   * `status`; it reads as its own access kind says (usually `wo`).
   */
  test?: string;
}

export interface DeviceSpec {
  /** C identifier in lower case (e.g. `"xche"`): names files, types and the QOM type. */
  name: string;
  description: string;
  pci: PciSpec;
  bar: BarSpec;
  kvm: KvmSpec;
  /** Default access-size policy for every register. */
  policy?: AccessPolicy;
  registers: RegisterSpec[];
  /** Private state by name (upper case, like registers): see `StorageSpec`. */
  storage?: Record<string, StorageSpec>;
  interrupt?: InterruptSpec;
  /** Hooks implemented in `hooks.c` as `<name>_hook_<hook>()`. */
  hooks?: Record<string, HookSpec>;
  /** Named access sequences that become conformance vectors; see `ScenarioSpec`. */
  scenarios?: ScenarioSpec[];
}

/**
 * A named access sequence, run from reset. The reference model turns it into conformance
 * vectors that every implementation runs, so a path the per-register vectors would not take
 * (an unlock sequence, a write that only matters after another) is tested everywhere.
 */
export interface ScenarioSpec {
  /** Lower-case C identifier, unique within the device (e.g. `"exchange_add"`). */
  name: string;
  /** What the sequence shows, for the docs. */
  description?: string;
  /** Run in order, starting from a reset device. */
  steps: ScenarioStep[];
}

/**
 * One step of a scenario: a write, a read, a reset, or the interrupt line. A read's
 * `expect` and an `irq` step are claims, checked against the reference model when the
 * device is checked: a claim the model does not meet is an error at the step.
 */
export type ScenarioStep = ScenarioWrite | ScenarioRead | ScenarioReset | ScenarioIrq;

/** Where an access goes: a register by name (an array's element as `"DATA_3"`), or a byte offset in the BAR. */
export type ScenarioPlace = string | number;

export interface ScenarioWrite {
  /** The register written (`"CTRL"`, `"DATA_3"`), or a byte offset in the BAR. */
  write: ScenarioPlace;
  /** The value written, right-aligned to the access. */
  value: Int;
  /**
   * Access size in bytes. Default: the register's width. Needed for an offset that no
   * register starts at.
   */
  size?: AccessSize;
}

export interface ScenarioRead {
  /** The register read (`"STATUS"`, `"DATA_3"`), or a byte offset in the BAR. */
  read: ScenarioPlace;
  /** Access size in bytes. Default: the register's width. */
  size?: AccessSize;
  /** What the read returns, by the author's account; checked against the reference model. */
  expect?: Int;
  /** The bits `expect` speaks for. Default: all bits of the access. */
  mask?: Int;
}

/** Reset the device, as the guest's bus reset does. */
export interface ScenarioReset {
  reset: true;
}

/** The interrupt line is asserted (`true`) or not (`false`) at this point. */
export interface ScenarioIrq {
  irq: boolean;
}
