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
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { Duplex } from "node:stream";
import type { Device } from "../ir/types.js";
import type { Vector } from "../reference/vectors.js";
import { formatBdf, PciConfig, type Bdf, type BarPlacement, type PortIo } from "./pci-config.js";

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
export const DEFAULT_START_TIMEOUT_MS = 30_000;
/** Where the device's INTx is routed: a PC ISA IRQ no default device uses. */
export const INTX_IRQ = 11;
/** Searched for the PC BIOS when they exist (packages seabios and qemu-system-data). */
export const DEFAULT_FIRMWARE_DIRS = ["/usr/share/seabios", "/usr/share/qemu"];

/** An error of the harness: what failed, plus where QEMU's log is and how it ends. */
export class QtestError extends Error {
  constructor(message: string, readonly log: string | null) {
    super(log ? `${message}\nQEMU log: ${log}${tailText(log)}` : message);
    this.name = "QtestError";
  }
}

function tailText(log: string, lines = 15): string {
  let text: string;
  try {
    text = fs.readFileSync(log, "utf8");
  } catch {
    return "";
  }
  const tail = text.split("\n").filter((line) => line.trim() !== "").slice(-lines);
  return tail.length ? `\n--- last lines of the log ---\n${tail.join("\n")}` : "";
}

interface Pending {
  line: string;
  resolve: (words: string) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The qtest line protocol over a stream: one command at a time, each answered by `OK [...]`,
 * `FAIL ...` or `ERR ...`; `IRQ raise|lower N` lines may come at any time.
 */
export class QtestClient implements PortIo {
  /** Intercepted input lines, by number; absent means low. */
  readonly irqLevels = new Map<number, boolean>();
  private buffer = "";
  private readonly pending: Pending[] = [];
  private closed: Error | null = null;

  constructor(
    private readonly stream: Duplex,
    private readonly options: { timeoutMs?: number; log?: string | null } = {},
  ) {
    stream.setEncoding("latin1");
    stream.on("data", (chunk: string) => this.receive(chunk));
    stream.on("error", (error) => this.fail(`qtest connection: ${error.message}`));
    stream.on("close", () => this.fail("QEMU closed the qtest connection"));
  }

  /** Sends one command; resolves with what follows `OK` (may be empty). */
  command(line: string): Promise<string> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
      const entry: Pending = {
        line,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.pending.splice(this.pending.indexOf(entry), 1);
          reject(this.error(`qtest: no answer to "${line}" within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.pending.push(entry);
      this.stream.write(`${line}\n`);
    });
  }

  irqLevel(n: number): boolean {
    return this.irqLevels.get(n) ?? false;
  }

  /** Makes QEMU report the I/O APIC's inputs (GSIs) as IRQ lines instead of delivering them. */
  async interceptIrqs(path = "ioapic"): Promise<void> {
    await this.command(`irq_intercept_in ${path}`);
  }

  async in(port: number, size: 1 | 2 | 4): Promise<number> {
    return Number(parseValue(await this.command(`in${SUFFIX[size]} 0x${port.toString(16)}`)));
  }

  async out(port: number, size: 1 | 2 | 4, value: number): Promise<void> {
    await this.command(`out${SUFFIX[size]} 0x${port.toString(16)} 0x${(value >>> 0).toString(16)}`);
  }

  async readMem(address: bigint, size: 1 | 2 | 4 | 8): Promise<bigint> {
    return parseValue(await this.command(`read${SUFFIX[size]} 0x${address.toString(16)}`));
  }

  async writeMem(address: bigint, size: 1 | 2 | 4 | 8, value: bigint): Promise<void> {
    await this.command(`write${SUFFIX[size]} 0x${address.toString(16)} 0x${value.toString(16)}`);
  }

  close(): void {
    this.fail("qtest connection closed");
    this.stream.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline).trimEnd();
      this.buffer = this.buffer.slice(newline + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    const irq = /^IRQ (raise|lower) (\d+)$/.exec(line);
    if (irq) {
      this.irqLevels.set(Number(irq[2]), irq[1] === "raise");
      return;
    }
    const entry = this.pending.shift();
    if (!entry) return;
    clearTimeout(entry.timer);
    if (line === "OK" || line.startsWith("OK ")) entry.resolve(line.slice(3));
    else entry.reject(this.error(`qtest: "${entry.line}" answered "${line}"`));
  }

  private fail(why: string): void {
    if (this.closed) return;
    this.closed = this.error(why);
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(this.error(`qtest: "${entry.line}" not answered: ${why}`));
    }
  }

  private error(message: string): QtestError {
    return new QtestError(message, this.options.log ?? null);
  }
}

const SUFFIX = { 1: "b", 2: "w", 4: "l", 8: "q" } as const;

function parseValue(words: string): bigint {
  const word = words.trim().split(/\s+/)[0] ?? "";
  if (!/^0x[0-9a-f]+$/i.test(word)) throw new Error(`qtest: expected a value, got "OK ${words}"`);
  return BigInt(word);
}

/** QMP over a stream: greeting, capabilities, commands, events. */
export class QmpClient {
  private buffer = "";
  private readonly messages: Record<string, unknown>[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly stream: Duplex,
    private readonly options: { timeoutMs?: number; log?: string | null } = {},
  ) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf("\n")) >= 0) {
        const text = this.buffer.slice(0, newline).trim();
        this.buffer = this.buffer.slice(newline + 1);
        if (text) this.messages.push(JSON.parse(text) as Record<string, unknown>);
      }
      this.wake();
    });
    stream.on("close", () => {
      this.closed = true;
      this.wake();
    });
    stream.on("error", () => undefined);
  }

  async negotiate(): Promise<void> {
    await this.next((m) => "QMP" in m, "the QMP greeting");
    await this.execute("qmp_capabilities");
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    this.stream.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    const reply = await this.next((m) => "return" in m || "error" in m, `the reply to ${command}`);
    if ("error" in reply) {
      throw new QtestError(`QMP ${command} failed: ${JSON.stringify(reply.error)}`, this.options.log ?? null);
    }
    return reply.return;
  }

  /** Waits for an event; events already received count. */
  async event(name: string): Promise<void> {
    await this.next((m) => m.event === name, `the ${name} event`);
  }

  close(): void {
    this.stream.destroy();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private async next(match: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex(match);
      if (index >= 0) return this.messages.splice(index, 1)[0]!;
      if (this.closed) throw new QtestError(`QMP: connection closed while waiting for ${what}`, this.options.log ?? null);
      const left = deadline - Date.now();
      if (left <= 0) throw new QtestError(`QMP: no ${what} within ${timeoutMs} ms`, this.options.log ?? null);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

export interface QemuQtestOptions {
  binary: string;
  /** `-device` argument, e.g. `xche,in-kernel=off`. */
  device: string;
  /** QEMU's stderr (with its qtest trace) is appended here. */
  log: string;
  firmwareDirs?: string[];
  extraArgs?: string[];
  timeoutMs?: number;
  startTimeoutMs?: number;
}

/** A QEMU process under qtest: its qtest and QMP connections, reset and shutdown. */
export class QemuQtest {
  private exited: string | null = null;

  private constructor(
    readonly child: ChildProcess,
    readonly qtest: QtestClient,
    readonly qmp: QmpClient,
    readonly log: string,
    private readonly tmp: string,
    private readonly timeoutMs: number,
  ) {
    child.on("exit", (code, signal) => {
      this.exited = signal ? `killed by ${signal}` : `exited with status ${code}`;
    });
  }

  static async start(options: QemuQtestOptions): Promise<QemuQtest> {
    const { binary, log } = options;
    if (!fs.existsSync(binary)) throw new QtestError(`QEMU binary ${binary} does not exist`, null);
    const firmware = (options.firmwareDirs ?? DEFAULT_FIRMWARE_DIRS).filter((dir) => fs.existsSync(dir));
    fs.mkdirSync(path.dirname(path.resolve(log)), { recursive: true });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-qtest-"));
    const qtestPath = path.join(tmp, "qtest.sock");
    const qmpPath = path.join(tmp, "qmp.sock");
    const servers = [net.createServer(), net.createServer()];
    const cleanup = (): void => {
      servers.forEach((server) => server.close());
      fs.rmSync(tmp, { recursive: true, force: true });
    };
    const args = [
      "-machine", "pc",
      "-accel", "qtest",
      "-qtest", `unix:${qtestPath}`,
      "-qmp", `unix:${qmpPath}`,
      "-display", "none",
      "-nodefaults",
      ...firmware.flatMap((dir) => ["-L", dir]),
      ...(options.extraArgs ?? []),
      "-device", options.device,
    ];
    let child: ChildProcess | null = null;
    try {
      await Promise.all([listen(servers[0]!, qtestPath), listen(servers[1]!, qmpPath)]);
      fs.writeFileSync(log, `$ ${[binary, ...args].join(" ")}\n`, { flag: "a" });
      const fd = fs.openSync(log, "a");
      child = spawn(binary, args, { stdio: ["ignore", fd, fd] });
      fs.closeSync(fd);
      const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
      const [qtestSocket, qmpSocket] = await Promise.race([
        Promise.all([accept(servers[0]!), accept(servers[1]!)]),
        exitOf(child).then((how) => {
          throw new QtestError(`QEMU ${how} before connecting`, log);
        }),
        delay(startTimeoutMs).then(() => {
          throw new QtestError(`QEMU did not connect within ${startTimeoutMs} ms`, log);
        }),
      ]);
      servers.forEach((server) => server.close());
      const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
      const qemu = new QemuQtest(
        child,
        new QtestClient(qtestSocket, { timeoutMs, log }),
        new QmpClient(qmpSocket, { timeoutMs, log }),
        log,
        tmp,
        timeoutMs,
      );
      await qemu.qmp.negotiate();
      return qemu;
    } catch (error) {
      child?.kill("SIGKILL");
      cleanup();
      throw error instanceof QtestError ? error : new QtestError(`starting QEMU: ${String(error)}`, log);
    }
  }

  /** A machine reset, complete when QEMU has emitted its RESET event. */
  async systemReset(): Promise<void> {
    await this.qmp.execute("system_reset");
    await this.qmp.event("RESET");
  }

  /** Why QEMU is gone, or null while it runs. */
  get exitStatus(): string | null {
    return this.exited;
  }

  async close(): Promise<void> {
    if (this.exited === null) {
      const exit = exitOf(this.child);
      try {
        await Promise.race([this.qmp.execute("quit"), delay(this.timeoutMs)]);
      } catch {
        // Already going away.
      }
      if ((await Promise.race([exit, delay(5000).then(() => null)])) === null) {
        this.child.kill("SIGKILL");
        await exit;
      }
    }
    this.qtest.close();
    this.qmp.close();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

function listen(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
}

function accept(server: net.Server): Promise<net.Socket> {
  return new Promise((resolve) => server.once("connection", resolve));
}

function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.signalCode ? `was killed by ${child.signalCode}` : `exited with status ${child.exitCode}`);
      return;
    }
    child.once("exit", (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with status ${code}`));
    child.once("error", (error) => resolve(`could not run (${error.message})`));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

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
