/**
 * Coverage targets of a FIFO storage: the three edges of a queue, where its C and its model
 * most easily part ways. A pop of the empty queue (reads 0, changes nothing), a push to the
 * full one (dropped, overrun set) and a pop of the full one (the oldest entry, the level
 * leaving its top). The model hits them in fifo-model.ts; the accesses here reach them
 * through the data ports, and a queue only hooks push is left to its scenarios.
 */
import { lowestBit } from "../ir/bits.js";
import type { Device, Register, Storage } from "../ir/types.js";
import { hold, whole, type Access, type CoverageTarget, type Miss, type ReachState } from "./coverage-reach.js";

export type FifoEdge = "empty-pop" | "full-push" | "full-pop";

export function fifoKey(store: Storage, edge: FifoEdge): string {
  return `fifo:${store.name}:${edge}`;
}

export function fifoTargets(device: Device): CoverageTarget[] {
  return device.storage
    .filter((store) => store.fifo)
    .flatMap((store) => {
      const popper = device.registers.find((r) => r.fifo === store && r.masks.readable);
      const pusher = device.registers.find((r) => r.fifo === store && r.masks.writable);
      const level = (state: ReachState) => Number(state.regs[store.fifo!.level]!);
      const missed: Miss = { why: `the accesses aimed at it did not reach it: a hook moved ${store.name}`, kind: "missed" };
      const noPort = (what: string): Miss => ({ why: `no register ${what} ${store.name}: only hooks do, and no scenario made them`, kind: "missed" });
      const target = (edge: FifoEdge, label: string, reach: CoverageTarget["reach"]): CoverageTarget => ({ key: fifoKey(store, edge), label: `${store.name} ${label}`, reach, missed });
      const pops = (state: ReachState, n: number) => port(device, popper!, "read", n, state);
      const pushes = (state: ReachState, n: number) => port(device, pusher!, "write", n, state);
      return [
        target("empty-pop", "popped while empty", (state) => (popper ? pops(state, level(state) + 1) : noPort("pops"))),
        target("full-push", "pushed while full", (state) => (pusher ? pushes(state, store.count - level(state) + 1) : noPort("pushes"))),
        target("full-pop", "popped while full", (state) => {
          if (!popper) return noPort("pops");
          if (level(state) === store.count) return pops(state, 1);
          if (!pusher) return noPort("pushes");
          const fill = pushes(state, store.count - level(state));
          return Array.isArray(fill) ? [...fill, ...whole(popper, "read", 0n, state)] : fill;
        }),
      ];
    });
}

/** `n` reads or writes of a data port, after selecting its bank. */
function port(device: Device, r: Register, op: "read" | "write", n: number, state: ReachState): Access[] | Miss {
  const setUp: Access[] = [];
  if (r.bank) {
    const { select, value } = r.bank;
    const selected = hold(device.registers[select.register]!, select.mask, (value << BigInt(lowestBit(select.mask))) & select.mask, state);
    if (typeof selected === "string") return { why: selected, kind: "missed" };
    setUp.push(...selected);
  }
  const one = whole(r, op, 0x5an, state);
  return [...setUp, ...Array.from({ length: n }, () => one).flat()];
}
