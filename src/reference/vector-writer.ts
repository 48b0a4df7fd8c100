/**
 * Making vectors: each access is run on the reference model and recorded with the result
 * the model gives, and the interrupt line is checked after every write that changes it and
 * every few writes besides. Every phase of vectors.ts, scenarios.ts and coverage-phase.ts
 * writes through one of these, so they share the model's state and its coverage.
 */
import { bitMask } from "../ir/bits.js";
import type { Device } from "../ir/types.js";
import { CoverageRecorder } from "./coverage.js";
import { DeviceModel, type ReadResult } from "./device-model.js";

export type Vector =
  | { op: "reset" }
  | { op: "read"; offset: number; size: number; claimed: boolean; expect: bigint; mask: bigint }
  | { op: "write"; offset: number; size: number; claimed: boolean; value: bigint }
  | { op: "irq"; expect: boolean };

/**
 * The state the model has before vector `before` runs: each entry's value, and the bits of
 * it the model knows. Only the native runner compares it, so what no read shows (a write-only
 * field's stored value, a flag) is still checked somewhere.
 */
export interface StateCheck {
  before: number;
  regs: bigint[];
  known: bigint[];
}

const IRQ_CHECK_EVERY = 8;

export class VectorWriter {
  readonly model: DeviceModel;
  readonly coverage: CoverageRecorder;
  readonly vectors: Vector[] = [];
  readonly states: StateCheck[] = [];
  private level: boolean | null;
  private writesSinceCheck = 0;

  constructor(readonly device: Device) {
    this.model = new DeviceModel(device);
    this.coverage = new CoverageRecorder(device);
    this.model.coverage = this.coverage;
    this.level = this.model.irqLevel();
  }

  /** Names the phase that the vectors from here on belong to, for the coverage report. */
  phase(name: string): void {
    this.coverage.enter(name);
  }

  checkIrq = (force: boolean): void => {
    if (!this.device.interrupt) return;
    const now = this.model.irqLevel();
    if (now !== null && (force || now !== this.level || this.writesSinceCheck >= IRQ_CHECK_EVERY)) {
      this.vectors.push({ op: "irq", expect: now });
      this.writesSinceCheck = 0;
    }
    this.level = now;
  };

  read = (offset: number, size: number): ReadResult => {
    const result = this.model.read(offset, size);
    const allBits = bitMask(size * 8);
    this.vectors.push({
      op: "read",
      offset,
      size,
      claimed: result.claimed,
      expect: result.value,
      mask: !result.claimed ? 0n : result.unknown ? allBits & ~result.unknown : allBits,
    });
    this.checkIrq(false);
    return result;
  };

  write = (offset: number, size: number, value: bigint): void => {
    const masked = value & bitMask(size * 8);
    const claimed = this.model.write(offset, size, masked);
    this.vectors.push({ op: "write", offset, size, claimed, value: masked });
    this.writesSinceCheck++;
    this.checkIrq(false);
  };

  /** Records the model's state here: before every reset, and once at the end. */
  snapshot = (): void => {
    const { regs, unknown } = this.model;
    this.states.push({ before: this.vectors.length, regs: [...regs], known: unknown.map((bits) => ~bits & bitMask(64)) });
  };

  reset = (): void => {
    if (this.vectors.length) this.snapshot();
    this.model.reset();
    this.vectors.push({ op: "reset" });
    this.checkIrq(true);
  };
}
