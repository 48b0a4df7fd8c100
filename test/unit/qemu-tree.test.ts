/**
 * The QEMU tree integration: refusal of an undecidable tree, the edits on a small fake tree (anchors,
 * idempotence, byte-identical unpatch, all-or-nothing), and buildQemu's pure parts. On
 * Debian's real trees, patched and built: test/real/qemu-tree.test.ts.
 */
import { toQemuStyle } from "../../src/gen/qemu-style.js";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { configureArgs, defaultBuildDir, ninjaNote, ninjaStep, qemuBuildNeeds } from "../../src/toolchain/qemu-build.js";
import { qemuBuildSeries } from "../../src/toolchain/qemu-fetch.js";
import { generateAll } from "../../src/gen/index.js";
import { qemuEdits, QEMU_EDITED_FILES } from "../../src/integrate/qemu-edits.js";
import { detectQemuTarget, integrateQemu } from "../../src/integrate/qemu-tree.js";
import { buildQemuTree } from "../../src/pipeline/build.js";
import { applyPlan, planPatch, planUnpatch, patchedOwners } from "../../src/integrate/patch.js";
import { DevgenError } from "../../src/util/diagnostics.js";
import { quietProgress } from "../../src/util/progress.js";
import { compileDevice } from "../../src/compile/index.js";
import { QEMU_HEADERS } from "../helpers/qemu-headers.js";
import { treeHash } from "../helpers/tree-hash.js";
import { caught } from "../helpers/caught.js";

const compiled = compileDevice("devices/xche");
const generated = generateAll(compiled);
const { device } = compiled;

/**
 * The lines of a real tree around the anchors (hw/misc of 7.2 uses softmmu_ss, 10.0
 * system_ss), and the lines of its headers the probes read.
 */
function fakeTree(release: "7.2" | "10.0"): string {
  const ss = release === "7.2" ? "softmmu_ss" : "system_ss";
  const files: Record<string, string> = {
    ...QEMU_HEADERS[release],
    "hw/misc/meson.build": [
      `${ss}.add(when: 'CONFIG_APPLESMC', if_true: files('applesmc.c'))`,
      `${ss}.add(when: 'CONFIG_EDU', if_true: files('edu.c'))`,
      `${ss}.add(when: 'CONFIG_FW_CFG_DMA', if_true: files('vmcoreinfo.c'))`,
      "",
    ].join("\n"),
    "hw/misc/Kconfig": [
      "config PCI_TESTDEV",
      "    bool",
      "    default y if TEST_DEVICES",
      "    depends on PCI",
      "",
      "config EDU",
      "    bool",
      "    default y if TEST_DEVICES",
      "    depends on PCI && MSI_NONBROKEN",
      "",
      "config PCA9552",
      "    bool",
      "    depends on I2C",
      "",
    ].join("\n"),
    "hw/misc/edu.c": "/* edu */\n",
    "linux-headers/linux/kvm.h": [
      "#ifndef __LINUX_KVM_H",
      "#define __LINUX_KVM_H",
      "",
      "#define KVM_API_VERSION 12",
      "",
      "#endif /* __LINUX_KVM_H */",
      "",
    ].join("\n"),
  };
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-qemu-tree-"));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    fs.writeFileSync(path.join(tree, file), text);
  }
  return tree;
}

const read = (tree: string, file: string): string => fs.readFileSync(path.join(tree, file), "utf8");

function patch(tree: string): void {
  applyPlan(planPatch(tree, "xche", integrateQemu(tree, [compiled]).edits.get("xche")!));
}


describe("a QEMU tree the probes cannot decide", () => {
  test("is refused before anything is written, naming the probe, the file and what was looked for", async () => {
    const tree = fakeTree("10.0");
    fs.rmSync(path.join(tree, "include/hw/resettable.h"));
    const before = treeHash(tree);
    const error = await buildQemuTree({ devices: [compiled], qemuSrc: tree, progress: quietProgress }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DevgenError);
    expect((error as DevgenError).message).toContain(
      `${tree}: probe reset-hold-phase: found none of \`typedef void (*ResettableHoldPhase)(Object *obj, ResetType type);\` in include/hw/resettable.h`,
    );
    expect((error as DevgenError).exitCode).toBe(2);
    expect(treeHash(tree)).toBe(before);
  });

  test("a release older than 7.2 is refused too", () => {
    const tree = fakeTree("7.2");
    fs.writeFileSync(path.join(tree, "VERSION"), "7.1.0\n");
    expect(caught(() => detectQemuTarget(tree)).message).toContain("VERSION holds 7.1.0, older than 7.2.0, the oldest QEMU devgen supports");
  });

  test("a directory without VERSION is not a QEMU tree", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-not-qemu-"));
    expect(caught(() => detectQemuTarget(dir)).message).toContain("not the top of a QEMU source tree");
  });
});

describe("qemuEdits on a fake tree", () => {
  test("puts the device and its core into hw/misc/", () => {
    const tree = fakeTree("7.2");
    patch(tree);
    for (const file of ["xche.c", "xche_core.c", "xche_core.h", "xche_types.h", "xche_hooks.c"]) {
      expect(fs.existsSync(path.join(tree, "hw/misc", file))).toBe(true);
    }
    // The kernel's core, laid out in QEMU's style.
    expect(read(tree, "hw/misc/xche_core.c")).toBe(toQemuStyle(generated.find((f) => f.path === "core/xche_core.c")!.contents));
    expect(patchedOwners(tree)).toEqual(["xche"]);
  });

  test("renders the glue with the tree's spellings", () => {
    const old = fakeTree("7.2");
    const recent = fakeTree("10.0");
    patch(old);
    patch(recent);
    expect(read(old, "hw/misc/xche.c")).toContain('#include "sysemu/kvm.h"');
    expect(read(old, "hw/misc/xche.c")).toContain("DEFINE_PROP_END_OF_LIST()");
    expect(read(recent, "hw/misc/xche.c")).toContain('#include "system/kvm.h"');
    expect(read(recent, "hw/misc/xche.c")).not.toContain("DEFINE_PROP_END_OF_LIST()");
  });

  test("wires meson.build after edu's line, in both spellings", () => {
    for (const [version, ss] of [
      ["7.2", "softmmu_ss"],
      ["10.0", "system_ss"],
    ] as const) {
      const tree = fakeTree(version);
      patch(tree);
      expect(read(tree, "hw/misc/meson.build")).toBe(
        [
          `${ss}.add(when: 'CONFIG_APPLESMC', if_true: files('applesmc.c'))`,
          `${ss}.add(when: 'CONFIG_EDU', if_true: files('edu.c'))`,
          "# devgen:xche begin",
          "specific_ss.add(when: 'CONFIG_XCHE', if_true: files('xche.c', 'xche_core.c', 'xche_hooks.c'))",
          "# devgen:xche end",
          `${ss}.add(when: 'CONFIG_FW_CFG_DMA', if_true: files('vmcoreinfo.c'))`,
          "",
        ].join("\n"),
      );
    }
  });

  test("adds the Kconfig symbol as a block of its own before EDU's", () => {
    const tree = fakeTree("7.2");
    patch(tree);
    expect(read(tree, "hw/misc/Kconfig")).toContain(
      [
        "    depends on PCI",
        "# devgen:xche begin",
        "",
        "config XCHE",
        "    bool",
        "    default y if PCI_DEVICES",
        "    depends on PCI",
        "# devgen:xche end",
        "",
        "config EDU",
        "",
      ].join("\n"),
    );
  });

  test("puts the ABI into QEMU's linux-headers/linux/kvm.h before its #endif", () => {
    const tree = fakeTree("7.2");
    patch(tree);
    const kvm = read(tree, "linux-headers/linux/kvm.h");
    expect(kvm).toMatch(/\n\/\* devgen:xche begin \*\/\n\/\* xche: [^\n]*\n#define KVM_CAP_XCHE 1000\n/);
    expect(kvm).toContain("#define KVM_CREATE_XCHE _IOW(KVMIO, 0xfc, struct kvm_xche_config)");
    expect(kvm.endsWith("/* devgen:xche end */\n#endif /* __LINUX_KVM_H */\n")).toBe(true);
  });

  test("edits only the files QEMU_EDITED_FILES lists, besides its own", () => {
    const edits = qemuEdits(device, generated);
    const inserted = new Set(edits.filter((e) => e.kind === "insert").map((e) => e.file));
    expect([...inserted].sort()).toEqual([...QEMU_EDITED_FILES].sort());
    for (const e of edits.filter((e) => e.kind === "file")) expect(e.file).toMatch(/^hw\/misc\/xche[\w.]*$/);
  });

  test("patching twice changes nothing", () => {
    const tree = fakeTree("7.2");
    patch(tree);
    const once = treeHash(tree);
    const again = planPatch(tree, "xche", integrateQemu(tree, [compiled]).edits.get("xche")!);
    expect(again.writes.size).toBe(0);
    applyPlan(again);
    expect(treeHash(tree)).toBe(once);
  });

  test("unpatch restores the tree byte for byte", () => {
    for (const version of ["7.2", "10.0"] as const) {
      const tree = fakeTree(version);
      const before = treeHash(tree);
      patch(tree);
      expect(treeHash(tree)).not.toBe(before);
      applyPlan(planUnpatch(tree, "xche"));
      expect(treeHash(tree)).toBe(before);
    }
  });

  test("a missing anchor names file and anchor and leaves the tree untouched", () => {
    const tree = fakeTree("7.2");
    fs.writeFileSync(path.join(tree, "hw/misc/Kconfig"), read(tree, "hw/misc/Kconfig").replace("config EDU\n", "config EDU_RENAMED\n"));
    const before = treeHash(tree);
    const error = caught(() => patch(tree));
    expect(error.diagnostics.map((d) => d.message)).toEqual(["hw/misc/Kconfig: anchor `config EDU (and the blank line above it)` not found"]);
    expect(treeHash(tree)).toBe(before);
  });

  test("a tree without linux-headers is refused as a whole", () => {
    const tree = fakeTree("10.0");
    fs.rmSync(path.join(tree, "linux-headers"), { recursive: true });
    const before = treeHash(tree);
    expect(caught(() => patch(tree)).message).toContain("linux-headers/linux/kvm.h: file not found");
    expect(treeHash(tree)).toBe(before);
  });
});

describe("buildQemu's pure parts", () => {
  test("configure options per release: 10.0 and later pass Debian's python", () => {
    const lean = ["--target-list=x86_64-softmmu", "--without-default-features", "--enable-kvm", "--enable-tcg", "--disable-docs", "--disable-install-blobs"];
    expect(configureArgs(qemuBuildNeeds("7.2"))).toEqual(lean);
    expect(configureArgs(qemuBuildNeeds("10.0"))).toEqual([...lean, "--python=/usr/bin/python3"]);
    expect(configureArgs(qemuBuildNeeds("10.1"))).toEqual([...lean, "--python=/usr/bin/python3"]);
    // The same series names the packages to install: step qemu-<series>.
    expect(["7.2", "7.1", "10.0", "10.2", "11.1"].map(qemuBuildSeries)).toEqual(["7.2", "7.2", "10.0", "10.0", "10.0"]);
  });

  test("reads ninja's [N/M] status lines", () => {
    expect(ninjaStep("[12/2345] Compiling C object libqemu-x86_64-softmmu.fa.p/hw_misc_xche.c.o")).toEqual({
      done: 12,
      total: 2345,
      what: "Compiling C object libqemu-x86_64-softmmu.fa.p/hw_misc_xche.c.o",
    });
    expect(ninjaStep("ninja: no work to do.")).toBeNull();
    expect(ninjaNote("Compiling C object libqemu-x86_64-softmmu.fa.p/hw_misc_xche.c.o")).toBe("hw_misc_xche.c.o");
    expect(ninjaNote("Linking target qemu-system-x86_64")).toBe("linking qemu-system-x86_64");
  });

  test("builds outside the source tree", () => {
    expect(defaultBuildDir("/c/devgen/qemu/7.2/v/qemu-v", "/c/devgen")).toBe("/c/devgen/qemu/7.2/v/build");
    expect(defaultBuildDir("/home/me/qemu", "/c/devgen")).toMatch(/^\/c\/devgen\/qemu-build\/qemu-[0-9a-f]{8}$/);
  });
});
