/** What every test-in-vm level reports: its checks, logs, accelerator and timings. */
import type { Accel } from "./accel.js";

export interface Check {
  name: string;
  ok: boolean;
  /** Why it failed (expected vs actual, the vector...), or notes; "" when there is nothing to say. */
  detail: string;
}

export interface LevelResult<Level extends string> {
  level: Level;
  /** The implementation under test, for messages. */
  implementation: string;
  ok: boolean;
  checks: Check[];
  consoleLog: string;
  /** The results channel (TAP only). */
  resultsLog: string;
  accel: Accel;
  timings: {
    /** Compiling the test, packing the initramfs (and probing the accelerator). */
    prepareMs: number;
    /** QEMU start to the guest's /init first line. */
    bootMs: number | null;
    /** /init's first line to the final result line. */
    testMs: number | null;
    totalMs: number;
  };
}
