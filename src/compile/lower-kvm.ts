/**
 * The device's KVM ABI: which API it has, and that API's names and numbers, checked against
 * upstream's.
 */
import type { DeviceSpec } from "../dsl/types.js";
import type { Device, KvmDeviceApi, KvmIoctlApi } from "../ir/types.js";
import type { SpecPath } from "../util/diagnostics.js";
import { DEFAULT_IOCTL, FIRST_FREE_IOCTL, FIRST_PRIVATE_CAPABILITY, FIRST_PRIVATE_DEVICE_TYPE, LAST_DEVICE_TYPE, LAST_IOCTL } from "./kvm-numbers.js";
import { UPPER_IDENTIFIER, type Lowering } from "./lowering.js";
import { hex } from "./message-words.js";

/** The file's default first. */
export const KVM_APIS = ["ioctl", "device"] as const;
const API_KEYS = { ioctl: ["ioctl", "capability"], device: ["deviceType"] } as const;

export function lowerKvm(l: Lowering, spec: DeviceSpec, prefix: string, space: "io" | "mmio"): Device["kvm"] {
  const kvmSpec = spec.kvm ?? ({} as DeviceSpec["kvm"]);
  const kind = l.choice(kvmSpec.api, ["kvm", "api"], "kvm.api", KVM_APIS, "ioctl");
  const other = kind === "ioctl" ? "device" : "ioctl";
  for (const key of API_KEYS[other]) {
    if (kvmSpec[key] !== undefined) {
      l.report.error(["kvm", key], `kvm.${key} belongs to api "${other}", and this device has api "${kind}"`, `remove kvm.${key}, or set kvm.api to "${other}"`);
    }
  }
  const kvmName = (value: unknown, path: SpecPath, fallback: string): string => {
    if (value === undefined) return fallback;
    const name = l.identifier(value, path, "KVM name", UPPER_IDENTIFIER, `"${fallback}"`);
    if (UPPER_IDENTIFIER.test(name) && !/^KVM_[A-Z0-9_]+$/.test(name)) {
      l.report.error(path, `KVM name "${name}" must start with KVM_`, `write it like "${fallback}"`);
    }
    return name;
  };
  return {
    bus: space === "io" ? "pio" : "mmio",
    api: kind === "ioctl" ? ioctlApi(l, kvmSpec, prefix, kvmName) : deviceApi(l, kvmSpec, prefix, kvmName),
  };
}

type KvmName = (value: unknown, path: SpecPath, fallback: string) => string;

function ioctlApi(l: Lowering, kvmSpec: DeviceSpec["kvm"], prefix: string, kvmName: KvmName): KvmIoctlApi {
  const ioctl = kvmSpec.ioctl ?? ({} as NonNullable<DeviceSpec["kvm"]["ioctl"]>);
  const capability = kvmSpec.capability ?? ({} as NonNullable<DeviceSpec["kvm"]["capability"]>);
  let number = DEFAULT_IOCTL;
  const ioctlHint = `use a number from ${hex(FIRST_FREE_IOCTL)} to ${hex(LAST_IOCTL - 3)}`;
  const n = l.integer(ioctl.number, ["kvm", "ioctl", "number"], "KVM ioctl number", 0n, BigInt(LAST_IOCTL), ioctlHint);
  if (n !== null) {
    if (n < FIRST_FREE_IOCTL) {
      l.report.error(["kvm", "ioctl", "number"], `KVM ioctl number ${hex(n)} collides with upstream KVM (0x00..${hex(FIRST_FREE_IOCTL - 1)} are taken)`, ioctlHint);
    } else if (n > LAST_IOCTL - 3) {
      l.report.error(["kvm", "ioctl", "number"], `KVM ioctl number ${hex(n)} leaves no room for the device's four ioctls`, ioctlHint);
    } else {
      number = Number(n);
    }
  }
  const cap = l.integer(capability.number, ["kvm", "capability", "number"], "KVM capability number", 0n, 0x7fffffffn);
  if (cap !== null && cap < FIRST_PRIVATE_CAPABILITY) {
    l.report.error(["kvm", "capability", "number"], `KVM capability ${cap} collides with upstream KVM's numbering`, `use a private number of ${FIRST_PRIVATE_CAPABILITY} or more`);
  }
  return {
    kind: "ioctl",
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

function deviceApi(l: Lowering, kvmSpec: DeviceSpec["kvm"], prefix: string, kvmName: KvmName): KvmDeviceApi {
  const type = kvmSpec.deviceType ?? ({} as NonNullable<DeviceSpec["kvm"]["deviceType"]>);
  const hint = `use a number from ${FIRST_PRIVATE_DEVICE_TYPE} to ${LAST_DEVICE_TYPE}`;
  let number = FIRST_PRIVATE_DEVICE_TYPE;
  const n = type.number === undefined ? null : l.integer(type.number, ["kvm", "deviceType", "number"], "KVM device type", 0n, 0xffffffffn, hint);
  if (n !== null) {
    if (n < FIRST_PRIVATE_DEVICE_TYPE) {
      l.report.error(["kvm", "deviceType", "number"], `KVM device type ${n} collides with upstream KVM, which numbers its device types upward from 1`, hint);
    } else if (n > LAST_DEVICE_TYPE) {
      l.report.error(["kvm", "deviceType", "number"], `KVM device type ${n} would size KVM's table of device types to ${n + 1n} entries`, hint);
    } else {
      number = Number(n);
    }
  }
  return {
    kind: "device",
    type: { name: kvmName(type.name, ["kvm", "deviceType", "name"], `KVM_DEV_TYPE_${prefix}`), number },
    configGroup: { name: `KVM_DEV_${prefix}_GRP_CONFIG`, number: 1 },
    stateGroup: { name: `KVM_DEV_${prefix}_GRP_STATE`, number: 2 },
  };
}
