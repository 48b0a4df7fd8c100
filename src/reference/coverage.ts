/**
 * Which coverage targets (coverage-targets.ts) the vectors reach, and in which phase first.
 * The reference model reports what it does through `action`, `consulted`, `observed`,
 * `written`, `atLimit`, `requested`, `past` and `hit`; each is a few map lookups and stores, little beside the model's bigint work, and a
 * model with no recorder pays one null check (its arguments are not even evaluated).
 */
import type { Action, Device, Register } from "../ir/types.js";
import {
  actionKey,
  bankKey,
  callSites,
  gateKey,
  hookReadKey,
  hookReadTargets,
  limitKey,
  pastKey,
  readClass,
  readParts,
  requestKey,
  staticTargets,
  unreadValues,
  type CallSite,
  type CoverageTarget,
  type HookCall,
  type Miss,
  type ReachState,
  type ReadPart,
} from "./coverage-targets.js";

export interface CoverageReport {
  /** The phases in the order they ran. */
  phases: string[];
  /** Every target in the order found, with the phase that first reached it, or why none did. */
  targets: { label: string; reachedIn: string | null; why: Miss | null }[];
  /** Named values of fields no hook model reads: no target, as they select nothing the model sees. */
  unread: string[];
}

export class CoverageRecorder {
  /** Grows as hook models are seen reading registers. */
  readonly targets: CoverageTarget[] = [];
  private readonly phases: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly reachedIn: (string | null)[] = [];
  private readonly sites = new Map<Action, { site: CallSite; fired: number | undefined; skipped: number | undefined; limit: number | undefined }>();
  private readonly sitesOfHook = new Map<string, CallSite[]>();
  /** Per hook and register, the parts of the register it has been seen reading. */
  private readonly reads = new Map<string, ReadPart[]>();
  private readonly readByHook = new Set<number>();
  private readonly seenSet: bigint[];
  private readonly seenClear: bigint[];
  private running: HookCall | null = null;
  private phase = "";

  constructor(private readonly device: Device) {
    this.add(staticTargets(device));
    this.seenSet = device.registers.map(() => 0n);
    this.seenClear = device.registers.map(() => 0n);
    for (const site of callSites(device)) {
      this.sites.set(site.action, {
        site,
        fired: this.ids.get(actionKey(site, true)),
        skipped: this.ids.get(actionKey(site, false)),
        limit: this.ids.get(limitKey(site)),
      });
      if (site.action.kind === "hook") this.sitesOfHook.set(site.action.hook, [...(this.sitesOfHook.get(site.action.hook) ?? []), site]);
    }
  }

  /** The accesses from here on belong to `phase`. */
  enter(phase: string): void {
    this.phase = phase;
    this.phases.push(phase);
  }

  /** The model has taken the path that `key` names. */
  hit(key: string): void {
    const id = this.ids.get(key);
    if (id !== undefined && this.reachedIn[id] === null) this.reachedIn[id] = this.phase;
  }

  /**
   * The model has decided whether an action runs (null: unknown bits decide), for an access
   * of the register's `lanes` that wrote or read `value`, leaving `stored` in it.
   */
  action(action: Action, fires: boolean | null, value: bigint, lanes: bigint, stored: bigint): void {
    const entry = this.sites.get(action)!;
    const id = fires === true ? entry.fired : fires === false ? entry.skipped : undefined;
    if (id !== undefined && this.reachedIn[id] === null) this.reachedIn[id] = this.phase;
    this.running = fires === true && action.kind === "hook" ? { hook: action.hook, site: entry.site, value, lanes, stored, reads: [] } : null;
  }

  /** The hook model now running has read a register, holding `value`. */
  consulted(register: number, value: bigint): void {
    const call = this.running;
    if (call === null) return;
    const hook = call.hook;
    const r = this.device.registers[register]!;
    const key = `${hook}:${r.arrayName ?? r.name}`;
    let parts = this.reads.get(key);
    if (!parts) {
      parts = readParts(this.device, r);
      this.reads.set(key, parts);
      this.add(hookReadTargets(parts, r, { ...call, reads: [...call.reads] }, this.sitesOfHook.get(hook)!));
    }
    this.readByHook.add(register);
    for (const part of parts) {
      const klass = readClass(part, value);
      if (klass !== null) this.hit(hookReadKey(hook, part, klass));
    }
    call.reads.push({ register: r, value });
  }

  reached(target: CoverageTarget): boolean {
    return this.reachedIn[this.ids.get(target.key)!] !== null;
  }

  /** `why`: the coverage phase's reason for each target it could not reach, by key. */
  report(why: ReadonlyMap<string, Miss>): CoverageReport {
    return {
      phases: this.phases,
      targets: this.targets.map((t, id) => {
        const reachedIn = this.reachedIn[id]!;
        return { label: t.label, reachedIn, why: reachedIn === null ? (why.get(t.key) ?? null) : null };
      }),
      unread: unreadValues(this.device, (register) => this.readByHook.has(register)),
    };
  }

  /** A register read, holding `value`: its bank was selected; which bits have been seen set, and which clear. */
  observed(r: Register, value: bigint): void {
    if (r.bank) this.hit(bankKey(r));
    this.seenSet[r.index]! |= value;
    this.seenClear[r.index]! |= ~value;
  }

  /** A write to `r`'s `lanes`, with the bits its write gates hold `locked` (`undecided`: unknown bits decide). */
  written(r: Register, lanes: bigint, locked: bigint, undecided: bigint): void {
    if (r.bank) this.hit(bankKey(r));
    r.writeGates.forEach((gate, i) => {
      if (gate.mask & lanes && !(gate.mask & undecided)) this.hit(gateKey(r, i, !(gate.mask & locked)));
    });
  }

  /** A counter action runs at its limit (an increment at the maximum, a decrement at zero); the index's own increment is none. */
  atLimit(action: Action): void {
    const id = this.sites.get(action)?.limit;
    if (id !== undefined && this.reachedIn[id] === null) this.reachedIn[id] = this.phase;
  }

  /** The interrupt line is requested (status & enable non-zero) with the gate field set or clear. */
  requested(gateSet: boolean): void {
    this.hit(requestKey(gateSet));
  }

  /** An indirect register accessed with its index past its storage's end. */
  past(r: Register, op: "read" | "write"): void {
    this.hit(pastKey(r, op));
  }

  state(regs: readonly bigint[]): ReachState {
    return {
      regs,
      largest: this.device.busSizes[this.device.busSizes.length - 1]!,
      // Bits seen one by one: a value of several bits counts once each of its bits was seen so.
      everRead: (register, mask, value) =>
        value === null
          ? (this.seenSet[register]! & mask) !== 0n
          : (this.seenSet[register]! & value) === value && (this.seenClear[register]! & mask & ~value) === (mask & ~value),
    };
  }

  private add(targets: CoverageTarget[]): void {
    for (const target of targets) {
      this.ids.set(target.key, this.targets.length);
      this.targets.push(target);
      this.reachedIn.push(null);
    }
  }
}
