/** The device's KVM ABI: its ioctl and capability names and numbers, checked against upstream's. */
import type { DeviceSpec } from "../dsl/types.js";
import type { Device } from "../ir/types.js";
import type { SpecPath } from "../util/diagnostics.js";
import { FIRST_FREE_IOCTL, FIRST_PRIVATE_CAPABILITY, LAST_IOCTL } from "./kvm-numbers.js";
import { UPPER_IDENTIFIER, type Lowering } from "./lowering.js";
import { hex } from "./message-words.js";

export function lowerKvm(l: Lowering, spec: DeviceSpec, prefix: string, space: "io" | "mmio"): Device["kvm"] {
  const kvmSpec = spec.kvm ?? ({} as DeviceSpec["kvm"]);
  const ioctl = kvmSpec.ioctl ?? ({} as DeviceSpec["kvm"]["ioctl"]);
  const capability = kvmSpec.capability ?? ({} as DeviceSpec["kvm"]["capability"]);
  const kvmName = (value: unknown, path: SpecPath, fallback: string): string => {
    if (value === undefined) return fallback;
    const name = l.identifier(value, path, "KVM name", UPPER_IDENTIFIER, `"${fallback}"`);
    if (UPPER_IDENTIFIER.test(name) && !/^KVM_[A-Z0-9_]+$/.test(name)) {
      l.report.error(path, `KVM name "${name}" must start with KVM_`, `write it like "${fallback}"`);
    }
    return name;
  };

  let number = FIRST_FREE_IOCTL;
  const ioctlHint = `use a number from ${hex(FIRST_FREE_IOCTL)} to ${hex(LAST_IOCTL - 3)}`;
  const n = l.integer(ioctl.number, ["kvm", "ioctl", "number"], "KVM ioctl number", 0n, BigInt(LAST_IOCTL), ioctlHint);
  if (n !== null) {
    if (n < FIRST_FREE_IOCTL) {
      l.report.error(["kvm", "ioctl", "number"], `KVM ioctl number ${hex(n)} collides with upstream KVM (0x00..${hex(FIRST_FREE_IOCTL - 1)} are taken)`, `use a number from ${hex(FIRST_FREE_IOCTL)} to ${hex(LAST_IOCTL - 3)}`);
    } else if (n > LAST_IOCTL - 3) {
      l.report.error(["kvm", "ioctl", "number"], `KVM ioctl number ${hex(n)} leaves no room for the device's four ioctls`, `use a number from ${hex(FIRST_FREE_IOCTL)} to ${hex(LAST_IOCTL - 3)}`);
    } else {
      number = Number(n);
    }
  }
  const cap = l.integer(capability.number, ["kvm", "capability", "number"], "KVM capability number", 0n, 0x7fffffffn);
  if (cap !== null && cap < FIRST_PRIVATE_CAPABILITY) {
    l.report.error(["kvm", "capability", "number"], `KVM capability ${cap} collides with upstream KVM's numbering`, `use a private number of ${FIRST_PRIVATE_CAPABILITY} or more`);
  }
  return {
    bus: space === "io" ? "pio" : "mmio",
    create: { name: kvmName(ioctl.name, ["kvm", "ioctl", "name"], `KVM_CREATE_${prefix}`), number },
    configure: { name: `KVM_CONFIGURE_${prefix}`, number: number + 1 },
    getState: { name: `KVM_GET_${prefix}_STATE`, number: number + 2 },
    setState: { name: `KVM_SET_${prefix}_STATE`, number: number + 3 },
    capability: {
      name: kvmName(capability.name, ["kvm", "capability", "name"], `KVM_CAP_${prefix}`),
      number: cap === null ? FIRST_PRIVATE_CAPABILITY : Number(cap),
    },
  };
}
