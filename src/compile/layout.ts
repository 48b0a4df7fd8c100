/** Rules between registers: alignment, staying inside the decode window, no overlaps, reachable by the bus. */
import type { Origins } from "./lowering.js";
import { hex } from "./message-words.js";
import type { Device } from "../ir/types.js";
import type { Reporter, SpecPath } from "../util/diagnostics.js";

type Register = Device["registers"][number];

interface Problem {
  register: Register;
  rule: "aligned" | "inside" | "overlap" | "reachable";
  path: SpecPath;
  message: string;
  hint: string;
}

export function checkLayout(device: Device, origins: Origins, report: Reporter): void {
  const window = device.bar.decodeMask + 1;
  const widestAccess = device.busSizes[device.busSizes.length - 1]!;
  const problems: Problem[] = [];
  // The register reaching furthest so far: one wide register can cover several after it.
  let reach: Register | null = null;
  for (const r of device.registers) {
    const origin = origins.register.get(r)!;
    const at = [...origin, "offset"];
    if (r.offset % r.bytes !== 0) {
      problems.push({ register: r, rule: "aligned", path: at, message: `register ${r.name} at ${hex(r.offset)} is not aligned to its ${r.bytes}-byte width`, hint: `use an offset that is a multiple of ${r.bytes}` });
    }
    if (r.offset + r.bytes > window) {
      const where = window === device.bar.size ? `the ${hex(window)}-byte BAR` : `the ${hex(window)}-byte decode window (bar.decodeMask ${hex(device.bar.decodeMask)})`;
      problems.push({ register: r, rule: "inside", path: at, message: `register ${r.name} at ${hex(r.offset)} lies outside ${where}`, hint: "move it down or enlarge the BAR" });
    }
    // Banks of one offset share it by design; lower-relations.ts checks they agree.
    const banked = reach !== null && r.bank !== null && reach.bank !== null && r.offset === reach.offset;
    if (reach && !banked && r.offset < reach.offset + reach.bytes) {
      const move = `move it to ${hex(freeOffset(device.registers, r, reach.offset + reach.bytes))} or later`;
      const hint = r.bank || reach.bank ? `${move}, or give both a bank of the same field` : move;
      problems.push({ register: r, rule: "overlap", path: at, message: `register ${r.name} at ${hex(r.offset)} overlaps ${reach.name} (${hex(reach.offset)}..${hex(reach.offset + reach.bytes - 1)})`, hint });
    }
    // Every access to a register wider than the bus is narrower than it: only "combine" lets one through.
    if (r.bytes > widestAccess && r.policy.narrower !== "combine") {
      problems.push({
        register: r,
        rule: "reachable",
        path: [...origin, "policy", "narrower"],
        message: `register ${r.name} is ${r.width} bits wide, but ${device.bar.space === "io" ? "port I/O" : "MMIO"} accesses are at most ${widestAccess} bytes and its policy.narrower is "${r.policy.narrower}": the guest can never access it`,
        hint: `use narrower: "combine", or a register of at most ${widestAccess * 8} bits`,
      });
    }
    if (!reach || r.offset + r.bytes > reach.offset + reach.bytes) reach = r;
  }
  reportOncePerArray(problems, origins, report);
}

/** The first offset from `from`, aligned for `r`, that no other register occupies (`registers` sorted by offset). */
function freeOffset(registers: readonly Register[], r: Register, from: number): number {
  const alignUp = (n: number): number => Math.ceil(n / r.bytes) * r.bytes;
  let at = alignUp(from);
  for (const other of registers) {
    if (other.offset >= at + r.bytes) break;
    if (other !== r && other.offset + other.bytes > at) at = alignUp(other.offset + other.bytes);
  }
  return at;
}

/**
 * An array that breaks a rule usually breaks it for many elements (a 100-element array
 * running past the BAR): one diagnostic, at the first such element, says how many more.
 */
function reportOncePerArray(problems: Problem[], origins: Origins, report: Reporter): void {
  const firstByArray = new Map<string, { problem: Problem; more: number }>();
  const reported: { problem: Problem; more: number }[] = [];
  for (const problem of problems) {
    const { register, rule } = problem;
    const key = register.arrayName === null ? null : `${rule} ${origins.register.get(register)!.join(".")}`;
    const first = key === null ? undefined : firstByArray.get(key);
    if (first) {
      first.more++;
      continue;
    }
    const entry = { problem, more: 0 };
    if (key !== null) firstByArray.set(key, entry);
    reported.push(entry);
  }
  for (const { problem, more } of reported) {
    const others = more === 0 ? "" : ` (and ${more} more element${more === 1 ? "" : "s"} of ${problem.register.arrayName})`;
    report.error(problem.path, `${problem.message}${others}`, problem.hint);
  }
}
