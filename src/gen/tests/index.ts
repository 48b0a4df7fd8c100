/**
 * tests/: the conformance vectors as a C header (for the native, KVM and QEMU harnesses)
 * and as JSON (for jest-driven harnesses), plus a host program that runs them against the
 * core, and what they reach of the device's behaviour (coverage.md).
 */
import { DeviceModel } from "../../reference/device-model.js";
import { farthestState, refusedStates } from "../../reference/state-rules.js";
import { buildVectors, type Vector } from "../../reference/vectors.js";
import type { Device } from "../../ir/types.js";
import { bitMask } from "../../ir/bits.js";
import { cHex } from "../c.js";
import { banner } from "../core/index.js";
import { joinMapped } from "../join.js";
import { coverageMarkdown } from "./coverage.js";
import { LazyViews, render } from "../render.js";
import type { Generator } from "../types.js";

export const generateTests: Generator = ({ device }) => {
  const { vectors, states, coverage } = buildVectors(device);
  const view = {
    name: device.name,
    prefix: device.prefix,
    guard: `${device.prefix}_VECTORS_H`,
    banner: banner(device, "conformance vectors from the reference model"),
    count: vectors.length,
    vectors: new LazyViews(vectors, (v) => vectorC(device, v)),
    irqLevel: device.interrupt ? `${device.name}_core_irq_level(&s)` : "0",
  };
  const created = new DeviceModel(device).regs;
  const native = {
    ...view,
    banner: banner(device, "runs the vectors against the core on the host"),
    states: states.map((state) => ({ before: state.before, regs: wordLines(state.regs), known: wordLines(state.known) })),
    farthest: wordLines(farthestState(device, created)),
    refused: refusedStates(device, created).map(({ entry, value }) => ({ entry, value: `${cHex(value)}ULL` })),
  };
  return [
    { path: `tests/${device.name}_vectors.h`, contents: render("tests/vectors.h.hbs", view) },
    {
      path: `tests/${device.name}_native.c`,
      contents: render("tests/native.c.hbs", native),
    },
    { path: `tests/${device.name}_vectors.json`, contents: vectorsJson(vectors) },
    { path: `tests/${device.name}_coverage.md`, contents: coverageMarkdown(device, vectors.length, coverage) },
  ];
};

function vectorC(device: Device, v: Vector): string {
  const p = device.prefix;
  switch (v.op) {
    case "reset":
      return `{ ${p}_VEC_RESET, 0, 0, 0, 0, 0 }`;
    case "read":
      return `{ ${p}_VEC_READ, ${v.size}, ${+v.claimed}, ${cHex(v.offset)}, ${cHex(v.expect)}ULL, ${cHex(v.mask)}ULL }`;
    case "write":
      return `{ ${p}_VEC_WRITE, ${v.size}, ${+v.claimed}, ${cHex(v.offset)}, ${cHex(v.value)}ULL, 0 }`;
    case "irq":
      return `{ ${p}_VEC_IRQ, 0, 1, 0, ${+v.expect}, 1 }`;
  }
}

/** A state's values, three to a line. */
function wordLines(words: readonly bigint[]): string[] {
  const word = (w: bigint): string => (w === bitMask(64) ? "~0ULL," : `${cHex(w)}ULL,`);
  const lines: string[] = [];
  for (let i = 0; i < words.length; i += 3) lines.push(words.slice(i, i + 3).map(word).join(" "));
  return lines;
}

/** One vector per line, values as hex strings (JSON has no 64-bit integers). */
function vectorsJson(vectors: Vector[]): string {
  // Written out rather than through JSON.stringify's replacer, which costs a call per value.
  const lines = joinMapped(
    vectors,
    (v) => {
      switch (v.op) {
        case "reset":
          return `{"op":"reset"}`;
        case "read":
          return `{"op":"read","offset":${v.offset},"size":${v.size},"claimed":${v.claimed},"expect":"${cHex(v.expect)}","mask":"${cHex(v.mask)}"}`;
        case "write":
          return `{"op":"write","offset":${v.offset},"size":${v.size},"claimed":${v.claimed},"value":"${cHex(v.value)}"}`;
        case "irq":
          return `{"op":"irq","expect":${v.expect}}`;
      }
    },
    ",\n",
  );
  return `[\n${lines}\n]\n`;
}
