/**
 * Tree safety (issue 7), case 5, for real (DEVGEN_REAL=1): a kernel module build killed half
 * way, then run again: it completes and the modules load into the stock image (vermagic).
 * Cases 1 to 4: test/unit/tree-safety.test.ts.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot } from "../../src/util/cache-dir.js";
import { cachedKernel, fetchKernel } from "../../src/toolchain/kernel-fetch.js";
import { createProgress } from "../../src/util/progress.js";

const CLI = path.resolve("dist/src/cli/main.js");

// 5. A real module build killed and resumed. Its own cache, so that the build does not race
// the other real tests: the source tree is hard-linked from the warm 6.1 tree, except the
// directories the build writes objects into, which are copied; the files devgen patches
// elsewhere are replaced by rename, never written in place.

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;
/** Beside the devgen cache, on its filesystem (hard links), never inside it. */
const SAFETY_CACHE = path.join(path.dirname(cacheRoot()), "devgen-tree-safety");
const TEN_MINUTES = 10 * 60_000;

async function seedSafetyCache(): Promise<{ srcDir: string; release: string }> {
  const cached = cachedKernel("6.1", SAFETY_CACHE);
  if (cached) return { srcDir: cached.srcDir, release: cached.release };
  const warm = cachedKernel("6.1", cacheRoot()) ?? (await fetchKernel({ version: "6.1", progress: createProgress({ mode: "plain" }) }));
  const dir = path.join(SAFETY_CACHE, "kernel", "6.1", warm.sourceVersion);
  const srcDir = path.join(dir, path.basename(warm.srcDir));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("cp", ["-al", warm.srcDir, srcDir]);
  for (const built of ["arch/x86/kvm", "virt/kvm"]) {
    fs.rmSync(path.join(srcDir, built), { recursive: true });
    execFileSync("cp", ["-a", path.join(warm.srcDir, built), path.join(srcDir, built)]);
  }
  // The image and headers are only read: the warm cache's are used where they are.
  fs.writeFileSync(path.join(dir, "tree.json"), JSON.stringify({ ...warm, srcDir, cacheDir: dir }, null, 2));
  return { srcDir, release: warm.release };
}

/** The objects under dir; kbuild's .tmp_* directories vanish while they are read. */
function objectCount(dir: string): number {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  return entries.reduce(
    (count, entry) => count + (entry.isDirectory() ? objectCount(path.join(dir, entry.name)) : Number(entry.name.endsWith(".o"))),
    0,
  );
}

real("5. a kernel module build killed half way and run again (DEVGEN_REAL=1)", () => {
  test("completes, and the modules match the stock image", async () => {
    const { srcDir, release } = await seedSafetyCache();
    const kvmDir = path.join(srcDir, "arch/x86/kvm");
    const started = new Date();
    // From no objects at all, so that the kill lands in the middle of a real build.
    execFileSync("make", ["M=arch/x86/kvm", "clean"], { cwd: srcDir, stdio: "ignore" });
    const args = [CLI, "build", "devices/xche", "--only", "kernel", "--kernel", "6.1", "--json"];
    const env = { ...process.env, DEVGEN_CACHE: SAFETY_CACHE };

    // devgen, make and the compilers in a process group of their own, all killed at once,
    // as a crash or the OOM killer would; killed once a third of the objects are built.
    const child = spawn(process.execPath, args, { env, detached: true, stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    const objects = (): number => objectCount(kvmDir);
    for (const deadline = Date.now() + TEN_MINUTES; objects() < 15 && child.exitCode === null && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const builtWhenKilled = objects();
    expect(builtWhenKilled).toBeGreaterThanOrEqual(15);
    process.kill(-child.pid!, "SIGKILL");
    expect(await exited).toBe("SIGKILL");
    expect(fs.existsSync(path.join(kvmDir, "kvm.ko"))).toBe(false);

    const rerun = spawnSync(process.execPath, args, { env, encoding: "utf8" });
    expect(rerun.stderr).not.toMatch(/error:/);
    expect(rerun.status).toBe(0);
    const { kernel } = JSON.parse(rerun.stdout) as { kernel: { release: string; vermagic: string; modules: string[] } };
    expect(kernel.release).toBe(release);
    expect(kernel.vermagic.split(" ")[0]).toBe(kernel.release);
    for (const module of kernel.modules) {
      expect(execFileSync("modinfo", ["-F", "vermagic", module], { encoding: "utf8" }).trim()).toBe(kernel.vermagic);
    }
    const symbols = execFileSync("nm", [path.join(kvmDir, "kvm.ko")], { encoding: "utf8" });
    expect(symbols).toMatch(/ kvm_xche_vm_ioctl$/m);
    expect(symbols).toMatch(/ xche_core_write$/m);

    // Nothing was written in place into a file shared with the warm cache.
    const shared = execFileSync("find", [srcDir, "-type", "f", "-links", "+1", "-newermt", started.toISOString()], { encoding: "utf8" });
    expect(shared).toBe("");
  }, 3 * TEN_MINUTES);
});
