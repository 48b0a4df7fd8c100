/**
 * kvm/: the in-kernel glue around the core, in the pattern of `arch/x86/kvm/i8254.c`.
 *
 * `<name>.c` holds the device struct, the kvm_io_device handlers and the four VM ioctls;
 * `<name>.h` only the two entry points x86.c calls. That header depends on the device's
 * name alone, never on its registers: the tree patch inserts the calls once, and a
 * register change recompiles `<name>.o` (~3 s), not x86.o (~17 s measured on 6.1). `<name>_uapi.h` is the block
 * the tree patch adds to `include/uapi/linux/kvm.h`, and `Makefile.snippet` the line it
 * adds to `arch/x86/kvm/Makefile`.
 */
import type { Device } from "../../ir/types.js";
import { banner } from "../core/index.js";
import { render } from "../render.js";
import { cComment, wrapSignatures } from "../c.js";
import type { Generator } from "../types.js";
import type { KernelTarget } from "./target.js";
import { uapiBlock } from "../uapi.js";

export const generateKvm: Generator = ({ device, hooks, targets }) => {
  const view = kvmView(device, targets.kernel);
  return [
    { path: `kvm/${device.name}.h`, contents: wrapSignatures(render("kvm/device.h.hbs", view), 100) },
    { path: `kvm/${device.name}.c`, contents: wrapSignatures(render("kvm/device.c.hbs", view), 100) },
    { path: `kvm/${device.name}_uapi.h`, contents: uapiBlock(device) },
    // The kernel's copy of core/<name>_types.h, which core.h includes wherever it is built.
    { path: `kvm/${device.name}_types.h`, contents: render("kvm/types.h.hbs", { banner: banner(device, "register core"), guard: `${device.prefix}_TYPES_H` }) },
    {
      path: "kvm/Makefile.snippet",
      contents: render("kvm/Makefile.snippet.hbs", {
        variable: targets.kernel.objectsVar,
        // kvm-y's own lines align `+=` with tabs; the conditional ones use a space.
        separator: targets.kernel.objectsVar === "kvm-y" ? "\t\t\t" : " ",
        objects: makefileList(kvmObjects(device, hooks !== null)),
      }),
    },
  ];
};

/**
 * The objects on one line, or, past the 100 columns long names reach, continued with a
 * backslash under the first as kvm-y's own list is (`\t\t\t   `).
 */
function makefileList(objects: readonly string[]): string {
  const lines: string[] = [];
  for (const object of objects) {
    const last = lines.length - 1;
    // "kvm-$(CONFIG_KVM_IOAPIC) += " and "kvm-y\t\t\t+= " both end at column 27 or so: 70 more fit.
    if (last >= 0 && lines[last]!.length + 1 + object.length <= 70) lines[last] += ` ${object}`;
    else lines.push(object);
  }
  return lines.join(" \\\n\t\t\t   ");
}

/** The objects the device adds to kvm.ko, in link order. */
export function kvmObjects(device: Device, hasHooks: boolean): string[] {
  const objects = [`${device.name}.o`, `${device.name}_core.o`];
  if (hasHooks) objects.push(`${device.name}_hooks.o`);
  return objects;
}

/** Where the BAR decodes, as the kernel names it. */
const BUSES = {
  pio: { bus: "KVM_PIO_BUS", end: "0x10000", space: "64 KiB port space" },
  mmio: { bus: "KVM_MMIO_BUS", end: "BIT_ULL(52)", space: "52-bit guest physical space" },
} as const;


/** Names the template already uses for other locals and parameters. */
const LOCALS = new Set([
  "addr", "argp", "config", "data", "gsi", "handled", "ioctl", "kvm", "len", "level",
  "mapped", "r", "regs", "state", "this", "ustate", "val", "vcpu",
]);

/** What differs between the two KVM APIs: the entry points x86.c calls, and the partial with them. */
function apiView(device: Device) {
  const { api } = device.kvm;
  if (api.kind === "device") {
    return {
      apiPartial: "kvm-device-ops",
      configureOperation: `KVM_SET_DEVICE_ATTR(${api.configGroup.name})`,
      entryPoints: [`void kvm_${device.name}_register_ops(void)`],
      type: api.type.name,
      configGroup: api.configGroup.name,
      stateGroup: api.stateGroup.name,
    };
  }
  return {
    apiPartial: "kvm-vm-ioctls",
    configureOperation: api.configure.name,
    entryPoints: [
      `int kvm_${device.name}_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp)`,
      `void kvm_${device.name}_destroy(struct kvm *kvm)`,
    ],
    ioctlComment: cComment(
      `${api.create.name}, ${api.configure.name}, ${api.getState.name} and ${api.setState.name}, called from kvm_arch_vm_ioctl(). ` +
        "User memory is copied in before any lock is taken and out after the last is dropped. " +
        (device.interrupt
          ? "Lock order: kvm->lock (create only, as for KVM_CREATE_PIT2), then kvm->slots_lock; config_lock (configure), then kvm->slots_lock, dropped before the device's lock is taken. The device's lock is never held with kvm->lock or slots_lock, so kvm_set_irq() runs under none of KVM's locks."
          : "Lock order: kvm->lock (create only, as for KVM_CREATE_PIT2), then kvm->slots_lock; the device's lock is taken alone."),
    ),
    create: api.create.name,
    configure: api.configure.name,
    getState: api.getState.name,
    setState: api.setState.name,
  };
}

/** The name of the fixed interrupt source id devgen defines for a device in kvm_host.h (7.x). */
export function irqSourceIdMacro(device: Device): string {
  return `KVM_${device.prefix}_IRQ_SOURCE_ID`;
}

export function kvmView(device: Device, target: KernelTarget) {
  const bus = BUSES[device.kvm.bus];
  const v = device.name.length <= 8 && !LOCALS.has(device.name) ? device.name : "dev";
  const api = apiView(device);
  return {
    name: device.name,
    prefix: device.prefix,
    guard: `ARCH_X86_KVM_${device.prefix}_H`,
    headerBanner: banner(device, "entry points of the in-kernel device"),
    banner: banner(device, "in-kernel device, registered on a KVM I/O bus"),
    /** The device pointer, named after the device as i8254.c names its `pit` when short. */
    var: v,
    bus: bus.bus,
    busEnd: bus.end,
    busSpace: bus.space,
    unmapped: `KVM_${device.prefix}_UNMAPPED`,
    noGsi: `KVM_${device.prefix}_NO_GSI`,
    ...api,
    configLockComment: cComment(
      `Serialises ${api.configureOperation}, so that a move and its GSI change apply together. Taken before kvm->slots_lock and before lock.`,
      "\t",
    ),
    fullIrqchip: target.fullIrqchip,
    alloc: target.zeroAlloc === "kzalloc_obj" ? `kzalloc_obj(*${v}, GFP_KERNEL_ACCOUNT)` : `kzalloc(sizeof(*${v}), GFP_KERNEL_ACCOUNT)`,
    /** Present when the device drives an interrupt line. */
    irq: device.interrupt
      ? target.irqSourceIds.kind === "requested"
        ? { requestsSourceId: true, sourceId: `${v}->irq_source_id` }
        : { requestsSourceId: false, sourceId: irqSourceIdMacro(device) }
      : null,
  };
}
