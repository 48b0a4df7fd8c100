/**
 * Runs the conformance vectors against the device as QEMU emulates it, with no guest: QEMU
 * starts with `-accel qtest`, and the harness plays the guest over the qtest line protocol
 * (port and memory accesses, interrupt interception) — the way QEMU's own device tests work.
 *
 *   QEMU ──connects──▶ qtest socket: `outl 0xcf8 …` / `inl 0xcfc` / `readq 0x…` → `OK [value]`,
 *                                   plus async `IRQ raise N` / `IRQ lower N` lines
 *        ──connects──▶ QMP socket:   `system_reset`, then the `RESET` event
 *
 * Setup is what firmware does: find the device on bus 0 by its PCI IDs, size and place its
 * BAR, enable decoding, route its INTx pin through the PIIX3 to IRQ 11 (pci-config.ts).
 *
 * Vector semantics:
 * - offsets are relative to the BAR; I/O BARs use in/out, MMIO BARs read/write (size 8: readq);
 * - `claimed: false` accesses fall outside the BAR: they are made (QEMU must survive them) but
 *   not compared, since what answers there is the machine, not the device (all ones on PC I/O);
 * - `reset` is a machine reset (QMP `system_reset`, waiting for its RESET event): it runs the
 *   device's own reset handler, as a guest reboot does, rather than starting a new QEMU,
 *   which would only show the state after realize. Reset also clears the BAR, the command
 *   register and the PIIX3's PIRQ routes, so setup runs again afterwards;
 * - `irq` compares the level of the device's GSI, tracked from the IRQ raise/lower lines of
 *   the intercepted I/O APIC inputs (every line starts low). QEMU sends them before the reply
 *   to the access that caused them, so the level is exact after each reply.
 *
 * QEMU's stderr, including its qtest trace of every command, is kept in the log file; every
 * error names that file and quotes its end.
 */
import type { Device } from "../ir/types.js";
import type { Vector } from "../reference/vectors.js";
import { formatBdf, PciConfig, type Bdf, type BarPlacement } from "./pci-config.js";
import { QemuQtest } from "./qemu-qtest.js";
import { QtestError, type QtestClient } from "./qtest-client.js";

/** Where the device's INTx is routed: a PC ISA IRQ no default device uses. */
export const INTX_IRQ = 11;

/** What the vectors need from an implementation of the device. */
export interface VectorTarget {
  read(offset: number, size: number): Promise<bigint>;
  write(offset: number, size: number, value: bigint): Promise<void>;
  irqLevel(): boolean;
  reset(): Promise<void>;
}

/** The device behind a qtest connection, set up as firmware would. */
export class QtestDevice implements VectorTarget {
  private readonly config: PciConfig;
  bdf: Bdf | null = null;
  bar: BarPlacement | null = null;
  /** The GSI the INTx pin reaches, or null without a pin. */
  gsi: number | null = null;

  constructor(
    readonly qtest: QtestClient,
    readonly device: Device,
    /** A machine reset that has completed when it resolves. */
    private readonly systemReset: () => Promise<void>,
    private readonly log: string | null = null,
  ) {
    this.config = new PciConfig(qtest);
  }

  /** Finds the device, places its BAR, routes its INTx (again after every reset). */
  async setup(): Promise<void> {
    const { pci, bar } = this.device;
    if (!this.bdf) {
      this.bdf = await this.config.find(pci.vendorId, pci.deviceId);
      if (!this.bdf) {
        throw new QtestError(
          `no PCI function ${id(pci.vendorId)}:${id(pci.deviceId)} (${this.device.name}) on bus 0`,
          this.log,
        );
      }
    }
    const where = `${this.device.name} at ${formatBdf(this.bdf)}`;
    this.bar = await this.config.placeBar(this.bdf, bar.index);
    if (this.bar.space !== bar.space || this.bar.size !== BigInt(bar.size)) {
      throw new QtestError(
        `${where}: BAR ${bar.index} is ${this.bar.space} of 0x${this.bar.size.toString(16)} bytes, ` +
          `the description says ${bar.space} of 0x${bar.size.toString(16)}`,
        this.log,
      );
    }
    const route = await this.config.routeIntx(this.bdf, INTX_IRQ);
    this.gsi = route ? route.gsi : null;
    if (this.device.interrupt && this.gsi === null) {
      throw new QtestError(`${where} has an interrupt but its interrupt pin register is 0`, this.log);
    }
  }

  async read(offset: number, size: number): Promise<bigint> {
    const bar = this.placed();
    if (bar.space === "io") return BigInt(await this.qtest.in(this.port(offset), ioSize(size)));
    return this.qtest.readMem(bar.base + BigInt(offset), memSize(size));
  }

  async write(offset: number, size: number, value: bigint): Promise<void> {
    const bar = this.placed();
    if (bar.space === "io") await this.qtest.out(this.port(offset), ioSize(size), Number(value));
    else await this.qtest.writeMem(bar.base + BigInt(offset), memSize(size), value);
  }

  irqLevel(): boolean {
    return this.gsi !== null && this.qtest.irqLevel(this.gsi);
  }

  async reset(): Promise<void> {
    await this.systemReset();
    await this.setup();
  }

  private placed(): BarPlacement {
    if (!this.bar) throw new Error("QtestDevice: setup() has not run");
    return this.bar;
  }

  private port(offset: number): number {
    return Number(this.placed().base) + offset;
  }
}

function ioSize(size: number): 1 | 2 | 4 {
  if (size === 1 || size === 2 || size === 4) return size;
  throw new Error(`a port I/O access of ${size} bytes is impossible`);
}

function memSize(size: number): 1 | 2 | 4 | 8 {
  if (size === 1 || size === 2 || size === 4 || size === 8) return size;
  throw new Error(`an MMIO access of ${size} bytes is impossible`);
}

function id(n: number): string {
  return n.toString(16).padStart(4, "0");
}

export interface VectorFailure {
  index: number;
  op: "read" | "irq";
  offset: number | null;
  size: number | null;
  expected: bigint | boolean;
  mask: bigint | null;
  actual: bigint | boolean;
}

export interface VectorRunResult {
  total: number;
  /** Reads and irq checks compared (unclaimed reads are not). */
  checked: number;
  passed: number;
  failed: number;
  /** Accesses outside the BAR: made, not compared. */
  unclaimed: number;
  failures: VectorFailure[];
  durationMs: number;
  log: string | null;
}

/** Runs every vector in order; failures are collected, not thrown. Errors of the transport are thrown. */
export async function runVectors(target: VectorTarget, vectors: Vector[], log: string | null = null): Promise<VectorRunResult> {
  const started = Date.now();
  const failures: VectorFailure[] = [];
  let checked = 0;
  let unclaimed = 0;
  for (const [index, v] of vectors.entries()) {
    switch (v.op) {
      case "reset":
        await target.reset();
        break;
      case "write":
        if (!v.claimed) unclaimed++;
        await target.write(v.offset, v.size, v.value);
        break;
      case "read": {
        const actual = await target.read(v.offset, v.size);
        if (!v.claimed) {
          unclaimed++;
          break;
        }
        checked++;
        if ((actual & v.mask) !== (v.expect & v.mask)) {
          failures.push({ index, op: "read", offset: v.offset, size: v.size, expected: v.expect, mask: v.mask, actual });
        }
        break;
      }
      case "irq": {
        checked++;
        const actual = target.irqLevel();
        if (actual !== v.expect) {
          failures.push({ index, op: "irq", offset: null, size: null, expected: v.expect, mask: null, actual });
        }
        break;
      }
    }
  }
  return {
    total: vectors.length,
    checked,
    passed: checked - failures.length,
    failed: failures.length,
    unclaimed,
    failures,
    durationMs: Date.now() - started,
    log,
  };
}

export interface RunVectorsQtestOptions {
  /** qemu-system-x86_64 built with the device. */
  binary: string;
  device: Device;
  vectors: Vector[];
  /** QEMU's stderr and qtest trace go here. */
  log: string;
  /** Extra `-device` properties; default `in-kernel=off` (the emulated path). */
  deviceProperties?: string;
  firmwareDirs?: string[];
  timeoutMs?: number;
}

/** Starts QEMU with the device, sets it up, runs the vectors, stops QEMU. */
export async function runVectorsQtest(options: RunVectorsQtestOptions): Promise<VectorRunResult> {
  const started = Date.now();
  const properties = options.deviceProperties ?? "in-kernel=off";
  const qemu = await QemuQtest.start({
    binary: options.binary,
    device: properties ? `${options.device.name},${properties}` : options.device.name,
    log: options.log,
    firmwareDirs: options.firmwareDirs,
    timeoutMs: options.timeoutMs,
  });
  try {
    await qemu.qtest.interceptIrqs();
    const target = new QtestDevice(qemu.qtest, options.device, () => qemu.systemReset(), options.log);
    await target.setup();
    const result = await runVectors(target, options.vectors, options.log);
    if (qemu.exitStatus !== null) throw new QtestError(`QEMU ${qemu.exitStatus} during the vectors`, options.log);
    return { ...result, durationMs: Date.now() - started };
  } finally {
    await qemu.close();
  }
}

/** Reads the `tests/<name>_vectors.json` that `devgen generate` writes (hex strings → bigint). */
export function parseVectorsJson(text: string): Vector[] {
  const raw = JSON.parse(text) as Record<string, unknown>[];
  return raw.map((v) => {
    switch (v.op) {
      case "reset":
        return { op: "reset" };
      case "irq":
        return { op: "irq", expect: Boolean(v.expect) };
      case "read":
        return {
          op: "read",
          offset: Number(v.offset),
          size: Number(v.size),
          claimed: Boolean(v.claimed),
          expect: BigInt(v.expect as string),
          mask: BigInt(v.mask as string),
        };
      case "write":
        return {
          op: "write",
          offset: Number(v.offset),
          size: Number(v.size),
          claimed: Boolean(v.claimed),
          value: BigInt(v.value as string),
        };
      default:
        throw new Error(`unknown vector op ${JSON.stringify(v.op)}`);
    }
  });
}

/** One line per failure, for reports and test output. */
export function formatFailure(f: VectorFailure): string {
  if (f.op === "irq") return `#${f.index} irq: expected ${f.expected ? "high" : "low"}, got ${f.actual ? "high" : "low"}`;
  const h = (v: bigint | boolean | null): string => (typeof v === "bigint" ? `0x${v.toString(16)}` : String(v));
  return `#${f.index} read offset 0x${f.offset!.toString(16)} size ${f.size}: expected ${h(f.expected)} mask ${h(f.mask)}, got ${h(f.actual)}`;
}
