/**
 * Full mode: the fragments and their checks (pure) and the source mirror (on a scratch
 * tree). A real tinyconfig + fragment build of Debian's 6.1 with xche patched in:
 * test/real/kernel-full.test.ts (DEVGEN_REAL_FULL=1).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  BASE_FRAGMENT,
  checkConfig,
  configLine,
  DEBUG_FRAGMENT,
  describeMismatch,
  fragmentsFor,
  kconfigSymbols,
  mergeFragments,
  parseConfig,
  renderFragment,
} from "../../src/toolchain/config-fragments.js";
import { compilerErrors, fullBuildPaths, isBuildOutput, listTree, syncMirror, treeId } from "../../src/toolchain/kernel-full.js";

describe("config fragments", () => {
  test("the base fragment has what the harness needs, and kvm as modules", () => {
    const values = new Map(BASE_FRAGMENT.symbols.map((s) => [s.name, s.value]));
    for (const name of ["SERIAL_8250_CONSOLE", "PCI", "BLK_DEV_INITRD", "DEVTMPFS", "DEVTMPFS_MOUNT", "MODULES", "MODULE_UNLOAD"]) {
      expect(values.get(name)).toBe("y");
    }
    for (const name of ["KVM", "KVM_AMD", "KVM_INTEL"]) expect(values.get(name)).toBe("m");
    // 6.12's KVM_X86 has no prompt: a fragment cannot set it.
    expect(values.has("KVM_X86")).toBe(false);
  });

  test("no symbol is listed twice in a fragment, and each says why it is there", () => {
    for (const fragment of [BASE_FRAGMENT, DEBUG_FRAGMENT]) {
      const names = fragment.symbols.map((s) => s.name);
      expect(new Set(names).size).toBe(names.length);
      for (const symbol of fragment.symbols) {
        expect(symbol.name).toMatch(/^[A-Z0-9_]+$/);
        expect(symbol.why).not.toBe("");
      }
    }
  });

  test("the debug fragment adds KASAN, lockdep, atomic-sleep, kmemleak and UBSAN", () => {
    const merged = new Map(mergeFragments(fragmentsFor(true)).map((s) => [s.name, s.value]));
    for (const name of ["KASAN", "PROVE_LOCKING", "DEBUG_ATOMIC_SLEEP", "DEBUG_KMEMLEAK", "UBSAN"]) expect(merged.get(name)).toBe("y");
    expect(merged.get("KVM")).toBe("m");
    expect(fragmentsFor(false)).toEqual([BASE_FRAGMENT]);
  });

  test("a later fragment's value wins", () => {
    const a = { name: "a", description: "", symbols: [{ name: "X", value: "y" as const, why: "a" }, { name: "Y", value: "m" as const, why: "a" }] };
    const b = { name: "b", description: "", symbols: [{ name: "X", value: "n" as const, why: "b" }] };
    expect(mergeFragments([a, b]).map((s) => [s.name, s.value])).toEqual([
      ["X", "n"],
      ["Y", "m"],
    ]);
  });

  test("fragment files are what merge_config.sh reads", () => {
    expect(configLine({ name: "KVM", value: "m" })).toBe("CONFIG_KVM=m");
    expect(configLine({ name: "SLUB_TINY", value: "n" })).toBe("# CONFIG_SLUB_TINY is not set");
    const text = renderFragment([BASE_FRAGMENT]);
    expect(text).toContain("\nCONFIG_SERIAL_8250_CONSOLE=y\n");
    expect(text).toContain("\nCONFIG_KVM_AMD=m\n");
    // Every non-comment line is an assignment, and parsing it back gives the fragment.
    const parsed = parseConfig(text);
    expect(checkConfig(parsed, BASE_FRAGMENT.symbols)).toEqual([]);
    expect(text.split("\n").filter((l) => l && !l.startsWith("#") && !/^CONFIG_\w+=[ym]$/.test(l))).toEqual([]);
  });

  test("a symbol Kconfig dropped or changed is reported with what it got", () => {
    const config = parseConfig(["CONFIG_64BIT=y", "CONFIG_KVM=y", "# CONFIG_PCI is not set", "CONFIG_LOG_BUF_SHIFT=12", ""].join("\n"));
    expect(config.get("PCI")).toBe("n");
    expect(config.get("LOG_BUF_SHIFT")).toBe("12");
    const symbols = [
      { name: "64BIT", value: "y" as const, why: "" },
      { name: "KVM", value: "m" as const, why: "" },
      { name: "PCI", value: "y" as const, why: "" },
      { name: "KVM_X86_OLD", value: "y" as const, why: "" },
      { name: "SLUB_TINY", value: "n" as const, why: "" },
    ];
    expect(checkConfig(config, symbols)).toEqual([
      { name: "KVM", wanted: "m", actual: "y" },
      { name: "PCI", wanted: "y", actual: "n" },
      { name: "KVM_X86_OLD", wanted: "y", actual: "n" },
    ]);
    expect(describeMismatch({ name: "KVM", wanted: "m", actual: "y" }, true)).toBe(
      "CONFIG_KVM=m was asked for, but Kconfig set it to y (an unmet dependency, or a choice that excludes it)",
    );
    expect(describeMismatch({ name: "PCI", wanted: "y", actual: "n" }, true)).toContain("but Kconfig left it unset");
    expect(describeMismatch({ name: "KVM_X86_OLD", wanted: "y", actual: "n" }, false)).toBe(
      "CONFIG_KVM_X86_OLD=y was asked for, but this tree's Kconfig has no KVM_X86_OLD (renamed or removed?)",
    );
  });

  test("Kconfig symbol definitions are found, menus and choices ignored", () => {
    const text = ['menuconfig VIRTUALIZATION', '\tbool "Virtualization"', "", "config KVM", '\ttristate "KVM"', "\tdepends on X86_LOCAL_APIC", 'choice', "endchoice", 'source "arch/x86/kvm/Kconfig"'].join("\n");
    expect(kconfigSymbols(text)).toEqual(["VIRTUALIZATION", "KVM"]);
  });
});

describe("the source mirror", () => {
  let scratch: string;
  const write = (root: string, rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-full-"));
  });
  afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

  test("kbuild's and devgen's outputs in a tree are not sources", () => {
    for (const rel of [".config", ".config.old", "Module.symvers", ".devgen-prepared", "arch/x86/kvm/xche.o", "arch/x86/kvm/kvm.ko", "arch/x86/kvm/.xche.o.cmd", "arch/x86/kvm/kvm.mod.c", "arch/x86/kvm/.x86.o.d", "arch/x86/kvm/modules.order"]) {
      expect([rel, isBuildOutput(rel, false)]).toEqual([rel, true]);
    }
    for (const rel of [".git", ".devgen", "include/config", "include/generated", "arch/x86/include/generated"]) expect([rel, isBuildOutput(rel, true)]).toEqual([rel, true]);
    for (const rel of ["Makefile", "Kconfig", ".gitignore", "arch/x86/kvm/xche.c", "arch/x86/kvm/Makefile", "scripts/kconfig/merge_config.sh", "include/linux/kvm_host.h"]) {
      expect([rel, isBuildOutput(rel, false)]).toEqual([rel, false]);
    }
    expect(isBuildOutput("include", true)).toBe(false);
  });

  test("the mirror gets the sources only, then only what changed; mtimes are kept", () => {
    const tree = path.join(scratch, "tree");
    const mirror = path.join(scratch, "mirror");
    write(tree, "Makefile", "all:\n");
    write(tree, "arch/x86/kvm/x86.c", "int x;\n");
    write(tree, "arch/x86/kvm/x86.o", "obj");
    write(tree, ".config", "CONFIG_KVM=m\n");
    write(tree, "include/generated/autoconf.h", "#define X\n");
    fs.symlinkSync("x86.c", path.join(tree, "arch/x86/kvm/link.c"));
    const skip = isBuildOutput;

    const first = syncMirror(tree, mirror, skip);
    expect(first.copied.sort()).toEqual(["Makefile", "arch/x86/kvm/link.c", "arch/x86/kvm/x86.c"]);
    expect(first.added.length).toBe(3);
    expect(fs.existsSync(path.join(mirror, ".config"))).toBe(false);
    expect(fs.readlinkSync(path.join(mirror, "arch/x86/kvm/link.c"))).toBe("x86.c");
    expect(fs.statSync(path.join(mirror, "Makefile")).mtimeMs).toBeCloseTo(fs.statSync(path.join(tree, "Makefile")).mtimeMs, 2);

    expect(syncMirror(tree, mirror, skip)).toEqual({ copied: [], deleted: [], added: [] });

    const past = new Date(Date.now() - 60_000);
    write(tree, "arch/x86/kvm/x86.c", "int y;\n");
    fs.utimesSync(path.join(tree, "arch/x86/kvm/x86.c"), past, past);
    write(tree, "arch/x86/kvm/xche.c", "int z;\n");
    fs.rmSync(path.join(tree, "Makefile"));
    const second = syncMirror(tree, mirror, skip);
    expect(second.copied.sort()).toEqual(["arch/x86/kvm/x86.c", "arch/x86/kvm/xche.c"]);
    expect(second.added).toEqual(["arch/x86/kvm/xche.c"]);
    expect(second.deleted).toEqual(["Makefile"]);
    expect(fs.readFileSync(path.join(mirror, "arch/x86/kvm/x86.c"), "utf8")).toBe("int y;\n");
    expect(fs.statSync(path.join(mirror, "arch/x86/kvm/x86.c")).mtimeMs).toBeCloseTo(past.getTime(), 2);
    expect([...listTree(mirror).keys()].sort()).toEqual(["arch/x86/kvm/link.c", "arch/x86/kvm/x86.c", "arch/x86/kvm/xche.c"]);
    // The tree is only read.
    expect(fs.readFileSync(path.join(tree, ".config"), "utf8")).toBe("CONFIG_KVM=m\n");
  });

  test("build directories are per tree and per debug flavour, under the cache", () => {
    const tree = path.join(scratch, "linux-6.1.192-2");
    fs.mkdirSync(tree);
    const plain = fullBuildPaths(tree, false, "/cache");
    const debug = fullBuildPaths(tree, true, "/cache");
    expect(plain.root).toBe(path.join("/cache/kernel-full", treeId(tree)));
    expect(treeId(tree)).toMatch(/^linux-6\.1\.192-2-[0-9a-f]{12}$/);
    expect(plain.srcDir).toBe(debug.srcDir);
    expect(plain.buildDir).not.toBe(debug.buildDir);
  });

  test("compiler errors name the user's file, not the copy devgen built", () => {
    const log = [
      "  CC [M]  arch/x86/kvm/xche.o",
      "/cache/kernel-full/t/src/arch/x86/kvm/xche.c:12:5: error: 'foo' undeclared (first use in this function)",
      "../src/arch/x86/kvm/xche_hooks.c:3:1: error: expected ';' before '}' token",
      "/usr/include/stdio.h:1:1: fatal error: nope",
      "/cache/kernel-full/t/src/arch/x86/kvm/xche.c:12:5: error: 'foo' undeclared (first use in this function)",
    ].join("\n");
    expect(compilerErrors(log, "/cache/kernel-full/t/src", "/home/me/linux")).toEqual([
      "/home/me/linux/arch/x86/kvm/xche.c:12:5: error: 'foo' undeclared (first use in this function)",
      "/cache/kernel-full/t/src/arch/x86/kvm/xche_hooks.c:3:1: error: expected ';' before '}' token".replace("/cache/kernel-full/t/src", "/home/me/linux"),
      "/usr/include/stdio.h:1:1: error: nope",
    ]);
  });
});
