/**
 * What the QEMU glue must spell differently from one release to the next, read from the
 * tree it patches rather than inferred from its version string, so that a release devgen
 * was never told about is patched when its headers say how, and refused when they don't.
 *
 * Each field of QemuTarget is decided by one probe: a name and its spellings, each a file,
 * the declaration looked for there and the outcome it stands for. The probe is decided
 * when the spellings found agree; no spelling found (or its file missing) or spellings
 * with different outcomes leave it undecided, and the tree is refused before any write,
 * with every undecided probe named at once.
 *
 * Pure functions of a file reader; qemu-target.ts reads a real tree with them.
 */
import type { QemuReset, QemuTarget } from "../gen/qemu/index.js";
import { escapeRegExp } from "../util/regexp.js";

/** A file of the tree (a path relative to its top) as text, or null when it has no such file. */
export type ReadTreeFile = (file: string) => string | null;

/** One way a tree shows an API: a declaration in a file, and what the glue does when it is there. */
export interface Spelling<T> {
  file: string;
  /** The declaration, as C text: shown in messages, and matched at the start of a line. */
  declaration: string;
  outcome: T;
}

export interface QemuProbe<T> {
  name: string;
  spellings: readonly Spelling<T>[];
}

export type ProbeResult<T> = { decided: true; outcome: T } | { decided: false; problem: string };

/** The oldest release devgen supports: the glue's API was verified on 7.2 and newer only. */
export const OLDEST_QEMU = [7, 2, 0] as const;

/** The declaration at the start of a line (after indentation), with any run of blanks matching any other. */
function declarationPattern(declaration: string): RegExp {
  return new RegExp(`^[ \\t]*${declaration.trim().split(/\s+/).map(escapeRegExp).join("\\s+")}`, "m");
}

function spelling<T>(file: string, declaration: string, outcome: T): Spelling<T> {
  return { file, declaration, outcome };
}

const OBJECT_H = "include/qom/object.h";
const QDEV_CORE_H = "include/hw/qdev-core.h";

type TargetProbes = { [K in Exclude<keyof QemuTarget, "version">]: QemuProbe<QemuTarget[K]> };

/** One probe per field of QemuTarget (the version aside, which VERSION gives). */
export const QEMU_PROBES: TargetProbes = {
  pciHeader: {
    name: "pci-device-header",
    spellings: [
      spelling("include/hw/pci/pci_device.h", "struct PCIDevice {", "hw/pci/pci_device.h"),
      spelling("include/hw/pci/pci.h", "struct PCIDevice {", "hw/pci/pci.h"),
    ],
  },
  kvmHeader: {
    name: "kvm-header",
    spellings: [
      spelling("include/system/kvm.h", "int kvm_vm_ioctl(KVMState *s,", "system/kvm.h"),
      spelling("include/sysemu/kvm.h", "int kvm_vm_ioctl(KVMState *s,", "sysemu/kvm.h"),
    ],
  },
  propertyQualifier: {
    name: "const-properties",
    spellings: [
      spelling(QDEV_CORE_H, "void device_class_set_props_n(DeviceClass *dc, const Property *props,", "static const Property"),
      spelling(QDEV_CORE_H, "void device_class_set_props(DeviceClass *dc, const Property *props);", "static const Property"),
      spelling(QDEV_CORE_H, "void device_class_set_props(DeviceClass *dc, Property *props);", "static Property"),
    ],
  },
  propertyListEnd: {
    name: "property-list-end",
    spellings: [
      spelling("include/hw/qdev-properties.h", "#define DEFINE_PROP_END_OF_LIST()", true),
      // Counted arrays (10.0): device_class_set_props passes ARRAY_SIZE to this one.
      spelling(QDEV_CORE_H, "void device_class_set_props_n(DeviceClass *dc,", false),
    ],
  },
  classInitData: {
    name: "class-init-data",
    spellings: [
      spelling(OBJECT_H, "void (*class_init)(ObjectClass *klass, const void *data);", "const void *data"),
      spelling(OBJECT_H, "void (*class_init)(ObjectClass *klass, void *data);", "void *data"),
    ],
  },
  reset: {
    name: "reset-hold-phase",
    spellings: [
      spelling<QemuReset>("include/hw/resettable.h", "typedef void (*ResettableHoldPhase)(Object *obj, ResetType type);", {
        hook: "hold-phase",
        parameters: "Object *obj, ResetType type",
      }),
      spelling<QemuReset>("include/hw/resettable.h", "typedef void (*ResettableHoldPhase)(Object *obj);", {
        hook: "hold-phase",
        parameters: "Object *obj",
      }),
    ],
  },
  vmstateFieldsCast: {
    name: "const-vmstate-fields",
    // Const in every release devgen supports; the literal says so as QEMU's own devices do from 8.2.
    spellings: [spelling("include/migration/vmstate.h", "const VMStateField *fields;", "(const VMStateField[])")],
  },
  interfacesCast: {
    name: "const-interfaces",
    spellings: [
      spelling(OBJECT_H, "const InterfaceInfo *interfaces;", "(const InterfaceInfo[])"),
      spelling(OBJECT_H, "InterfaceInfo *interfaces;", "(InterfaceInfo[])"),
    ],
  },
};

const quoted = (s: Spelling<unknown>): string => `\`${s.declaration}\` in ${s.file}`;

/** Runs one probe: the outcome of the spellings found, or why it cannot decide. */
export function runProbe<T>(probe: QemuProbe<T>, read: ReadTreeFile): ProbeResult<T> {
  const found = probe.spellings.filter((s) => {
    const text = read(s.file);
    return text !== null && declarationPattern(s.declaration).test(text);
  });
  const outcomes = new Set(found.map((s) => JSON.stringify(s.outcome)));
  if (outcomes.size === 1) return { decided: true, outcome: found[0]!.outcome };
  if (outcomes.size > 1) {
    return { decided: false, problem: `probe ${probe.name}: found both ${found.map(quoted).join(" and ")}, which disagree` };
  }
  const missing = [...new Set(probe.spellings.map((s) => s.file))].filter((file) => read(file) === null);
  const absent = missing.length ? ` (no ${missing.join(", no ")})` : "";
  return { decided: false, problem: `probe ${probe.name}: found none of ${probe.spellings.map(quoted).join(", ")}${absent}` };
}

/** The release in VERSION ("10.2.2"), or why the tree cannot be used. */
export function probeRelease(read: ReadTreeFile): { version: string } | { problem: string } {
  const text = read("VERSION");
  if (text === null) return { problem: "probe release: no VERSION file (not the top of a QEMU source tree)" };
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!m) return { problem: `probe release: VERSION holds \`${text.trim()}\`, not MAJOR.MINOR.MICRO` };
  const parts = m.slice(1).map(Number);
  const older = parts.findIndex((n, i) => n !== OLDEST_QEMU[i]!);
  if (older >= 0 && parts[older]! < OLDEST_QEMU[older]!) {
    return { problem: `probe release: VERSION holds ${m[0]}, older than ${OLDEST_QEMU.join(".")}, the oldest QEMU devgen supports` };
  }
  return { version: m[0] };
}

/** A reason a tree is refused, with what to do about it. */
export interface ProbeProblem {
  message: string;
  hint: string;
}

const RELEASE_HINT =
  `pass the top of a QEMU ${OLDEST_QEMU.slice(0, 2).join(".")} or newer source tree to --qemu-src, ` +
  "or omit it to let devgen fetch one (--qemu 7.2 or 10.0)";
const UNKNOWN_SPELLING_HINT =
  "devgen patches a QEMU tree only when its headers say how to spell each API the glue uses; " +
  "a new spelling is a new entry in src/integrate/qemu-probes.ts";

/** What a tree's QemuTarget is, or every reason why it cannot be decided. */
export function probeQemuTarget(read: ReadTreeFile): { target: QemuTarget } | { problems: ProbeProblem[] } {
  const release = probeRelease(read);
  if ("problem" in release) return { problems: [{ message: release.problem, hint: RELEASE_HINT }] };
  const problems: ProbeProblem[] = [];
  const fields: Partial<Record<keyof TargetProbes, unknown>> = {};
  for (const [field, probe] of Object.entries(QEMU_PROBES) as [keyof TargetProbes, QemuProbe<unknown>][]) {
    const result = runProbe(probe, read);
    if (result.decided) fields[field] = result.outcome;
    else problems.push({ message: result.problem, hint: UNKNOWN_SPELLING_HINT });
  }
  if (problems.length) return { problems };
  return { target: { version: release.version, ...(fields as Omit<QemuTarget, "version">) } };
}
