/**
 * DeviceSpec → Device: fills every default once, unrolls arrays, resolves names to indices
 * and reduces access kinds to masks, reporting every problem with the path of the value
 * that caused it. Reading each value is lowering.ts's; registers are lower-registers.ts's and
 * the KVM ABI lower-kvm.ts's. Cross-register rules (overlaps, bounds) are in layout.ts.
 */
import type { AccessSize, DeviceSpec } from "../dsl/types.js";
import { isPowerOfTwo } from "../ir/bits.js";
import type { Device, Hook, Policy, Register, Storage } from "../ir/types.js";
import { Reporter } from "../util/diagnostics.js";
import { lowerKvm } from "./lower-kvm.js";
import { experimentalRange, formatPciId, takenBy } from "./pci-ids.js";
import { lowerActions, lowerRegister } from "./lower-registers.js";
import { lowerInterruptGate, lowerInterruptTest, lowerRelations } from "./lower-relations.js";
import { lowerScenarios } from "./lower-scenarios.js";
import { lowerFifos } from "./lower-fifo.js";
import { lowerStorage } from "./lower-storage.js";
import { lowerWriteOnce } from "./lower-write-once.js";
import { LOWER_IDENTIFIER, Lowering, type Origins } from "./lowering.js";
import { isReservedDeviceName } from "./reserved-names.js";
import { hex } from "./message-words.js";

/** Registers, then each storage's entries (and a FIFO's head and level). */
function stateSizeOf(registers: Register[], storage: Storage[]): number {
  return registers.length + storage.reduce((n, s) => n + s.count + (s.fifo ? 2 : 0), 0);
}

/** Every access size the bus issues is taken unless a policy lists fewer. */
function defaultPolicy(busSizes: AccessSize[]): Policy {
  return { narrower: "combine", wider: "split", unaligned: "error", sizes: busSizes, otherSizes: "error" };
}

export interface Lowered {
  device: Device;
  origins: Origins;
}

export function lower(spec: DeviceSpec, source: string, report: Reporter): Lowered {
  const l = new Lowering(report);
  const name = l.identifier(spec.name, ["name"], "device name", LOWER_IDENTIFIER, '"xche"', true);
  if (isReservedDeviceName(name)) {
    report.error(["name"], `device name "${name}" collides with a file or symbol of KVM or QEMU`, "choose a more specific name");
  } else if (name.length > 20) {
    report.error(["name"], `device name "${name}" is longer than 20 characters`, "generated symbols would exceed kernel line limits; shorten it");
  }
  const prefix = name.toUpperCase();
  if (typeof spec.description !== "string" || !spec.description.trim()) {
    report.error(["description"], "the device needs a one-line description", 'add description: "..."');
  }

  const pciSpec = spec.pci ?? ({} as DeviceSpec["pci"]);
  const vendorId = l.small(pciSpec.vendorId, ["pci", "vendorId"], "PCI vendor ID", 0, 0xfffe, 0);
  const deviceId = l.small(pciSpec.deviceId, ["pci", "deviceId"], "PCI device ID", 0, 0xffff, 0);
  const pci = {
    vendorId,
    deviceId,
    subsystemVendorId: l.small(pciSpec.subsystemVendorId, ["pci", "subsystemVendorId"], "PCI subsystem vendor ID", 0, 0xffff, vendorId),
    subsystemId: l.small(pciSpec.subsystemId, ["pci", "subsystemId"], "PCI subsystem ID", 0, 0xffff, deviceId),
    classCode: l.small(pciSpec.classCode, ["pci", "classCode"], "PCI class code", 0, 0xffff, 0xff00),
    revision: l.small(pciSpec.revision, ["pci", "revision"], "PCI revision", 0, 0xff, 0),
  };
  const owner = takenBy(vendorId, deviceId);
  if (owner) {
    report.error(
      ["pci", "deviceId"],
      `PCI ID ${formatPciId(vendorId, deviceId)} is taken: ${owner} answers to it`,
      `for experiments use one of ${experimentalRange()} (QEMU's docs/specs/pci-ids.rst); before the code leaves the lab, get an ID of your own`,
    );
  }

  const barSpec = spec.bar ?? ({} as DeviceSpec["bar"]);
  const space = l.choice(barSpec.space, ["bar", "space"], "bar.space", ["io", "mmio"] as const, "io");
  const minSize = space === "io" ? 4 : 16;
  const maxSize = space === "io" ? 0x10000 : 0x40000000;
  // A size the BAR cannot have stands for the largest it can, so that no register is
  // measured against a size the file does not say: only one no BAR could hold is reported.
  const size = Number(l.integer(barSpec.size, ["bar", "size"], "BAR size", BigInt(minSize), BigInt(maxSize)) ?? maxSize);
  if (!isPowerOfTwo(size)) {
    report.error(["bar", "size"], `BAR size ${hex(size)} is not a power of two`, `PCI BARs are naturally aligned powers of two; use ${hex(nextPowerOfTwo(size))}`);
  }
  const decodeMask = l.small(barSpec.decodeMask, ["bar", "decodeMask"], "bar.decodeMask", 0, size - 1, size - 1);
  if ((barSpec.decodeMask !== undefined || isPowerOfTwo(size)) && !isPowerOfTwo(decodeMask + 1)) {
    report.error(["bar", "decodeMask"], `decode mask ${hex(decodeMask)} is not of the form 2^n - 1`, "registers repeat every decodeMask + 1 bytes; use e.g. 0x1f");
  }
  const busSizes: AccessSize[] = space === "io" ? [1, 2, 4] : [1, 2, 4, 8];
  if (decodeMask + 1 < busSizes[busSizes.length - 1]!) {
    report.error(["bar", "decodeMask"], `decode window ${decodeMask + 1} is smaller than the largest access (${busSizes[busSizes.length - 1]} bytes)`, "widen the decode mask");
  }
  const bar = { index: l.small(barSpec.index, ["bar", "index"], "BAR index", 0, 5, 0), space, size, decodeMask };

  const kvm = lowerKvm(l, spec, prefix, space);
  const devicePolicy = l.policy(spec.policy, ["policy"], defaultPolicy(busSizes), busSizes);

  const registers: Register[] = [];
  const specRegisters = Array.isArray(spec.registers) ? spec.registers : [];
  if (!Array.isArray(spec.registers) || spec.registers.length === 0) {
    report.error(["registers"], "the device has no registers", "add at least one register");
  }
  specRegisters.forEach((r, i) => lowerRegister(l, r, ["registers", i], devicePolicy, busSizes, registers));
  registers.sort((a, b) => a.offset - b.offset || a.index - b.index);
  registers.forEach((r, i) => (r.index = i));

  const byName = new Map<string, Register>();
  for (const r of registers) {
    if (byName.has(r.name)) {
      report.error(l.origins.register.get(r)!, `register name "${r.name}" is used twice`, "register names must be unique (arrays add _<index>)");
    } else {
      byName.set(r.name, r);
    }
  }

  const storage = lowerStorage(l, spec.storage, registers);
  lowerRelations(l, registers, specRegisters, byName, storage);
  lowerFifos(l, spec.storage, storage, registers, specRegisters, byName);
  lowerWriteOnce(l, registers, specRegisters, storage, stateSizeOf(registers, storage));

  const hookSpecs = spec.hooks ?? {};
  const hookUses = new Map<string, Set<"read" | "write">>();
  for (const r of registers) {
    const specPath = l.origins.register.get(r)!;
    const registerSpec = specRegisters[specPath[1] as number]!;
    const lowering = l.forElement(r);
    r.onRead = lowerActions(lowering, registerSpec.onRead, [...specPath, "onRead"], r, byName, hookSpecs, "read", hookUses);
    r.onWrite = lowerActions(lowering, registerSpec.onWrite, [...specPath, "onWrite"], r, byName, hookSpecs, "write", hookUses);
  }

  const hooks: Hook[] = Object.entries(hookSpecs)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([hookName, h]) => {
      const path = ["hooks", hookName];
      l.identifier(hookName, path, "hook name", LOWER_IDENTIFIER, '"exchange"');
      const uses = hookUses.get(hookName) ?? new Set();
      if (uses.size === 0) {
        report.error(path, `hook "${hookName}" is declared but no register's onRead or onWrite uses it`, "use it in an action ({ hook: \"...\" }) or remove it");
      } else if (uses.size > 1) {
        report.error(path, `hook "${hookName}" is used on both reads and writes`, "declare two hooks: a read hook returns a value, a write hook does not");
      }
      const touches = (h.touches ?? []).flatMap((t, i) => {
        const r = byName.get(t);
        if (!r) report.error([...path, "touches", i], `hook "${hookName}" touches unknown register "${t}"`, "name a register of this device");
        return r ? [r.index] : [];
      });
      if (h.model !== undefined && typeof h.model !== "function") {
        report.error([...path, "model"], `hook "${hookName}".model must be a function`, "write model(dev, value) { ... }");
      }
      return {
        name: hookName,
        cName: `${name}_hook_${hookName}`,
        direction: uses.has("read") ? "read" : "write",
        description: typeof h.description === "string" ? h.description : "",
        model: typeof h.model === "function" ? h.model : null,
        touches: touches.length ? touches : registersUsingHook(registers, hookName),
      } satisfies Hook;
    });

  let interrupt: Device["interrupt"] = null;
  if (spec.interrupt !== undefined) {
    const status = byName.get(spec.interrupt.status);
    const enable = byName.get(spec.interrupt.enable);
    if (!status) report.error(["interrupt", "status"], `interrupt status register "${spec.interrupt.status}" does not exist`, "name a register of this device");
    if (!enable) report.error(["interrupt", "enable"], `interrupt enable register "${spec.interrupt.enable}" does not exist`, "name a register of this device");
    if (status && status === enable) {
      report.error(["interrupt", "enable"], `interrupt status and enable registers are both ${status.name}`, "the status register holds the pending causes and the enable register masks them: name two registers");
    }
    if (status && status.masks.readable === 0n) {
      report.error(["interrupt", "status"], `interrupt status register ${status.name} is write-only: the guest cannot read which cause is pending`, 'make its cause bits readable, e.g. access: "w1c"');
    }
    const gate = lowerInterruptGate(l, spec.interrupt, byName);
    const test = status ? lowerInterruptTest(l, spec.interrupt, byName, status) : null;
    if (status && enable) interrupt = { status: status.index, enable: enable.index, gate, test: test?.index ?? null };
  }

  return {
    device: {
      name,
      prefix,
      description: typeof spec.description === "string" ? spec.description.trim() : "",
      source,
      pci,
      bar,
      kvm,
      busSizes,
      registers,
      storage,
      stateSize: stateSizeOf(registers, storage),
      interrupt,
      hooks,
      scenarios: lowerScenarios(l, spec.scenarios, { bar, busSizes }, byName, interrupt !== null || spec.interrupt !== undefined),
    },
    origins: l.origins,
  };
}

function registersUsingHook(registers: Register[], hook: string): number[] {
  return registers
    .filter((r) => [...r.onRead, ...r.onWrite].some((a) => a.kind === "hook" && a.hook === hook))
    .map((r) => r.index);
}
function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
