/**
 * Rules between the devices of one run. Each device is written to <out>/<name>/ and all of
 * them are patched into the same kernel and QEMU trees, so two devices must not share a
 * name, a PCI ID, an ioctl number (each takes four, see IOCTL_ROLES), a capability number
 * or a device type.
 */
import { hex } from "./message-words.js";
import type { Device, KvmIoctlApi } from "../ir/types.js";
import { formatLocation, type Diagnostic } from "../util/diagnostics.js";
import type { CompiledDevice } from "./index.js";
import { EXPERIMENTAL_IDS, formatPciId } from "./pci-ids.js";
import { FIRST_FREE_IOCTL, FIRST_PRIVATE_CAPABILITY, FIRST_PRIVATE_DEVICE_TYPE, IOCTL_ROLES, LAST_IOCTL } from "./kvm-numbers.js";

const IOCTLS_PER_DEVICE = IOCTL_ROLES.length;

/** Each clash is reported once, at the later device, naming where the first earlier one wrote its value. */
export function checkDeviceSet(devices: readonly CompiledDevice[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  devices.forEach((later, i) => {
    const earlier = devices.slice(0, i);
    const clash = (same: (other: Device) => boolean, path: string[], message: (other: CompiledDevice, at: string) => string, hint: string): void => {
      const other = earlier.find((c) => same(c.device));
      if (other) diagnostics.push({ location: later.locate(path), message: message(other, formatLocation(other.locate(path))), hint });
    };
    const { name, kvm } = later.device;
    clash((d) => d.name === name, ["name"], (_, at) => `device name "${name}" is already used by ${at}`, `each device is written to <out>/${name}/; rename one`);
    const { api } = kvm;
    // In this order: the ioctl numbers, the PCI ID, then the capability or device type.
    if (api.kind === "ioctl") {
      clash(
        (d) => d.kvm.api.kind === "ioctl" && Math.abs(d.kvm.api.create.number - api.create.number) < IOCTLS_PER_DEVICE,
        ["kvm", "ioctl", "number"],
        (other, at) => `KVM ioctl numbers ${ioctlRange(api)} overlap ${ioctlRange(other.device.kvm.api as KvmIoctlApi)} of device ${other.device.name} at ${at}`,
        freeIoctlHint(devices),
      );
    }
    const { vendorId, deviceId } = later.device.pci;
    clash(
      (d) => d.pci.vendorId === vendorId && d.pci.deviceId === deviceId,
      ["pci", "deviceId"],
      (other, at) => `PCI ID ${formatPciId(vendorId, deviceId)} is already used by device ${other.device.name} at ${at}`,
      `a guest driver could not tell them apart; use e.g. ${freePciId(devices)}`,
    );
    if (api.kind === "ioctl") {
      clash(
        (d) => d.kvm.api.kind === "ioctl" && d.kvm.api.capability.number === api.capability.number,
        ["kvm", "capability", "number"],
        (other, at) => `KVM capability ${api.capability.number} is already used by device ${other.device.name} at ${at}`,
        `use a number no other device takes, e.g. ${freeCapability(devices)}`,
      );
    } else {
      clash(
        (d) => d.kvm.api.kind === "device" && d.kvm.api.type.number === api.type.number,
        ["kvm", "deviceType", "number"],
        (other, at) => `KVM device type ${api.type.number} is already used by device ${other.device.name} at ${at}`,
        `use a number no other device takes, e.g. ${freeDeviceType(devices)}`,
      );
    }
  });
  return diagnostics;
}

function ioctlRange(api: KvmIoctlApi): string {
  const first = api.create.number;
  return `${hex(first)}..${hex(first + IOCTLS_PER_DEVICE - 1)}`;
}

function ioctlApis(devices: readonly CompiledDevice[]): KvmIoctlApi[] {
  return devices.flatMap((c) => (c.device.kvm.api.kind === "ioctl" ? [c.device.kvm.api] : []));
}

function freeIoctlHint(devices: readonly CompiledDevice[]): string {
  const taken = ioctlApis(devices).map((api) => api.create.number);
  // From the top down, as the defaults go: away from the numbers upstream takes next.
  for (let n = LAST_IOCTL - IOCTLS_PER_DEVICE + 1; n >= FIRST_FREE_IOCTL; n--) {
    if (taken.every((t) => Math.abs(t - n) >= IOCTLS_PER_DEVICE)) return `each device takes four ioctl numbers; use e.g. ${hex(n)}`;
  }
  return `each device takes four ioctl numbers, and only ${hex(FIRST_FREE_IOCTL)}..${hex(LAST_IOCTL)} are free: generate fewer devices at once, or give some kvm.api "device"`;
}

function freeCapability(devices: readonly CompiledDevice[]): number {
  const taken = new Set(ioctlApis(devices).map((api) => api.capability.number));
  let n = FIRST_PRIVATE_CAPABILITY;
  while (taken.has(n)) n++;
  return n;
}

function freeDeviceType(devices: readonly CompiledDevice[]): number {
  const taken = new Set(devices.flatMap((c) => (c.device.kvm.api.kind === "device" ? [c.device.kvm.api.type.number] : [])));
  let n = FIRST_PRIVATE_DEVICE_TYPE;
  while (taken.has(n)) n++;
  return n;
}

/** The first experimental PCI ID no device of the set takes. */
function freePciId(devices: readonly CompiledDevice[]): string {
  const { vendorId, first, last } = EXPERIMENTAL_IDS;
  for (let id = first; id <= last; id++) {
    if (!devices.some((c) => c.device.pci.vendorId === vendorId && c.device.pci.deviceId === id)) return formatPciId(vendorId, id);
  }
  return "an ID of your own";
}
