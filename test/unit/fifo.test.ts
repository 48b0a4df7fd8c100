/**
 * FIFO storage in the reference model, the state rules and the C core's view: expectations
 * worked out by hand from src/dsl/types.ts (StorageSpec.fifo, FifoSpec, RegisterSpec.fifo,
 * HookContext.push/pop). Devices go through the real lowering and checks.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DeviceModel } from "../../src/reference/device-model.js";
import { stateViolation } from "../../src/reference/state-rules.js";
import { build, spec } from "../helpers/fixtures.js";
import { buildNative, generateInto, readVectors, removeGenerated, runNative, summary, type Generated } from "../helpers/native.js";

const read = (model: DeviceModel, offset: number, size = 1): bigint => {
  const result = model.read(offset, size);
  expect(result.unknown).toBe(0n);
  return result.value;
};

// A 4-entry queue Q: DATA (0x0) pops and pushes it, IN (0x4) only pushes; STATUS (0x8)
// reports NE (bit 0), FULL (bit 1), LEVEL (bits 4:2) and OVR (bit 5, cleared by reading).
const device = build(
  spec({
    registers: [
      { name: "DATA", offset: 0x0, width: 8, access: "rw", fifo: "Q" },
      { name: "IN", offset: 0x4, width: 8, access: "wo", fifo: "Q" },
      {
        name: "STATUS",
        offset: 0x8,
        width: 8,
        access: "ro",
        fields: [
          { name: "NE", bits: 0 },
          { name: "FULL", bits: 1 },
          { name: "LEVEL", bits: [4, 2] },
          { name: "OVR", bits: 5, access: "rc" },
        ],
      },
    ],
    storage: { Q: { count: 4, fifo: { notEmpty: "STATUS.NE", full: "STATUS.FULL", level: "STATUS.LEVEL", overrun: "STATUS.OVR" } } },
  }),
);
const q = device.storage[0]!;

describe("a FIFO storage and its data ports", () => {
  test("its head and level follow its entries in the state array", () => {
    // 3 registers, then Q_0..Q_3 at 3..6, the head at 7 and the level at 8.
    expect(q.first).toBe(3);
    expect(q.fifo!.head).toBe(7);
    expect(q.fifo!.level).toBe(8);
    expect(device.stateSize).toBe(9);
  });

  test("pushes and pops in order, wrapping around, with the status fields in step", () => {
    const model = new DeviceModel(device);
    expect(read(model, 0x8)).toBe(0x00n);
    model.write(0x0, 1, 0x11n);
    model.write(0x4, 1, 0x22n);
    expect(read(model, 0x8)).toBe(0x09n); // NE, LEVEL 2
    expect(read(model, 0x0)).toBe(0x11n);
    expect(read(model, 0x8)).toBe(0x05n); // NE, LEVEL 1
    // Head 1, level 1: the next three land in entries 2, 3 and 0.
    model.write(0x0, 1, 0x33n);
    model.write(0x0, 1, 0x44n);
    model.write(0x0, 1, 0x55n);
    expect(model.regs.slice(q.first, q.first + 4)).toEqual([0x55n, 0x22n, 0x33n, 0x44n]);
    expect(read(model, 0x8)).toBe(0x13n); // NE, FULL, LEVEL 4
    expect([read(model, 0x0), read(model, 0x0), read(model, 0x0), read(model, 0x0)]).toEqual([0x22n, 0x33n, 0x44n, 0x55n]);
    expect(read(model, 0x8)).toBe(0x00n);
  });

  test("a push to the full queue is dropped and sets the overrun field; the queue is unchanged", () => {
    const model = new DeviceModel(device);
    for (const v of [1n, 2n, 3n, 4n, 5n]) model.write(0x0, 1, v);
    expect(read(model, 0x8)).toBe(0x33n); // OVR, NE, FULL, LEVEL 4
    expect(read(model, 0x8)).toBe(0x13n); // reading cleared OVR
    expect(read(model, 0x0)).toBe(1n); // the oldest: 5 was dropped, not 1
    expect(read(model, 0x8)).toBe(0x0dn); // NE, LEVEL 3: no longer full
  });

  test("a pop of the empty queue reads 0 and changes nothing; a write-only port pops nothing", () => {
    const model = new DeviceModel(device);
    expect(read(model, 0x0)).toBe(0n);
    expect(model.regs[q.fifo!.head]).toBe(0n);
    expect(model.regs[q.fifo!.level]).toBe(0n);
    model.write(0x4, 1, 0x7en);
    expect(read(model, 0x4)).toBe(0n);
    expect(read(model, 0x8)).toBe(0x05n);
    expect(read(model, 0x0)).toBe(0x7en);
  });

  test("the port keeps no value of its own, and reset empties the queue", () => {
    const model = new DeviceModel(device);
    model.write(0x0, 1, 0x99n);
    expect(model.regs[0]).toBe(0n);
    model.reset();
    expect(read(model, 0x0)).toBe(0n);
    expect(read(model, 0x8)).toBe(0n);
  });
});

describe("FIFO state rules", () => {
  const state = (head: bigint, level: bigint): bigint[] => {
    const regs = new Array<bigint>(device.stateSize).fill(0n);
    regs[q.fifo!.head] = head;
    regs[q.fifo!.level] = level;
    return regs;
  };

  test("refuse a head past the entries or a level above their count, and take the edges", () => {
    expect(stateViolation(device, state(4n, 0n))).toEqual({ register: "Q_HEAD", why: "a head past its 4 entries" });
    expect(stateViolation(device, state(0n, 5n))).toEqual({ register: "Q_LEVEL", why: "a level above its 4 entries" });
    expect(stateViolation(device, state(3n, 4n))).toBeNull();
  });
});

describe("hooks push and pop", () => {
  // TX's write hook queues the byte written into RXQ twice; DRAIN's read hook pops one.
  const looped = build(
    spec({
      registers: [
        { name: "DATA", offset: 0x0, width: 8, access: "ro", fifo: "RXQ" },
        { name: "TX", offset: 0x1, width: 8, access: "wo", onWrite: [{ hook: "send" }] },
        { name: "DRAIN", offset: 0x2, width: 8, access: "ro", onRead: [{ hook: "drain" }] },
        { name: "LSR", offset: 0x3, width: 8, access: "ro", fields: [{ name: "DR", bits: 0 }, { name: "OE", bits: 1, access: "rc" }] },
      ],
      storage: { RXQ: { count: 2, fifo: { notEmpty: "LSR.DR", overrun: "LSR.OE" } } },
      hooks: {
        send: {
          model(dev, value) {
            dev.push("RXQ", value);
            dev.push("RXQ", value + 1n);
          },
        },
        drain: {
          model(dev) {
            return dev.pop("RXQ");
          },
        },
      },
    }),
  );

  test("a write hook's pushes reach the data port; a read hook's pop returns the oldest, then 0", () => {
    const model = new DeviceModel(looped);
    model.write(0x1, 1, 0x40n);
    expect(read(model, 0x3)).toBe(0x01n);
    expect(read(model, 0x2)).toBe(0x40n);
    expect(read(model, 0x0)).toBe(0x41n);
    expect(read(model, 0x3)).toBe(0x00n);
    expect(read(model, 0x2)).toBe(0n);
  });

  test("a hook's push to the full queue is dropped and sets the overrun field", () => {
    const model = new DeviceModel(looped);
    model.write(0x1, 1, 0x10n);
    model.write(0x1, 1, 0x20n); // both dropped: the queue holds 0x10, 0x11
    expect(read(model, 0x3)).toBe(0x03n);
    expect(read(model, 0x0)).toBe(0x10n);
    expect(read(model, 0x0)).toBe(0x11n);
  });

  test("a hook naming no FIFO storage throws", () => {
    const bad = build(
      spec({
        registers: [{ name: "TX", offset: 0x0, width: 8, access: "wo", onWrite: [{ hook: "send" }] }],
        storage: { RXQ: { count: 2 } },
        hooks: {
          send: {
            model(dev, value) {
              dev.push("RXQ", value);
            },
          },
        },
      }),
    );
    expect(() => new DeviceModel(bad).write(0x0, 1, 1n)).toThrow('no FIFO storage is named "RXQ"');
  });
});

describe("the C core of every FIFO construct, natively", () => {
  let out: Generated;
  beforeAll(() => {
    out = generateInto("test/fixtures/fifo_queue");
  });
  afterAll(() => removeGenerated(out));

  test("passes every vector, and the vectors reach each queue's three edges", () => {
    const vectors = readVectors(out);
    const run = runNative(buildNative(out));
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(summary(out.name, run.stdout)).toEqual({ passed: vectors.length, failed: 0 });
    const coverage = fs.readFileSync(path.join(out.dir, "tests/fifo_queue_coverage.md"), "utf8");
    for (const store of ["Q", "H"]) {
      for (const edge of ["popped while empty", "pushed while full", "popped while full"]) {
        expect(coverage).toMatch(new RegExp(`^\\| ${store} ${edge} \\| `, "m"));
      }
    }
  });

  test("fails when the core's full field is wrong", () => {
    // The full test off by one: FULL set at 4 entries of 5.
    const core = path.join(out.dir, "core/fifo_queue_core.c");
    const text = fs.readFileSync(core, "utf8");
    expect(text).toContain("if (level == FIFO_QUEUE_STORE_Q_COUNT)");
    fs.writeFileSync(core, text.replace("if (level == FIFO_QUEUE_STORE_Q_COUNT)", "if (level >= FIFO_QUEUE_STORE_Q_COUNT - 1)"));
    const run = runNative(buildNative(out));
    expect(summary(out.name, run.stdout)?.failed).toBeGreaterThan(0);
  });
});
