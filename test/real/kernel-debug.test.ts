/**
 * The debug kernel (`devgen build --full --debug`), for real, with DEVGEN_REAL_FULL=1: Debian's
 * 6.1 with xche patched in, tinyconfig + base + debug fragments, then level kvm on it. The
 * build takes 15-30 minutes on 2 cores the first time, the VM several minutes under TCG.
 * What a splat looks like to the harness is tested on fixtures in test/unit/splats.test.ts.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkConfig, fragmentsFor, mergeFragments, parseConfig } from "../../src/toolchain/config-fragments.js";
import { fullBuildPaths } from "../../src/toolchain/kernel-full.js";
import { buildKernel } from "../../src/pipeline/build.js";
import { runTestInVm } from "../../src/pipeline/test-in-vm.js";
import { createProgress } from "../../src/util/progress.js";
import { compileDevice } from "../../src/compile/index.js";

const realFull = process.env.DEVGEN_REAL_FULL === "1" ? describe : describe.skip;
const HOUR = 60 * 60 * 1000;

realFull("a 6.1 debug kernel with xche (DEVGEN_REAL_FULL=1)", () => {
  const progress = createProgress({ mode: "plain" });
  const devices = [compileDevice("devices/xche")];

  test(
    "builds with every debug option kept, instrumented modules, in its own directory",
    async () => {
      const built = await buildKernel({ devices, kernel: "6.1", full: true, debug: true, progress });
      // Full mode's modulesDir is the O= build directory.
      const buildDir = built.modulesDir!;
      expect(built.bzImage).toBe(path.join(buildDir, "arch/x86/boot/bzImage"));
      expect(buildDir).toBe(fullBuildPaths(built.tree, true).buildDir);
      expect(buildDir).not.toBe(fullBuildPaths(built.tree, false).buildDir);

      const config = parseConfig(fs.readFileSync(path.join(buildDir, ".config"), "utf8"));
      expect(checkConfig(config, mergeFragments(fragmentsFor(true)))).toEqual([]);
      for (const name of ["KASAN", "PROVE_LOCKING", "DEBUG_ATOMIC_SLEEP", "DEBUG_KMEMLEAK", "UBSAN", "BUG"]) expect(config.get(name)).toBe("y");

      // kvm.ko is compiled with the sanitizers: KASAN's and UBSAN's hooks are among its imports.
      const undefinedSymbols = execFileSync("nm", ["-u", built.modules[0]!], { encoding: "utf8" });
      expect(undefinedSymbols).toMatch(/ __asan_(load|store)\d+_noabort$/m);
      expect(undefinedSymbols).toMatch(/ __ubsan_handle_\w+$/m);
      expect(execFileSync("nm", [built.modules[0]!], { encoding: "utf8" })).toMatch(/ kvm_xche_vm_ioctl$/m);
    },
    HOUR,
  );

  test(
    "level kvm passes on it with no splat in the console and nothing for kmemleak",
    async () => {
      // No slab-counting leak cycles: KASAN's quarantine keeps freed objects counted as in use
      // until their cache is shrunk, which kvm_test.c does not do (yet); kmemleak checks leaks here.
      const result = await runTestInVm({ devices, levels: ["kvm"], kernel: "6.1", full: true, debug: true, leakCycles: 100, keep: true, progress });
      const [kvm] = result.results;
      const failed = kvm!.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      expect(failed).toEqual([]);
      expect(kvm!.ok).toBe(true);
      const names = kvm!.checks.map((c) => c.name);
      expect(names).toContain("no kernel splat in the console log");
      // The guest found kmemleak: this is the debug kernel, and it scanned.
      expect(names).toContain("kmemleak finds no unreferenced object");
      const console = fs.readFileSync(kvm!.consoleLog, "utf8");
      expect(console).toMatch(/KernelAddressSanitizer initialized/);
      expect(console).toMatch(/Lock dependency validator/);
      fs.rmSync(result.runDir!, { recursive: true, force: true });
    },
    HOUR,
  );
});
