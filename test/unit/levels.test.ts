/** The level registry: what --level all runs, the CLI's choices, and the guest's dispatch of each level. */
import * as fs from "node:fs";
import * as path from "node:path";
import { KERNEL_HARNESS_DIR } from "../../src/harness/kvm-level.js";
import { ALL_LEVELS, LEVEL_NAMES, levelHelp } from "../../src/harness/levels.js";
import { LEVEL_CHOICES } from "../../src/pipeline/test-in-vm.js";

test("--level all is kvm, qemu and full; fuzz runs only when asked", () => {
  expect(LEVEL_NAMES).toEqual(["kvm", "qemu", "full", "fuzz"]);
  expect(ALL_LEVELS).toEqual(["kvm", "qemu", "full"]);
  expect(LEVEL_CHOICES).toEqual([...LEVEL_NAMES, "all"]);
  expect(levelHelp()).toMatch(/; all: kvm, qemu, full \(not fuzz\)$/);
});

test("the guest's /init has a function for every level that boots it", () => {
  const init = fs.readFileSync(path.join(KERNEL_HARNESS_DIR, "init"), "utf8");
  // Level qemu boots QEMU's own guest, not kernel-harness/init.
  for (const level of LEVEL_NAMES.filter((l) => l !== "qemu")) {
    expect({ level, dispatched: new RegExp(`^level_${level}\\(\\) \\{`, "m").test(init) && init.includes(`level_${level}\n`) }).toEqual({ level, dispatched: true });
  }
});
