/**
 * Which coverage targets (coverage-targets.ts) the vectors reach, and in which phase first.
 * The reference model reports what it does through three calls; each is a map lookup and
 * an array store, so recording costs little beside the model's bigint work, and a model
 * with no recorder pays one null check.
 */
import type { Action, Device } from "../ir/types.js";
import { actionKey, callSites, coverageTargets, enumKey, type CallSite, type CoverageTarget, type ReachState } from "./coverage-targets.js";

export interface CoverageReport {
  /** The phases in the order they ran. */
  phases: string[];
  /** Every target in the device's order, with the phase that first reached it, or why none did. */
  targets: { label: string; reachedIn: string | null; why: string | null }[];
  /** Targets that turned out to be none, and why. */
  inert: { label: string; why: string }[];
}

export class CoverageRecorder {
  readonly targets: CoverageTarget[];
  private readonly phases: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly reachedIn: (string | null)[];
  private readonly sites = new Map<Action, { site: CallSite; fired: number | undefined; skipped: number | undefined }>();
  private readonly readers: CallSite[][];
  private running: CallSite | null = null;
  private phase = "";

  constructor(private readonly device: Device) {
    this.targets = coverageTargets(device);
    this.targets.forEach((t, id) => this.ids.set(t.key, id));
    this.reachedIn = this.targets.map(() => null);
    for (const site of callSites(device)) {
      this.sites.set(site.action, { site, fired: this.ids.get(actionKey(site, true)), skipped: this.ids.get(actionKey(site, false)) });
    }
    this.readers = device.registers.map(() => []);
  }

  /** The accesses from here on belong to `phase`. */
  enter(phase: string): void {
    this.phase = phase;
    this.phases.push(phase);
  }

  /** The model has taken the path that `key` names. */
  hit(key: string): void {
    const id = this.ids.get(key);
    if (id !== undefined) this.mark(id);
  }

  /** The model has decided whether an action runs (null: unknown bits decide). */
  action(action: Action, fires: boolean | null): void {
    const entry = this.sites.get(action)!;
    const id = fires === true ? entry.fired : fires === false ? entry.skipped : undefined;
    if (id !== undefined) this.mark(id);
    this.running = fires === true && action.kind === "hook" ? entry.site : null;
  }

  /** The hook model now running has read a register, holding `value`. */
  consulted(register: number, value: bigint): void {
    const site = this.running;
    if (!site) return;
    const readers = this.readers[register]!;
    if (!readers.includes(site)) readers.push(site);
    for (const field of this.device.registers[register]!.fields) {
      if (field.values.length) this.hit(enumKey(register, field, (value & field.mask) >> BigInt(field.lsb)));
    }
  }

  reached(target: CoverageTarget): boolean {
    return this.reachedIn[this.ids.get(target.key)!] !== null;
  }

  state(regs: readonly bigint[], largest: number): ReachState {
    return { regs, largest, readersOf: (register) => this.readers[register]! };
  }

  /** `why`: the coverage phase's reason for each target it could not reach. */
  report(why: ReadonlyMap<string, string>, largest: number): CoverageReport {
    const state = this.state([], largest);
    const report: CoverageReport = { phases: this.phases, targets: [], inert: [] };
    this.targets.forEach((target, id) => {
      const inert = this.reachedIn[id] === null ? target.inert?.(state) : null;
      if (inert) report.inert.push({ label: target.label, why: inert });
      else report.targets.push({ label: target.label, reachedIn: this.reachedIn[id]!, why: why.get(target.key) ?? null });
    });
    return report;
  }

  private mark(id: number): void {
    if (this.reachedIn[id] !== null) return;
    this.reachedIn[id] = this.phase;
  }
}
