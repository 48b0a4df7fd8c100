/**
 * Coverage: the targets the reference model records while the vectors are made, the
 * coverage-directed phase that reaches what the other phases left, and the report.
 */
import * as fs from "node:fs";
import type { DeviceSpec } from "../../src/dsl/types.js";
import { coverageMarkdown } from "../../src/gen/tests/coverage.js";
import { buildVectors } from "../../src/reference/vectors.js";
import { build, spec } from "../helpers/fixtures.js";

/** CTRL.MODE selects what the hook does; KEY is read only while CTRL.EN is set. */
function device(extra: Partial<DeviceSpec> = {}) {
  return build(
    spec({
      registers: [
        {
          name: "CTRL",
          offset: 0x0,
          fields: [
            { name: "EN", bits: 0 },
            { name: "MODE", bits: [3, 1], values: { ONE: 1, SIX: 6 } },
            { name: "KICK", bits: 31, access: "wo" },
          ],
          onWrite: [{ hook: "kick", when: "KICK" }],
        },
        // Away from CTRL, so no wide write to CTRL reaches it.
        { name: "KEY", offset: 0x10, reset: 0x5a },
        { name: "LOG", offset: 0x8, access: "ro", fields: [{ name: "SEEN", bits: 0 }, { name: "NEVER", bits: 1 }] },
        { name: "KIND", offset: 0xc, fields: [{ name: "T", bits: [1, 0], values: { A: 0, B: 1 } }] },
      ],
      hooks: {
        kick: {
          model(dev) {
            const ctrl = dev.get("CTRL");
            dev.get("LOG");
            if (ctrl & 1n) dev.set("LOG", dev.get("KEY") ? 1n : 0n);
          },
        },
      },
      ...extra,
    }),
  );
}

const byLabel = (report: ReturnType<typeof buildVectors>["coverage"]) => new Map(report.targets.map((t) => [t.label, t]));

describe("targets", () => {
  const { coverage } = buildVectors(device());
  const targets = byLabel(coverage);

  test("every action runs, one with when is also skipped", () => {
    expect(targets.get("CTRL onWrite[0] (hook kick when CTRL.KICK) runs")?.reachedIn).toBe("every register at every size");
    expect(targets.get("CTRL onWrite[0] (hook kick when CTRL.KICK) is skipped")?.reachedIn).toBe("every register at every size");
  });

  test("each field a hook model reads, at each named value or clear and set; const fields are none", () => {
    expect([...targets.keys()].filter((l) => l.startsWith("hook kick reads CTRL"))).toEqual([
      "hook kick reads CTRL.EN clear",
      "hook kick reads CTRL.EN set",
      "hook kick reads CTRL.MODE = ONE",
      "hook kick reads CTRL.MODE = SIX",
      "hook kick reads CTRL.KICK clear",
      "hook kick reads CTRL.KICK set",
    ]);
    expect(targets.has("hook kick reads KEY set")).toBe(true);
  });

  test("named values of a field no hook model reads are no target, and are listed", () => {
    expect([...targets.keys()].some((l) => l.includes("KIND"))).toBe(false);
    expect(coverage.unread).toEqual(["KIND.T = A", "KIND.T = B"]);
  });
});

describe("the coverage-directed phase", () => {
  // Without the random and action-sequence phases, the write patterns give MODE 7, 0, 2, 5
  // and 7: neither ONE nor SIX, and KEY is never zero when the hook runs with EN set.
  const { vectors, coverage } = buildVectors(device(), { randomAccesses: 0, actionSequences: false });
  const targets = byLabel(coverage);

  test("reaches the named values the write patterns miss", () => {
    expect(targets.get("hook kick reads CTRL.MODE = ONE")?.reachedIn).toBe("coverage-directed");
    expect(targets.get("hook kick reads CTRL.MODE = SIX")?.reachedIn).toBe("coverage-directed");
  });

  test("repeats the call that found a read, so a register read only on one path is reached on it", () => {
    expect(targets.get("hook kick reads KEY clear")?.reachedIn).toBe("coverage-directed");
  });

  test("reports what no guest access can reach, saying whether it ever was so", () => {
    expect(targets.get("hook kick reads LOG.NEVER set")).toEqual({
      label: "hook kick reads LOG.NEVER set",
      reachedIn: null,
      why: { why: "LOG.NEVER is ro: only the device can make it 0x1, and it never was so in any vector", kind: "unseen" },
    });
    // The hook runs only for a write with KICK set, which is stored: it cannot see KICK clear.
    expect(targets.get("hook kick reads CTRL.KICK clear")?.why).toEqual({
      why: "hook kick did not read it so after the accesses aimed at it: its other inputs, or the access that calls it, decide; a scenario may reach it, if anything can",
      kind: "missed",
    });
    expect(coverage.targets.filter((t) => t.reachedIn === null).map((t) => t.label)).toEqual(["hook kick reads CTRL.KICK clear", "hook kick reads LOG.NEVER set"]);
  });

  test("its accesses are vectors after the scenarios', from reset", () => {
    expect(coverage.phases.slice(-2)).toEqual(["scenarios", "coverage-directed"]);
    const withoutPhase = buildVectors(device(), { randomAccesses: 0, actionSequences: false }).vectors;
    expect(vectors).toEqual(withoutPhase);
    const lastReset = vectors.map((v) => v.op).lastIndexOf("reset");
    // The scenario-less device's last reset is the coverage phase's: after the past-the-BAR phase.
    expect(vectors.slice(lastReset + 1).some((v) => v.op === "write" && v.offset === 0x0 && (v.value & 0xen) === 0x2n)).toBe(true);
  });

  test("is deterministic, so regenerating is byte-identical", () => {
    expect(buildVectors(device()).vectors).toEqual(buildVectors(device()).vectors);
  });
});

describe("the report", () => {
  test("tests/<name>_coverage.md: the figures, every target with its phase, the unreached with the reason", () => {
    const d = device();
    const { vectors, coverage } = buildVectors(d, { randomAccesses: 0 });
    const text = coverageMarkdown(d, vectors.length, coverage);
    const reached = coverage.targets.filter((t) => t.reachedIn).length;
    expect(text).toContain(
      `The ${vectors.length.toLocaleString("en-US")} vectors reach ${reached} of the device's ${coverage.targets.length} coverage targets`,
    );
    expect(text).toContain("| hook kick reads CTRL.MODE = ONE | coverage-directed |");
    expect(text).toMatch(/## Not reached\n\n.*\n\n- hook kick reads CTRL.KICK clear: hook kick did not read it so/);
    expect(text).toMatch(/## Never seen\n\n.*\n\n- hook kick reads LOG.NEVER set: LOG.NEVER is ro: only the device can make it 0x1, and it never was so in any vector\n/);
    expect(text).toContain("`KIND.T = A` and `KIND.T = B`");
  });

  test("every example reaches every target but those nothing reaches or the device never gives", () => {
    for (const name of ["xche", "uart16550", "hpet_timer", "dma_engine"]) {
      const text = fs.readFileSync(`generated/${name}/tests/${name}_coverage.md`, "utf8");
      expect(text).not.toContain("## Not reached");
    }
    // uart16550's model never sets LSR.PE or FE, nor clears THRE or TEMT; dma_engine's DOORBELL
    // sets STATUS.BUSY before its hook runs.
    expect(fs.readFileSync("generated/uart16550/tests/uart16550_coverage.md", "utf8")).toContain("reach 102 of the device's 114 coverage targets (89%).");
    expect(fs.readFileSync("generated/dma_engine/tests/dma_engine_coverage.md", "utf8")).toContain("reach 94 of the device's 94 coverage targets (100%), leaving out 1 target that nothing can reach.");
  });
});

describe("relations", () => {
  const relations = build(
    spec({
      registers: [
        { name: "CTRL", offset: 0x0, fields: [{ name: "LOCK", bits: 0 }, { name: "SEL", bits: 1 }] },
        { name: "DATA", offset: 0x4, writeLock: "CTRL.LOCK" },
        { name: "LOW", offset: 0x8, bank: { select: "CTRL.SEL", value: 0 } },
        { name: "HIGH", offset: 0x8, bank: { select: "CTRL.SEL", value: 1 } },
      ],
    }),
  );
  const targets = byLabel(buildVectors(relations, { randomAccesses: 0 }).coverage);

  test("a write gate's two sides are targets, each reached", () => {
    expect(targets.get("DATA written while CTRL.LOCK lets the write through")?.reachedIn).not.toBeNull();
    expect(targets.get("DATA written while CTRL.LOCK holds it")?.reachedIn).not.toBeNull();
  });

  test("each bank is a target, reached", () => {
    expect(targets.get("LOW accessed, selected by CTRL.SEL = 0")?.reachedIn).toBe("reset values");
    expect(targets.get("HIGH accessed, selected by CTRL.SEL = 1")?.reachedIn).not.toBeNull();
  });
});
