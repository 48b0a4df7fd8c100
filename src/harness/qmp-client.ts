/** QEMU's machine protocol (QMP) over a stream: greeting, capabilities, commands, events. */
import type { Duplex } from "node:stream";
import { DEFAULT_COMMAND_TIMEOUT_MS, QtestError } from "./qtest-client.js";

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
