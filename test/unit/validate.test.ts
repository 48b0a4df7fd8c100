/**
 * Every diagnostic lowering (src/compile/lower.ts) and validation (src/compile/) can produce,
 * each from a small device file: the exact message, and the exact place, taken from a
 * marker comment in the fixture (see test/helpers/fixtures.ts).
 */
import { compileDevice } from "../../src/compile/index.js";
import { DevgenError, formatDiagnostic } from "../../src/util/diagnostics.js";
import { compileError, deviceSource, expected, Scratch, type DeviceParts, type Want } from "../helpers/fixtures.js";

interface Given extends DeviceParts {
  /** hooks.c next to device.ts; absent when undefined. */
  hooksC?: string;
}

interface Case {
  given: Given;
  want: Want[];
}

const scratch = new Scratch();
afterAll(() => scratch.remove());

function filesOf(given: Given): Record<string, string> {
  const { hooksC, ...parts } = given;
  return { "device.ts": deviceSource(parts), ...(hooksC !== undefined ? { "hooks.c": hooksC } : {}) };
}

function check(name: string, { given, want }: Case): void {
  const files = filesOf(given);
  const dir = scratch.dir(name, files);
  if (want.length === 0) {
    expect(compileDevice(dir).device.name).toBe("foo");
    return;
  }
  const error = compileError(dir);
  expect(error).toBeInstanceOf(DevgenError);
  expect(error.exitCode).toBe(2);
  expect(error.diagnostics).toEqual(expected(dir, files, want));
}

function table(cases: [string, Case][]): void {
  test.each(cases)("%s", check);
}

const KICK_HOOK_C = `#include "foo_core.h"

void foo_hook_kick(struct foo_core *s, u64 value)
{
}
`;

describe("fixtures", () => {
  test("the default fixture device compiles", () => {
    const dir = scratch.dir("valid", filesOf({}));
    expect(compileDevice(dir).device.name).toBe("foo");
  });

  test("a fixture with a write hook and its hooks.c compiles", () => {
    const dir = scratch.dir(
      "valid hooks",
      filesOf({
        registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }]`,
        hooks: `{ kick: {} }`,
        hooksC: KICK_HOOK_C,
      }),
    );
    expect(compileDevice(dir).device.hooks.map((h) => h.cName)).toEqual(["foo_hook_kick"]);
  });
});

describe("layout", () => {
  table([
    [
      "overlapping registers",
      {
        given: { registers: `[{ name: "A", offset: 0x0 }, { name: "B", offset: /*@*/0x2, width: 16 }]` },
        want: [{ message: "register B at 0x2 overlaps A (0x0..0x3)", hint: "move it to 0x4 or later" }],
      },
    ],
    [
      "a register inside a wider one, after another register inside it",
      {
        given: {
          registers: `[
    { name: "A", offset: 0x0, width: 64 },
    { name: "B", offset: /*@b*/0x4, width: 8 },
    { name: "C", offset: /*@c*/0x6, width: 8 },
  ]`,
        },
        want: [
          { message: "register B at 0x4 overlaps A (0x0..0x7)", at: "b" },
          { message: "register C at 0x6 overlaps A (0x0..0x7)", at: "c" },
        ],
      },
    ],
    [
      "register outside the BAR",
      {
        given: { registers: `[{ name: "CTRL", offset: 0x0 }, { name: "A", offset: /*@*/0x100 }]` },
        want: [{ message: "register A at 0x100 lies outside the 0x100-byte BAR", hint: "move it down or enlarge the BAR" }],
      },
    ],
    [
      "register outside the decode window",
      {
        given: {
          bar: `{ index: 0, space: "mmio", size: 0x100, decodeMask: 0x1f }`,
          registers: `[{ name: "CTRL", offset: 0x0 }, { name: "A", offset: 0x1e, width: 16 }, { name: "B", offset: /*@b*/0x20 }]`,
        },
        want: [{ message: "register B at 0x20 lies outside the 0x20-byte decode window (bar.decodeMask 0x1f)", at: "b" }],
      },
    ],
    [
      "misaligned offset",
      {
        given: { registers: `[{ name: "A", offset: /*@*/0x6 }]` },
        want: [{ message: "register A at 0x6 is not aligned to its 4-byte width", hint: "use an offset that is a multiple of 4" }],
      },
    ],
    [
      "misaligned array element (stride not a multiple of the width)",
      {
        given: { registers: `[{ name: "DATA", offset: /*@*/0x0, count: 2, stride: 6 }]` },
        want: [{ message: "register DATA_1 at 0x6 is not aligned to its 4-byte width" }],
      },
    ],
    [
      "array stride smaller than the register",
      {
        given: { registers: `[{ name: "DATA", offset: /*@offset*/0x0, count: 2, stride: /*@*/2 }]` },
        want: [
          { message: "array stride 2 is smaller than the register (4 bytes)", hint: "use a stride of at least 4" },
          { message: "register DATA_1 at 0x2 is not aligned to its 4-byte width", at: "offset" },
          { message: "register DATA_1 at 0x2 overlaps DATA_0 (0x0..0x3)", at: "offset" },
        ],
      },
    ],
  ]);
});

describe("registers and fields", () => {
  table([
    [
      "bad width (computed, so the type checker cannot see it)",
      {
        given: { prelude: `const W: any = 12;`, registers: `[{ name: "A", offset: 0x0, width: /*@*/W }]` },
        want: [{ message: "register width 12 is not 8, 16, 32 or 64", hint: "use one of 8, 16, 32, 64" }],
      },
    ],
    [
      "offset that is not an integer",
      {
        given: { registers: `[{ name: "A", offset: /*@*/1.5 }]` },
        want: [{ message: "register offset must be an integer, got 1.5" }],
      },
    ],
    [
      "unknown access kind",
      {
        given: { registers: `[{ name: "A", offset: 0x0, access: /*@*/"rx" as any }]` },
        want: [{ message: 'access must be one of "ro", "rw", "wo", "w1c", "w1s", "rc", "const", got "rx"' }],
      },
    ],
    [
      "overlapping fields",
      {
        given: { registers: `[{ name: "A", offset: 0x0, fields: [{ name: "X", bits: [3, 0] }, { name: "Y", bits: /*@*/[4, 3] }] }]` },
        want: [{ message: "field Y [4:3] overlaps field X [3:0]", hint: "give each bit to one field" }],
      },
    ],
    [
      "field outside the width",
      {
        given: { registers: `[{ name: "A", offset: 0x0, width: 8, fields: [{ name: "F", bits: /*@*/[8, 7] }] }]` },
        want: [{ message: "field F [8:7] is outside the 8-bit register", hint: "use bits below 8 or widen the register" }],
      },
    ],
    [
      "field range written backwards",
      {
        given: { registers: `[{ name: "A", offset: 0x0, fields: [{ name: "F", bits: /*@*/[2, 5] }] }]` },
        want: [{ message: "field bits [2, 5] are not a valid range", hint: "write [msb, lsb] with msb >= lsb >= 0" }],
      },
    ],
    [
      "reset not fitting the width",
      {
        given: { registers: `[{ name: "A", offset: 0x0, width: 8, reset: /*@*/0x100 }]` },
        want: [{ message: "reset value 0x100 does not fit in 8 bits", hint: "use a value up to 0xff or widen the register" }],
      },
    ],
    [
      "reset beyond 64 bits",
      {
        given: { registers: `[{ name: "A", offset: 0x0, width: 64, reset: /*@*/0x1_0000_0000_0000_0000n }]` },
        want: [{ message: "reset value 0x10000000000000000 is out of range 0x0..0xffffffffffffffff" }],
      },
    ],
    [
      "reset setting reserved bits",
      {
        given: { registers: `[{ name: "A", offset: 0x0, reset: /*@*/0x3, fields: [{ name: "EN", bits: 0 }] }]` },
        want: [{ message: "reset value sets reserved bits 0x2 of A", hint: "reserved bits read as zero; clear them or define a field" }],
      },
    ],
    [
      "field reset too large",
      {
        given: { registers: `[{ name: "A", offset: 0x0, fields: [{ name: "MODE", bits: [2, 1], reset: /*@*/4 }] }]` },
        want: [{ message: "reset value 0x4 does not fit in the 2-bit field MODE", hint: "use a value up to 0x3" }],
      },
    ],
    [
      "enum value too large",
      {
        given: { registers: `[{ name: "A", offset: 0x0, fields: [{ name: "MODE", bits: [2, 1], values: { A: 0, B: /*@*/4 } }] }]` },
        want: [{ message: "value B = 0x4 does not fit in the 2-bit field MODE", hint: "use a value up to 0x3" }],
      },
    ],
    [
      "duplicate register names",
      {
        given: { registers: `[{ name: "A", offset: 0x0 }, /*@*/{ name: "A", offset: 0x4 }]` },
        want: [{ message: 'register name "A" is used twice', hint: "register names must be unique (arrays add _<index>)" }],
      },
    ],
    [
      "duplicate register names via an array",
      {
        given: { registers: `[{ name: "DATA", offset: 0x0, count: 2 }, /*@*/{ name: "DATA_1", offset: 0x8 }]` },
        want: [{ message: 'register name "DATA_1" is used twice' }],
      },
    ],
    [
      "duplicate field names",
      {
        given: { registers: `[{ name: "A", offset: 0x0, fields: [{ name: "EN", bits: 0 }, { name: /*@*/"EN", bits: 1 }] }]` },
        want: [{ message: 'field name "EN" is used twice in A', hint: "field names must be unique within a register" }],
      },
    ],
    [
      "no registers",
      {
        given: { registers: `/*@*/[]` },
        want: [{ message: "the device has no registers", hint: "add at least one register" }],
      },
    ],
  ]);
});

describe("names", () => {
  table([
    [
      "device name that is a C keyword",
      {
        given: { name: `/*@*/"int"` },
        want: [{ message: 'device name "int" is a C keyword', hint: "choose another name" }],
      },
    ],
    [
      "register name that is a C keyword compiles (it only appears behind the prefix: FOO_VOID)",
      {
        given: { registers: `[{ name: /*@*/"VOID", offset: 0x0 }]` },
        want: [],
      },
    ],
    [
      "field name that is a C keyword compiles (FOO_A_CONST)",
      {
        given: { registers: `[{ name: "A", offset: 0x0, fields: [{ name: /*@*/"CONST", bits: 0 }] }]` },
        want: [],
      },
    ],
    [
      "reserved device name",
      {
        given: { name: `/*@*/"pci"` },
        want: [{ message: 'device name "pci" collides with a file or symbol of KVM or QEMU', hint: "choose a more specific name" }],
      },
    ],
    [
      "device name longer than 20 characters",
      {
        given: { name: `/*@*/"abcdefghijklmnopqrstu"` },
        want: [{ message: 'device name "abcdefghijklmnopqrstu" is longer than 20 characters' }],
      },
    ],
    [
      "wrong-case names, all in one run",
      {
        given: {
          name: `/*@device*/"Foo"`,
          registers: `[{ name: /*@register*/"ctrl", offset: 0x0, fields: [{ name: /*@field*/"En", bits: 0, values: { OFF: 0, on: /*@value*/1 } }], onWrite: [{ hook: "Kick" }] }]`,
          hooks: `{ Kick: /*@hook*/{} }`,
        },
        want: [
          { message: 'device name "Foo" has the wrong case', at: "device", hint: 'write it like "xche"' },
          { message: 'register name "ctrl" has the wrong case', at: "register", hint: 'write it like "CTRL"' },
          { message: 'field name "En" has the wrong case', at: "field", hint: 'write it like "ENABLE"' },
          { message: 'value name "on" has the wrong case', at: "value", hint: 'write it like "IDLE"' },
          { message: 'hook name "Kick" has the wrong case', at: "hook", hint: 'write it like "exchange"' },
        ],
      },
    ],
    [
      "register name that is not a C identifier",
      {
        given: { registers: `[{ name: /*@*/"9A", offset: 0x0 }]` },
        want: [{ message: 'register name "9A" is not a C identifier', hint: 'use letters, digits and _, e.g. "CTRL"' }],
      },
    ],
    [
      "register name that C keyword rules should not reject (UART LCR.BREAK)",
      {
        given: { registers: `[{ name: "LCR", offset: 0x0, fields: [{ name: /*@*/"BREAK", bits: 6 }] }]` },
        want: [],
      },
    ],
    [
      "generated C-name collision: register CTRL_MODE vs field CTRL.MODE",
      {
        given: { registers: `[{ name: "CTRL", offset: 0x0, fields: [{ name: "MODE", bits: 0 }] }, { name: /*@*/"CTRL_MODE", offset: 0x4 }]` },
        want: [
          {
            message: "the C name FOO_CTRL_MODE for register CTRL_MODE is also generated for register CTRL",
            hint: "rename the register or field so the generated names differ",
          },
        ],
      },
    ],
    [
      "generated C-name collision: field MODE_SHIFT vs the shift of field MODE",
      {
        given: { registers: `[{ name: /*@*/"CTRL", offset: 0x0, fields: [{ name: "MODE", bits: [2, 1] }, { name: "MODE_SHIFT", bits: 3 }] }]` },
        want: [{ message: "the C name FOO_CTRL_MODE_SHIFT for register CTRL is also generated for register CTRL" }],
      },
    ],
    [
      "generated C-name collision: an array's _COUNT",
      {
        given: { registers: `[{ name: "DATA", offset: 0x0, count: 2 }, { name: /*@*/"DATA_COUNT", offset: 0x8 }]` },
        want: [{ message: "the C name FOO_DATA_COUNT for register DATA_COUNT is also generated for register DATA_0" }],
      },
    ],
    [
      "C name reserved by devgen (FOO_NR_REGS)",
      {
        given: { registers: `[{ name: /*@*/"NR_REGS", offset: 0x0 }]` },
        want: [{ message: "the C name FOO_NR_REGS for register NR_REGS is reserved by devgen" }],
      },
    ],
    [
      "C name of the core's access enum (FOO_ACCESS_ERROR)",
      {
        given: { registers: `[{ name: /*@*/"ACCESS", offset: 0x0, fields: [{ name: "ERROR", bits: 0 }] }]` },
        want: [{ message: "the C name FOO_ACCESS_ERROR for register ACCESS is reserved by devgen" }],
      },
    ],
    [
      "C name of the core header's include guard (FOO_CORE_H)",
      {
        given: { registers: `[{ name: /*@*/"CORE_H", offset: 0x0 }]` },
        want: [{ message: "the C name FOO_CORE_H for register CORE_H is reserved by devgen" }],
      },
    ],
  ]);
});

describe("BAR, PCI and KVM numbers", () => {
  table([
    [
      "non-power-of-two BAR",
      {
        given: { bar: `{ index: 0, space: "mmio", size: /*@*/0x30 }` },
        want: [{ message: "BAR size 0x30 is not a power of two", hint: "PCI BARs are naturally aligned powers of two; use 0x40" }],
      },
    ],
    [
      "BAR size below the minimum for port I/O",
      {
        given: { bar: `{ index: 0, space: "io", size: /*@*/2 }` },
        want: [{ message: "BAR size 0x2 is out of range 0x4..0x10000", hint: "use a value in 0x4..0x10000" }],
      },
    ],
    [
      "BAR size below the minimum: no register is measured against the smallest BAR",
      {
        given: { bar: `{ index: 0, space: "io", size: /*@*/2 }`, registers: `[{ name: "CTRL", offset: 0x0 }, { name: "DATA", offset: 0x4 }]` },
        want: [{ message: "BAR size 0x2 is out of range 0x4..0x10000", hint: "use a value in 0x4..0x10000" }],
      },
    ],
    [
      "BAR size above the maximum: no register is measured against the smallest BAR",
      {
        given: { bar: `{ index: 0, space: "mmio", size: /*@*/0x80000000 }`, registers: `[{ name: "CTRL", offset: 0x0 }, { name: "DATA", offset: 0x100 }]` },
        want: [{ message: "BAR size 0x80000000 is out of range 0x10..0x40000000", hint: "use a value in 0x10..0x40000000" }],
      },
    ],
    [
      "BAR size out of range, and a register no port I/O BAR could hold",
      {
        given: { bar: `{ index: 0, space: "io", size: /*@size*/2 }`, registers: `[{ name: "CTRL", offset: 0x0 }, { name: "FAR", offset: /*@far*/0x10000 }]` },
        want: [
          { at: "size", message: "BAR size 0x2 is out of range 0x4..0x10000", hint: "use a value in 0x4..0x10000" },
          { at: "far", message: "register FAR at 0x10000 lies outside the 0x10000-byte BAR", hint: "move it down or enlarge the BAR" },
        ],
      },
    ],
    [
      "BAR index out of range",
      {
        given: { bar: `{ index: /*@*/6, space: "mmio", size: 0x100 }` },
        want: [{ message: "BAR index 0x6 is out of range 0x0..0x5" }],
      },
    ],
    [
      "decode mask not of the form 2^n - 1",
      {
        given: { bar: `{ index: 0, space: "mmio", size: 0x100, decodeMask: /*@*/0x30 }` },
        want: [{ message: "decode mask 0x30 is not of the form 2^n - 1", hint: "registers repeat every decodeMask + 1 bytes; use e.g. 0x1f" }],
      },
    ],
    [
      "decode mask larger than the BAR",
      {
        given: { bar: `{ index: 0, space: "mmio", size: 0x100, decodeMask: /*@*/0x1ff }` },
        want: [{ message: "bar.decodeMask 0x1ff is out of range 0x0..0xff" }],
      },
    ],
    [
      "decode window smaller than the largest access",
      {
        given: { bar: `{ index: 0, space: "mmio", size: 0x100, decodeMask: /*@*/0x3 }` },
        want: [{ message: "decode window 4 is smaller than the largest access (8 bytes)", hint: "widen the decode mask" }],
      },
    ],
    [
      "PCI vendor ID 0xffff (means no device)",
      {
        given: { pci: `{ vendorId: /*@*/0xffff, deviceId: 0x0101 }` },
        want: [{ message: "PCI vendor ID 0xffff is out of range 0x0..0xfffe" }],
      },
    ],
    [
      "ioctl number colliding with upstream",
      {
        given: { kvm: `{ ioctl: { number: /*@*/0xe3 }, capability: { number: 1000 } }` },
        want: [{ message: "KVM ioctl number 0xe3 collides with upstream KVM (0x00..0xe3 are taken)", hint: "use a number from 0xe4 to 0xfc" }],
      },
    ],
    [
      "ioctl number leaving no room for four ioctls",
      {
        given: { kvm: `{ ioctl: { number: /*@*/0xfd }, capability: { number: 1000 } }` },
        want: [{ message: "KVM ioctl number 0xfd leaves no room for the device's four ioctls", hint: "use a number from 0xe4 to 0xfc" }],
      },
    ],
    [
      "ioctl number above 0xff",
      {
        given: { kvm: `{ ioctl: { number: /*@*/0x100 }, capability: { number: 1000 } }` },
        want: [{ message: "KVM ioctl number 0x100 is out of range 0x0..0xff", hint: "use a number from 0xe4 to 0xfc" }],
      },
    ],
    [
      "capability number below 1000",
      {
        given: { kvm: `{ ioctl: { number: 0xe4 }, capability: { number: /*@*/999 } }` },
        want: [{ message: "KVM capability 999 collides with upstream KVM's numbering", hint: "use a private number of 1000 or more" }],
      },
    ],
    [
      "unknown KVM API",
      {
        given: { kvm: `{ api: /*@*/"vfio" as any, ioctl: { number: 0xe4 }, capability: { number: 1000 } }` },
        want: [{ message: 'kvm.api must be one of "ioctl", "device", got "vfio"' }],
      },
    ],
    [
      "device API with ioctl numbers",
      {
        given: { kvm: `{ api: "device", ioctl: /*@*/{ number: 0xe4 } }` },
        want: [{ message: 'kvm.ioctl belongs to api "ioctl", and this device has api "device"', hint: 'remove kvm.ioctl, or set kvm.api to "ioctl"' }],
      },
    ],
    [
      "ioctl API with a device type",
      {
        given: { kvm: `{ ioctl: { number: 0xe4 }, capability: { number: 1000 }, deviceType: /*@*/{ number: 128 } }` },
        want: [{ message: 'kvm.deviceType belongs to api "device", and this device has api "ioctl"', hint: 'remove kvm.deviceType, or set kvm.api to "device"' }],
      },
    ],
    [
      "device type colliding with upstream's",
      {
        given: { kvm: `{ api: "device", deviceType: { number: /*@*/5 } }` },
        want: [{ message: "KVM device type 5 collides with upstream KVM, which numbers its device types upward from 1", hint: "use a number from 128 to 255" }],
      },
    ],
    [
      "device type that would grow KVM's table",
      {
        given: { kvm: `{ api: "device", deviceType: { number: /*@*/4096 } }` },
        want: [{ message: "KVM device type 4096 would size KVM's table of device types to 4097 entries", hint: "use a number from 128 to 255" }],
      },
    ],
    [
      "KVM name without the KVM_ prefix",
      {
        given: { kvm: `{ ioctl: { name: /*@*/"CREATE_FOO", number: 0xe4 }, capability: { number: 1000 } }` },
        want: [{ message: 'KVM name "CREATE_FOO" must start with KVM_', hint: 'write it like "KVM_CREATE_FOO"' }],
      },
    ],
    [
      "missing description",
      {
        given: { description: `/*@*/" "` },
        want: [{ message: "the device needs a one-line description", hint: 'add description: "..."' }],
      },
    ],
    [
      "unknown access policy",
      {
        given: { policy: `{ unaligned: /*@*/"combine" as any }` },
        want: [{ message: 'policy.unaligned must be one of "split", "ignore", "error", got "combine"' }],
      },
    ],
  ]);
});

describe("actions, hooks and the interrupt", () => {
  table([
    [
      "unknown action target register",
      {
        given: { registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ set: /*@*/"STATUS.BUSY" }] }]` },
        want: [
          {
            message: 'action target "STATUS.BUSY" names no register',
            hint: 'write "REGISTER" or "REGISTER.FIELD" with an existing register (arrays: NAME_<index>, or the array name alone for the element accessed)',
          },
        ],
      },
    ],
    [
      "unknown action target field",
      {
        given: { registers: `[{ name: "CTRL", offset: 0x0, fields: [{ name: "EN", bits: 0 }], onWrite: [{ set: /*@*/"CTRL.BUSY" }] }]` },
        want: [{ message: 'action target "CTRL.BUSY": CTRL has no field BUSY', hint: "fields of CTRL: EN" }],
      },
    ],
    [
      "action target naming an array, not an element",
      {
        given: { registers: `[{ name: "DATA", offset: 0x0, count: 2 }, { name: "CTRL", offset: 0x8, onWrite: [{ clear: /*@*/"DATA" }] }]` },
        want: [{ message: 'action target "DATA" names no register' }],
      },
    ],
    [
      "an array's action error, reported once rather than per element",
      {
        given: { registers: `[{ name: "DATA", offset: 0x0, count: 3, fields: [{ name: "GO", bits: 0 }], onWrite: [{ set: "DATA_0.GO", when: /*@*/"START" }] }]` },
        want: [{ message: '"when" names "START", which is not a field of DATA_0', hint: "name a field of DATA_0" }],
      },
    ],
    [
      "action on const bits",
      {
        given: { registers: `[{ name: "ID", offset: 0x0, access: "const", reset: 0x1234 }, { name: "CTRL", offset: 0x4, onWrite: [{ toggle: /*@*/"ID" }] }]` },
        want: [{ message: 'action target "ID" is const', hint: "const bits never change; target a ro or rw field" }],
      },
    ],
    [
      "action that is none of set, clear, toggle, hook",
      {
        given: { registers: `[{ name: "CTRL", offset: 0x0, onWrite: [/*@*/{ poke: "CTRL" } as any] }]` },
        want: [{ message: "an action must be one of { set }, { clear }, { toggle }, { increment }, { decrement } or { hook }" }],
      },
    ],
    [
      "unknown when field",
      {
        given: { registers: `[{ name: "CTRL", offset: 0x0, fields: [{ name: "EN", bits: 0 }], onWrite: [{ set: "CTRL.EN", when: /*@*/"GO" }] }]` },
        want: [{ message: '"when" names "GO", which is not a field of CTRL', hint: "name a field of CTRL" }],
      },
    ],
    [
      "undeclared hook",
      {
        given: { registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: /*@*/"kick" }] }]` },
        want: [{ message: 'hook "kick" is not declared', hint: "add it to hooks: { kick: { ... } }" }],
      },
    ],
    [
      "hook declared but unused",
      {
        given: { hooks: `{ kick: /*@*/{ description: "Start" } }`, hooksC: KICK_HOOK_C },
        want: [{ message: `hook "kick" is declared but no register's onRead or onWrite uses it`, hint: 'use it in an action ({ hook: "..." }) or remove it' }],
      },
    ],
    [
      "hook used on read and write",
      {
        given: {
          registers: `[{ name: "A", offset: 0x0, onRead: [{ hook: "kick" }] }, { name: "B", offset: 0x4, onWrite: [{ hook: "kick" }] }]`,
          hooks: `{ kick: /*@*/{} }`,
          hooksC: KICK_HOOK_C,
        },
        want: [{ message: 'hook "kick" is used on both reads and writes', hint: "declare two hooks: a read hook returns a value, a write hook does not" }],
      },
    ],
    [
      "hook touching an unknown register",
      {
        given: {
          registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }]`,
          hooks: `{ kick: { touches: ["CTRL", /*@*/"STATUS"] } }`,
          hooksC: KICK_HOOK_C,
        },
        want: [{ message: 'hook "kick" touches unknown register "STATUS"', hint: "name a register of this device" }],
      },
    ],
    [
      "hook model naming unknown registers: in get and set, through a helper and a destructured method, each at its call",
      {
        given: {
          prelude: `import type { HookContext } from "devgen";\nconst bump = (ctx: HookContext): void => ctx./*@helper*/set("COUNT", ctx.get("CTRL") + 1n);`,
          registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }, { name: "DATA", offset: 0x4, count: 2 }]`,
          hooks: `{ kick: { model(dev, value) { const { get } = dev; dev.set("DATA_1", /*@get*/get("DATA")); dev./*@set*/set("STAUTS", value); bump(dev); const name = "CTRL" + "X"; dev.get(name); } } }`,
          hooksC: KICK_HOOK_C,
        },
        want: [
          { at: "helper", message: 'hook model names unknown register "COUNT"', hint: "name a register of this device (arrays: NAME_<index>)" },
          { at: "get", message: 'hook model names unknown register "DATA"', hint: "name a register of this device (arrays: NAME_<index>)" },
          { at: "set", message: 'hook model names unknown register "STAUTS"', hint: "name a register of this device (arrays: NAME_<index>)" },
        ],
      },
    ],
    [
      "hook model that is not a function",
      {
        given: {
          registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }]`,
          hooks: `{ kick: { model: /*@*/1 as any } }`,
          hooksC: KICK_HOOK_C,
        },
        want: [{ message: 'hook "kick".model must be a function' }],
      },
    ],
    [
      "hook missing from hooks.c",
      {
        given: {
          registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }, { name: "DATA", offset: 0x4, onRead: [{ hook: "fetch" }] }]`,
          hooks: `{ fetch: /*@fetch*/{}, kick: {} }`,
          hooksC: KICK_HOOK_C,
        },
        want: [
          {
            message: `hook "fetch" has no C function foo_hook_fetch() in <dir>/hooks.c`,
            at: "fetch",
            hint: "add: u64 foo_hook_fetch(struct foo_core *s, u64 value)",
          },
        ],
      },
    ],
    [
      "hooks.c missing altogether",
      {
        given: { registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }]`, hooks: `{ kick: /*@*/{} }` },
        want: [{ message: 'hook "kick" has no C function foo_hook_kick() in hooks.c (missing)', hint: "add: void foo_hook_kick(struct foo_core *s, u64 value)" }],
      },
    ],
    [
      "stale hook in hooks.c",
      {
        given: {
          registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }]`,
          hooks: `{ kick: {} }`,
          hooksC: `${KICK_HOOK_C}
static void helper(void)
{
}

u64 foo_hook_old(struct foo_core *s, u64 value)
{
	return value;
}
`,
        },
        want: [
          {
            message: 'foo_hook_old() is stale: no hook "old" is declared in the device file',
            at: { file: "hooks.c", find: "foo_hook_old" },
            hint: "declare it under hooks: { ... } or delete the function",
          },
        ],
      },
    ],
    [
      "stale hook in hooks.c of a device that declares none",
      {
        given: { hooksC: KICK_HOOK_C },
        want: [{ message: 'foo_hook_kick() is stale: no hook "kick" is declared in the device file', at: { file: "hooks.c", find: "foo_hook_kick" } }],
      },
    ],
    [
      "a kernel-doc comment does not define a hook",
      {
        given: {
          registers: `[{ name: "CTRL", offset: 0x0, onWrite: [{ hook: "kick" }] }]`,
          hooks: `{ kick: /*@*/{} }`,
          hooksC: `/**\n * foo_hook_kick() - start the device (function not written yet)\n */\n`,
        },
        want: [{ message: `hook "kick" has no C function foo_hook_kick() in <dir>/hooks.c` }],
      },
    ],
    [
      "interrupt register missing",
      {
        given: { interrupt: `{ status: /*@status*/"IRQ_STATUS", enable: /*@enable*/"IRQ_ENABLE" }` },
        want: [
          { message: 'interrupt status register "IRQ_STATUS" does not exist', at: "status", hint: "name a register of this device" },
          { message: 'interrupt enable register "IRQ_ENABLE" does not exist', at: "enable", hint: "name a register of this device" },
        ],
      },
    ],
  ]);
});

describe("several errors in one file", () => {
  const given: Given = {
    name: `"foo"`,
    bar: `{ index: 0, space: "mmio", size: 0x100, decodeMask: /*@mask*/0x30 }`,
    kvm: `{ ioctl: { number: /*@ioctl*/0x10 }, capability: { number: 1000 } }`,
    interrupt: `{ status: /*@irq*/"STATUS", enable: "CTRL" }`,
    registers: `[
    { name: "CTRL", offset: 0x0, fields: [{ name: "MODE", bits: [1, 0] }, { name: "GO", bits: /*@bits*/[1, 1] }],
      onWrite: [{ set: /*@target*/"CTRL.BUSY" }] },
    { name: /*@macro*/"CTRL_MODE", offset: /*@overlap*/0x2, width: 16 },
    { name: "DATA", offset: 0x4, width: 8, reset: /*@reset*/0x1ff },
  ]`,
  };
  const want: Want[] = [
    { message: "decode mask 0x30 is not of the form 2^n - 1", at: "mask" },
    { message: "KVM ioctl number 0x10 collides with upstream KVM (0x00..0xe3 are taken)", at: "ioctl" },
    { message: "field GO [1:1] overlaps field MODE [1:0]", at: "bits" },
    { message: "reset value 0x1ff does not fit in 8 bits", at: "reset" },
    { message: 'action target "CTRL.BUSY": CTRL has no field BUSY', at: "target" },
    { message: 'interrupt status register "STATUS" does not exist', at: "irq" },
    { message: "register CTRL_MODE at 0x2 overlaps CTRL (0x0..0x3)", at: "overlap" },
    { message: "the C name FOO_CTRL_MODE for register CTRL_MODE is also generated for register CTRL", at: "macro" },
  ];

  test("lowering, layout and name checks report everything in one run, in source order per stage", () => {
    check("several errors", { given, want });
  });

  test("the message prints each diagnostic as file:line:col: error: message, then its hint", () => {
    const files = filesOf(given);
    const dir = scratch.dir("several errors formatted", files);
    const error = compileError(dir);
    expect(error.message).toBe(error.diagnostics.map(formatDiagnostic).join("\n"));
    const [first] = expected(dir, files, want);
    expect(error.message.split("\n").slice(0, 2)).toEqual([
      `${first!.location!.file}:${first!.location!.line}:${first!.location!.column}: error: decode mask 0x30 is not of the form 2^n - 1`,
      "  hint: registers repeat every decodeMask + 1 bytes; use e.g. 0x1f",
    ]);
  });

  test("hooks.c problems are reported together with the others", () => {
    check("several errors and a stale hook", {
      given: { registers: `[{ name: "A", offset: 0x0 }, { name: "B", offset: /*@*/0x2 }]`, hooksC: KICK_HOOK_C },
      want: [
        { message: "register B at 0x2 is not aligned to its 4-byte width" },
        { message: "register B at 0x2 overlaps A (0x0..0x3)" },
        { message: 'foo_hook_kick() is stale: no hook "kick" is declared in the device file', at: { file: "hooks.c", find: "foo_hook_kick" } },
      ],
    });
  });
});
