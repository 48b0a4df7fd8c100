/**
 * Numbers upstream KVM already uses, so a device's private ones cannot collide.
 * A built-in table: ioctl numbers on `KVMIO` up to 0xe3 are taken (0xe0–0xe3 by
 * `KVM_CREATE_DEVICE` and the device-attribute ioctls, below by the system, VM and vCPU
 * ioctls up to Linux 6.12), and capabilities are numbered upward from 0 (6.12 reaches the
 * 230s). The kernel tree integration checks the target tree's own `include/uapi/linux/kvm.h`.
 */
export const FIRST_FREE_IOCTL = 0xe4;
export const LAST_IOCTL = 0xff;
/**
 * Where a device's four ioctls go unless it says: the top of the range. Upstream takes the
 * free numbers from the bottom (0xe4 next), so devices counted down from here collide with
 * a newer kernel last; the tree check catches it when they do.
 */
export const DEFAULT_IOCTL = LAST_IOCTL - 3;
export const FIRST_PRIVATE_CAPABILITY = 1000;
/**
 * `KVM_CREATE_DEVICE` types: upstream numbers them from 1 (17 in Linux 7.3). KVM sizes its
 * table of device types by the highest, so private ones start well above upstream's and
 * stop where the table would grow past 256 pointers.
 */
export const FIRST_PRIVATE_DEVICE_TYPE = 128;
export const LAST_DEVICE_TYPE = 255;

/** The four ioctls a device gets, in the order their numbers follow `ioctl.number`. */
export const IOCTL_ROLES = ["create", "configure", "getState", "setState"] as const;
