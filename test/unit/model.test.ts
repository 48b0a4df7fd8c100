/**
 * The reference model (src/reference/device-model.ts) against expectations worked out by hand
 * from the semantics documented in src/dsl/types.ts. Devices are written inline and go
 * through the real lowering and checks (test/helpers/fixtures.ts `build`).
 */
import { DeviceModel } from "../../src/reference/device-model.js";
import { compileDevice } from "../../src/compile/index.js";
import type { Device } from "../../src/ir/types.js";
import { build, spec } from "../helpers/fixtures.js";

function index(device: Device, name: string): number {
  const r = device.registers.find((x) => x.name === name);
  if (!r) throw new Error(`no register ${name}`);
  return r.index;
}

const known = (value: bigint) => ({ claimed: true, value, unknown: 0n });
const UNCLAIMED = { claimed: false, value: 0n, unknown: 0n };

describe("access kinds", () => {
  const device = build(
    spec({
      registers: [
        { name: "RO", offset: 0x00, access: "ro", reset: 0x12345678 },
        { name: "RW", offset: 0x04, access: "rw" },
        { name: "WO", offset: 0x08, access: "wo" },
        { name: "W1C", offset: 0x0c, access: "w1c", reset: 0xff },
        { name: "W1S", offset: 0x10, access: "w1s", reset: 0x01 },
        { name: "RC", offset: 0x14, access: "rc", reset: 0x11223344 },
        { name: "FIXED", offset: 0x18, access: "const", reset: 0xcafe },
        {
          name: "MIXED",
          offset: 0x1c,
          fields: [
            { name: "EN", bits: 0, access: "rw" },
            { name: "MODE", bits: [7, 4], access: "rw", reset: 5 },
            { name: "ID", bits: [15, 12], access: "const", reset: 0xa },
          ],
        },
      ],
    }),
  );
  let m: DeviceModel;
  beforeEach(() => (m = new DeviceModel(device)));

  test("ro: reads the stored value, ignores writes", () => {
    expect(m.read(0x00, 4)).toEqual(known(0x12345678n));
    expect(m.write(0x00, 4, 0xffffffffn)).toBe(true);
    expect(m.read(0x00, 4)).toEqual(known(0x12345678n));
  });

  test("rw: reads back what was written", () => {
    expect(m.read(0x04, 4)).toEqual(known(0n));
    m.write(0x04, 4, 0xdeadbeefn);
    expect(m.read(0x04, 4)).toEqual(known(0xdeadbeefn));
  });

  test("wo: stores writes, reads 0", () => {
    m.write(0x08, 4, 0x55n);
    expect(m.read(0x08, 4)).toEqual(known(0n));
    expect(m.regs[index(device, "WO")]).toBe(0x55n);
  });

  test("w1c: writing 1 clears, writing 0 leaves", () => {
    m.write(0x0c, 4, 0x0fn);
    expect(m.read(0x0c, 4)).toEqual(known(0xf0n));
    m.write(0x0c, 4, 0n);
    expect(m.read(0x0c, 4)).toEqual(known(0xf0n));
  });

  test("w1s: writing 1 sets, writing 0 leaves", () => {
    m.write(0x10, 4, 0x10n);
    expect(m.read(0x10, 4)).toEqual(known(0x11n));
    m.write(0x10, 4, 0n);
    expect(m.read(0x10, 4)).toEqual(known(0x11n));
  });

  test("rc: a read returns the value and clears it; writes are ignored", () => {
    expect(m.read(0x14, 4)).toEqual(known(0x11223344n));
    expect(m.read(0x14, 4)).toEqual(known(0n));
    m.write(0x14, 4, 0xffffffffn);
    expect(m.read(0x14, 4)).toEqual(known(0n));
  });

  test("rc: a narrower read clears only the bytes read", () => {
    expect(m.read(0x15, 1)).toEqual(known(0x33n));
    expect(m.read(0x14, 4)).toEqual(known(0x11220044n));
  });

  test("const: always reads the reset value, even if the state says otherwise", () => {
    m.write(0x18, 4, 0xffffffffn);
    expect(m.read(0x18, 4)).toEqual(known(0xcafen));
    m.regs[index(device, "FIXED")] = 0n; // as a hook's C code could
    expect(m.read(0x18, 4)).toEqual(known(0xcafen));
  });

  test("reserved bits read 0 and ignore writes; fields' resets merge into the register's", () => {
    expect(device.registers[index(device, "MIXED")]!.reset).toBe(0xa050n);
    expect(m.read(0x1c, 4)).toEqual(known(0xa050n));
    m.write(0x1c, 4, 0xffffffffn);
    expect(m.read(0x1c, 4)).toEqual(known(0xa0f1n));
    m.write(0x1c, 4, 0n);
    expect(m.read(0x1c, 4)).toEqual(known(0xa000n));
  });

  test("reset() restores every register", () => {
    m.write(0x04, 4, 1n);
    m.read(0x14, 4);
    m.reset();
    expect(m.read(0x04, 4)).toEqual(known(0n));
    expect(m.read(0x14, 4)).toEqual(known(0x11223344n));
  });
});

describe("access sizes and policies", () => {
  const device = build(
    spec({
      registers: [
        { name: "RW", offset: 0x04 },
        { name: "W64", offset: 0x20, width: 64, reset: 0x0123456789abcdefn },
        { name: "LO", offset: 0x28 },
        { name: "HI", offset: 0x2c },
        { name: "B8", offset: 0x30, width: 8 },
        { name: "W16", offset: 0x34, width: 16 },
        { name: "WIDE_IGNORE", offset: 0x40, reset: 0x1, policy: { wider: "ignore" } },
        { name: "NEXT_1", offset: 0x44, reset: 0x2 },
        { name: "WIDE_ERROR", offset: 0x48, reset: 0x3, policy: { wider: "error" } },
        { name: "NEXT_2", offset: 0x4c, reset: 0x4 },
        { name: "NARROW_IGNORE", offset: 0x50, reset: 0x1234, policy: { narrower: "ignore" } },
        { name: "NARROW_ERROR", offset: 0x54, reset: 0x1234, policy: { narrower: "error" } },
        { name: "UNALIGNED_IGNORE", offset: 0x58, reset: 0x5678, policy: { unaligned: "ignore" } },
        { name: "U1", offset: 0x60, reset: 0x44332211, policy: { unaligned: "split" } },
        { name: "U2", offset: 0x64, reset: 0x88776655 },
      ],
    }),
  );
  let m: DeviceModel;
  beforeEach(() => (m = new DeviceModel(device)));

  test("narrower (combine): a byte write merges into the register; narrower reads pick bytes", () => {
    m.write(0x05, 1, 0xabn);
    expect(m.read(0x04, 4)).toEqual(known(0xab00n));
    m.write(0x06, 2, 0x1234n);
    expect(m.read(0x04, 4)).toEqual(known(0x1234ab00n));
    expect(m.read(0x05, 1)).toEqual(known(0xabn));
    expect(m.read(0x06, 2)).toEqual(known(0x1234n));
  });

  test("a 64-bit register read as two 32-bit halves", () => {
    expect(m.read(0x20, 4)).toEqual(known(0x89abcdefn));
    expect(m.read(0x24, 4)).toEqual(known(0x01234567n));
    expect(m.read(0x20, 8)).toEqual(known(0x0123456789abcdefn));
  });

  test("wider (split): one 64-bit access spans two 32-bit registers", () => {
    m.write(0x28, 8, 0x1111222233334444n);
    expect(m.read(0x28, 4)).toEqual(known(0x33334444n));
    expect(m.read(0x2c, 4)).toEqual(known(0x11112222n));
    expect(m.read(0x28, 8)).toEqual(known(0x1111222233334444n));
  });

  test("wider (split) over holes: hole bytes read 0 and drop writes", () => {
    m.write(0x30, 8, 0xffffffffffffffffn);
    expect(m.regs[index(device, "B8")]).toBe(0xffn);
    expect(m.regs[index(device, "W16")]).toBe(0xffffn);
    m.write(0x30, 1, 0xaan);
    m.write(0x34, 2, 0xbbccn);
    expect(m.read(0x30, 8)).toEqual(known(0x0000bbcc000000aan));
  });

  test("wider (ignore): reads 0, drops the write to both registers", () => {
    expect(m.read(0x40, 8)).toEqual(known(0n));
    m.write(0x40, 8, 0xffffffffffffffffn);
    expect(m.read(0x40, 4)).toEqual(known(1n));
    expect(m.read(0x44, 4)).toEqual(known(2n));
  });

  test("wider (error): reads all ones, drops the write", () => {
    expect(m.read(0x48, 8)).toEqual(known(0xffffffffffffffffn));
    m.write(0x48, 8, 0n);
    expect(m.read(0x48, 4)).toEqual(known(3n));
    expect(m.read(0x4c, 4)).toEqual(known(4n));
  });

  test("narrower (ignore / error)", () => {
    expect(m.read(0x50, 1)).toEqual(known(0n));
    m.write(0x50, 2, 0n);
    expect(m.read(0x50, 4)).toEqual(known(0x1234n));
    expect(m.read(0x54, 2)).toEqual(known(0xffffn));
    m.write(0x54, 1, 0n);
    expect(m.read(0x54, 4)).toEqual(known(0x1234n));
  });

  test("unaligned (default error): reads all ones, drops the write", () => {
    m.write(0x04, 4, 0x11223344n);
    expect(m.read(0x06, 4)).toEqual(known(0xffffffffn));
    m.write(0x06, 4, 0n);
    expect(m.read(0x04, 4)).toEqual(known(0x11223344n));
  });

  test("unaligned (ignore)", () => {
    expect(m.read(0x5a, 4)).toEqual(known(0n));
    m.write(0x59, 2, 0xffffn);
    expect(m.read(0x58, 4)).toEqual(known(0x5678n));
  });

  test("unaligned (split): bytes go to the registers holding them (policy of the first byte's)", () => {
    expect(m.read(0x62, 4)).toEqual(known(0x66554433n));
    m.write(0x63, 2, 0xbbaan);
    expect(m.read(0x60, 4)).toEqual(known(0xaa332211n));
    expect(m.read(0x64, 4)).toEqual(known(0x887766bbn));
  });

  test("holes read 0, are claimed, and writes to them change nothing", () => {
    const before = [...m.regs];
    expect(m.read(0x00, 4)).toEqual(known(0n));
    expect(m.read(0x31, 1)).toEqual(known(0n));
    expect(m.write(0x31, 1, 0xffn)).toBe(true);
    expect(m.write(0x38, 8, 0xffffffffffffffffn)).toBe(true);
    expect(m.regs).toEqual(before);
  });

  test("accesses wholly past the BAR are not claimed", () => {
    expect(m.read(0x100, 4)).toEqual(UNCLAIMED);
    expect(m.read(-4, 4)).toEqual(UNCLAIMED);
    expect(m.write(0x100, 1, 0n)).toBe(false);
    expect(m.read(0xfc, 4)).toEqual(known(0n));
  });

  test("a size the bus cannot issue whole is claimed and reads all ones", () => {
    const io = build(spec({ bar: { index: 0, space: "io", size: 0x20 }, registers: [{ name: "A", offset: 0, width: 64 }] }));
    expect(new DeviceModel(io).read(0x00, 8)).toEqual(known(0xffffffffffffffffn));
  });

  test("a size that is no power of two is a piece the bus cut (KVM hands those on): its power-of-two chunks act", () => {
    m.write(0x04, 4, 0x11223344n);
    // 2 bytes at 0x04 (narrower: combine), then 1 at 0x06.
    expect(m.read(0x04, 3)).toEqual(known(0x223344n));
    m.write(0x04, 3, 0xaabbccn);
    expect(m.read(0x04, 4)).toEqual(known(0x11aabbccn));
  });
});

/*
 * An access straddling the BAR's end: its bytes inside act on the device as the largest
 * power-of-two chunks that fit, in order; the bytes past it are unknown to the model. A memory
 * BAR also cuts at 4 KiB boundaries inside it.
 */
describe("accesses the bus cuts", () => {
  const registers = [
    { name: "HEAD", offset: 0x000, width: 64 as const },
    { name: "TAIL", offset: 0xff8, width: 64 as const },
  ];
  const page = build(spec({ bar: { index: 0, space: "mmio", size: 0x1000 }, registers }));
  const big = build(spec({ bar: { index: 0, space: "mmio", size: 0x10000, decodeMask: 0xfff }, registers }));
  const small = build(spec({ bar: { index: 0, space: "mmio", size: 0x100 }, registers: [{ name: "TAIL", offset: 0xf8, width: 64 }] }));
  const io = build(spec({ bar: { index: 0, space: "io", size: 0x10 }, registers: [{ name: "TAIL", offset: 0xc }] }));

  test("a read straddling the BAR's end returns the bytes inside, the rest unknown", () => {
    const m = new DeviceModel(page);
    m.write(0xff8, 8, 0x8877665544332211n);
    expect(m.read(0xfff, 2)).toEqual({ claimed: true, value: 0x88n, unknown: 0xff00n });
    const split = build(
      spec({ bar: { index: 0, space: "mmio", size: 0x1000 }, registers: [{ name: "TAIL", offset: 0xff8, width: 64, policy: { unaligned: "split" } }] }),
    );
    const s = new DeviceModel(split);
    s.write(0xff8, 8, 0x8877665544332211n);
    expect(s.read(0xff9, 8)).toEqual({ claimed: true, value: 0x88776655443322n, unknown: 0xff00000000000000n });
  });

  test("a write straddling the BAR's end writes the bytes inside, whatever the BAR's size or space", () => {
    for (const [device, end] of [[page, 0x1000], [small, 0x100], [io, 0x10]] as const) {
      const m = new DeviceModel(device);
      // 2 bytes at end - 3 (unaligned: error, dropped), then 1 at end - 1 (narrower: combine).
      expect(m.write(end - 3, 4, 0xa1b2c3d4n)).toBe(true);
      expect(m.read(end - 4, 4)).toEqual(known(0xb2000000n));
    }
  });

  test("the chunks are the largest powers of two that fit, so each meets its register's policy", () => {
    const m = new DeviceModel(page);
    m.write(0xff8, 8, 0x8877665544332211n);
    // 7 bytes inside: 4 and 2 unaligned (error: all ones, dropped), then 1 (narrower: combine).
    expect(m.read(0xff9, 8)).toEqual({ claimed: true, value: 0x88ffffffffffffn, unknown: 0xff00000000000000n });
    m.write(0xff9, 8, 0n);
    expect(m.read(0xff8, 8)).toEqual(known(0x0077665544332211n));
  });

  test("a memory BAR above a page cuts at each 4 KiB boundary: the pieces act as accesses of their own", () => {
    const m = new DeviceModel(big);
    // 4 bytes at 0xffe: 2 to TAIL's top bytes, 2 to HEAD through the next page's alias.
    expect(m.write(0xffe, 4, 0x44332211n)).toBe(true);
    expect(m.read(0xff8, 8)).toEqual(known(0x2211000000000000n));
    expect(m.read(0x000, 8)).toEqual(known(0x4433n));
    expect(m.read(0xffe, 4)).toEqual(known(0x44332211n));
  });

  test("an access wholly past the BAR is not claimed", () => {
    expect(new DeviceModel(page).write(0x1000, 8, 0n)).toBe(false);
    expect(new DeviceModel(io).read(0x10, 4)).toEqual(UNCLAIMED);
  });
});

describe("aliasing through the decode mask", () => {
  const device = build(
    spec({
      bar: { index: 0, space: "mmio", size: 0x100, decodeMask: 0x1f },
      registers: [
        { name: "R0", offset: 0x00 },
        { name: "R1", offset: 0x04, access: "ro", reset: 0x42 },
      ],
    }),
  );

  test("the register window repeats across the BAR", () => {
    const m = new DeviceModel(device);
    expect(m.read(0x24, 4)).toEqual(known(0x42n));
    expect(m.read(0xe4, 4)).toEqual(known(0x42n));
    m.write(0x40, 4, 0x1234n);
    expect(m.read(0x00, 4)).toEqual(known(0x1234n));
    expect(m.read(0xe0, 4)).toEqual(known(0x1234n));
  });

  test("an access starting in a hole wraps into the next window's registers", () => {
    const m = new DeviceModel(device);
    m.write(0x00, 4, 0x1234n);
    // 0x1c..0x1f is a hole (so no policy applies); bytes 0x20..0x23 decode to 0x00..0x03 (R0).
    expect(m.read(0x1c, 8)).toEqual(known(0x0000123400000000n));
    // The last window: bytes past 0xff are not the device's, so unknown.
    expect(m.read(0xfc, 8)).toEqual({ claimed: true, value: 0n, unknown: 0xffffffff00000000n });
  });
});

describe("side effects", () => {
  const device = build(
    spec({
      registers: [
        {
          name: "CMD",
          offset: 0x00,
          fields: [
            { name: "GO", bits: 0 },
            { name: "STOP", bits: 1 },
            { name: "PING", bits: 2 },
          ],
          onWrite: [
            { set: "STATUS.BUSY", when: "GO" },
            { clear: "STATUS.BUSY", when: "STOP" },
            { toggle: "STATUS.TOGGLE", when: "PING" },
            { set: "EVENTS" },
          ],
        },
        {
          name: "STATUS",
          offset: 0x04,
          access: "ro",
          fields: [
            { name: "BUSY", bits: 0 },
            { name: "TOGGLE", bits: 1 },
          ],
        },
        {
          name: "EVENTS",
          offset: 0x08,
          access: "w1c",
          fields: [
            { name: "A", bits: 0 },
            { name: "B", bits: 4 },
          ],
        },
        {
          name: "PEEK",
          offset: 0x0c,
          fields: [{ name: "FLAG", bits: 8 }],
          onRead: [{ set: "STATUS.BUSY", when: "FLAG" }],
        },
      ],
    }),
  );
  let m: DeviceModel;
  beforeEach(() => (m = new DeviceModel(device)));

  test("an action without `when` runs on every access; a register target means its defined bits", () => {
    m.write(0x00, 4, 0n);
    expect(m.read(0x04, 4)).toEqual(known(0n));
    expect(m.read(0x08, 4)).toEqual(known(0x11n));
  });

  test("set / clear with `when`, in the order given", () => {
    m.write(0x00, 4, 1n);
    expect(m.read(0x04, 4)).toEqual(known(1n));
    m.write(0x00, 4, 0n);
    expect(m.read(0x04, 4)).toEqual(known(1n));
    m.write(0x00, 4, 2n);
    expect(m.read(0x04, 4)).toEqual(known(0n));
    m.write(0x00, 4, 3n); // set, then clear
    expect(m.read(0x04, 4)).toEqual(known(0n));
  });

  test("toggle", () => {
    m.write(0x00, 4, 4n);
    expect(m.read(0x04, 4)).toEqual(known(2n));
    m.write(0x00, 4, 4n);
    expect(m.read(0x04, 4)).toEqual(known(0n));
  });

  test("`when` on a write looks only at the bytes written", () => {
    m.write(0x01, 1, 0xffn);
    expect(m.read(0x04, 4)).toEqual(known(0n));
    m.write(0x00, 1, 0x01n);
    expect(m.read(0x04, 4)).toEqual(known(1n));
  });

  test("`when` on a read looks at the value read, in the bytes read", () => {
    m.write(0x0c, 4, 0x100n);
    expect(m.read(0x0c, 1)).toEqual(known(0n));
    expect(m.read(0x04, 4)).toEqual(known(0n));
    expect(m.read(0x0c, 4)).toEqual(known(0x100n));
    expect(m.read(0x04, 4)).toEqual(known(1n));
  });
});

describe("hooks with a model", () => {
  const device = build(
    spec({
      registers: [
        { name: "DATA", offset: 0x00, onWrite: [{ hook: "twice" }] },
        { name: "RESULT", offset: 0x04, access: "ro" },
        { name: "COUNTER", offset: 0x08, access: "ro", reset: 5, onRead: [{ hook: "bump" }] },
      ],
      hooks: {
        twice: {
          model(dev, value) {
            dev.set("RESULT", value * 2n);
          },
        },
        bump: {
          model(dev, value) {
            dev.set("COUNTER", dev.get("COUNTER") + 1n);
            return value + 0xffffffffn;
          },
        },
      },
    }),
  );
  let m: DeviceModel;
  beforeEach(() => (m = new DeviceModel(device)));

  test("a write hook sees the value written and may set other registers (truncated to their width)", () => {
    m.write(0x00, 4, 0x80000001n);
    expect(m.read(0x04, 4)).toEqual(known(0x2n));
    m.write(0x01, 1, 0x12n);
    expect(m.read(0x04, 4)).toEqual(known(0x2400n));
  });

  test("a read hook's result replaces the value read, truncated to the width", () => {
    expect(m.read(0x08, 4)).toEqual(known(4n)); // 5 + 0xffffffff, mod 2^32
    expect(m.regs[index(device, "COUNTER")]).toBe(6n);
    expect(m.read(0x08, 4)).toEqual(known(5n));
  });
});

describe("hooks without a model", () => {
  const device = build(
    spec({
      registers: [
        { name: "DATA", offset: 0x00, onWrite: [{ hook: "push" }] },
        { name: "FIFO", offset: 0x04, access: "ro", onRead: [{ hook: "pop" }] },
        {
          name: "LEVEL",
          offset: 0x08,
          access: "ro",
          fields: [{ name: "NONEMPTY", bits: 0 }],
          onRead: [{ set: "OTHER.BIT", when: "NONEMPTY" }],
        },
        { name: "OTHER", offset: 0x0c, fields: [{ name: "BIT", bits: 0 }, { name: "REST", bits: [31, 1] }] },
        { name: "KICK", offset: 0x10, onWrite: [{ hook: "kick" }] },
        { name: "STATUS", offset: 0x14, access: "w1c", fields: [{ name: "DONE", bits: 0 }] },
        { name: "ENABLE", offset: 0x18, fields: [{ name: "DONE", bits: 0 }] },
        { name: "COPY", offset: 0x1c, onWrite: [{ hook: "copy" }] },
        { name: "MIRROR", offset: 0x20, access: "ro" },
        { name: "PEEK", offset: 0x24, access: "ro", onRead: [{ hook: "peek" }] },
      ],
      interrupt: { status: "STATUS", enable: "ENABLE" },
      hooks: {
        push: {},
        pop: { touches: ["LEVEL"] },
        kick: { touches: ["STATUS"] },
        copy: {
          model(dev) {
            dev.set("MIRROR", dev.get("DATA"));
          },
        },
        peek: {
          model(dev) {
            return dev.get("DATA");
          },
        },
      },
    }),
  );
  let m: DeviceModel;
  beforeEach(() => (m = new DeviceModel(device)));

  test("a write hook makes the register that triggered it unknown (the default `touches`)", () => {
    m.write(0x00, 4, 0x1234n);
    expect(m.read(0x00, 4)).toEqual({ claimed: true, value: 0x1234n, unknown: 0xffffffffn });
    expect(m.read(0x0c, 4)).toEqual(known(0n));
  });

  test("a read hook makes the value read and the registers it touches unknown", () => {
    expect(m.read(0x04, 4)).toEqual({ claimed: true, value: 0n, unknown: 0xffffffffn });
    expect(m.read(0x04, 2)).toEqual({ claimed: true, value: 0n, unknown: 0xffffn });
    expect(m.read(0x0c, 4)).toEqual(known(0n));
  });

  test("an action whose `when` bit is unknown makes its target unknown", () => {
    m.read(0x04, 4); // pop: LEVEL unknown
    expect(m.read(0x08, 4)).toEqual({ claimed: true, value: 0n, unknown: 0x1n });
    expect(m.read(0x0c, 4)).toEqual({ claimed: true, value: 0n, unknown: 0x1n });
    m.write(0x0c, 4, 0n); // writing the bit makes it known again
    expect(m.read(0x0c, 4)).toEqual(known(0n));
  });

  test("the irq level is unknown while unknown bits decide it, known once they are written", () => {
    expect(m.irqLevel()).toBe(false);
    m.write(0x18, 4, 1n);
    expect(m.irqLevel()).toBe(false);
    m.write(0x10, 4, 0n); // kick: STATUS unknown
    expect(m.irqLevel()).toBeNull();
    m.write(0x14, 4, 1n); // w1c DONE: that bit is 0 again, the others do not count
    expect(m.irqLevel()).toBe(false);
  });

  test("a hook model that reads unknown bits stores and returns unknown values", () => {
    m.write(0x1c, 4, 0n);
    expect(m.read(0x20, 4)).toEqual(known(0n));
    expect(m.read(0x24, 4)).toEqual(known(0n));
    m.write(0x00, 4, 0x1234n); // push: DATA unknown
    m.write(0x1c, 4, 0n);
    expect(m.read(0x20, 4)).toEqual({ claimed: true, value: 0x1234n, unknown: 0xffffffffn });
    expect(m.read(0x24, 4)).toEqual({ claimed: true, value: 0x1234n, unknown: 0xffffffffn });
  });

  test("reset() forgets what was unknown", () => {
    m.write(0x10, 4, 0n);
    m.reset();
    expect(m.unknown.every((u) => u === 0n)).toBe(true);
  });
});

describe("irq level", () => {
  const device = build(
    spec({
      registers: [
        {
          name: "CMD",
          offset: 0x00,
          fields: [
            { name: "GO", bits: 0 },
            { name: "FAIL", bits: 1 },
          ],
          onWrite: [
            { set: "STATUS.DONE", when: "GO" },
            { set: "STATUS.ERR", when: "FAIL" },
          ],
        },
        {
          name: "STATUS",
          offset: 0x04,
          access: "w1c",
          fields: [
            { name: "DONE", bits: 0 },
            { name: "ERR", bits: 1 },
          ],
        },
        {
          name: "ENABLE",
          offset: 0x08,
          fields: [
            { name: "DONE", bits: 0 },
            { name: "ERR", bits: 1 },
          ],
        },
      ],
      interrupt: { status: "STATUS", enable: "ENABLE" },
    }),
  );

  test("the line follows status & enable", () => {
    const m = new DeviceModel(device);
    expect(m.irqLevel()).toBe(false);
    m.write(0x00, 4, 1n); // DONE pending, nothing enabled
    expect(m.irqLevel()).toBe(false);
    m.write(0x08, 4, 2n); // ERR enabled, DONE pending
    expect(m.irqLevel()).toBe(false);
    m.write(0x08, 4, 3n);
    expect(m.irqLevel()).toBe(true);
    m.write(0x04, 4, 1n); // clear DONE
    expect(m.irqLevel()).toBe(false);
    m.write(0x00, 4, 2n); // ERR pending and enabled
    expect(m.irqLevel()).toBe(true);
    m.reset();
    expect(m.irqLevel()).toBe(false);
  });

  test("status bits outside every field never raise the line", () => {
    const m = new DeviceModel(device);
    m.regs[index(device, "STATUS")] = 0x100n; // as a hook's C code could
    m.regs[index(device, "ENABLE")] = 0x100n;
    expect(m.irqLevel()).toBe(false);
  });

  test("a device without an interrupt has its line low", () => {
    const m = new DeviceModel(build(spec({ registers: [{ name: "A", offset: 0 }] })));
    expect(m.irqLevel()).toBe(false);
  });
});

describe("xche, through compileDevice", () => {
  const { device } = compileDevice("devices/xche");
  let m: DeviceModel;
  beforeEach(() => (m = new DeviceModel(device)));

  test("reset values", () => {
    expect(m.read(0x00, 4)).toEqual(known(0x58434845n)); // "XCHE"
    expect(m.read(0x18, 2)).toEqual(known(0x5a5an));
  });

  test("an XOR exchange, counted and flagged, raising the line when enabled", () => {
    m.write(0x04, 4, 0x3n); // ENABLE, MODE = XOR
    m.write(0x10, 4, 0x12345678n);
    expect(m.read(0x14, 4)).toEqual(known(0x12340c22n)); // 0x12345678 ^ 0x5a5a
    expect(m.read(0x08, 4)).toEqual(known(0x1n)); // DONE
    expect(m.irqLevel()).toBe(false);
    m.write(0x0c, 4, 0x1n);
    expect(m.irqLevel()).toBe(true);
    m.write(0x08, 4, 0x1n);
    expect(m.irqLevel()).toBe(false);
  });

  test("an ADD exchange wraps at 32 bits", () => {
    m.write(0x04, 4, 0x5n); // ENABLE, MODE = ADD
    m.write(0x10, 4, 0xffffffffn);
    expect(m.read(0x14, 4)).toEqual(known(0x5a59n));
  });

  test("an exchange while disabled is rejected", () => {
    m.write(0x10, 4, 0x1n);
    expect(m.read(0x08, 4)).toEqual(known(0x2n));
    expect(m.read(0x14, 4)).toEqual(known(0n));
  });

  test("KEY and COUNT in one 32-bit read: split, and COUNT clears on read", () => {
    m.write(0x04, 4, 0x1n);
    m.write(0x10, 4, 0n);
    m.write(0x10, 4, 0n);
    expect(m.read(0x18, 4)).toEqual(known(0x00025a5an));
    expect(m.read(0x1a, 1)).toEqual(known(0n));
  });

  test("CTRL.RESET runs soft_reset; the bit itself is write-only", () => {
    m.write(0x04, 4, 0x1n);
    m.write(0x10, 4, 0xabn);
    m.write(0x04, 4, 0x80000001n);
    expect(m.read(0x04, 4)).toEqual(known(0x1n));
    expect(m.read(0x14, 4)).toEqual(known(0n));
    expect(m.read(0x1a, 1)).toEqual(known(0n));
  });
});
