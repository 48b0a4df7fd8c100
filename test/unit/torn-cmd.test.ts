/** A kernel build killed mid-way: torn .cmd files are found and removed with their targets. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isTornCmdFile, removeTornCmdFiles } from "../../src/toolchain/torn-cmd.js";

const WHOLE = [
  "cmd_arch/x86/kvm/cpuid.o := gcc -c -o arch/x86/kvm/cpuid.o arch/x86/kvm/cpuid.c",
  "",
  "source_arch/x86/kvm/cpuid.o := arch/x86/kvm/cpuid.c",
  "",
  "deps_arch/x86/kvm/cpuid.o := \\",
  "  include/linux/kconfig.h \\",
  "    $(wildcard include/config/CPU_BIG_ENDIAN) \\",
  "",
  "arch/x86/kvm/cpuid.o: $(deps_arch/x86/kvm/cpuid.o)",
  "",
  "$(deps_arch/x86/kvm/cpuid.o):",
  "",
].join("\n");

test("a whole .cmd file is not torn; one cut short is, at a line end or in a line", () => {
  expect(isTornCmdFile(WHOLE)).toBe(false);
  expect(isTornCmdFile("cmd_arch/x86/kvm/kvm.mod := printf '%s\\n' a.o b.o\n")).toBe(false);
  expect(isTornCmdFile(WHOLE.slice(0, WHOLE.indexOf("$(wildcard") + 8))).toBe(true);
  expect(isTornCmdFile(WHOLE.slice(0, WHOLE.indexOf("arch/x86/kvm/cpuid.o: $(deps")))).toBe(true);
});

test("torn files and their targets are removed, whole ones kept, in subdirectories too", () => {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-torn-"));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    fs.writeFileSync(path.join(tree, file), text);
  };
  write("arch/x86/kvm/.cpuid.o.cmd", WHOLE);
  write("arch/x86/kvm/cpuid.o", "ELF");
  write("arch/x86/kvm/mmu/.spte.o.cmd", WHOLE.replace(/cpuid/g, "mmu/spte").slice(0, 200));
  write("arch/x86/kvm/mmu/spte.o", "ELF");
  expect(removeTornCmdFiles(tree, ["arch/x86/kvm", "virt/kvm"])).toEqual(["arch/x86/kvm/mmu/spte.o"]);
  expect(fs.existsSync(path.join(tree, "arch/x86/kvm/mmu/spte.o"))).toBe(false);
  expect(fs.existsSync(path.join(tree, "arch/x86/kvm/mmu/.spte.o.cmd"))).toBe(false);
  expect(fs.existsSync(path.join(tree, "arch/x86/kvm/cpuid.o"))).toBe(true);
  fs.rmSync(tree, { recursive: true, force: true });
});
