/**
 * Splat detection on guest console logs. The fixtures under test/fixtures/splats/ follow the
 * formats Linux 6.1 prints (mm/kasan/report.c, lib/ubsan.c, kernel/locking/lockdep.c,
 * kernel/sched/core.c __might_resched, kernel/panic.c __warn, arch/x86/mm/fault.c,
 * arch/x86/kernel/traps.c, mm/kmemleak.c, lib/refcount.c, lib/list_debug.c), with and without
 * printk timestamps; the clean-*.log ones are real console logs of the harness's VMs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describeSplats, findSplats, kernelText, REPORT_LINES } from "../../src/harness/splats.js";

const FIXTURES = path.join("test", "fixtures", "splats");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");
const summary = (log: string) => findSplats(log).map((s) => ({ kind: s.kind, title: s.title, line: s.line }));

describe("findSplats", () => {
  test.each(["clean-tinyconfig-6.1.log", "clean-debian-6.1.log"])("a clean boot finds nothing (%s)", (name) => {
    const log = fixture(name);
    // The fixture is a whole run, not an empty file.
    expect(log).toContain("DEVGEN-RESULT level=");
    expect(findSplats(log)).toEqual([]);
  });

  test("KASAN: the report's header line, offsets removed, and its first lines without timestamps", () => {
    const [splat, ...rest] = findSplats(fixture("kasan-slab-out-of-bounds.log"));
    expect(rest).toEqual([]);
    expect(splat).toMatchObject({ kind: "KASAN", title: "BUG: KASAN: slab-out-of-bounds in xche_core_read [kvm]", line: 9 });
    expect(splat!.report).toHaveLength(REPORT_LINES);
    expect(splat!.report[0]).toBe("BUG: KASAN: slab-out-of-bounds in xche_core_read+0x1c5/0x210 [kvm]");
    expect(splat!.report[1]).toBe("Read of size 8 at addr ffff888004d2a0c8 by task xche_kvm_test/93");
  });

  test("UBSAN: the kind of undefined behaviour and where", () => {
    const splats = findSplats(fixture("ubsan-shift-out-of-bounds.log"));
    expect(splats.map((s) => [s.kind, s.title, s.line])).toEqual([["UBSAN", "UBSAN: shift-out-of-bounds in arch/x86/kvm/xche_core.c:214:29", 3]]);
    expect(splats[0]!.report[1]).toBe("shift exponent 64 is too large for 64-bit type 'long long unsigned int'");
  });

  test("lockdep: circular locking and inconsistent lock state", () => {
    expect(summary(fixture("lockdep.log"))).toEqual([
      { kind: "lockdep", title: "WARNING: possible circular locking dependency detected", line: 4 },
      { kind: "lockdep", title: "WARNING: inconsistent lock state", line: 74 },
    ]);
  });

  test("suspicious RCU usage names the dereference; sleeping in atomic context names the caller", () => {
    expect(summary(fixture("rcu-atomic-sleep.log"))).toEqual([
      {
        kind: "lockdep",
        title: "WARNING: suspicious RCU usage: include/linux/kvm_host.h:962 suspicious rcu_dereference_check() usage!",
        line: 5,
      },
      { kind: "atomic sleep", title: "BUG: sleeping function called from invalid context at mm/slab.h:742", line: 25 },
    ]);
  });

  test("an Oops is one splat with the BUG line before it; a GPF and a kernel BUG are their own", () => {
    const splats = findSplats(fixture("oops.log"));
    expect(splats.map((s) => ({ kind: s.kind, title: s.title, line: s.line }))).toEqual([
      { kind: "BUG", title: "BUG: kernel NULL pointer dereference, address: 0000000000000010", line: 2 },
      { kind: "oops", title: "general protection fault, probably for non-canonical address 0xdffffc0000000002", line: 28 },
      { kind: "BUG", title: "kernel BUG at arch/x86/kvm/xche.c:188!", line: 40 },
    ]);
    // The page fault's report goes on into the Oops header and registers.
    expect(splats[0]!.report).toContain("Oops: 0000 [#1] KASAN");
    expect(splats[2]!.report[0]).toBe("------------[ cut here ]------------");
  });

  test("WARN(): located by file and function; refcount_t and list corruption by their message", () => {
    expect(summary(fixture("warnings.log"))).toEqual([
      { kind: "WARNING", title: "WARNING at arch/x86/kvm/xche.c:141 xche_write [kvm]", line: 1 },
      { kind: "refcount_t", title: "refcount_t: underflow; use-after-free. (WARNING at lib/refcount.c:28 refcount_warn_saturate)", line: 16 },
      {
        kind: "list corruption",
        title:
          "list_del corruption. prev->next should be ffff888004d2a040, but was dead000000000100. (prev=ffff888004b1c388) (WARNING at lib/list_debug.c:59 __list_del_entry_valid)",
        line: 28,
      },
    ]);
  });

  test("kmemleak: one splat per unreferenced object, named by the code that allocated it", () => {
    const log = fixture("kmemleak.log");
    expect(summary(log)).toEqual([
      { kind: "kmemleak", title: "kmemleak: unreferenced object of size 256 allocated by xche_create [kvm]", line: 6 },
      { kind: "kmemleak", title: "kmemleak: unreferenced object of size 64 allocated by kvm_io_bus_register_dev [kvm]", line: 20 },
    ]);
    // kmemleak's kernel line alone is not a report: a second scan may have withdrawn the objects.
    const kernelLineOnly = log.split("\n").slice(0, 5).join("\n");
    expect(kernelLineOnly).toContain("kmemleak: 2 new suspected memory leaks");
    expect(summary(kernelLineOnly)).toEqual([]);
  });

  test("the harness quoting dmesg in its TAP diagnostics does not count twice", () => {
    expect(summary(fixture("harness-echo.log"))).toEqual([
      { kind: "WARNING", title: "WARNING at arch/x86/kvm/xche.c:141 xche_write [kvm]", line: 4 },
    ]);
  });

  test("messages that merely mention a bug or a warning are not splats", () => {
    const log = [
      "PCI: Using host bridge windows from ACPI; if necessary, use \"pci=nocrs\" and report a bug",
      "Warning: Processor Platform Limit event detected, but not handled.",
      "ok - no kernel BUG, WARNING or oops in dmesg",
      "kmemleak: Kernel memory leak detector initialized (mem pool available: 15773)",
      "Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
      "kasan: KernelAddressSanitizer initialized",
    ].join("\n");
    expect(findSplats(log)).toEqual([]);
  });
});

describe("kernelText", () => {
  test("strips the timestamp, the caller id, the level and a carriage return", () => {
    expect(kernelText("[    3.118781] BUG: KASAN: x\r")).toBe("BUG: KASAN: x");
    expect(kernelText("[ 1234.000001] [  T93] WARNING: CPU: 0 PID: 93 at x")).toBe("WARNING: CPU: 0 PID: 93 at x");
    expect(kernelText("<4>WARNING: inconsistent lock state")).toBe("WARNING: inconsistent lock state");
    // Indentation inside a report is kept.
    expect(kernelText("[    3.121478]  dump_stack_lvl+0x45/0x5e")).toBe(" dump_stack_lvl+0x45/0x5e");
  });
});

describe("describeSplats", () => {
  test("lists each title once with its count, the log, and the first report", () => {
    const log = `${fixture("warnings.log")}${fixture("warnings.log")}`;
    const text = describeSplats(findSplats(log), "/tmp/run/console.log");
    expect(text.split("\n").slice(0, 4)).toEqual([
      "6 kernel splats in /tmp/run/console.log:",
      "  WARNING at arch/x86/kvm/xche.c:141 xche_write [kvm] (2 times)",
      "  refcount_t: underflow; use-after-free. (WARNING at lib/refcount.c:28 refcount_warn_saturate) (2 times)",
      expect.stringMatching(/^ {2}list_del corruption\. .* \(2 times\)$/),
    ]);
    expect(text).toContain("first report (line 1):\n  | ------------[ cut here ]------------\n  | WARNING: CPU: 0 PID: 93 at arch/x86/kvm/xche.c:141");
  });
});
