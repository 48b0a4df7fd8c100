/**
 * The device's ABI in a copy of `linux/kvm.h`: the kernel's include/uapi/linux/kvm.h and
 * QEMU's linux-headers/linux/kvm.h get the same edits, so both sides agree on every number.
 */
import type { Device } from "../ir/types.js";
import { deviceTypeLines } from "../gen/uapi.js";
import { wholeLine } from "../util/regexp.js";
import type { Edit } from "./patch.js";

/** `block` is the device's declarations (uapiBlock); a device-API device also gets its type in the enum. */
export function kvmHeaderEdits(device: Device, file: string, block: string): Edit[] {
  const declarations: Edit = {
    kind: "insert",
    file,
    anchor: wholeLine("#endif /* __LINUX_KVM_H */"),
    anchorLabel: "#endif /* __LINUX_KVM_H */",
    where: "before",
    // A blank line closes each device's block, as between the header's own sections: the
    // next device's block may follow it directly, and checkpatch wants one after a struct.
    text: block.replace(/\n*$/, "\n\n"),
    comment: "c",
  };
  if (device.kvm.api.kind !== "device") return [declarations];
  return [
    {
      kind: "insert",
      file,
      anchor: wholeLine("\tKVM_DEV_TYPE_MAX,"),
      anchorLabel: "KVM_DEV_TYPE_MAX, (enum kvm_device_type)",
      where: "before",
      text: deviceTypeLines(device.kvm.api.type),
      comment: "c",
      indent: "\t",
      // KVM sizes its table of device types by KVM_DEV_TYPE_MAX, one past the enumerator
      // before it: the devices' types must come in increasing order, whatever their names.
      orderBy: /^\tKVM_DEV_TYPE_\w+ = (\d+),$/,
    },
    declarations,
  ];
}
