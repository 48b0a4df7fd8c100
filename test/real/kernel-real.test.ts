/**
 * The kernel side on Debian's real trees (runs with DEVGEN_REAL=1; CI sets it): patch,
 * idempotence, exact unpatch, refusal on a missing anchor, number collisions, checkpatch,
 * and a module build whose vermagic matches the stock image. 6.12 is patched and built too.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fetchKernel, KERNEL_SERIES, type KernelTree } from "../../src/toolchain/kernel-fetch.js";
import { KERNEL_EDITED_FILES } from "../../src/integrate/kernel-edits.js";
import { integrateKernel } from "../../src/integrate/kernel-tree.js";
import { checkNumbers } from "../../src/integrate/tree-numbers.js";
import { applyPlan, planPatch, planUnpatch, type Edit } from "../../src/integrate/patch.js";
import { createProgress } from "../../src/util/progress.js";
import { compileDevice } from "../../src/compile/index.js";
import { treeHash } from "../helpers/tree-hash.js";

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;
const CLI = path.resolve("dist/src/cli/main.js");
const TEN_MINUTES = 10 * 60 * 1000;

function devgen(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env } });
}

real.each(KERNEL_SERIES)("Debian's Linux %s (DEVGEN_REAL=1)", (series) => {
  const xche = compileDevice("devices/xche");
  let kernel: KernelTree;
  let edits: Edit[];

  beforeAll(async () => {
    kernel = await fetchKernel({ version: series, progress: createProgress({ mode: "plain" }) });
    // Start from a tree without devgen's devices, whatever earlier runs left.
    devgen("unpatch", "--kernel-src", kernel.srcDir);
    edits = integrateKernel(kernel.srcDir, [xche]).edits.get("xche")!;
  }, TEN_MINUTES);

  test("patching is idempotent and unpatching restores the whole tree byte for byte", () => {
    const pristine = treeHash(kernel.srcDir);
    applyPlan(planPatch(kernel.srcDir, "xche", edits));
    const patched = treeHash(kernel.srcDir);
    expect(patched).not.toBe(pristine);
    expect(planPatch(kernel.srcDir, "xche", edits).writes.size).toBe(0);
    applyPlan(planPatch(kernel.srcDir, "xche", edits));
    expect(treeHash(kernel.srcDir)).toBe(patched);
    applyPlan(planUnpatch(kernel.srcDir, "xche"));
    expect(treeHash(kernel.srcDir)).toBe(pristine);
  }, TEN_MINUTES);

  test("a missing anchor leaves the tree untouched and names the file and anchor", () => {
    // A copy of the files devgen edits, with one anchor gone, stands in for a hand-edited tree.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-anchor-"));
    for (const file of KERNEL_EDITED_FILES) {
      fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
      fs.copyFileSync(path.join(kernel.srcDir, file), path.join(scratch, file));
    }
    const x86 = path.join(scratch, "arch/x86/kvm/x86.c");
    fs.writeFileSync(x86, fs.readFileSync(x86, "utf8").replace("\tkvm_free_pit(kvm);\n", "\tkvm_free_pit_renamed(kvm);\n"));
    const before = treeHash(scratch);
    expect(() => planPatch(scratch, "xche", edits)).toThrow(
      "arch/x86/kvm/x86.c: anchor `kvm_free_pit(kvm); (kvm_arch_sync_events, or kvm_arch_pre_destroy_vm in 7.x)` not found",
    );
    expect(treeHash(scratch)).toBe(before);
  });

  test("the tree's uapi header is checked for ioctl and capability collisions", () => {
    const { api } = xche.device.kvm;
    if (api.kind !== "ioctl") throw new Error("xche is the VM-ioctl example");
    const create = { name: "KVM_CREATE_XCHE", number: 0xe0 };
    const clash = { ...xche, device: { ...xche.device, kvm: { ...xche.device.kvm, api: { ...api, create } } } };
    expect(() => checkNumbers(kernel.srcDir, "include/uapi/linux/kvm.h", [clash])).toThrow(
      "KVM_CREATE_XCHE would be ioctl 0xe0, which include/uapi/linux/kvm.h of this tree already gives to KVM_CREATE_DEVICE",
    );
    expect(() => checkNumbers(kernel.srcDir, "include/uapi/linux/kvm.h", [xche])).not.toThrow();
  });

  test("the generated kernel code passes the tree's checkpatch.pl --strict", () => {
    applyPlan(planPatch(kernel.srcDir, "xche", edits));
    const files = ["xche.c", "xche.h", "xche_core.c", "xche_core.h", "xche_hooks.c"].map((f) => path.join("arch/x86/kvm", f));
    const result = spawnSync("perl", ["scripts/checkpatch.pl", "--strict", "--no-tree", "--no-summary", "--terse", "--show-types", "-f", ...files], {
      cwd: kernel.srcDir,
      encoding: "utf8",
    });
    expect(result.stdout.trim()).toBe("");
    expect(result.status).toBe(0);
  });
});

/** The series whose stock image Debian 12 can build modules for (7.x's need gcc 14 and 16; they build --full, see test/real/current-trees.test.ts). */
real.each(["6.1", "6.12"] as const)("modules for Debian's Linux %s image (DEVGEN_REAL=1)", (series) => {
  test("devgen build patches and builds kvm modules that match the stock image", async () => {
    const kernel = await fetchKernel({ version: series, progress: createProgress({ mode: "plain" }) });
    expect(kernel.moduleModeBlocker).toBeNull();
    const result = devgen("build", "devices/xche", "--only", "kernel", "--kernel", series, "--json");
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.status).toBe(0);
    const { kernel: built } = JSON.parse(result.stdout);
    expect(built.release).toBe(kernel.release);
    expect(built.vermagic.split(" ")[0]).toBe(kernel.release);
    for (const module of built.modules) expect(fs.existsSync(module)).toBe(true);
    // The device really is in kvm.ko.
    const symbols = execFileSync("nm", [path.join(kernel.srcDir, "arch/x86/kvm/kvm.ko")], { encoding: "utf8" });
    expect(symbols).toMatch(/ kvm_xche_vm_ioctl$/m);
    expect(symbols).toMatch(/ xche_core_write$/m);
  }, TEN_MINUTES);
});
