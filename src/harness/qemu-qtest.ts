/**
 * A QEMU process under `-accel qtest`, with its qtest and QMP connections: QEMU connects to
 * two sockets the harness listens on; its stderr, with the qtest trace, goes to the log.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { QmpClient } from "./qmp-client.js";
import { DEFAULT_COMMAND_TIMEOUT_MS, QtestClient, QtestError } from "./qtest-client.js";

export const DEFAULT_START_TIMEOUT_MS = 30_000;
/** Searched for the PC BIOS when they exist (packages seabios and qemu-system-data). */
export const DEFAULT_FIRMWARE_DIRS = ["/usr/share/seabios", "/usr/share/qemu"];

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
