/** src/util/run.ts: logging, line callbacks, and the DevgenError a failing step raises. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatCommand, logTail, run, TAIL_LINES } from "../../src/util/run.js";
import { DevgenError } from "../../src/util/diagnostics.js";
import { createProgress, formatBytes } from "../../src/util/progress.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "devgen-run-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("run", () => {
  it("returns stdout, logs everything and reports each line", async () => {
    const log = join(dir, "logs", "step.log");
    const lines: string[] = [];
    const result = await run("sh", ["-c", "echo one; echo two >&2; echo three"], {
      step: "say things",
      log,
      onLine: (line, stream) => lines.push(`${stream}:${line}`),
    });
    expect(result.stdout).toBe("one\nthree\n");
    expect(lines.sort()).toEqual(["stderr:two", "stdout:one", "stdout:three"]);
    const text = readFileSync(log, "utf8");
    expect(text).toContain("say things");
    expect(text).toContain("$ sh -c 'echo one; echo two >&2; echo three'");
    for (const word of ["one", "two", "three"]) expect(text).toContain(`${word}\n`);
  });

  it("appends to an existing log", async () => {
    const log = join(dir, "a.log");
    await run("echo", ["first"], { step: "1", log });
    await run("echo", ["second"], { step: "2", log });
    const text = readFileSync(log, "utf8");
    expect(text.indexOf("first")).toBeLessThan(text.indexOf("second"));
  });

  it("fails with the step, the log path and the last lines of output", async () => {
    const log = join(dir, "fail.log");
    const error = await run("sh", ["-c", "for i in $(seq 1 50); do echo line$i; done; exit 7"], {
      step: "count to fifty",
      log,
      hint: "try counting slower",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevgenError);
    const e = error as DevgenError;
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("count to fifty failed");
    expect(e.message).toContain("exited with code 7");
    expect(e.message).toContain(`full log: ${log}`);
    expect(e.message).toContain("line50");
    expect(e.message).toContain(`line${50 - TAIL_LINES + 1}`);
    expect(e.message).not.toContain(`line${50 - TAIL_LINES}\n`);
    expect(e.diagnostics[0].hint).toBe("try counting slower");
    expect(readFileSync(log, "utf8")).toContain("### failed");
  });

  it("names a missing command", async () => {
    const error = await run("devgen-no-such-command", [], { step: "missing", log: join(dir, "m.log") }).catch((e: unknown) => e);
    expect((error as DevgenError).message).toContain("command not found: devgen-no-such-command");
  });

  it("kills a command that runs past its timeout", async () => {
    const started = Date.now();
    const error = await run("sleep", ["30"], { step: "nap", log: join(dir, "t.log"), timeoutMs: 200 }).catch((e: unknown) => e);
    expect((error as DevgenError).message).toContain("timed out");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("reads the tail of a log, skipping blank lines", () => {
    expect(logTail(join(dir, "none.log"))).toEqual([]);
  });

  it("quotes command lines like a shell would", () => {
    expect(formatCommand("tar", ["-xf", "a b.tar", "it's"])).toBe("tar -xf 'a b.tar' 'it'\\''s'");
  });
});

describe("progress", () => {
  const sink = () => {
    const chunks: string[] = [];
    return { chunks, stream: { write: (s: string) => (chunks.push(s), true), isTTY: false } as unknown as NodeJS.WritableStream };
  };

  it("prints plain lines when not on a terminal", () => {
    let now = 0;
    const { chunks, stream } = sink();
    const progress = createProgress({ mode: "plain", stream, now: () => now, plainEveryMs: 1000 });
    const task = progress.task("download x", { unit: "bytes", total: 2_000_000 });
    now = 1500;
    task.update(1_000_000);
    now = 2000;
    task.done();
    expect(chunks.join("")).toBe("download x...\n  download x: 50%  1.0 MB / 2.0 MB  667 KB/s\ndone: download x: 2.0 s, 1.0 MB, 500 KB/s\n");
  });

  it("redraws one line on a terminal and prints nothing when quiet", () => {
    const { chunks, stream } = sink();
    const progress = createProgress({ mode: "tty", stream });
    const task = progress.task("extract", { unit: "bytes", total: 100 });
    task.update(50);
    task.done("ok");
    const out = chunks.join("");
    expect(out).toContain("\r\x1b[K");
    expect(out.endsWith("✓ extract: ok\n")).toBe(true);
    const quiet = sink();
    createProgress({ mode: "quiet", stream: quiet.stream }).task("x").done();
    expect(quiet.chunks).toEqual([]);
  });

  it("formats sizes in decimal units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(139_331_676)).toBe("139 MB");
    expect(formatBytes(1_500)).toBe("1.5 KB");
  });
});
