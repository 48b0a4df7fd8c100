/**
 * The device's userspace ABI (capability, ioctls, argument structs), inserted into the
 * kernel's `include/uapi/linux/kvm.h` and QEMU's `linux-headers/linux/kvm.h` alike.
 *
 * It depends only on the device's name, bus, numbers and whether it has an interrupt,
 * never on its registers, so a
 * register change does not touch a header that all of KVM includes (DESIGN.md: that
 * would turn a 3 s rebuild into a full one).
 */
import type { Device } from "../ir/types.js";
import { cHex } from "./c.js";
import { render } from "./render.js";

export function uapiView(device: Device) {
  const numbered = (n: { name: string; number: number }) => ({ ...n, hex: cHex(n.number) });
  return {
    name: device.name,
    prefix: device.prefix,
    source: device.source,
    busSpace: device.kvm.bus === "pio" ? "port" : "guest physical address",
    gsi: device.interrupt ? `line to drive; KVM_${device.prefix}_NO_GSI: none (INTx not routed)` : "0: the device has no interrupt",
    capability: device.kvm.capability,
    create: numbered(device.kvm.create),
    configure: numbered(device.kvm.configure),
    getState: numbered(device.kvm.getState),
    setState: numbered(device.kvm.setState),
  };
}

/** The block of C declarations, without markers: the tree patchers wrap it in theirs. */
export function uapiBlock(device: Device): string {
  return render("partials/uapi.hbs", uapiView(device));
}
