/**
 * Tree safety (issue 7): devgen refuses the trees it must not patch and leaves them byte for
 * byte as they were, and a devgen killed while patching never leaves a half-patched tree
 * behind for good. Five cases, the first four here:
 *
 * 1. a tree of an unexpected version (an anchor moved, QEMU headers that do not say how to
 *    spell an API the glue uses, a QEMU older than 7.2);
 * 2. a read-only tree (a read-only bind mount: we run as root, so chmod would not stop us);
 * 3. a tree where the path or the markers devgen would create already belong to someone else;
 * 4. devgen killed with SIGKILL before every single write of a patch and of an unpatch (and
 *    in the middle of each file write). The guarantee tested is the one src/integrate/patch.ts
 *    states: right after the kill, either no journal index is left and every file outside
 *    .devgen/journal/ is as before or as after; or the index is left, and the very next
 *    devgen run on the tree restores the before state first, so it ends exactly where a run
 *    on the untouched tree would have ended;
 * 5. a kernel module build killed half way, then run again: it completes and the modules load
 *    into the stock image (vermagic). On a real tree: test/real/tree-safety.test.ts.
 *
 * Cases 1 to 4 use a small kernel tree holding the four files devgen edits: copies of the
 * real ones when a 6.1 tree is in the cache, else the lines around each anchor.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cachedKernel } from "../../src/toolchain/kernel-fetch.js";
import { generateAll } from "../../src/gen/index.js";
import { KERNEL_EDITED_FILES, kernelEdits } from "../../src/integrate/kernel-edits.js";
import { KERNEL_PROBED_FILES } from "../../src/integrate/kernel-probes.js";
import { LINUX_6_1 } from "../../src/gen/kvm/target.js";
import { applyPlan, planPatch, planUnpatch, stripOwner, type Edit } from "../../src/integrate/patch.js";
import { compileDevice } from "../../src/compile/index.js";
import { QEMU_HEADERS } from "../helpers/qemu-headers.js";
import { treeHash } from "../helpers/tree-hash.js";
import { caught } from "../helpers/caught.js";
import { wholeLine } from "../../src/util/regexp.js";

const CLI = path.resolve("dist/src/cli/main.js");
const FIXTURES = path.resolve("test/fixtures/tree-safety");
const xche = compileDevice("devices/xche");
const edits = kernelEdits(xche.device, generateAll(xche), LINUX_6_1, null);
/** hpet_timer has kvm.api "device": its anchors are the enum of device types and kvm_x86_init. */
const hpet = compileDevice("examples/hpet_timer");
const hpetEdits = kernelEdits(hpet.device, generateAll(hpet), LINUX_6_1, null);

/** Logs and anything else devgen keeps in its cache go to a scratch cache, not the shared one. */
const scratchCache = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-safety-cache-"));

function devgen(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, DEVGEN_CACHE: scratchCache, ...env } });
}

/** The messages of a `devgen ... --json` run that failed. */
function errorsOf(result: SpawnSyncReturns<string>): string[] {
  return (JSON.parse(result.stdout) as { errors: { message: string }[] }).errors.map((e) => e.message);
}


// ---------------------------------------------------------------------------------------
// Trees.

/** The lines of Linux 6.1 around every anchor devgen uses, for machines without a cached tree. */
const KERNEL_EXCERPTS: Record<string, string> = {
  "include/uapi/linux/kvm.h": [
    "#ifndef __LINUX_KVM_H",
    "#define __LINUX_KVM_H",
    "",
    "#define KVMIO 0xAE",
    "#define KVM_CAP_PIT2 33",
    "#define KVM_CREATE_PIT2 _IOW(KVMIO, 0x77, struct kvm_pit_config)",
    "",
    "enum kvm_device_type {",
    "\tKVM_DEV_TYPE_FSL_MPIC_20\t= 1,",
    "#define KVM_DEV_TYPE_FSL_MPIC_20\tKVM_DEV_TYPE_FSL_MPIC_20",
    "\tKVM_DEV_TYPE_FSL_MPIC_42,",
    "#define KVM_DEV_TYPE_FSL_MPIC_42\tKVM_DEV_TYPE_FSL_MPIC_42",
    "\tKVM_DEV_TYPE_MAX,",
    "};",
    "",
    "#endif /* __LINUX_KVM_H */",
    "",
  ].join("\n"),
  "arch/x86/include/asm/kvm_host.h": "struct kvm_arch {\n\tstruct kvm_pic *vpic;\n\tstruct kvm_pit *vpit;\n};\n",
  "arch/x86/kvm/Makefile": [
    "kvm-y\t\t\t+= x86.o emulate.o i8259.o irq.o lapic.o \\",
    "\t\t\t   i8254.o ioapic.o irq_comm.o cpuid.o pmu.o mtrr.o \\",
    "\t\t\t   hyperv.o debugfs.o mmu/mmu.o mmu/page_track.o \\",
    "\t\t\t   mmu/spte.o",
    "",
    "kvm-$(CONFIG_X86_64) += mmu/tdp_iter.o mmu/tdp_mmu.o",
    "",
    "obj-$(CONFIG_KVM)\t+= kvm.o",
    "",
  ].join("\n"),
  Makefile: "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n",
  "include/linux/kvm_host.h": "int kvm_request_irq_source_id(struct kvm *kvm);\nvoid kvm_free_irq_source_id(struct kvm *kvm, int irq_source_id);\n",
  "include/linux/slab.h": "static inline __alloc_size(1) void *kzalloc(size_t size, gfp_t flags)\n{\n\treturn kmalloc(size, flags | __GFP_ZERO);\n}\n",
  "arch/x86/kvm/irq.h": "static inline int irqchip_kernel(struct kvm *kvm)\n",
  "arch/x86/kvm/x86.c": [
    '#include "i8254.h"',
    "",
    "int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext)",
    "{",
    "\tint r;",
    "",
    "\tswitch (ext) {",
    "\tcase KVM_CAP_PIT2:",
    "\t\tr = 1;",
    "\t\tbreak;",
    "\tcase KVM_CAP_NR_VCPUS:",
    "\t\tr = 1;",
    "\t\tbreak;",
    "\tdefault:",
    "\t\tr = 0;",
    "\t\tbreak;",
    "\t}",
    "\treturn r;",
    "}",
    "",
    "long kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)",
    "{",
    "\tlong r = -ENOTTY;",
    "",
    "\tswitch (ioctl) {",
    "\tcase KVM_CREATE_PIT:",
    "\t\tu.pit_config.flags = KVM_PIT_SPEAKER_DUMMY;",
    "\t\tgoto create_pit;",
    "\tcase KVM_CREATE_PIT2:",
    "\tcreate_pit:",
    "\t\tr = 0;",
    "\t\tbreak;",
    "\tdefault:",
    "\t\tr = -ENOTTY;",
    "\t}",
    "out:",
    "\treturn r;",
    "}",
    "",
    "void kvm_arch_sync_events(struct kvm *kvm)",
    "{",
    "\tkvm_free_pit(kvm);",
    "}",
    "",
    "static int __init kvm_x86_init(void)",
    "{",
    "\tkvm_mmu_x86_module_init();",
    "\treturn 0;",
    "}",
    "module_init(kvm_x86_init);",
    "",
  ].join("\n"),
};

/** The files devgen edits: the cached 6.1 tree's, without any device devgen put there. */
function kernelFiles(): Record<string, string> {
  const cached = cachedKernel("6.1");
  if (!cached) return KERNEL_EXCERPTS;
  const manifest = path.join(cached.srcDir, ".devgen/manifest.json");
  // Read directly: patchedOwners would roll back a patch another run has in flight.
  const owners = fs.existsSync(manifest) ? Object.keys((JSON.parse(fs.readFileSync(manifest, "utf8")) as { edited: object }).edited) : [];
  return Object.fromEntries(
    [...KERNEL_EDITED_FILES, ...KERNEL_PROBED_FILES].map((file) => [file, owners.reduce((text, owner) => stripOwner(text, owner), fs.readFileSync(path.join(cached.srcDir, file), "utf8"))]),
  );
}
const KERNEL_FILES = kernelFiles();

function writeTree(prefix: string, files: Record<string, string>): string {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    fs.writeFileSync(path.join(tree, file), text);
  }
  return tree;
}

/** What `devgen build --kernel-src` asks of a user's tree before it patches it. */
function prepareForModules(tree: string): string {
  for (const file of [".config", "Module.symvers", "include/config/kernel.release"]) {
    fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    fs.writeFileSync(path.join(tree, file), file === ".config" ? "CONFIG_KVM=m\n" : "6.1.0-test\n");
  }
  return tree;
}

const kernelTree = (): string => prepareForModules(writeTree("devgen-safety-kernel-", KERNEL_FILES));

/** A kernel tree with `from` replaced by `to` in `file` (which must contain `from`). */
function editedKernelTree(file: string, from: string, to: string): string {
  const tree = kernelTree();
  const full = path.join(tree, file);
  const text = fs.readFileSync(full, "utf8");
  expect(text).toContain(from);
  fs.writeFileSync(full, text.replace(from, to));
  return tree;
}

/** The lines of a QEMU 10.0 tree around devgen's anchors and those its probes read. */
function qemuTree(): string {
  return writeTree("devgen-safety-qemu-", {
    ...QEMU_HEADERS["10.0"],
    "hw/misc/meson.build": "system_ss.add(when: 'CONFIG_EDU', if_true: files('edu.c'))\n",
    "hw/misc/Kconfig": "config PCI_TESTDEV\n    bool\n\nconfig EDU\n    bool\n",
    "hw/misc/edu.c": "/* edu */\n",
    "linux-headers/linux/kvm.h": "#ifndef __LINUX_KVM_H\n#define __LINUX_KVM_H\n\n#endif /* __LINUX_KVM_H */\n",
  });
}

/** The hash of a kernel tree patched with xche without interruption. */
const PRISTINE = treeHash(kernelTree());
const PATCHED = ((): string => {
  const tree = kernelTree();
  applyPlan(planPatch(tree, "xche", edits));
  return treeHash(tree);
})();

// ---------------------------------------------------------------------------------------

describe("1. a tree of an unexpected version is refused and left byte for byte", () => {
  test.each([
    ["include/uapi/linux/kvm.h", "#endif /* __LINUX_KVM_H */", "#endif /* _UAPI__LINUX_KVM_H */", "include/uapi/linux/kvm.h: anchor `#endif /* __LINUX_KVM_H */` not found"],
    ["arch/x86/include/asm/kvm_host.h", "\tstruct kvm_pit *vpit;", "\tstruct kvm_pit *pit;", "arch/x86/include/asm/kvm_host.h: anchor `struct kvm_pit *vpit; (struct kvm_arch)` not found"],
    [
      "arch/x86/kvm/Makefile",
      "kvm-$(CONFIG_X86_64) += mmu/tdp_iter.o mmu/tdp_mmu.o\n",
      "kvm-$(CONFIG_X86_64) += mmu/tdp_iter.o\n",
      "arch/x86/kvm/Makefile: anchor `kvm-$(CONFIG_X86_64) += mmu/tdp_iter.o mmu/tdp_mmu.o` not found",
    ],
    ["arch/x86/kvm/x86.c", '#include "i8254.h"', '#include "pit.h"', 'arch/x86/kvm/x86.c: anchor `#include "i8254.h"` not found'],
    ["arch/x86/kvm/x86.c", "\tcase KVM_CAP_NR_VCPUS:", "\tcase KVM_CAP_MAX_VCPUS:", "arch/x86/kvm/x86.c: anchor `case KVM_CAP_NR_VCPUS: (kvm_vm_ioctl_check_extension)` not found"],
    [
      "arch/x86/kvm/x86.c",
      "\tcase KVM_CREATE_PIT:\n\t\tu.pit_config.flags = KVM_PIT_SPEAKER_DUMMY;\n",
      "\tcase KVM_CREATE_PIT:\n\t\tu.pit_config.flags = 0;\n",
      "arch/x86/kvm/x86.c: anchor `case KVM_CREATE_PIT: u.pit_config.flags = KVM_PIT_SPEAKER_DUMMY; (kvm_arch_vm_ioctl)` not found",
    ],
    [
      "arch/x86/kvm/x86.c",
      "\tkvm_free_pit(kvm);",
      "\tkvm_pit_free(kvm);",
      "arch/x86/kvm/x86.c: anchor `kvm_free_pit(kvm); (kvm_arch_sync_events, or kvm_arch_pre_destroy_vm in 7.x)` not found",
    ],
    ["arch/x86/kvm/x86.c", '#include "i8254.h"\n', '#include "i8254.h"\n#include "i8254.h"\n', 'arch/x86/kvm/x86.c: anchor `#include "i8254.h"` found 2 times'],
  ])("%s: %j changed", (file, from, to, message) => {
    const tree = editedKernelTree(file, from, to);
    const before = treeHash(tree);
    expect(caught(() => planPatch(tree, "xche", edits)).diagnostics.map((d) => d.message)).toEqual([message]);
    expect(treeHash(tree)).toBe(before);
  });

  test.each([
    ["include/uapi/linux/kvm.h", "\tKVM_DEV_TYPE_MAX,\n", "\tKVM_DEV_TYPE_LAST,\n", "include/uapi/linux/kvm.h: anchor `KVM_DEV_TYPE_MAX, (enum kvm_device_type)` not found"],
    ["arch/x86/kvm/x86.c", "\tkvm_mmu_x86_module_init();\n", "\tkvm_mmu_module_init();\n", "arch/x86/kvm/x86.c: anchor `kvm_mmu_x86_module_init(); (kvm_x86_init)` not found"],
  ])("a device-API device: %s: %j changed", (file, from, to, message) => {
    const tree = editedKernelTree(file, from, to);
    const before = treeHash(tree);
    expect(caught(() => planPatch(tree, "hpet_timer", hpetEdits)).diagnostics.map((d) => d.message)).toEqual([message]);
    expect(treeHash(tree)).toBe(before);
  });

  test("devgen build names the file and the anchor, exits 2 and writes nothing", () => {
    const tree = editedKernelTree("arch/x86/kvm/x86.c", "\tkvm_free_pit(kvm);", "\tkvm_pit_free(kvm);");
    const before = treeHash(tree);
    const result = devgen(["build", "devices/xche", "--only", "kernel", "--kernel-src", tree, "--json"]);
    expect(result.status).toBe(2);
    expect(errorsOf(result)).toEqual(["arch/x86/kvm/x86.c: anchor `kvm_free_pit(kvm); (kvm_arch_sync_events, or kvm_arch_pre_destroy_vm in 7.x)` not found"]);
    expect(treeHash(tree)).toBe(before);
  });

  test.each([
    [
      "include/qom/object.h",
      "void (*class_init)(ObjectClass *klass, void *data);",
      "void (*class_init)(ObjectClass *oc, void *data);",
      "probe class-init-data: found none of `void (*class_init)(ObjectClass *klass, const void *data);` in include/qom/object.h, `void (*class_init)(ObjectClass *klass, void *data);` in include/qom/object.h",
    ],
    ["VERSION", "10.0.13", "7.1.0", "probe release: VERSION holds 7.1.0, older than 7.2.0, the oldest QEMU devgen supports"],
  ])("a QEMU tree whose %s the probes cannot use is refused, naming the probe", (file, from, to, message) => {
    const tree = qemuTree();
    fs.writeFileSync(path.join(tree, file), fs.readFileSync(path.join(tree, file), "utf8").replace(from, to));
    const before = treeHash(tree);
    const result = devgen(["build", "devices/xche", "--only", "qemu", "--qemu-src", tree, "--json"]);
    expect(result.status).toBe(2);
    expect(errorsOf(result)).toEqual([`${tree}: ${message}`]);
    expect(treeHash(tree)).toBe(before);
  });

  test("a QEMU tree of a supported release whose files moved is refused as a whole", () => {
    const tree = qemuTree();
    fs.writeFileSync(path.join(tree, "hw/misc/Kconfig"), "config PCI_TESTDEV\n    bool\n\nconfig EDU_PCI\n    bool\n");
    const before = treeHash(tree);
    const result = devgen(["build", "devices/xche", "--only", "qemu", "--qemu-src", tree, "--json"]);
    expect(result.status).toBe(2);
    expect(errorsOf(result)).toEqual(["hw/misc/Kconfig: anchor `config EDU (and the blank line above it)` not found"]);
    expect(treeHash(tree)).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------

/** Why read-only mounts cannot be made here, or null when they can. */
const mountRefusal = ((): string | null => {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-mount-probe-"));
  try {
    execFileSync("mount", ["--bind", probe, probe], { stdio: "pipe" });
    execFileSync("umount", [probe], { stdio: "pipe" });
    return null;
  } catch (err) {
    return `mount --bind is not permitted here (${String((err as { stderr?: Buffer }).stderr ?? err).trim()})`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
})();

/** Makes `dir` read-only in place (a read-only bind mount over itself) while `body` runs. */
function readOnly<T>(dir: string, body: () => T): T {
  execFileSync("mount", ["--bind", dir, dir]);
  try {
    execFileSync("mount", ["-o", "remount,bind,ro", dir]);
    return body();
  } finally {
    execFileSync("umount", [dir]);
  }
}

const mountable = mountRefusal ? describe.skip : describe;

mountable(`2. a read-only tree${mountRefusal ? ` (skipped: ${mountRefusal})` : ""}`, () => {
  test("devgen build fails naming the path, leaves the tree byte for byte, and the next run works", () => {
    const tree = kernelTree();
    const result = readOnly(tree, () => devgen(["build", "devices/xche", "--only", "kernel", "--kernel-src", tree, "--json"]));
    expect(result.status).toBe(3);
    expect(errorsOf(result)).toEqual([`cannot write ${tree}/.devgen: read-only file system`]);
    expect(treeHash(tree)).toBe(PRISTINE);
    expect(fs.existsSync(path.join(tree, ".devgen"))).toBe(false);
    // Writable again, the same tree patches as if nothing had happened.
    applyPlan(planPatch(tree, "xche", edits));
    expect(treeHash(tree)).toBe(PATCHED);
  });

  test("a read-only part of the tree: the files already written are put back at once", () => {
    // include/ is written before arch/x86/kvm/, which is read-only: the write to its Makefile fails.
    const tree = kernelTree();
    const error = readOnly(path.join(tree, "arch/x86/kvm"), () => caught(() => applyPlan(planPatch(tree, "xche", edits))));
    expect(error.diagnostics).toEqual([{ location: null, message: `cannot write ${tree}/arch/x86/kvm/Makefile: read-only file system`, hint: "the tree was left as it was; make it writable and run devgen again" }]);
    expect(error.exitCode).toBe(3);
    expect(treeHash(tree)).toBe(PRISTINE);
    expect(fs.existsSync(path.join(tree, ".devgen"))).toBe(false);
    applyPlan(planPatch(tree, "xche", edits));
    expect(treeHash(tree)).toBe(PATCHED);
  });

  test("devgen unpatch of a read-only tree fails naming the path and leaves it patched", () => {
    const tree = kernelTree();
    applyPlan(planPatch(tree, "xche", edits));
    const result = readOnly(tree, () => devgen(["unpatch", "--kernel-src", tree, "--json"]));
    expect(result.status).toBe(3);
    expect(errorsOf(result)).toEqual([`cannot write ${tree}/.devgen/journal: read-only file system`]);
    expect(treeHash(tree)).toBe(PATCHED);
  });
});

// ---------------------------------------------------------------------------------------

describe("3. what devgen would create already belongs to someone else", () => {
  test("a hand-written file at the path of the device's file is refused, not overwritten", () => {
    const tree = kernelTree();
    fs.writeFileSync(path.join(tree, "arch/x86/kvm/xche.c"), "/* my own xche */\n");
    const before = treeHash(tree);
    const result = devgen(["build", "devices/xche", "--only", "kernel", "--kernel-src", tree, "--json"]);
    expect(result.status).toBe(2);
    expect(errorsOf(result)).toEqual(["arch/x86/kvm/xche.c: already exists and was not created by devgen"]);
    expect(treeHash(tree)).toBe(before);
  });

  test("a file devgen created for another device is refused", () => {
    const tree = kernelTree();
    applyPlan(planPatch(tree, "other", [{ kind: "file", file: "arch/x86/kvm/xche_core.c", contents: "/* other's */\n" }]));
    const before = treeHash(tree);
    expect(caught(() => planPatch(tree, "xche", edits)).diagnostics.map((d) => d.message)).toEqual([
      "arch/x86/kvm/xche_core.c: already created by devgen for device other",
    ]);
    expect(treeHash(tree)).toBe(before);
  });

  test("a hand-copied begin marker without its end is refused instead of swallowing the rest of the file", () => {
    const tree = editedKernelTree("arch/x86/kvm/x86.c", '#include "i8254.h"\n', '#include "i8254.h"\n/* devgen:xche begin */\n');
    const before = treeHash(tree);
    expect(caught(() => planPatch(tree, "xche", edits)).diagnostics.map((d) => d.message)).toEqual([
      `arch/x86/kvm/x86.c:${KERNEL_FILES["arch/x86/kvm/x86.c"]!.split("\n").indexOf('#include "i8254.h"') + 2}: \`devgen:xche begin\` has no matching end marker`,
    ]);
    expect(treeHash(tree)).toBe(before);
  });

  test("another device.ts also named xche replaces the first one whole, as a regenerate does", () => {
    // devgen cannot tell a different xche from an edited one, so this is not refused; the
    // guarantee is that nothing of the first is left: the tree is exactly as if only the
    // second had ever been patched in, and unpatching restores the original.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-other-xche-"));
    fs.cpSync("devices/xche", copy, { recursive: true });
    const deviceFile = path.join(copy, "device.ts");
    const source = fs.readFileSync(deviceFile, "utf8");
    expect(source).toContain("reset: 0x58434845");
    fs.writeFileSync(deviceFile, source.replace("reset: 0x58434845", "reset: 0x12345678"));
    const other = compileDevice(copy);
    const otherEdits = kernelEdits(other.device, generateAll(other), LINUX_6_1, null);

    const tree = kernelTree();
    applyPlan(planPatch(tree, "xche", edits));
    applyPlan(planPatch(tree, "xche", otherEdits));
    const fresh = kernelTree();
    applyPlan(planPatch(fresh, "xche", otherEdits));
    expect(treeHash(tree)).toBe(treeHash(fresh));
    expect(treeHash(tree)).not.toBe(PATCHED);
    applyPlan(planUnpatch(tree, "xche"));
    expect(treeHash(tree)).toBe(PRISTINE);
  });

  test("a tree patched by an older devgen (other anchors) is unpatched cleanly, then patched", () => {
    // Until 7.x support, the objects went after the end of the first kvm-y list and the
    // ioctl cases before the switch's default case.
    const older = edits.map((edit): Edit => {
      if (edit.kind !== "insert") return edit;
      if (edit.file === "arch/x86/kvm/Makefile") return { ...edit, anchor: wholeLine("\t\t\t   mmu/spte.o"), anchorLabel: "mmu/spte.o" };
      if (edit.text.includes("kvm_xche_vm_ioctl")) {
        return { ...edit, anchor: [wholeLine("\tdefault:"), wholeLine("\t\tr = -ENOTTY;"), wholeLine("\t}"), wholeLine("out:")], anchorLabel: "default:" };
      }
      return edit;
    });
    const tree = kernelTree();
    applyPlan(planPatch(tree, "xche", older));
    expect(treeHash(tree)).not.toBe(PATCHED);
    applyPlan(planPatch(tree, "xche", edits));
    expect(treeHash(tree)).toBe(PATCHED);
    applyPlan(planUnpatch(tree, "xche"));
    expect(treeHash(tree)).toBe(PRISTINE);
  });
});

// ---------------------------------------------------------------------------------------

const EDITS_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "devgen-safety-edits-")), "edits.json");
fs.writeFileSync(EDITS_FILE, JSON.stringify(edits, (_key, value: unknown) => (value instanceof RegExp ? { regexp: value.source, flags: value.flags } : value)));

interface KilledRun {
  /** Writes the run made under the tree (all of them when it was not killed). */
  writes: number;
  killed: boolean;
  /** The fs call the run was killed before. */
  killedBefore: string | null;
  status: number | null;
  stderr: string;
}

/** Runs `node --import kill-at-write.mjs ARGS` on `tree`, killed before its `killAt`th write (0: never). */
function runKilled(tree: string, killAt: number, args: string[], torn = false): KilledRun {
  const result = spawnSync(process.execPath, ["--import", path.join(FIXTURES, "kill-at-write.mjs"), ...args], {
    encoding: "utf8",
    env: { ...process.env, DEVGEN_CACHE: scratchCache, DEVGEN_KILL_TREE: tree, DEVGEN_KILL_AT: String(killAt), DEVGEN_KILL_TORN: torn ? "1" : "0" },
  });
  return {
    writes: Number(/tree writes: (\d+)/.exec(result.stderr)?.[1] ?? -1),
    killed: result.signal === "SIGKILL",
    killedBefore: /killed before (\w+)/.exec(result.stderr)?.[1] ?? null,
    status: result.status,
    stderr: result.stderr,
  };
}

const engine = (command: string, tree: string): string[] => [path.join(FIXTURES, "patch-tree.mjs"), command, tree, EDITS_FILE];

/** Every file outside .devgen/journal/, hashed: the tree a user sees. */
function visibleHash(tree: string): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-safety-visible-"));
  fs.cpSync(tree, copy, { recursive: true, filter: (from) => !from.startsWith(path.join(tree, ".devgen/journal")) });
  const hash = treeHash(copy);
  fs.rmSync(copy, { recursive: true });
  return hash;
}

const journalIndex = (tree: string): boolean => fs.existsSync(path.join(tree, ".devgen/journal/index.json"));

function copyOf(tree: string): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-safety-copy-"));
  fs.cpSync(tree, copy, { recursive: true });
  return copy;
}

/**
 * Case 4 runs hundreds of devgen processes, so on the short excerpts rather than the real
 * files: the writes and their order are the same, only the files are smaller.
 */
const smallTree = (): string => writeTree("devgen-safety-small-", KERNEL_EXCERPTS);
const smallPatchedTree = (): string => {
  const tree = smallTree();
  applyPlan(planPatch(tree, "xche", edits));
  return tree;
};
const SMALL_PRISTINE = treeHash(smallTree());
const SMALL_PATCHED = treeHash(smallPatchedTree());

const preparedSmallTree = (): string => prepareForModules(smallTree());

/**
 * Kills `command` (patch or unpatch) on a fresh `start()` tree before each of its writes in
 * turn (a file write also torn half way), and checks the guarantee after each kill. Returns
 * how many kill points left the tree as before, as after, and with a journal to roll back.
 */
function killEverywhere(command: "patch" | "unpatch", start: () => string, before: string, after: string) {
  const whole = start();
  const { writes, status } = runKilled(whole, 0, engine(command, whole));
  expect(status).toBe(0);
  expect(treeHash(whole)).toBe(after);
  expect(writes).toBeGreaterThan(10);
  const seen = { before: 0, after: 0, journal: 0, torn: 0 };
  const killPoints = Array.from({ length: writes }, (_, i) => ({ killAt: i + 1, torn: false }));
  for (const { killAt, torn } of killPoints) {
    const tree = start();
    const run = runKilled(tree, killAt, engine(command, tree), torn);
    expect({ killAt, torn, killed: run.killed, stderr: run.stderr }).toMatchObject({ killed: true });
    if (run.killedBefore === "writeFileSync" && !torn) killPoints.push({ killAt, torn: true });
    if (torn) seen.torn++;
    if (journalIndex(tree)) {
      seen.journal++;
    } else {
      const visible = visibleHash(tree);
      const state = visible === before ? "before" : visible === after ? "after" : "half patched";
      expect({ killAt, torn, state }).toEqual({ killAt, torn, state: expect.stringMatching(/^(before|after)$/) });
      seen[state as "before" | "after"]++;
    }
    // The very next devgen run ends exactly where it would have on an untouched tree: a
    // patch in the patched tree, an unpatch in the pristine one, and a listing of the
    // devices with the tree as it was before the killed run, if that run left a journal.
    const repatched = copyOf(tree);
    applyPlan(planPatch(repatched, "xche", edits));
    expect({ killAt, torn, hash: treeHash(repatched) }).toEqual({ killAt, torn, hash: SMALL_PATCHED });
    const unpatched = copyOf(tree);
    applyPlan(planUnpatch(unpatched, "xche"));
    expect({ killAt, torn, hash: treeHash(unpatched) }).toEqual({ killAt, torn, hash: SMALL_PRISTINE });
    if (journalIndex(tree)) {
      expect(spawnSync(process.execPath, engine("owners", tree)).status).toBe(0);
      expect({ killAt, torn, hash: treeHash(tree) }).toEqual({ killAt, torn, hash: before });
    }
    for (const dir of [tree, repatched, unpatched]) fs.rmSync(dir, { recursive: true });
  }
  return seen;
}

describe("4. devgen killed (SIGKILL) between two writes never leaves a half-patched tree behind", () => {
  test("a patch killed before each of its writes, and in the middle of each file write", () => {
    const seen = killEverywhere("patch", smallTree, SMALL_PRISTINE, SMALL_PATCHED);
    // Every phase was hit: before the journal index, while files were being replaced, after.
    expect(seen.before).toBeGreaterThan(0);
    expect(seen.journal).toBeGreaterThan(0);
    expect(seen.after).toBeGreaterThan(0);
    expect(seen.torn).toBeGreaterThan(0);
  }, 120_000);

  test("an unpatch killed before each of its writes, and in the middle of each file write", () => {
    const seen = killEverywhere("unpatch", smallPatchedTree, SMALL_PATCHED, SMALL_PRISTINE);
    expect(seen.before).toBeGreaterThan(0);
    expect(seen.journal).toBeGreaterThan(0);
    expect(seen.after).toBeGreaterThan(0);
    expect(seen.torn).toBeGreaterThan(0);
  }, 120_000);

  test("the roll-back itself killed before each of its writes still rolls back on the next run", () => {
    const whole = smallTree();
    const patchWrites = runKilled(whole, 0, engine("patch", whole)).writes;
    // Three quarters through the patch: the journal is written and some files are replaced.
    const interrupted = (): string => {
      const tree = smallTree();
      expect(runKilled(tree, Math.ceil(patchWrites * 0.75), engine("patch", tree)).killed).toBe(true);
      expect(journalIndex(tree)).toBe(true);
      expect(visibleHash(tree)).not.toBe(SMALL_PRISTINE);
      return tree;
    };
    const first = interrupted();
    const { writes } = runKilled(first, 0, engine("owners", first));
    expect(treeHash(first)).toBe(SMALL_PRISTINE);
    expect(writes).toBeGreaterThan(2);
    for (let killAt = 1; killAt <= writes; killAt++) {
      const tree = interrupted();
      expect(runKilled(tree, killAt, engine("owners", tree)).killed).toBe(true);
      expect(spawnSync(process.execPath, engine("owners", tree)).status).toBe(0);
      expect({ killAt, hash: treeHash(tree) }).toEqual({ killAt, hash: SMALL_PRISTINE });
    }
  }, 120_000);

  test("devgen build of a tree not prepared for module builds is refused before any write", () => {
    const tree = smallTree();
    const { writes, status } = runKilled(tree, 0, [CLI, "build", "devices/xche", "--only", "kernel", "--kernel-src", tree]);
    expect(status).toBe(2);
    expect(writes).toBe(0);
    expect(treeHash(tree)).toBe(SMALL_PRISTINE);
  });

  test("devgen build killed half way through patching: devgen unpatch restores the tree", () => {
    const build = (tree: string) => [CLI, "build", "devices/xche", "--only", "kernel", "--kernel-src", tree];
    // Uninterrupted, the build patches this tree, then make fails: the excerpts have no Makefile.
    const whole = preparedSmallTree();
    const { writes, status } = runKilled(whole, 0, build(whole));
    expect(status).toBe(3);
    expect(writes).toBeGreaterThan(10);
    // Three quarters in, the journal is written and some files of the tree are replaced.
    const tree = preparedSmallTree();
    const pristine = treeHash(tree);
    expect(runKilled(tree, Math.ceil(writes * 0.75), build(tree)).killed).toBe(true);
    expect(journalIndex(tree)).toBe(true);
    const result = devgen(["unpatch", "--kernel-src", tree]);
    expect(result.stderr).toBe("");
    expect(treeHash(tree)).toBe(pristine);
  }, 60_000);

  test("devgen unpatch killed half way: the next devgen unpatch finishes it", () => {
    const whole = smallPatchedTree();
    const { writes, status } = runKilled(whole, 0, [CLI, "unpatch", "--kernel-src", whole]);
    expect(status).toBe(0);
    expect(treeHash(whole)).toBe(SMALL_PRISTINE);
    const tree = smallPatchedTree();
    expect(runKilled(tree, Math.ceil(writes * 0.75), [CLI, "unpatch", "--kernel-src", tree]).killed).toBe(true);
    expect(journalIndex(tree)).toBe(true);
    expect(devgen(["unpatch", "--kernel-src", tree]).stdout).toBe(`removed xche from ${tree}\n`);
    expect(treeHash(tree)).toBe(SMALL_PRISTINE);
  }, 60_000);
});
