/**
 * The parts of `devgen bench` that need no VM: which register is read, the bench program's
 * output lines, medians and ratios paired by round, targets and the table, and how the
 * bench's own kernel tree is patched (on a miniature tree with the real anchors).
 */
import { jest } from "@jest/globals";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatBench, formatNumber, formatTable, TARGETS, verdict, type BenchResult } from "../../src/pipeline/bench.js";
import { patchBenchTree, repatchBenchDevice } from "../../src/harness/bench-kernel.js";
import { benchRegister } from "../../src/harness/bench-level.js";
import { parseBenchLines, spread, summarizeBench, type BenchSample } from "../../src/harness/bench-samples.js";
import { compileDevice } from "../../src/compile/index.js";

jest.setTimeout(60_000);

const sample = (round: number, mode: BenchSample["mode"], readsPerSecond: number, exits = 0): BenchSample => ({
  device: "xche",
  round,
  mode,
  reads: 10_000,
  seconds: 10_000 / readsPerSecond,
  exits,
});

describe("benchRegister", () => {
  test("xche: ID, the constant register at offset 0, 4 bytes", () => {
    expect(benchRegister(compileDevice("devices/xche").device)).toEqual({ name: "ID", index: 0, offset: 0, size: 4 });
  });

  test.each(["uart16550", "hpet_timer", "dma_engine"])("%s: a register a read leaves as it was, no wider than the bus", (name) => {
    const { device } = compileDevice(path.join("examples", name));
    const chosen = benchRegister(device);
    const register = device.registers[chosen.index]!;
    expect(register.name).toBe(chosen.name);
    expect(register.masks.readClear).toBe(0n);
    expect(register.onRead).toEqual([]);
    expect(chosen.size).toBeLessThanOrEqual(Math.max(...device.busSizes));
    expect(chosen.size).toBeLessThanOrEqual(register.bytes);
  });

  test("skips registers that change when read", () => {
    const { device } = compileDevice("devices/xche");
    const first = device.registers[0]!;
    const readClearing = { ...device, registers: [{ ...first, masks: { ...first.masks, readClear: 1n } }, ...device.registers.slice(1)] };
    expect(benchRegister(readClearing).index).toBe(1);
  });
});

describe("parseBenchLines", () => {
  test("samples and errors, with carriage returns and other lines around them", () => {
    const { samples, errors } = parseBenchLines([
      "# xche: 7 rounds of 10000 reads of ID (4 bytes at BAR+0x0, port I/O)",
      "devgen-bench: device=xche round=1 mode=generated reads=10000 ns=500000000 exits=0\r",
      "devgen-bench: device=xche round=1 mode=userspace reads=10000 ns=1000000000 exits=10000",
      "devgen-bench: device=xche round=1 mode=qemu-off error=QEMU exited with 3 after 0 of 5 batches",
      "devgen-bench: device=xche mode=baseline error=KVM_CREATE_BASELINE: Inappropriate ioctl for device",
      "devgen-bench: device=xche round=1 mode=sideways reads=1 ns=1 exits=0",
      "[   12.3] random kernel line",
    ]);
    expect(samples).toEqual([
      { device: "xche", round: 1, mode: "generated", reads: 10_000, seconds: 0.5, exits: 0 },
      { device: "xche", round: 1, mode: "userspace", reads: 10_000, seconds: 1, exits: 10_000 },
    ]);
    expect(errors).toEqual([
      { device: "xche", mode: "qemu-off", error: "QEMU exited with 3 after 0 of 5 batches" },
      { device: "xche", mode: "baseline", error: "KVM_CREATE_BASELINE: Inappropriate ioctl for device" },
    ]);
  });
});

describe("spread", () => {
  test.each([
    [[3, 1, 2], { median: 2, min: 1, max: 3, n: 3 }],
    [[4, 1, 3, 2], { median: 2.5, min: 1, max: 4, n: 4 }],
    [[7], { median: 7, min: 7, max: 7, n: 1 }],
  ])("%j", (values, want) => {
    expect(spread(values)).toEqual(want);
  });

  test("nothing measured", () => {
    expect(spread([])).toBeNull();
  });
});

describe("summarizeBench", () => {
  // Round 2 is slow for every path (the machine was busy): paired ratios stay steady.
  const samples = [
    sample(1, "generated", 20_000),
    sample(1, "baseline", 20_000),
    sample(1, "userspace", 10_000),
    sample(2, "generated", 5_000),
    sample(2, "baseline", 5_000),
    sample(2, "userspace", 2_500),
    sample(3, "generated", 19_000),
    sample(3, "baseline", 20_000),
    sample(3, "userspace", 9_500, 10_000),
  ];

  test("rates: median, min and max of each path", () => {
    const [xche] = summarizeBench(samples);
    expect(xche!.rates.generated).toEqual({ median: 19_000, min: 5_000, max: 20_000, n: 3 });
    expect(xche!.rates["qemu-off"]).toBeUndefined();
  });

  test("ratios are paired round by round", () => {
    const [xche] = summarizeBench(samples);
    expect(xche!.ratio("generated", "userspace")).toEqual({ median: 2, min: 2, max: 2, n: 3 });
    expect(xche!.ratio("generated", "baseline")!.min).toBeCloseTo(0.95);
    expect(xche!.ratio("generated", "qemu-off")).toBeNull();
  });

  test("in-kernel samples with exits to userspace are counted", () => {
    const leaky = summarizeBench([...samples, sample(4, "generated", 1_000, 3)]);
    expect(leaky[0]!.leakedExits).toBe(1);
    expect(summarizeBench(samples)[0]!.leakedExits).toBe(0);
  });

  test("a round that lost one path's sample pairs nothing for it", () => {
    const [xche] = summarizeBench(samples.filter((s) => !(s.round === 2 && s.mode === "baseline")));
    expect(xche!.ratio("generated", "baseline")!.n).toBe(2);
  });
});

describe("the table", () => {
  test("formatNumber", () => {
    expect(formatNumber(12_345.6)).toBe("12,346");
    expect(formatNumber(1.234)).toBe("1.23");
  });

  test("verdict: at the target passes, below misses", () => {
    expect(verdict(1.5, 1.5)).toBe("PASS");
    expect(verdict(1.49, 1.5)).toBe("MISS");
  });

  test("formatTable pads every column to its widest cell", () => {
    expect(formatTable(["a", "bb"], [["ccc", "d"]])).toEqual(["a   | bb", "----|---", "ccc | d"]);
  });

  test("formatBench shows every target with PASS or MISS, misses included", () => {
    const result: BenchResult = {
      accel: "tcg",
      rounds: 2,
      reads: 10_000,
      qemuRounds: 1,
      samples: [
        sample(1, "generated", 10_000),
        sample(1, "baseline", 20_000),
        sample(1, "userspace", 5_000),
        sample(1, "qemu-off", 2_000),
        sample(1, "qemu-on", 9_000),
      ],
      errors: [{ device: "xche", mode: "qemu-on", error: "QEMU timed out after 300 s" }],
      loop: { device: "xche", steps: [{ step: "regenerate", seconds: 1 }, { step: "build", seconds: 40 }], ok: true },
      consoleLog: "/tmp/x/console.log",
    };
    const text = formatBench(result);
    const row = (label: string) => text.split("\n").find((l) => l.includes(label))!;
    expect(row("generated / hand-written baseline")).toMatch(/0\.50 .*>= 0\.95 \| MISS$/);
    expect(row("generated / userspace VMM")).toMatch(/2\.00 .*>= 1\.5 +\| PASS$/);
    expect(row("generated / QEMU in-kernel=off")).toMatch(/5\.00 .*\| PASS$/);
    expect(row("QEMU in-kernel=on / off")).toMatch(/4\.50 .*\| PASS$/);
    expect(row("total")).toMatch(/41\.0 .*< 30 +\| MISS$/);
    expect(text).toContain("error: xche qemu-on: QEMU timed out after 300 s");
    expect(TARGETS.map((t) => t.atLeast)).toEqual([0.95, 1.5, 3, 3]);
  });
});

describe("the bench's kernel tree", () => {
  /** The lines of a 6.1 tree that the devices' and the baseline's edits anchor on. */
  const MINI_TREE: Record<string, string> = {
    "include/uapi/linux/kvm.h": "#ifndef __LINUX_KVM_H\n#define __LINUX_KVM_H\n#endif /* __LINUX_KVM_H */\n",
    "arch/x86/include/asm/kvm_host.h": "struct kvm_arch {\n\tstruct kvm_pit *vpit;\n};\n",
    "arch/x86/kvm/Makefile": "kvm-y\t\t\t+= x86.o i8254.o \\\n\t\t\t   mmu/spte.o\n\nkvm-$(CONFIG_X86_64) += mmu/tdp_iter.o mmu/tdp_mmu.o\n",
    Makefile: "VERSION = 6\nPATCHLEVEL = 1\n",
    "include/linux/kvm_host.h": "int kvm_request_irq_source_id(struct kvm *kvm);\n",
    "include/linux/slab.h": "static inline __alloc_size(1) void *kzalloc(size_t size, gfp_t flags)\n",
    "arch/x86/kvm/irq.h": "static inline int irqchip_kernel(struct kvm *kvm)\n",
    "arch/x86/kvm/x86.c": [
      '#include "i8254.h"',
      "int check(long ext)",
      "{",
      "\tswitch (ext) {",
      "\tcase KVM_CAP_PIT2:",
      "\t\treturn 1;",
      "\tcase KVM_CAP_NR_VCPUS:",
      "\t\treturn 1;",
      "\t}",
      "\treturn 0;",
      "}",
      "long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp)",
      "{",
      "\tlong r;",
      "",
      "\tswitch (ioctl) {",
      "\tcase KVM_CREATE_PIT:",
      "\t\tu.pit_config.flags = KVM_PIT_SPEAKER_DUMMY;",
      "\t\tbreak;",
      "\tdefault:",
      "\t\tr = -ENOTTY;",
      "\t}",
      "out:",
      "\treturn r;",
      "}",
      "void kvm_arch_sync_events(struct kvm *kvm)",
      "{",
      "\tkvm_free_pit(kvm);",
      "}",
      "",
    ].join("\n"),
  };
  const SHARED = Object.keys(MINI_TREE);
  const LONG_AGO = new Date("2020-01-01T00:00:00Z");
  let scratch: string;
  let tree: string;

  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-bench-tree-"));
    tree = path.join(scratch, "linux");
    for (const [file, text] of Object.entries(MINI_TREE)) {
      fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
      fs.writeFileSync(path.join(tree, file), text);
    }
  });
  afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

  const read = (file: string) => fs.readFileSync(path.join(tree, file), "utf8");
  const ageSharedFiles = () => SHARED.forEach((f) => fs.utimesSync(path.join(tree, f), LONG_AGO, LONG_AGO));
  const untouched = (file: string) => fs.statSync(path.join(tree, file)).mtimeMs === LONG_AGO.getTime();

  function editedXche(): ReturnType<typeof compileDevice> {
    const dir = path.join(scratch, "xche");
    fs.cpSync("devices/xche", dir, { recursive: true });
    const file = path.join(dir, "device.ts");
    const anchor = 'description: "Free for the driver",';
    expect(fs.readFileSync(file, "utf8")).toContain(anchor);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(anchor, `${anchor}\n      reset: 0x1234,`));
    return compileDevice(dir);
  }

  test("the baseline and the devices go in; the same patch again writes nothing", () => {
    const uart = compileDevice("examples/uart16550");
    const xche = compileDevice("devices/xche");
    patchBenchTree(tree, [uart, xche]);
    expect(read("arch/x86/kvm/x86.c")).toContain("\tcase KVM_CREATE_BASELINE:\n\t\tr = kvm_baseline_create(kvm, argp);\n\t\tbreak;");
    expect(read("arch/x86/kvm/Makefile")).toContain("kvm_baseline.o");
    expect(read("arch/x86/kvm/kvm_baseline.c")).toBe(fs.readFileSync("bench/baseline/kvm_baseline.c", "utf8"));
    expect(read("arch/x86/include/asm/kvm_host.h")).toContain("struct kvm_xche *xche;");

    ageSharedFiles();
    patchBenchTree(tree, [uart, xche]);
    expect(SHARED.filter((f) => !untouched(f))).toEqual([]);
  });

  test("a register change of the last device rewrites only that device's own files", () => {
    const uart = compileDevice("examples/uart16550");
    const xche = compileDevice("devices/xche");
    patchBenchTree(tree, [uart, xche]);
    const before = Object.fromEntries(SHARED.map((f) => [f, read(f)]));
    const core = read("arch/x86/kvm/xche_core.c");
    ageSharedFiles();

    repatchBenchDevice(tree, editedXche());
    expect(read("arch/x86/kvm/xche_core.c")).not.toBe(core);
    expect(SHARED.filter((f) => !untouched(f) || read(f) !== before[f])).toEqual([]);

    // Back to the original: the stamp still describes the tree, so nothing is patched.
    repatchBenchDevice(tree, xche);
    expect(read("arch/x86/kvm/xche_core.c")).toBe(core);
    patchBenchTree(tree, [uart, xche]);
    expect(SHARED.filter((f) => !untouched(f))).toEqual([]);
  });

  test("a device that was not patched last is refused", () => {
    patchBenchTree(tree, [compileDevice("devices/xche"), compileDevice("examples/uart16550")]);
    expect(() => repatchBenchDevice(tree, compileDevice("devices/xche"))).toThrow(/xche was not the last device patched/);
  });
});
