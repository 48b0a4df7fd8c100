/**
 * QEMU's qtest line protocol: `outl 0xcf8 …` / `inl 0xcfc` / `readq 0x…` answered by
 * `OK [value]`, with the asynchronous `IRQ raise N` / `IRQ lower N` lines of intercepted
 * interrupt inputs. Every error names QEMU's log and quotes its end.
 */
import * as fs from "node:fs";
import type { Duplex } from "node:stream";
import type { PortIo } from "./pci-config.js";

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

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
