/**
 * The qtest harness (the conformance vectors against QEMU's emulated device, over the qtest
 * protocol) itself: protocol, PCI setup, INTx routing, vector runner, MMIO and port paths,
 * 64-bit values, errors and timeouts, against a fake qtest peer that emulates a PC's
 * configuration space and answers accesses from the reference model. Against a real QEMU:
 * test/real/qemu-qtest.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Duplex } from "node:stream";
import { formatFailure, parseVectorsJson, QtestDevice, runVectors, runVectorsQtest } from "../../src/harness/qtest.js";
import { QtestClient, QtestError } from "../../src/harness/qtest-client.js";
import { pirqOf } from "../../src/harness/pci-config.js";
import type { Device } from "../../src/ir/types.js";
import { DeviceModel } from "../../src/reference/device-model.js";
import { generateVectors, type Vector } from "../../src/reference/vectors.js";
import { compileDevice } from "../../src/compile/index.js";
import { QTEST_DEVICES as DEVICES, report, tamper } from "../helpers/qtest.js";

const compiled = new Map(DEVICES.map((dir) => [dir, compileDevice(dir).device]));
const deviceOf = (dir: string): Device => compiled.get(dir)!;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-qtest-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/*
 * A fake qtest peer: a PC's configuration mechanism #1 with the host bridge at 00:00.0, a
 * PIIX3 at 00:01.0 and the device at `slot`, whose BAR answers from the reference model.
 * Like QEMU, it sends `IRQ raise|lower N` for the I/O APIC input before the reply to the
 * access that moved it.
 */
class FakePc extends Duplex {
  readonly model: DeviceModel;
  readonly log: string[] = [];
  private address = 0;
  private readonly device = new Uint8Array(256);
  private readonly piix = new Uint8Array(256);
  private readonly irqs = new Map<number, boolean>();
  private pending = "";

  constructor(
    readonly ir: Device,
    readonly slot: number,
    private readonly options: { bar64?: boolean } = {},
  ) {
    super();
    this.model = new DeviceModel(ir);
    this.resetMachine();
  }

  resetMachine(): void {
    this.model.reset();
    this.device.fill(0);
    const { pci, bar } = this.ir;
    setLe(this.device, 0, 4, pci.vendorId | (pci.deviceId << 16));
    this.device[0x3d] = 1;
    setLe(this.device, 0x10 + 4 * bar.index, 4, this.barFlags());
    this.piix.fill(0);
    setLe(this.piix, 0, 4, 0x8086 | (0x7000 << 16));
    this.piix.fill(0x80, 0x60, 0x64);
    this.updateIrq();
  }

  _read(): void {}

  _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.pending += chunk.toString("latin1");
    let newline: number;
    while ((newline = this.pending.indexOf("\n")) >= 0) {
      const line = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + 1);
      this.log.push(line);
      this.push(`${this.answer(line.split(" "))}\n`);
    }
    done();
  }

  private barFlags(): number {
    return this.ir.bar.space === "io" ? 1 : this.options.bar64 ? 4 : 0;
  }

  private answer([command, a, b]: string[]): string {
    const sizes: Record<string, number> = { b: 1, w: 2, l: 4, q: 8 };
    const size = sizes[command!.slice(-1)]!;
    const address = BigInt(a!);
    if (command!.startsWith("out")) {
      this.portWrite(Number(address), size, Number(BigInt(b!)));
      return "OK";
    }
    if (command!.startsWith("in")) return `OK 0x${this.portRead(Number(address), size).toString(16)}`;
    if (command!.startsWith("write")) {
      this.memWrite(address, size, BigInt(b!));
      return "OK";
    }
    if (command!.startsWith("read")) return `OK 0x${this.memRead(address, size).toString(16)}`;
    return "FAIL unknown command";
  }

  private config(): Uint8Array | null {
    if (!(this.address & 0x80000000) || (this.address >> 16) & 0xff) return null;
    const slot = (this.address >> 11) & 0x1f;
    const fn = (this.address >> 8) & 7;
    if (fn !== 0) return null;
    return slot === 1 ? this.piix : slot === this.slot ? this.device : null;
  }

  private portRead(port: number, size: number): number {
    if (port === 0xcf8 && size === 4) return this.address >>> 0;
    if (port >= 0xcfc && port <= 0xcff) {
      const space = this.config();
      return space ? getLe(space, (this.address & 0xfc) + (port - 0xcfc), size) : ones(size);
    }
    const offset = this.barOffset(BigInt(port), "io");
    if (offset === null) return ones(size);
    return Number(this.access(offset, size, null));
  }

  private portWrite(port: number, size: number, value: number): void {
    if (port === 0xcf8 && size === 4) {
      this.address = value >>> 0;
      return;
    }
    if (port >= 0xcfc && port <= 0xcff) {
      const space = this.config();
      if (space) this.configWrite(space, (this.address & 0xfc) + (port - 0xcfc), size, value);
      return;
    }
    const offset = this.barOffset(BigInt(port), "io");
    if (offset !== null) this.access(offset, size, BigInt(value));
  }

  private memRead(address: bigint, size: number): bigint {
    const offset = this.barOffset(address, "mmio");
    return offset === null ? 0n : this.access(offset, size, null);
  }

  private memWrite(address: bigint, size: number, value: bigint): void {
    const offset = this.barOffset(address, "mmio");
    if (offset !== null) this.access(offset, size, value);
  }

  private configWrite(space: Uint8Array, reg: number, size: number, value: number): void {
    const barReg = 0x10 + 4 * this.ir.bar.index;
    if (space === this.device && reg >= barReg && reg < barReg + (this.options.bar64 ? 8 : 4)) {
      const sizeMask = BigInt(this.ir.bar.size - 1);
      const low = reg === barReg;
      const mask = low ? Number(~sizeMask & 0xffffffffn) >>> 0 : 0xffffffff;
      setLe(space, reg, 4, ((value & mask) | (low ? this.barFlags() : 0)) >>> 0);
      return;
    }
    if (space === this.device && reg !== 0x04 && reg !== 0x3c) return;
    if (space === this.piix && !(reg >= 0x60 && reg < 0x64)) return;
    setLe(space, reg, size, value);
    this.updateIrq();
  }

  private barOffset(address: bigint, space: "io" | "mmio"): number | null {
    const { bar } = this.ir;
    if (bar.space !== space) return null;
    if (!(this.device[4]! & (space === "io" ? 1 : 2))) return null;
    const reg = 0x10 + 4 * bar.index;
    let base = BigInt(getLe(this.device, reg, 4) >>> 0) & (space === "io" ? ~3n : ~0xfn);
    if (this.options.bar64) base |= BigInt(getLe(this.device, reg + 4, 4) >>> 0) << 32n;
    const offset = address - base;
    return offset >= 0n && offset < BigInt(bar.size) ? Number(offset) : null;
  }

  private access(offset: number, size: number, value: bigint | null): bigint {
    let result = 0n;
    if (value === null) {
      const read = this.model.read(offset, size);
      result = read.claimed ? read.value : 0n;
    } else {
      this.model.write(offset, size, value);
    }
    this.updateIrq();
    return result;
  }

  private updateIrq(): void {
    const level = this.model.irqLevel() === true;
    const routed = this.piix[0x60 + pirqOf(this.slot, this.device[0x3d]!)]!;
    for (let irq = 0; irq < 16; irq++) {
      const now = level && routed === irq;
      if ((this.irqs.get(irq) ?? false) !== now) {
        this.irqs.set(irq, now);
        this.push(`IRQ ${now ? "raise" : "lower"} ${irq}\n`);
      }
    }
  }
}

function setLe(space: Uint8Array, at: number, size: number, value: number): void {
  for (let i = 0; i < size; i++) space[at + i] = (value >>> (8 * i)) & 0xff;
}

function getLe(space: Uint8Array, at: number, size: number): number {
  let value = 0;
  for (let i = 0; i < size; i++) value |= space[at + i]! << (8 * i);
  return value >>> 0;
}

function ones(size: number): number {
  return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
}

async function runFake(dir: string, vectors: Vector[], slot = 3, options: { bar64?: boolean } = {}) {
  const device = deviceOf(dir);
  const pc = new FakePc(device, slot, options);
  const qtest = new QtestClient(pc, { timeoutMs: 2000, log: null });
  const target = new QtestDevice(qtest, device, async () => pc.resetMachine());
  await target.setup();
  const result = await runVectors(target, vectors);
  return { result, target, pc };
}

describe("qtest harness against a fake PC", () => {
  test.each(DEVICES)("%s: every vector passes, through the right BAR accessors", async (dir) => {
    const device = deviceOf(dir);
    const vectors = generateVectors(device);
    const { result, target, pc } = await runFake(dir, vectors);
    expect(report(result)).toBe("");
    expect(result.failed).toBe(0);
    expect(result.checked).toBeGreaterThan(100);
    expect(target.bar!.space).toBe(device.bar.space);
    expect(target.bar!.size).toBe(BigInt(device.bar.size));
    expect(Number(target.bar!.base) % device.bar.size).toBe(0);
    const accessors = pc.log.filter((line) => !/^(outl 0xcf8|in[bwl] 0xcf[c-f]|out[bwl] 0xcf[c-f])/.test(line));
    if (device.bar.space === "io") {
      expect(accessors.every((line) => /^(in|out)[bwl] /.test(line))).toBe(true);
    } else {
      expect(accessors.every((line) => /^(read|write)[bwlq] /.test(line))).toBe(true);
      expect(accessors.some((line) => line.startsWith("readq "))).toBe(true);
    }
    if (device.interrupt) {
      expect(target.gsi).toBe(11);
      expect(vectors.some((v) => v.op === "irq" && v.expect)).toBe(true);
    }
  });

  test("a wrong expectation is reported, and only that one", async () => {
    const original = generateVectors(deviceOf("devices/xche"));
    const { vectors, read, irq } = tamper(original);
    const { result } = await runFake("devices/xche", vectors);
    expect(result.failures.map((f) => f.index)).toEqual([read, irq]);
    const failure = result.failures[0]!;
    const v = original[read] as Extract<Vector, { op: "read" }>;
    expect(failure).toMatchObject({ op: "read", offset: v.offset, size: v.size, mask: v.mask, actual: v.expect });
    expect(failure.expected).toBe(v.expect ^ 1n);
    expect(formatFailure(failure)).toMatch(new RegExp(`^#${read} read offset 0x`));
  });

  test("64-bit values and a 64-bit BAR survive the protocol", async () => {
    const dir = "examples/hpet_timer";
    const vectors = generateVectors(deviceOf(dir));
    const { result, target } = await runFake(dir, vectors, 5, { bar64: true });
    expect(result.failed).toBe(0);
    expect(target.bar!.is64).toBe(true);
    expect(vectors.some((v) => v.op === "read" && v.claimed && v.size === 8 && v.expect > 0xffffffffn)).toBe(true);
  });

  test.each([2, 3, 4, 5, 6])("INTx of slot %i reaches IRQ 11 through the PIRQ the PIIX3 swizzles it to", async (slot) => {
    const dir = "devices/xche";
    const { result, target } = await runFake(dir, generateVectors(deviceOf(dir)), slot);
    expect(result.failed).toBe(0);
    expect(target.gsi).toBe(11);
  });

  test("pin A of slot 4 lands on PIRQD, of slot 1 on PIRQA", () => {
    expect(pirqOf(4, 1)).toBe(3);
    expect(pirqOf(1, 1)).toBe(0);
    expect(pirqOf(2, 2)).toBe(2);
  });

  test("the generated xche_vectors.json reads back as the model's vectors", () => {
    const text = fs.readFileSync("generated/xche/tests/xche_vectors.json", "utf8");
    expect(parseVectorsJson(text)).toEqual(generateVectors(deviceOf("devices/xche")));
  });

  test("an unanswered command times out, naming the log", async () => {
    const log = path.join(tmp, "silent.log");
    fs.writeFileSync(log, "last words of QEMU\n");
    const silent = new Duplex({ read() {}, write(_chunk, _encoding, done) { done(); } });
    const qtest = new QtestClient(silent, { timeoutMs: 50, log });
    const error = await qtest.in(0xcfc, 4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QtestError);
    expect(String((error as Error).message)).toMatch(/no answer to "inl 0xcfc" within 50 ms/);
    expect(String((error as Error).message)).toContain(log);
    expect(String((error as Error).message)).toContain("last words of QEMU");
    qtest.close();
  });

  test("a QEMU that exits at once is reported with its log", async () => {
    const log = path.join(tmp, "false.log");
    const error = await runVectorsQtest({ binary: "/bin/false", device: deviceOf("devices/xche"), vectors: [], log }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QtestError);
    expect(String((error as Error).message)).toMatch(/QEMU exited with status 1 before connecting/);
    expect(String((error as Error).message)).toContain(log);
  });
});
