/**
 * The device's userspace ABI (capability and ioctls, or device attribute groups; the
 * argument structs), inserted into the
 * kernel's `include/uapi/linux/kvm.h` and QEMU's `linux-headers/linux/kvm.h` alike.
 *
 * It depends only on the device's name, bus, numbers and whether it has an interrupt,
 * never on its registers, so a
 * register change does not touch a header that all of KVM includes (DESIGN.md: that
 * would turn a 3 s rebuild into a full one).
 */
import type { Device, KvmNumbered } from "../ir/types.js";
import { cHex } from "./c.js";
import { render } from "./render.js";

export function uapiView(device: Device) {
  const numbered = (n: KvmNumbered) => ({ ...n, hex: cHex(n.number) });
  const { api } = device.kvm;
  return {
    name: device.name,
    prefix: device.prefix,
    source: device.source,
    busSpace: device.kvm.bus === "pio" ? "port" : "guest physical address",
    gsi: device.interrupt ? `line to drive; KVM_${device.prefix}_NO_GSI: none (INTx not routed)` : "0: the device has no interrupt",
    ioctl:
      api.kind === "ioctl"
        ? {
            capability: api.capability,
            create: numbered(api.create),
            configure: numbered(api.configure),
            getState: numbered(api.getState),
            setState: numbered(api.setState),
          }
        : null,
    device: api.kind === "device" ? api : null,
  };
}

/**
 * The device type's lines in `enum kvm_device_type`, numbered explicitly: QEMU's copy of
 * the enum may end earlier than the kernel's, and the two must agree on the value.
 */
export function deviceTypeLines(type: KvmNumbered): string {
  return `\t${type.name} = ${type.number},\n#define ${type.name}${"\t".repeat(Math.max(1, Math.ceil((32 - 8 - type.name.length) / 8)))}${type.name}`;
}

/** The block of C declarations, without markers: the tree patchers wrap it in theirs. */
export function uapiBlock(device: Device): string {
  return render("partials/uapi.hbs", uapiView(device));
}
