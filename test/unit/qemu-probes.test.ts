/**
 * The QEMU probes: on excerpts of real headers (what each release resolves to), on small
 * fake files for every way a probe cannot decide, and where each probe flips between QEMU
 * 7.2, 10.0 and 10.2. On Debian's real trees, with the anchors of devgen's edits in each:
 * test/real/qemu-probes.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { QemuTarget } from "../../src/gen/qemu/target.js";
import { OLDEST_QEMU, probeQemuTree, probeRelease, QEMU_PROBES } from "../../src/integrate/qemu-probes.js";
import { detectQemuTarget } from "../../src/integrate/qemu-tree.js";
import { runProbe } from "../../src/integrate/tree-probe.js";
import { DevgenError } from "../../src/util/diagnostics.js";
import { headerReader, QEMU_HEADERS, type QemuHeaders } from "../helpers/qemu-headers.js";
import { EXPECTED, FIELDS, RELEASES } from "../helpers/qemu-targets.js";

function probed(files: QemuHeaders): QemuTarget {
  return probeQemuTree(headerReader(files), "qemu").target;
}

/** Why the probes refuse `files`, without the tree's name each message starts with. */
function problems(files: QemuHeaders): string[] {
  try {
    probeQemuTree(headerReader(files), "qemu");
  } catch (err) {
    if (err instanceof DevgenError) return err.diagnostics.map((d) => d.message.replace(/^qemu: /, ""));
    throw err;
  }
  throw new Error("expected the probes to refuse the tree");
}

/** `files` with `file` replaced by `text` (null: removed). */
function edited(files: QemuHeaders, file: string, text: string | null): QemuHeaders {
  const copy = { ...files };
  if (text === null) delete copy[file];
  else copy[file] = text;
  return copy;
}

describe("the probes on excerpts of each release's headers", () => {
  test.each(RELEASES)("QEMU %s", (release) => {
    expect(probed(QEMU_HEADERS[release])).toEqual({ version: QEMU_HEADERS[release].VERSION!.trim(), ...EXPECTED[release] });
  });

  test("a release devgen was never told about is decided by its headers alone", () => {
    const target = probed({ ...QEMU_HEADERS["10.2"], VERSION: "11.1.3\n" });
    expect(target).toEqual({ version: "11.1.3", ...EXPECTED["10.2"] });
  });

  test("QEMU's master, with the qdev headers moved under hw/core/, is decided by its headers alone", () => {
    const moved = (files: QemuHeaders, from: string, to: string): QemuHeaders => edited(edited(files, to, files[from]!), from, null);
    let master = moved(QEMU_HEADERS["10.2"], "include/hw/qdev-core.h", "include/hw/core/qdev.h");
    master = moved(master, "include/hw/qdev-properties.h", "include/hw/core/qdev-properties.h");
    master = moved(master, "include/hw/resettable.h", "include/hw/core/resettable.h");
    master = { ...master, VERSION: "10.2.50\n" };
    expect(probed(master)).toEqual({ version: "10.2.50", ...EXPECTED["10.2"], qdevPropertiesHeader: "hw/core/qdev-properties.h" });
  });

  test("declarations match across other blanks, but only at the start of a line", () => {
    const object = "    void  (*class_init)(ObjectClass *klass,\n                       const void *data);\n    const InterfaceInfo *interfaces;\n";
    const files = edited(QEMU_HEADERS["10.2"], "include/qom/object.h", object);
    expect(probed(files).classInitData).toBe("const void *data");
    // `InterfaceInfo *interfaces;` is inside `const InterfaceInfo *interfaces;`, not another spelling of it.
    expect(probed(files).interfacesCast).toBe("(const InterfaceInfo[])");
  });
});

describe("a probe that cannot decide names itself, the files and what it looked for", () => {
  const tenTwo = QEMU_HEADERS["10.2"];

  test("its file is missing", () => {
    const [problem] = problems(edited(tenTwo, "include/hw/resettable.h", null));
    expect(problem).toBe(
      "probe reset-hold-phase: found none of `typedef void (*ResettableHoldPhase)(Object *obj, ResetType type);` in include/hw/resettable.h, " +
        "`typedef void (*ResettableHoldPhase)(Object *obj, ResetType type);` in include/hw/core/resettable.h, " +
        "`typedef void (*ResettableHoldPhase)(Object *obj);` in include/hw/resettable.h (no include/hw/resettable.h, no include/hw/core/resettable.h)",
    );
  });

  test("neither spelling is there", () => {
    const [problem] = problems(edited(tenTwo, "include/qom/object.h", "    void (*class_init)(ObjectClass *oc, const void *data);\n    const InterfaceInfo *interfaces;\n"));
    expect(problem).toContain("probe class-init-data: found none of `void (*class_init)(ObjectClass *klass, const void *data);` in include/qom/object.h");
    expect(problem).not.toContain("(no ");
  });

  test("two spellings with different outcomes are both there", () => {
    const both = `${tenTwo["include/hw/pci/pci_device.h"]}`;
    const [problem] = problems(edited(tenTwo, "include/hw/pci/pci.h", both));
    expect(problem).toBe(
      "probe pci-device-header: found both `struct PCIDevice {` in include/hw/pci/pci_device.h and `struct PCIDevice {` in include/hw/pci/pci.h, which disagree",
    );
  });

  test("spellings that agree decide together", () => {
    const qdevCore = `${tenTwo["include/hw/qdev-core.h"]}void device_class_set_props(DeviceClass *dc, const Property *props);\n`;
    const result = runProbe(QEMU_PROBES.propertyQualifier, headerReader(edited(tenTwo, "include/hw/qdev-core.h", qdevCore)));
    expect(result).toMatchObject({ decided: true, outcome: { value: "static const Property" } });
  });

  test("every undecided probe is reported at once", () => {
    const stripped = edited(edited(tenTwo, "include/system/kvm.h", null), "include/migration/vmstate.h", "    VMStateField *fields;\n");
    expect(problems(stripped).map((p) => p.split(":")[0])).toEqual(["probe kvm-header", "probe const-vmstate-fields"]);
  });
});

describe("the release floor", () => {
  test.each(["7.2.0", "7.2.22", "8.0.0", "10.2.2", "11.1.3", "10.1.50"])("%s is new enough", (version) => {
    expect(probeRelease(headerReader({ VERSION: `${version}\n` }))).toEqual({ version });
  });

  test.each(["7.1.0", "7.1.94", "6.2.0"])("%s is older than the oldest release devgen supports", (version) => {
    expect(probeRelease(headerReader({ VERSION: `${version}\n` }))).toEqual({
      problem: `probe release: VERSION holds ${version}, older than ${OLDEST_QEMU.join(".")}, the oldest QEMU devgen supports`,
    });
  });

  test("a 7.1 tree is refused even though its headers spell everything like 7.2's", () => {
    expect(problems({ ...QEMU_HEADERS["7.2"], VERSION: "7.1.0\n" })).toEqual([
      "probe release: VERSION holds 7.1.0, older than 7.2.0, the oldest QEMU devgen supports",
    ]);
  });

  test("no VERSION or one without a version is not a QEMU tree", () => {
    expect(problems({})).toEqual(["probe release: no VERSION file (not the top of a QEMU source tree)"]);
    expect(problems({ VERSION: "garbage\n" })).toEqual(["probe release: VERSION holds `garbage`, not MAJOR.MINOR.MICRO"]);
  });
});

describe("detectQemuTarget reads a tree on disk", () => {
  function writeTree(files: QemuHeaders): string {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-qemu-probes-"));
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
      fs.writeFileSync(path.join(tree, file), text);
    }
    return tree;
  }

  test("resolves a tree", () => {
    expect(detectQemuTarget(writeTree(QEMU_HEADERS["7.2"]))).toEqual({ version: "7.2.22", ...EXPECTED["7.2"] });
  });

  test("refuses an undecidable tree with one diagnostic per probe, naming the tree", () => {
    const tree = writeTree(edited(QEMU_HEADERS["10.0"], "include/qom/object.h", null));
    let error: unknown;
    try {
      detectQemuTarget(tree);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DevgenError);
    const { diagnostics, exitCode } = error as DevgenError;
    expect(exitCode).toBe(2);
    expect(diagnostics.map((d) => d.message)).toEqual([
      expect.stringMatching(new RegExp(`^${tree}: probe class-init-data: found none of .* \\(no include/qom/object.h\\)$`)),
      expect.stringMatching(new RegExp(`^${tree}: probe const-interfaces: found none of .* \\(no include/qom/object.h\\)$`)),
    ]);
    expect(diagnostics[0]!.hint).toContain("src/integrate/qemu-probes.ts");
  });
});

describe("where each probe flips", () => {
  // Every probe but two tells two of the releases apart; const-vmstate-fields is a required
  // declaration (const since before 7.2), checked on every tree all the same.
  test.each(FIELDS)("%s", (field) => {
    const outcomes = new Set(RELEASES.map((r) => JSON.stringify(EXPECTED[r][field])));
    // qdev-properties-header flips on QEMU's master (above), which Debian does not serve yet.
    expect(outcomes.size).toBe(field === "vmstateFieldsCast" || field === "qdevPropertiesHeader" ? 1 : 2);
  });
});
