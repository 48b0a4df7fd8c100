/**
 * Full mode for real, with DEVGEN_REAL_FULL=1 (DEVGEN_REAL is not enough: about 6 minutes on
 * 2 cores): a tinyconfig + fragment build of Debian's 6.1 with xche patched in. The fragments
 * and the source mirror: test/unit/kernel-full.test.ts.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BASE_FRAGMENT, checkConfig, parseConfig } from "../../src/toolchain/config-fragments.js";
import { buildFullKernel } from "../../src/toolchain/kernel-full.js";
import { fetchKernel } from "../../src/toolchain/kernel-fetch.js";
import { generateAll } from "../../src/gen/index.js";
import { LINUX_6_1 } from "../../src/gen/kvm/target.js";
import { kernelEdits } from "../../src/integrate/kernel-edits.js";
import { applyPlan, planPatch } from "../../src/integrate/patch.js";
import { createProgress } from "../../src/util/progress.js";
import { compileDevice } from "../../src/compile/index.js";

const realFull = process.env.DEVGEN_REAL_FULL === "1" ? describe : describe.skip;
const HALF_HOUR = 30 * 60 * 1000;

realFull("a full 6.1 kernel with xche (DEVGEN_REAL_FULL=1)", () => {
  test(
    "tinyconfig + fragment builds bzImage and kvm modules holding the device",
    async () => {
      const progress = createProgress({ mode: "plain" });
      const kernel = await fetchKernel({ version: "6.1", progress });
      const xche = compileDevice("devices/xche");
      applyPlan(planPatch(kernel.srcDir, "xche", kernelEdits(xche.device, generateAll(xche), LINUX_6_1, null)));
      const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "devgen-full-log-")), "build.log");
      const built = await buildFullKernel({ tree: kernel.srcDir, log, progress });

      expect(fs.statSync(built.bzImage).size).toBeGreaterThan(500_000);
      expect(built.release).toMatch(/^6\.1\.\d+/);
      expect(built.modules.map((m) => path.basename(m))).toEqual(["kvm.ko", "kvm-amd.ko", "kvm-intel.ko"]);
      const symbols = execFileSync("nm", [built.modules[0]!], { encoding: "utf8" });
      expect(symbols).toMatch(/ kvm_xche_vm_ioctl$/m);
      const config = parseConfig(fs.readFileSync(path.join(built.buildDir, ".config"), "utf8"));
      expect(checkConfig(config, BASE_FRAGMENT.symbols)).toEqual([]);
      // kvm.ko's one dependency is in the build too.
      expect(execFileSync("modinfo", ["-F", "depends", built.modules[0]!], { encoding: "utf8" }).trim()).toBe("irqbypass");
      expect(fs.existsSync(path.join(built.modulesDir, "virt/lib/irqbypass.ko"))).toBe(true);
      // The Debian tree keeps its module-mode state: only the copy was cleaned.
      expect(fs.existsSync(path.join(kernel.srcDir, ".config"))).toBe(true);
    },
    HALF_HOUR,
  );
});
