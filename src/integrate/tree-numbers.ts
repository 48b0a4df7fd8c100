/**
 * Checks devices' ioctl, capability and device type numbers against the kernel (or QEMU) tree they are
 * patched into: upstream's own kvm.h, devices patched in earlier, and each other.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CompiledDevice } from "../compile/index.js";
import type { KernelTarget } from "../gen/kvm/target.js";
import { DevgenError, type Diagnostic } from "../util/diagnostics.js";
import { IOCTL_ROLES } from "../compile/kvm-numbers.js";
import { stripOwner } from "./patch.js";

export interface UsedNumbers {
  ioctls: Map<number, string>;
  capabilities: Map<number, string>;
  deviceTypes: Map<number, string>;
}

/** Numbers upstream defines in a kvm.h text, with devgen's own blocks left out. */
export function usedNumbers(text: string): UsedNumbers {
  const ioctls = new Map<number, string>();
  const capabilities = new Map<number, string>();
  for (const match of text.matchAll(/^#define\s+(\w+)\s+_IO\w*\(\s*KVMIO\s*,\s*(0x[0-9a-fA-F]+|\d+)/gm)) {
    const number = Number(match[2]);
    if (!ioctls.has(number)) ioctls.set(number, match[1]!);
  }
  for (const match of text.matchAll(/^#define\s+(KVM_CAP_\w+)\s+(0x[0-9a-fA-F]+|\d+)\s*$/gm)) {
    const number = Number(match[2]);
    if (!capabilities.has(number)) capabilities.set(number, match[1]!);
  }
  return { ioctls, capabilities, deviceTypes: deviceTypes(text) };
}

/** `enum kvm_device_type`'s values: counted from the last explicit one, as C does. */
function deviceTypes(text: string): Map<number, string> {
  const types = new Map<number, string>();
  const body = /^enum kvm_device_type \{\n([\s\S]*?)^\};/m.exec(text)?.[1] ?? "";
  let next = 0;
  for (const match of body.matchAll(/^\s*(KVM_DEV_TYPE_\w+)\s*(?:=\s*(0x[0-9a-fA-F]+|\d+)\s*)?,/gm)) {
    const value = match[2] === undefined ? next : Number(match[2]);
    if (match[1] !== "KVM_DEV_TYPE_MAX") types.set(value, match[1]!);
    next = value + 1;
  }
  return types;
}

/** Fails, pointing at the device file, when a number is taken in the tree or by another device. */
export function checkNumbers(tree: string, headerPath: string, devices: CompiledDevice[]): void {
  const header = path.join(tree, headerPath);
  let text = fs.readFileSync(header, "utf8");
  // The devices being patched now may already be in the tree; other devgen devices count as taken.
  for (const { device } of devices) text = stripOwner(text, device.name);
  const used = usedNumbers(text);
  const diagnostics: Diagnostic[] = [];
  const claimedIoctls = new Map<number, string>();
  const claimedCaps = new Map<number, string>();
  const claimedTypes = new Map<number, string>();
  for (const { device, locate } of devices) {
    const { api } = device.kvm;
    if (api.kind === "device") {
      const taken = used.deviceTypes.get(api.type.number) ?? claimedTypes.get(api.type.number);
      if (taken) {
        diagnostics.push({
          location: locate(["kvm", "deviceType", "number"]),
          message: `${api.type.name} would be device type ${api.type.number}, which ${headerPath} of this tree already gives to ${taken}`,
          hint: "choose another kvm.deviceType.number",
        });
      }
      claimedTypes.set(api.type.number, `${api.type.name} (device ${device.name})`);
      continue;
    }
    IOCTL_ROLES.forEach((role) => {
      const { name, number } = api[role];
      const taken = used.ioctls.get(number) ?? claimedIoctls.get(number);
      if (taken) {
        diagnostics.push({
          location: locate(["kvm", "ioctl", "number"]),
          message: `${name} would be ioctl 0x${number.toString(16)}, which ${headerPath} of this tree already gives to ${taken}`,
          hint: "choose another kvm.ioctl.number (the device uses it and the next three)",
        });
      }
      claimedIoctls.set(number, `${name} (device ${device.name})`);
    });
    const cap = api.capability;
    const takenCap = used.capabilities.get(cap.number) ?? claimedCaps.get(cap.number);
    if (takenCap) {
      diagnostics.push({
        location: locate(["kvm", "capability", "number"]),
        message: `capability ${cap.number} is already ${takenCap} in ${headerPath} of this tree`,
        hint: "choose another kvm.capability.number",
      });
    }
    claimedCaps.set(cap.number, `${cap.name} (device ${device.name})`);
  }
  if (diagnostics.length) throw new DevgenError(diagnostics);
}

/** `unsigned long irq_states[]` holds one bit per source in the PIC and I/O APIC. */
const IRQ_SOURCE_ID_LIMIT = 64;

/**
 * On trees with fixed interrupt source ids (7.x), each interrupting device gets the lowest id
 * from `first` up that neither upstream nor another devgen device already in the tree uses;
 * the devices being patched now count as absent, so re-patching keeps their ids.
 */
export function irqSourceIds(tree: string, devices: readonly CompiledDevice[], target: KernelTarget): Map<string, number> {
  const ids = new Map<string, number>();
  if (target.irqSourceIds.kind !== "fixed") return ids;
  let text = fs.readFileSync(path.join(tree, "include/linux/kvm_host.h"), "utf8");
  for (const { device } of devices) text = stripOwner(text, device.name);
  const used = new Set([...text.matchAll(/^#define\s+KVM_\w+_IRQ_SOURCE_ID\s+(\d+)\s*$/gm)].map((m) => Number(m[1])));
  let next = target.irqSourceIds.first;
  for (const { device, locate } of [...devices].sort((a, b) => (a.device.name < b.device.name ? -1 : 1))) {
    if (!device.interrupt) continue;
    while (used.has(next)) next++;
    if (next >= IRQ_SOURCE_ID_LIMIT) {
      throw new DevgenError([
        {
          location: locate(["interrupt"]),
          message: `${device.name} would need interrupt source id ${next}, but KVM tracks only ${IRQ_SOURCE_ID_LIMIT} sources per line`,
          hint: "patch fewer interrupting devices into this tree",
        },
      ]);
    }
    ids.set(device.name, next++);
  }
  return ids;
}
