/**
 * Rules between the devices of one run. Each device is written to <out>/<name>/ and all of
 * them are patched into the same kernel and QEMU trees, so two devices must not share a
 * name, a PCI ID, an ioctl number (each takes four, see IOCTL_ROLES) or a capability number.
 */
import { hex } from "./message-words.js";
import type { Device } from "../ir/types.js";
import { formatLocation, type Diagnostic } from "../util/diagnostics.js";
import type { CompiledDevice } from "./index.js";
import { EXPERIMENTAL_IDS, formatPciId } from "./pci-ids.js";
import { FIRST_FREE_IOCTL, FIRST_PRIVATE_CAPABILITY, IOCTL_ROLES, LAST_IOCTL } from "./kvm-numbers.js";

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
    clash(
      (d) => Math.abs(d.kvm.create.number - kvm.create.number) < IOCTLS_PER_DEVICE,
      ["kvm", "ioctl", "number"],
      (other, at) => `KVM ioctl numbers ${ioctlRange(later.device)} overlap ${ioctlRange(other.device)} of device ${other.device.name} at ${at}`,
      freeIoctlHint(devices),
    );
    const { vendorId, deviceId } = later.device.pci;
    clash(
      (d) => d.pci.vendorId === vendorId && d.pci.deviceId === deviceId,
      ["pci", "deviceId"],
      (other, at) => `PCI ID ${formatPciId(vendorId, deviceId)} is already used by device ${other.device.name} at ${at}`,
      `a guest driver could not tell them apart; use e.g. ${freePciId(devices)}`,
    );
    clash(
      (d) => d.kvm.capability.number === kvm.capability.number,
      ["kvm", "capability", "number"],
      (other, at) => `KVM capability ${kvm.capability.number} is already used by device ${other.device.name} at ${at}`,
      `use a number no other device takes, e.g. ${freeCapability(devices)}`,
    );
  });
  return diagnostics;
}

function ioctlRange(device: Device): string {
  const first = device.kvm.create.number;
  return `${hex(first)}..${hex(first + IOCTLS_PER_DEVICE - 1)}`;
}

function freeIoctlHint(devices: readonly CompiledDevice[]): string {
  const taken = devices.map((c) => c.device.kvm.create.number);
  for (let n = FIRST_FREE_IOCTL; n <= LAST_IOCTL - IOCTLS_PER_DEVICE + 1; n++) {
    if (taken.every((t) => Math.abs(t - n) >= IOCTLS_PER_DEVICE)) return `each device takes four ioctl numbers; use e.g. ${hex(n)}`;
  }
  return `each device takes four ioctl numbers, and only ${hex(FIRST_FREE_IOCTL)}..${hex(LAST_IOCTL)} are free: generate fewer devices at once`;
}

function freeCapability(devices: readonly CompiledDevice[]): number {
  const taken = new Set(devices.map((c) => c.device.kvm.capability.number));
  let n = FIRST_PRIVATE_CAPABILITY;
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
