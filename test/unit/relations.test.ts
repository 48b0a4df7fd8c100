/**
 * Register relations in the reference model (banks, write enables and locks, onlyValues
 * fields, counters, element-relative targets, the interrupt gate, the hook's access record),
 * against expectations worked out by hand from src/dsl/types.ts. Devices go through the real
 * lowering and checks.
 */
import type { HookAccess } from "../../src/dsl/types.js";
import { DeviceModel } from "../../src/reference/device-model.js";
import { build, spec } from "../helpers/fixtures.js";

const read = (model: DeviceModel, offset: number, size = 4): bigint => {
  const result = model.read(offset, size);
  expect(result.unknown).toBe(0n);
  return result.value;
};

describe("banks", () => {
  // A 16550's divisor latch: offset 0 is DATA while LCR.DLAB is 0, DLL while it is 1.
  const device = build(
    spec({
      registers: [
        { name: "DATA", offset: 0x0, width: 8, bank: { select: "LCR.DLAB", value: 0 } },
        { name: "DLL", offset: 0x0, width: 8, bank: { select: "LCR.DLAB", value: 1 } },
        { name: "LCR", offset: 0x3, width: 8, fields: [{ name: "DLAB", bits: 7 }, { name: "WLS", bits: [1, 0] }] },
        { name: "PAGE", offset: 0x4, width: 8, fields: [{ name: "SEL", bits: [1, 0] }] },
        { name: "P0", offset: 0x8, bank: { select: "PAGE.SEL", value: 0 } },
        { name: "P2", offset: 0x8, bank: { select: "PAGE.SEL", value: 2 } },
      ],
    }),
  );

  test("the selecting field decides which register the offset reaches", () => {
    const model = new DeviceModel(device);
    model.write(0x0, 1, 0x11n);
    model.write(0x3, 1, 0x80n);
    expect(read(model, 0x0, 1)).toBe(0n);
    model.write(0x0, 1, 0x22n);
    model.write(0x3, 1, 0x00n);
    expect(read(model, 0x0, 1)).toBe(0x11n);
    model.write(0x3, 1, 0x80n);
    expect(read(model, 0x0, 1)).toBe(0x22n);
  });

  test("a value selecting no bank leaves the bytes to nothing: reads 0, writes dropped", () => {
    const model = new DeviceModel(device);
    model.write(0x8, 4, 0xaaaan);
    model.write(0x4, 1, 1n);
    expect(read(model, 0x8)).toBe(0n);
    model.write(0x8, 4, 0x5555n);
    model.write(0x4, 1, 2n);
    expect(read(model, 0x8)).toBe(0n);
    model.write(0x4, 1, 0n);
    expect(read(model, 0x8)).toBe(0xaaaan);
  });
});

describe("write enables and locks", () => {
  const device = build(
    spec({
      registers: [
        { name: "REGWEN", offset: 0x0, fields: [{ name: "EN", bits: 0, access: "w1c", reset: 1 }] },
        { name: "CFG", offset: 0x4, writeEnable: "REGWEN.EN", fields: [{ name: "A", bits: [7, 0] }, { name: "B", bits: [15, 8] }] },
        { name: "CTRL", offset: 0x8, fields: [{ name: "LOCK", bits: 0 }, { name: "MODE", bits: [5, 4], writeLock: "CTRL.LOCK" }] },
        { name: "ST", offset: 0xc, access: "w1c", reset: 0xf, writeLock: "CTRL.LOCK" },
      ],
    }),
  );

  test("a write enable lets writes through until it is cleared, and only then", () => {
    const model = new DeviceModel(device);
    model.write(0x4, 4, 0x1234n);
    expect(read(model, 0x4)).toBe(0x1234n);
    model.write(0x0, 4, 1n);
    model.write(0x4, 4, 0xffffn);
    expect(read(model, 0x4)).toBe(0x1234n);
  });

  test("a lock keeps its field while set; the lock's own field and the others still write", () => {
    const model = new DeviceModel(device);
    model.write(0x8, 4, 0x21n);
    expect(read(model, 0x8)).toBe(0x21n);
    model.write(0x8, 4, 0x31n);
    expect(read(model, 0x8)).toBe(0x21n);
    model.write(0x8, 4, 0x30n);
    expect(read(model, 0x8)).toBe(0x20n);
    model.write(0x8, 4, 0x30n);
    expect(read(model, 0x8)).toBe(0x30n);
  });

  test("a locked w1c bit is not cleared by writing 1", () => {
    const model = new DeviceModel(device);
    model.write(0x8, 4, 1n);
    model.write(0xc, 4, 0x3n);
    expect(read(model, 0xc)).toBe(0xfn);
    model.write(0x8, 4, 0n);
    model.write(0xc, 4, 0x3n);
    expect(read(model, 0xc)).toBe(0xcn);
  });
});

describe("onlyValues", () => {
  const device = build(
    spec({
      registers: [
        {
          name: "CTRL",
          offset: 0x0,
          fields: [
            { name: "EN", bits: 0 },
            { name: "MODE", bits: [5, 4], values: { A: 0, B: 1, D: 3 }, onlyValues: true },
          ],
        },
      ],
    }),
  );

  test("a write of an unlisted value keeps the field, and still writes the other fields", () => {
    const model = new DeviceModel(device);
    model.write(0x0, 4, 0x31n);
    expect(read(model, 0x0)).toBe(0x31n);
    model.write(0x0, 4, 0x20n);
    expect(read(model, 0x0)).toBe(0x30n);
    model.write(0x0, 4, 0x10n);
    expect(read(model, 0x0)).toBe(0x10n);
  });
});

describe("counters", () => {
  const device = build(
    spec({
      registers: [
        {
          name: "GO",
          offset: 0x0,
          access: "wo",
          fields: [{ name: "UP", bits: 0 }, { name: "DOWN", bits: 1 }],
          onWrite: [
            { increment: "CNT.WRAP", when: "UP" },
            { increment: "CNT.SAT", saturate: true, when: "UP" },
            { decrement: "CNT.WRAP", when: "DOWN" },
            { decrement: "CNT.SAT", saturate: true, when: "DOWN" },
          ],
        },
        { name: "CNT", offset: 0x4, access: "ro", fields: [{ name: "WRAP", bits: [5, 4] }, { name: "SAT", bits: [9, 8] }, { name: "HI", bits: 10, reset: 1 }] },
      ],
    }),
  );

  test("a wrapping counter goes round within its field, a saturating one stops at its limits", () => {
    const model = new DeviceModel(device);
    const counts = (): [bigint, bigint] => {
      const v = read(model, 0x4);
      expect(v & 0x400n).toBe(0x400n);
      return [(v >> 4n) & 3n, (v >> 8n) & 3n];
    };
    for (const want of [[1n, 1n], [2n, 2n], [3n, 3n], [0n, 3n], [1n, 3n]]) {
      model.write(0x0, 4, 1n);
      expect(counts()).toEqual(want);
    }
    for (const want of [[0n, 2n], [3n, 1n], [2n, 0n], [1n, 0n]]) {
      model.write(0x0, 4, 2n);
      expect(counts()).toEqual(want);
    }
  });
});

describe("element-relative targets", () => {
  const device = build(
    spec({
      registers: [
        { name: "DESC", offset: 0x0, count: 4, fields: [{ name: "VALID", bits: 0 }, { name: "DONE", bits: 31, access: "w1c" }], onWrite: [{ set: "CH[n]", when: "VALID" }] },
        { name: "LEN", offset: 0x10, count: 4, onWrite: [{ clear: "DESC.DONE" }] },
        { name: "CH", offset: 0x20, access: "ro" },
      ],
    }),
  );

  test("REG[n] is bit n for element n; another array's name is its element of the same number", () => {
    const model = new DeviceModel(device);
    model.write(0x8, 4, 1n);
    expect(read(model, 0x20)).toBe(0x4n);
    model.write(0xc, 4, 1n);
    expect(read(model, 0x20)).toBe(0xcn);
    const done = device.registers.filter((r) => r.arrayName === "DESC").map((r) => r.index);
    for (const i of done) model.regs[i] = model.regs[i]! | 0x80000000n;
    model.write(0x18, 4, 5n);
    expect(done.map((i) => model.regs[i]! >> 31n)).toEqual([1n, 1n, 0n, 1n]);
  });
});

describe("the interrupt gate", () => {
  const device = build(
    spec({
      interrupt: { status: "ST", enable: "EN", gate: "CTRL.IE" },
      registers: [
        { name: "CTRL", offset: 0x0, fields: [{ name: "IE", bits: 3 }] },
        { name: "ST", offset: 0x4, access: "w1s" },
        { name: "EN", offset: 0x8 },
      ],
    }),
  );

  test("the line needs the gate as well as an enabled cause; causes latch while it is closed", () => {
    const model = new DeviceModel(device);
    model.write(0x8, 4, 1n);
    model.write(0x4, 4, 1n);
    expect(model.irqLevel()).toBe(false);
    model.write(0x0, 4, 8n);
    expect(model.irqLevel()).toBe(true);
    model.write(0x0, 4, 0n);
    expect(model.irqLevel()).toBe(false);
  });
});

describe("the hook's access record", () => {
  const seen: HookAccess[] = [];
  const device = build(
    spec({
      registers: [{ name: "DATA", offset: 0x0, count: 2, onWrite: [{ hook: "note" }] }],
      hooks: {
        note: {
          model(dev) {
            seen.push({ ...dev.access });
          },
        },
      },
    }),
  );

  test("names the register, its element and the bits the access covered", () => {
    const model = new DeviceModel(device);
    model.write(0x4, 4, 1n);
    model.write(0x1, 1, 1n);
    expect(seen).toEqual([
      { register: "DATA_1", element: 1, lanes: 0xffffffffn },
      { register: "DATA_0", element: 0, lanes: 0xff00n },
    ]);
  });
});

describe("access-size sets", () => {
  // An HPET-like register taking 4- and 8-byte accesses only; PROBE drops the others quietly.
  const device = build(
    spec({
      policy: { sizes: [4, 8] },
      registers: [
        { name: "CMP", offset: 0x0, width: 64, reset: 0x1122334455667788n },
        { name: "PROBE", offset: 0x8, width: 32, reset: 0xcafe, policy: { sizes: [4], otherSizes: "ignore" } },
      ],
    }),
  );

  test("the sizes listed go through the usual policy, others do what otherSizes says", () => {
    const model = new DeviceModel(device);
    expect(read(model, 0x0, 8)).toBe(0x1122334455667788n);
    expect(read(model, 0x4, 4)).toBe(0x11223344n);
    // Narrower but not listed: an error, though narrower is "combine".
    expect(read(model, 0x0, 2)).toBe(0xffffn);
    expect(read(model, 0x1, 1)).toBe(0xffn);
    model.write(0x0, 1, 0x00n);
    expect(read(model, 0x0, 8)).toBe(0x1122334455667788n);
    expect(read(model, 0x8, 2)).toBe(0n);
    model.write(0x8, 2, 0x1234n);
    expect(read(model, 0x8, 4)).toBe(0xcafen);
    // Wider than PROBE and not listed for it: ignored, though wider is "split".
    model.write(0x8, 8, 0x5555n);
    expect(read(model, 0x8, 4)).toBe(0xcafen);
  });
});

describe("write-once fields", () => {
  // CFG.KEY is written once; CFG.MODE stays writable; LATCH is write-once as a whole.
  const device = build(
    spec({
      registers: [
        { name: "CFG", offset: 0x0, fields: [{ name: "KEY", bits: [15, 0], writeOnce: true }, { name: "MODE", bits: [17, 16] }] },
        { name: "LATCH", offset: 0x4, width: 8, writeOnce: true },
      ],
    }),
  );

  test("the first write reaching the field is kept, later ones leave it until reset", () => {
    const model = new DeviceModel(device);
    model.write(0x0, 4, 0x1_1234n);
    expect(read(model, 0x0)).toBe(0x1_1234n);
    model.write(0x0, 4, 0x2_5678n);
    // MODE took the second write, KEY did not.
    expect(read(model, 0x0)).toBe(0x2_1234n);
    model.reset();
    model.write(0x0, 4, 0x5678n);
    expect(read(model, 0x0)).toBe(0x5678n);
  });

  test("a write of other bytes does not use up the field's one write", () => {
    const model = new DeviceModel(device);
    model.write(0x2, 1, 0x3n); // MODE only
    model.write(0x0, 2, 0xbeefn);
    expect(read(model, 0x0)).toBe(0x3_beefn);
    model.write(0x0, 2, 0x0n);
    expect(read(model, 0x0)).toBe(0x3_beefn);
  });

  test("the flags are state entries of WRITTEN, one per write-once field", () => {
    const written = device.storage.find((s) => s.name === "WRITTEN")!;
    expect([written.count, written.holds]).toEqual([2, 1n]);
    const model = new DeviceModel(device);
    model.write(0x4, 1, 0x0n);
    expect(model.regs.slice(written.first)).toEqual([0n, 1n]);
    model.write(0x4, 1, 0x7n);
    expect(read(model, 0x4, 1)).toBe(0n);
  });
});

describe("the interrupt's test register", () => {
  const device = build(
    spec({
      interrupt: { status: "STATUS", enable: "ENABLE", test: "TEST" },
      registers: [
        { name: "STATUS", offset: 0x0, access: "w1c", fields: [{ name: "A", bits: 0 }, { name: "B", bits: 1 }] },
        { name: "ENABLE", offset: 0x4, fields: [{ name: "A", bits: 0 }, { name: "B", bits: 1 }] },
        { name: "TEST", offset: 0x8, access: "wo", fields: [{ name: "A", bits: 0 }, { name: "B", bits: 1 }] },
      ],
    }),
  );

  test("a write raises the causes written, and only defined ones; the line follows", () => {
    const model = new DeviceModel(device);
    model.write(0x4, 4, 0b10n);
    model.write(0x8, 4, 0xfffffffdn); // every bit but B
    expect(read(model, 0x0)).toBe(0b01n);
    expect(model.irqLevel()).toBe(false);
    model.write(0x8, 4, 0b10n);
    expect(read(model, 0x0)).toBe(0b11n);
    expect(model.irqLevel()).toBe(true);
    // Writing 0 raises nothing and clears nothing.
    model.write(0x0, 4, 0b10n);
    model.write(0x8, 4, 0n);
    expect(read(model, 0x0)).toBe(0b01n);
    expect(read(model, 0x8)).toBe(0n);
  });
});

describe("storage kept over a reset", () => {
  const device = build(
    spec({
      registers: [
        { name: "INDEX", offset: 0x0, width: 8, fields: [{ name: "ADDR", bits: [1, 0] }] },
        { name: "KEPT", offset: 0x1, width: 8, indirect: { storage: "NVRAM", index: "INDEX.ADDR" } },
        { name: "LOST", offset: 0x2, width: 8, indirect: { storage: "SRAM", index: "INDEX.ADDR" } },
      ],
      storage: { NVRAM: { count: 4, reset: 0xee, keepOnReset: true }, SRAM: { count: 4, reset: 0x11 } },
    }),
  );

  test("a reset keeps the entries, creation gives them their reset value", () => {
    const model = new DeviceModel(device);
    expect(read(model, 0x1, 1)).toBe(0xeen);
    model.write(0x0, 1, 2n);
    model.write(0x1, 1, 0x42n);
    model.write(0x2, 1, 0x43n);
    model.reset();
    // INDEX is back at 0: entry 0 of both, then entry 2.
    expect([read(model, 0x1, 1), read(model, 0x2, 1)]).toEqual([0xeen, 0x11n]);
    model.write(0x0, 1, 2n);
    expect([read(model, 0x1, 1), read(model, 0x2, 1)]).toEqual([0x42n, 0x11n]);
    expect(read(new DeviceModel(device), 0x1, 1)).toBe(0xeen);
  });
});
