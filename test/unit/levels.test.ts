/** The level registry: what --level all runs, the CLI's choices, and the guest's dispatch of each level. */
import * as fs from "node:fs";
import * as path from "node:path";
import { guestEntries } from "../../src/harness/guest-level.js";
import { KERNEL_HARNESS_DIR } from "../../src/harness/guest-sources.js";
import { ALL_LEVELS, LEVEL_NAMES, levelHelp } from "../../src/harness/levels.js";
import { LEVEL_CHOICES } from "../../src/pipeline/test-in-vm.js";

test("--level all is kvm, qemu and full; qtest and fuzz run only when asked", () => {
  expect(LEVEL_NAMES).toEqual(["qtest", "kvm", "qemu", "full", "fuzz"]);
  expect(ALL_LEVELS).toEqual(["kvm", "qemu", "full"]);
  expect(LEVEL_CHOICES).toEqual([...LEVEL_NAMES, "all"]);
  expect(levelHelp()).toMatch(/; all: kvm, qemu, full \(not qtest, fuzz\)$/);
});

/** Every guest script, by level: kernel-harness/levels/<level>.sh. */
const scripts = fs.readdirSync(path.join(KERNEL_HARNESS_DIR, "levels")).filter((f) => f.endsWith(".sh"));

test("each level that boots a VM has its guest script, and each script a level (bench: devgen bench)", () => {
  const booting = LEVEL_NAMES.filter((l) => l !== "qtest");
  expect(scripts.map((f) => f.replace(/\.sh$/, "")).sort()).toEqual([...booting, "bench"].sort());
  for (const file of scripts) {
    const script = fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "levels", file), "utf8");
    expect({ file, main: /^level_main\(\) \{$/m.test(script) }).toEqual({ file, main: true });
  }
});

test("/init dispatches by name only: no level is spelled out in it", () => {
  const init = fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "init"), "utf8");
  expect(init).toContain('. "/levels/$LEVEL.sh"');
  for (const level of LEVEL_NAMES) expect({ level, named: new RegExp(`\\b${level}\\)`).test(init) }).toEqual({ level, named: false });
});

test("a level's initramfs has /init, its library, busybox and that level's script alone", () => {
  const entries = guestEntries("kvm", "/cache/busybox");
  expect(entries.map((e) => e.path)).toEqual(["init", "lib/devgen.sh", "levels/kvm.sh", "bin/busybox"]);
  for (const entry of entries.filter((e) => e.path !== "bin/busybox")) expect(fs.existsSync(entry.from!)).toBe(true);
});
