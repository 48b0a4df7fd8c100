/**
 * PCI IDs a device must not take. QEMU's own devices answer to IDs that Red Hat donated to
 * QEMU (docs/specs/pci-ids.rst) or that QEMU has always used; a generated device with one
 * of them is a second driver's match for the guest. For experiments QEMU keeps
 * 1af4:10f0..10ff, free "without registration" until the code leaves the lab.
 */

export const RED_HAT_QUMRANET = 0x1af4;
export const RED_HAT = 0x1b36;

/** 1af4:10f0..10ff: QEMU's IDs "available for experimental usage without registration". */
export const EXPERIMENTAL_IDS = { vendorId: RED_HAT_QUMRANET, first: 0x10f0, last: 0x10ff } as const;

interface TakenRange {
  vendorId: number;
  first: number;
  last: number;
  /** What uses it, as pci-ids.rst or QEMU's headers name it. */
  owner: string;
}

/** QEMU's assignments (docs/specs/pci-ids.rst, include/hw/pci/pci_ids.h as of QEMU 10.2). */
const TAKEN: readonly TakenRange[] = [
  { vendorId: RED_HAT_QUMRANET, first: 0x1000, last: 0x103f, owner: "legacy virtio devices" },
  { vendorId: RED_HAT_QUMRANET, first: 0x1040, last: 0x10ef, owner: "modern virtio devices" },
  { vendorId: RED_HAT_QUMRANET, first: 0x1100, last: 0x1100, owner: "the subsystem ID of QEMU's emulated hardware" },
  { vendorId: RED_HAT_QUMRANET, first: 0x1110, last: 0x1110, owner: "ivshmem" },
  { vendorId: RED_HAT, first: 0x0001, last: 0x00ff, owner: "QEMU's own PCI devices (bridges, pci-serial, pci-testdev, xhci, nvme, pvpanic...)" },
  { vendorId: RED_HAT, first: 0x0100, last: 0x0100, owner: "QEMU's QXL display device (PCI_DEVICE_ID_REDHAT_QXL)" },
  { vendorId: 0x1234, first: 0x1111, last: 0x1111, owner: "QEMU's standard VGA (bochs-display, VGA)" },
  { vendorId: 0x1234, first: 0x11e8, last: 0x11e8, owner: "QEMU's edu device" },
];

/** Who already answers to vendor:device, or null. */
export function takenBy(vendorId: number, deviceId: number): string | null {
  const range = TAKEN.find((r) => r.vendorId === vendorId && deviceId >= r.first && deviceId <= r.last);
  return range?.owner ?? null;
}

export function formatPciId(vendorId: number, deviceId: number): string {
  const hex4 = (n: number) => n.toString(16).padStart(4, "0");
  return `${hex4(vendorId)}:${hex4(deviceId)}`;
}

/** "1af4:10f0..10ff" */
export function experimentalRange(): string {
  return `${formatPciId(EXPERIMENTAL_IDS.vendorId, EXPERIMENTAL_IDS.first)}..${EXPERIMENTAL_IDS.last.toString(16)}`;
}
