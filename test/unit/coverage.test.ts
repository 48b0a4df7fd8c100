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

  test("every example reaches every target but those nothing reaches, the device never gives, or take too long", () => {
    for (const name of ["xche", "uart16550", "hpet_timer", "dma_engine", "cmos_nvram"]) {
      const text = fs.readFileSync(`generated/${name}/tests/${name}_coverage.md`, "utf8");
      expect(text).not.toContain("## Not reached");
    }
    // uart16550's model never sets LSR.PE or FE, nor clears THRE or TEMT (4 unseen values each
    // for the iir and transmit hooks); its stored IIR never leaves ID at 0 and NO_INT at 1 (the
    // iir hook reports a cause in the value read, never stored): 4 more each for the fcr and
    // transmit hooks, which read IIR.FIFO. 117 targets less those 16. dma_engine's DOORBELL
    // sets STATUS.BUSY before its hook runs, and only 65,536 doorbells bring STATS.RINGS to
    // its maximum; cmos_nvram's 7-bit INDEX.ADDR cannot pass its 128 bytes of NVRAM.
    expect(fs.readFileSync("generated/uart16550/tests/uart16550_coverage.md", "utf8")).toContain("reach 101 of the device's 117 coverage targets (86%).");
    const dma = fs.readFileSync("generated/dma_engine/tests/dma_engine_coverage.md", "utf8");
    expect(dma).toContain("reach 98 of the device's 99 coverage targets (98%), leaving out 1 target that nothing can reach.");
    expect(dma).toContain("\n- DOORBELL onWrite[2] (increment STATS.RINGS) runs at STATS.RINGS = 0xffff: wraps: STATS.RINGS is ro:");
    expect(fs.readFileSync("generated/cmos_nvram/tests/cmos_nvram_coverage.md", "utf8")).toContain("reach 7 of the device's 7 coverage targets (100%), leaving out 4 targets that nothing can reach.");
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

// Each device below is made without the random and action-sequence phases: the register
// phase's write patterns miss the target, so only the coverage-directed phase reaches it.
const patternsOnly = { randomAccesses: 0, actionSequences: false } as const;

describe("counters at their limit", () => {
  // Each write to CTRL with GO set counts; the register phase writes GO set a handful of
  // times (patterns 0xff.., 0xa5.. and 0x..ef at each size), far from any limit.
  const counters = build(
    spec({
      registers: [
        {
          name: "CTRL",
          offset: 0x0,
          fields: [{ name: "GO", bits: 0 }],
          onWrite: [
            { increment: "CNT.UP", when: "GO" },
            { decrement: "CNT.DOWN", when: "GO" },
            { increment: "LVL.V", saturate: true, when: "GO" },
            { increment: "CNT.BIG", when: "GO" },
          ],
        },
        // DOWN starts at 0x80: 129 runs reach zero.
        { name: "CNT", offset: 0x10, access: "ro", reset: 0x8000, fields: [{ name: "UP", bits: [7, 0] }, { name: "DOWN", bits: [15, 8] }, { name: "BIG", bits: [31, 16] }] },
        // Written by the register phase after CTRL's turn: it holds 0xef when CTRL is next written with GO.
        { name: "LVL", offset: 0x20, fields: [{ name: "V", bits: [7, 0] }] },
      ],
    }),
  );
  const { coverage } = buildVectors(counters, patternsOnly);
  const targets = byLabel(coverage);

  test("an increment at the field's maximum, counted there by repeating the access", () => {
    expect(targets.get("CTRL onWrite[0] (increment CNT.UP when CTRL.GO) runs at CNT.UP = 0xff: wraps")?.reachedIn).toBe("coverage-directed");
  });

  test("a decrement at zero", () => {
    expect(targets.get("CTRL onWrite[1] (decrement CNT.DOWN when CTRL.GO) runs at CNT.DOWN = 0x0: wraps")?.reachedIn).toBe("coverage-directed");
  });

  test("a counter the guest can write is written to its limit, then counted", () => {
    expect(targets.get("CTRL onWrite[2] (increment LVL.V when CTRL.GO) runs at LVL.V = 0xff: holds")?.reachedIn).toBe("coverage-directed");
  });

  test("a 16-bit counter only the device counts is too long to reach, and says so", () => {
    const big = targets.get("CTRL onWrite[3] (increment CNT.BIG when CTRL.GO) runs at CNT.BIG = 0xffff: wraps");
    expect(big?.reachedIn).toBeNull();
    expect(big?.why?.kind).toBe("long");
    expect(big?.why?.why).toMatch(/^CNT.BIG is ro: only the device can make it 0xffff: that takes [0-9,]+ runs of this action, more than the 256 the coverage-directed phase spends on one target$/);
    expect(coverageMarkdown(counters, 0, coverage)).toMatch(/## Too long to reach\n\n.*\n\n- CTRL onWrite\[3\] \(increment CNT.BIG when CTRL.GO\) runs at CNT.BIG = 0xffff: wraps: CNT.BIG is ro/);
  });
});

describe("the interrupt gate's two sides", () => {
  // Apart, so no access to one register's later bytes reaches another. The register phase
  // leaves CTRL.IE set (its last pattern's low byte is 0xef) before ISR and IER are set:
  // the line is requested only while IE is set.
  const gated = (isr: "rw" | "w1c") =>
    build(
      spec({
        interrupt: { status: "ISR", enable: "IER", gate: "CTRL.IE" },
        registers: [
          { name: "CTRL", offset: 0x0, fields: [{ name: "IE", bits: 1 }] },
          { name: "ISR", offset: 0x10, access: isr, fields: [{ name: "DONE", bits: 0 }, { name: "ERR", bits: 1 }] },
          { name: "IER", offset: 0x20, fields: [{ name: "DONE", bits: 0 }, { name: "ERR", bits: 1 }] },
        ],
      }),
    );
  const set = "interrupt requested (ISR & IER non-zero) while CTRL.IE is set: asserted";
  const clear = "interrupt requested (ISR & IER non-zero) while CTRL.IE is clear: held low";

  test("the request while the gate is set, reached by the patterns; while it is clear, by the coverage-directed phase", () => {
    const targets = byLabel(buildVectors(gated("rw"), patternsOnly).coverage);
    expect(targets.get(set)?.reachedIn).toBe("every register at every size");
    expect(targets.get(clear)?.reachedIn).toBe("coverage-directed");
  });

  test("the phase's vectors check the line held low there", () => {
    const { vectors } = buildVectors(gated("rw"), patternsOnly);
    const lastReset = vectors.map((v) => v.op).lastIndexOf("reset");
    // ISR.DONE set, IER.DONE set, CTRL.IE cleared: the line stays low, and is checked so
    // at the end though it never changed.
    expect(vectors.slice(lastReset + 1)).toEqual([
      { op: "irq", expect: false },
      { op: "write", offset: 0x10, size: 4, claimed: true, value: 1n },
      { op: "write", offset: 0x20, size: 4, claimed: true, value: 1n },
      { op: "write", offset: 0x0, size: 4, claimed: true, value: 0n },
      { op: "irq", expect: false },
    ]);
  });

  test("a status only the device sets, never set: neither side seen", () => {
    const targets = byLabel(buildVectors(gated("w1c"), patternsOnly).coverage);
    expect(targets.get(set)?.why).toEqual({ why: "ISR is set only by the device, and it never was in any vector", kind: "unseen" });
    expect(targets.get(clear)?.why?.kind).toBe("unseen");
  });

  test("no gate, no targets", () => {
    const ungated = build(spec({ interrupt: { status: "ISR", enable: "IER" }, registers: [{ name: "ISR", offset: 0x0 }, { name: "IER", offset: 0x4 }] }));
    expect(buildVectors(ungated, patternsOnly).coverage.targets.some((t) => t.label.startsWith("interrupt"))).toBe(false);
  });
});

describe("indirect registers past their storage", () => {
  // 24 entries behind a 5-bit index: 24..31 select none. The register phase leaves ADDR at
  // 0xef & 0x1f = 15 when DATA's turn comes, and the later phases start from reset.
  const indirect = (bits: [number, number], count: number) =>
    build(
      spec({
        registers: [
          { name: "INDEX", offset: 0x0, width: 8, fields: [{ name: "ADDR", bits }] },
          { name: "DATA", offset: 0x10, width: 8, indirect: { storage: "MEM", index: "INDEX.ADDR" } },
        ],
        storage: { MEM: { count, width: 8 } },
      }),
    );

  test("a write and a read past the end, reached by the coverage-directed phase", () => {
    const { vectors, coverage } = buildVectors(indirect([4, 0], 24), patternsOnly);
    const targets = byLabel(coverage);
    expect(targets.get("DATA written with INDEX.ADDR past MEM's 24 entries")?.reachedIn).toBe("coverage-directed");
    expect(targets.get("DATA read with INDEX.ADDR past MEM's 24 entries")?.reachedIn).toBe("coverage-directed");
    // ADDR = 24, DATA written with all ones, then read: the write went nowhere.
    const lastReset = vectors.map((v) => v.op).lastIndexOf("reset");
    expect(vectors.slice(lastReset + 1)).toEqual([
      { op: "write", offset: 0x0, size: 1, claimed: true, value: 24n },
      { op: "write", offset: 0x10, size: 1, claimed: true, value: 0xffn },
      { op: "read", offset: 0x10, size: 1, claimed: true, expect: 0n, mask: 0xffn },
    ]);
  });

  test("an index that selects only entries: unreachable, not counted", () => {
    const { coverage } = buildVectors(indirect([3, 0], 16), patternsOnly);
    expect(byLabel(coverage).get("DATA read with INDEX.ADDR past MEM's 16 entries")).toEqual({
      label: "DATA read with INDEX.ADDR past MEM's 16 entries",
      reachedIn: null,
      why: { why: "INDEX.ADDR can select only MEM's entries (16 of them)", kind: "unreachable" },
    });
  });
});

describe("a hook called by an indirect register", () => {
  // DATA's write hook reads CTRL.MODE, which the patterns never leave at ONE. The phase
  // repeats the first call, a byte write of 0xff to DATA, whole: its other byte as the
  // storage entry held it (0xab from reset), not as DATA's own unused state entry (0).
  const device = build(
    spec({
      registers: [
        { name: "CTRL", offset: 0x0, fields: [{ name: "MODE", bits: [3, 1], values: { ONE: 1, SIX: 6 } }] },
        { name: "INDEX", offset: 0x8, width: 8, fields: [{ name: "ADDR", bits: [1, 0] }] },
        { name: "DATA", offset: 0x10, width: 16, indirect: { storage: "MEM", index: "INDEX.ADDR" }, onWrite: [{ hook: "note" }] },
      ],
      storage: { MEM: { count: 4, width: 16, reset: 0xab00 } },
      hooks: { note: { model: (dev) => void dev.get("CTRL") } },
    }),
  );

  test("the repeated call keeps the storage entry's other bytes", () => {
    const { vectors, coverage } = buildVectors(device, patternsOnly);
    expect(byLabel(coverage).get("hook note reads CTRL.MODE = ONE")?.reachedIn).toBe("coverage-directed");
    const lastReset = vectors.map((v) => v.op).lastIndexOf("reset");
    expect(vectors.slice(lastReset + 1).filter((v) => v.op === "write" && v.offset === 0x10)[0]).toEqual({ op: "write", offset: 0x10, size: 2, claimed: true, value: 0xabffn });
  });
});
