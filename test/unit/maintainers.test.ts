/** The MAINTAINERS sections of the patch mails: where each tree's file wants them, in its own form. */
import { compileDevice } from "../../src/compile/index.js";
import { maintainersChange } from "../../src/integrate/maintainers.js";

const xche = compileDevice("devices/xche").device;
const FILES = ["arch/x86/kvm/xche_core.c", "arch/x86/kvm/xche.c"];
const ME = "Ada Lovelace <ada@example.org>";

/** Excerpts of Linux 6.1's MAINTAINERS: the file is not in strict order (the Microchip title). */
const KERNEL = [
  "ARM/Microchip Sparx5 SoC support",
  "M:\tSteen Hegelund <Steen.Hegelund@microchip.com>",
  "S:\tSupported",
  "",
  "Microchip Timer Counter Block (TCB) Capture Driver",
  "M:\tKamel Bouhara <kamel.bouhara@bootlin.com>",
  "S:\tMaintained",
  "",
  "KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)",
  "M:\tSean Christopherson <seanjc@google.com>",
  "F:\tarch/x86/kvm/",
  "",
  "KVM PARAVIRT (KVM/paravirt)",
  "M:\tPaolo Bonzini <pbonzini@redhat.com>",
  "S:\tSupported",
  "",
  "KERNFS",
  "M:\tGreg Kroah-Hartman <gregkh@linuxfoundation.org>",
  "",
].join("\n");

const QEMU = ["Xilinx CAN", "M: Francisco Iglesias <f@amd.com>", "", "EDU", "M: Jiri Slaby <jslaby@suse.cz>", "S: Maintained", "F: hw/misc/edu.c", "", "IDE", "M: John Snow <jsnow@redhat.com>", ""].join("\n");

test("kernel: among KVM's sections in title order, tab-separated, files sorted, the author as maintainer", () => {
  const change = maintainersChange((f) => (f === "MAINTAINERS" ? KERNEL : null), "kernel", [{ device: xche, files: FILES }], ME)!;
  const after = change.after!.split("\n");
  const at = after.indexOf("KVM XCHE IN-KERNEL DEVICE");
  expect(after.slice(at - 4, at + 8)).toEqual([
    "KVM PARAVIRT (KVM/paravirt)",
    "M:\tPaolo Bonzini <pbonzini@redhat.com>",
    "S:\tSupported",
    "",
    "KVM XCHE IN-KERNEL DEVICE",
    `M:\t${ME}`,
    "L:\tkvm@vger.kernel.org",
    "S:\tMaintained",
    "F:\tarch/x86/kvm/xche.c",
    "F:\tarch/x86/kvm/xche_core.c",
    "",
    "KERNFS",
  ]);
  expect(change.before).toBe(KERNEL);
});

test("QEMU: after the edu device's section, space-separated", () => {
  const change = maintainersChange((f) => (f === "MAINTAINERS" ? QEMU : null), "qemu", [{ device: xche, files: ["hw/misc/xche.c"] }], ME)!;
  expect(change.after).toContain(["F: hw/misc/edu.c", "", "XCHE", `M: ${ME}`, "S: Maintained", "F: hw/misc/xche.c", "", "IDE"].join("\n"));
});

test("no MAINTAINERS, or no place for the section: the mail goes without", () => {
  expect(maintainersChange(() => null, "qemu", [{ device: xche, files: [] }], ME)).toBeNull();
  expect(maintainersChange(() => "IDE\nM: x\n", "qemu", [{ device: xche, files: [] }], ME)).toBeNull();
});
