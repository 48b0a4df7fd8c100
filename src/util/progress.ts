/**
 * A small progress reporter for long steps (downloads, extractions, builds).
 *
 * On a terminal one line is redrawn in place (spinner, label, bytes, rate, percentage); in
 * logs and CI it prints plain lines: one when a task starts, one every few seconds while it
 * runs, one when it ends; `quiet` prints nothing. It writes to stderr, so `--json` output
 * on stdout stays clean.
 */

export type ProgressMode = "tty" | "plain" | "quiet";

export interface ProgressTask {
  /** Work done so far, in the task's unit, and the total when known. */
  update(done: number, total?: number): void;
  /** A short note shown after the label (the current file, patch, phase...). */
  note(text: string): void;
  /** Ends the task; `summary` replaces the computed one. */
  done(summary?: string): void;
  /** Ends the task as failed. */
  fail(reason?: string): void;
}

export interface Progress {
  readonly mode: ProgressMode;
  /** Starts a task. `unit: "bytes"` shows sizes and a rate, "items" shows counts. */
  task(label: string, options?: { total?: number; unit?: "bytes" | "items" | "percent" }): ProgressTask;
  /** One line of information, kept on screen. */
  info(message: string): void;
}

export interface ProgressOptions {
  mode?: ProgressMode | "auto";
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Milliseconds between plain-mode lines for a running task. */
  plainEveryMs?: number;
  now?: () => number;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** 1536 -> "1.5 KB"; decimal units like apt's. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** Progress that prints nothing (tests, --quiet, library use). */
export const quietProgress: Progress = {
  mode: "quiet",
  task: () => ({ update() {}, note() {}, done() {}, fail() {} }),
  info() {},
};

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const requested = options.mode ?? "auto";
  const mode: ProgressMode = requested === "auto" ? (stream.isTTY && process.env.CI !== "true" ? "tty" : "plain") : requested;
  if (mode === "quiet") return quietProgress;
  const now = options.now ?? Date.now;
  const plainEveryMs = options.plainEveryMs ?? 5000;
  let liveLine = false;

  const clearLive = (): void => {
    if (liveLine) stream.write("\r\x1b[K");
    liveLine = false;
  };

  /** `label  stats` in one terminal row: the label is shortened, the numbers never are. */
  const fit = (label: string, stats: string): string => {
    const room = (stream.columns ?? 100) - 1 - stats.length - 4;
    const shown = label.length > room ? `${label.slice(0, Math.max(room - 1, 8))}…` : label;
    return stats ? `${shown}  ${stats}` : shown;
  };

  return {
    mode,
    info(message) {
      clearLive();
      stream.write(`${message}\n`);
    },
    task(label, taskOptions = {}) {
      const unit = taskOptions.unit ?? "items";
      const started = now();
      let total = taskOptions.total;
      let done = 0;
      let noteText = "";
      let frame = 0;
      let lastDraw = 0;
      let lastPlain = started;
      let finished = false;
      // A short window of (time, done) samples for the rate.
      const samples: [number, number][] = [[started, 0]];

      const rate = (): number | null => {
        const [t0, d0] = samples[0];
        const [t1, d1] = samples[samples.length - 1];
        return t1 - t0 >= 500 ? ((d1 - d0) * 1000) / (t1 - t0) : null;
      };

      const describe = (): string => {
        const parts: string[] = [];
        if (total && done > 0) parts.push(`${Math.min(100, Math.floor((done / total) * 100))}%`);
        if (unit === "bytes") {
          parts.push(total ? `${formatBytes(done)} / ${formatBytes(total)}` : formatBytes(done));
          const r = rate();
          if (r !== null) parts.push(`${formatBytes(r)}/s`);
        } else if (unit === "items" && done > 0) {
          parts.push(total ? `${done}/${total}` : `${done}`);
        }
        if (noteText) parts.push(noteText);
        return parts.join("  ");
      };

      const draw = (force = false): void => {
        const t = now();
        if (mode === "tty") {
          if (!force && t - lastDraw < 100) return;
          lastDraw = t;
          frame = (frame + 1) % SPINNER.length;
          stream.write(`\r\x1b[K${SPINNER[frame]} ${fit(label, describe())}`);
          liveLine = true;
        } else if (force || t - lastPlain >= plainEveryMs) {
          lastPlain = t;
          stream.write(`  ${label}: ${describe() || "working"}\n`);
        }
      };

      const finish = (mark: string, text: string): void => {
        if (finished) return;
        finished = true;
        clearLive();
        stream.write(`${mark} ${label}${text ? `: ${text}` : ""}\n`);
      };

      if (mode === "plain") stream.write(`${label}...\n`);
      else draw(true);

      return {
        update(value, newTotal) {
          if (finished) return;
          done = value;
          if (newTotal !== undefined) total = newTotal;
          const t = now();
          samples.push([t, done]);
          while (samples.length > 2 && t - samples[0][0] > 5000) samples.shift();
          draw();
        },
        note(text) {
          if (finished) return;
          noteText = text;
          draw();
        },
        done(summary) {
          const elapsed = now() - started;
          let text = summary;
          if (text === undefined) {
            const parts = [formatDuration(elapsed)];
            if (unit === "bytes" && done > 0) {
              parts.push(formatBytes(done));
              if (elapsed > 0) parts.push(`${formatBytes((done * 1000) / elapsed)}/s`);
            }
            text = parts.join(", ");
          }
          finish(mode === "tty" ? "✓" : "done:", text);
        },
        fail(reason) {
          finish(mode === "tty" ? "✗" : "failed:", reason ?? formatDuration(now() - started));
        },
      };
    },
  };
}
