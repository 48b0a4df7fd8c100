/** The marker-based patch engine on a small tree: idempotence, exact unpatch, all-or-nothing. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applyPlan, planPatch, planUnpatch, patchedOwners, recoverInterrupted, type Edit } from "../../src/integrate/patch.js";
import { DevgenError } from "../../src/util/diagnostics.js";
import { treeHash } from "../helpers/tree-hash.js";

const ORIGINAL: Record<string, string> = {
  "Makefile": "obj-y += a.o\nkvm-y += x86.o mmu.o\n",
  "x86.c": "int f(int ioctl)\n{\n\tswitch (ioctl) {\n\tcase KVM_CREATE_PIT2:\n\t\tbreak;\n\t}\n}\n",
  "include/kvm.h": "#define KVM_CAP_A 1\n\n#endif\n",
};

function makeTree(): string {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-tree-"));
  for (const [file, text] of Object.entries(ORIGINAL)) {
    fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    fs.writeFileSync(path.join(tree, file), text);
  }
  return tree;
}

function edits(owner: string, body = `\t\tr = kvm_${owner}_vm_ioctl(kvm, ioctl, argp);`): Edit[] {
  return [
    { kind: "file", file: `${owner}.c`, contents: `/* ${owner} */\n` },
    { kind: "insert", file: "Makefile", anchor: /^kvm-y \+= x86\.o/, anchorLabel: "kvm-y += x86.o", where: "after", text: `kvm-y += ${owner}.o`, comment: "hash" },
    { kind: "insert", file: "x86.c", anchor: /^\tcase KVM_CREATE_PIT2:$/, anchorLabel: "case KVM_CREATE_PIT2:", where: "before", text: `\tcase KVM_CREATE_${owner.toUpperCase()}:\n${body}\n\t\tbreak;`, comment: "c", indent: "\t" },
    { kind: "insert", file: "include/kvm.h", anchor: /^#endif/, anchorLabel: "#endif", where: "before", text: `#define KVM_CAP_${owner.toUpperCase()} 1000`, comment: "c" },
  ];
}

test("patch inserts marked blocks and the device's files", () => {
  const tree = makeTree();
  applyPlan(planPatch(tree, "xche", edits("xche")));
  expect(fs.readFileSync(path.join(tree, "Makefile"), "utf8")).toBe(
    "obj-y += a.o\nkvm-y += x86.o mmu.o\n# devgen:xche begin\nkvm-y += xche.o\n# devgen:xche end\n",
  );
  expect(fs.readFileSync(path.join(tree, "x86.c"), "utf8")).toContain(
    "\tswitch (ioctl) {\n\t/* devgen:xche begin */\n\tcase KVM_CREATE_XCHE:\n\t\tr = kvm_xche_vm_ioctl(kvm, ioctl, argp);\n\t\tbreak;\n\t/* devgen:xche end */\n\tcase KVM_CREATE_PIT2:",
  );
  expect(fs.readFileSync(path.join(tree, "xche.c"), "utf8")).toBe("/* xche */\n");
  expect(patchedOwners(tree)).toEqual(["xche"]);
});

test("patching twice changes nothing", () => {
  const tree = makeTree();
  applyPlan(planPatch(tree, "xche", edits("xche")));
  const once = treeHash(tree);
  const again = planPatch(tree, "xche", edits("xche"));
  expect(again.writes.size).toBe(0);
  applyPlan(again);
  expect(treeHash(tree)).toBe(once);
});

test("re-patching after a change replaces the blocks instead of stacking them", () => {
  const tree = makeTree();
  applyPlan(planPatch(tree, "xche", edits("xche")));
  applyPlan(planPatch(tree, "xche", edits("xche", "\t\tr = -EINVAL;")));
  const x86 = fs.readFileSync(path.join(tree, "x86.c"), "utf8");
  expect(x86.match(/devgen:xche begin/g)).toHaveLength(1);
  expect(x86).toContain("r = -EINVAL;");
  expect(x86).not.toContain("kvm_xche_vm_ioctl");
});

test("unpatch restores the tree byte for byte", () => {
  const tree = makeTree();
  const before = treeHash(tree);
  applyPlan(planPatch(tree, "xche", edits("xche")));
  expect(treeHash(tree)).not.toBe(before);
  applyPlan(planUnpatch(tree, "xche"));
  expect(treeHash(tree)).toBe(before);
});

test("several devices share a tree; unpatching one keeps the other", () => {
  const tree = makeTree();
  const before = treeHash(tree);
  applyPlan(planPatch(tree, "xche", edits("xche")));
  applyPlan(planPatch(tree, "uart", edits("uart")));
  expect(patchedOwners(tree)).toEqual(["uart", "xche"]);
  const makefile = fs.readFileSync(path.join(tree, "Makefile"), "utf8");
  expect(makefile).toContain("kvm-y += xche.o");
  expect(makefile).toContain("kvm-y += uart.o");
  applyPlan(planUnpatch(tree, "xche"));
  expect(fs.existsSync(path.join(tree, "xche.c"))).toBe(false);
  expect(fs.readFileSync(path.join(tree, "Makefile"), "utf8")).not.toContain("xche");
  expect(fs.readFileSync(path.join(tree, "Makefile"), "utf8")).toContain("kvm-y += uart.o");
  applyPlan(planUnpatch(tree, "uart"));
  expect(treeHash(tree)).toBe(before);
});

test("re-patching one of several devices writes nothing: blocks at an anchor sit in owner order", () => {
  for (const order of [["xche", "abc", "zed"], ["zed", "xche", "abc"]]) {
    const tree = makeTree();
    for (const owner of order) applyPlan(planPatch(tree, owner, edits(owner)));
    const makefile = fs.readFileSync(path.join(tree, "Makefile"), "utf8");
    expect(makefile.indexOf("abc.o")).toBeLessThan(makefile.indexOf("xche.o"));
    expect(makefile.indexOf("xche.o")).toBeLessThan(makefile.indexOf("zed.o"));
    const x86 = fs.readFileSync(path.join(tree, "x86.c"), "utf8");
    expect(x86.indexOf("KVM_CREATE_ABC")).toBeLessThan(x86.indexOf("KVM_CREATE_XCHE"));
    expect(x86.indexOf("KVM_CREATE_XCHE")).toBeLessThan(x86.indexOf("KVM_CREATE_ZED"));
    for (const owner of order) expect({ owner, writes: [...planPatch(tree, owner, edits(owner)).writes.keys()] }).toEqual({ owner, writes: [] });
  }
});

test("a missing anchor fails the whole plan, names file and anchor, and writes nothing", () => {
  const tree = makeTree();
  fs.writeFileSync(path.join(tree, "x86.c"), "int f(void) { return 0; }\n");
  const before = treeHash(tree);
  let error: unknown;
  try {
    planPatch(tree, "xche", edits("xche"));
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(DevgenError);
  expect((error as DevgenError).diagnostics.map((d) => d.message)).toEqual(["x86.c: anchor `case KVM_CREATE_PIT2:` not found"]);
  expect(treeHash(tree)).toBe(before);
});

test("an anchor matching twice is refused", () => {
  const tree = makeTree();
  fs.appendFileSync(path.join(tree, "Makefile"), "kvm-y += x86.o again\n");
  expect(() => planPatch(tree, "xche", edits("xche"))).toThrow("Makefile: anchor `kvm-y += x86.o` found 2 times");
});

test("an interrupted patch is rolled back on the next run", () => {
  const tree = makeTree();
  const before = treeHash(tree);
  const plan = planPatch(tree, "xche", edits("xche"));
  // Simulate a kill after the journal was written and one file was changed.
  const journal = path.join(tree, ".devgen", "journal");
  fs.mkdirSync(journal, { recursive: true });
  const entries = [...plan.writes.keys()].map((file, i) => {
    const full = path.join(tree, file);
    if (!fs.existsSync(full)) return { file, saved: null };
    fs.copyFileSync(full, path.join(journal, String(i)));
    return { file, saved: String(i) };
  });
  fs.writeFileSync(path.join(journal, "index.json"), JSON.stringify(entries));
  fs.writeFileSync(path.join(tree, "Makefile"), "half written");
  fs.writeFileSync(path.join(tree, "xche.c"), "half written");
  expect(recoverInterrupted(tree)).toBe(true);
  expect(treeHash(tree)).toBe(before);
});
