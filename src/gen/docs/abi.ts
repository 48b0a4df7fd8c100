/**
 * The KVM userspace ABI in words: the capability and four VM ioctls with their numbers, or
 * the device type and its attribute groups; the structs' fields and every error, for the
 * "KVM interface" section of the docs.
 *
 * The declarations themselves come from `uapiBlock()` (the block both kernel and QEMU
 * headers get); this file restates what the kvm/ glue does with them.
 */
import { arrayElements, declaredRegisters } from "../../ir/arrays.js";
import { indexName } from "../../ir/names.js";
import type { Device, KvmDeviceApi, KvmIoctlApi } from "../../ir/types.js";
import { LazyViews } from "../render.js";
import { uapiBlock } from "../uapi.js";
import { cell, code, hexPad } from "./markdown.js";

/** `KVMIO` in `include/uapi/linux/kvm.h`. */
const KVMIO = 0xae;
/** `sizeof(struct kvm_<name>_config)` and `sizeof(struct kvm_<name>_state)` in partials/uapi.hbs. */
export const STRUCT_BYTES = { config: 32, state: 32 } as const;

/** `_IOC_WRITE` and `_IOC_READ` from `include/uapi/asm-generic/ioctl.h`, as x86 uses them. */
const DIRECTIONS = {
  w: { macro: "_IOW", bits: 1, words: "userspace → kernel" },
  wr: { macro: "_IOWR", bits: 3, words: "both ways: the kernel writes `nr_regs` back" },
} as const;

/** Where the BAR may sit: the end of the bus the kvm/ glue checks `base + size` against. */
const BUS_END = {
  pio: { end: "0x10000", words: "port I/O space" },
  mmio: { end: "2^52", words: "52-bit guest physical address space" },
} as const;

function ioctlNumber(direction: keyof typeof DIRECTIONS, nr: number, size: number): string {
  const value = ((DIRECTIONS[direction].bits << 30) | (size << 16) | (KVMIO << 8) | nr) >>> 0;
  return hexPad(value, 8);
}

interface ErrorRow {
  error: string;
  when: string;
}

const errors = (rows: ErrorRow[]) => rows.map((r) => ({ error: code(r.error), when: cell(r.when) }));

export function abiView(device: Device) {
  const { kvm, prefix, name } = device;
  const config = `struct kvm_${name}_config`;
  const state = `struct kvm_${name}_state`;
  const unmapped = `KVM_${prefix}_UNMAPPED`;
  const size = hexPad(device.bar.size, 1);
  const bus = BUS_END[kvm.bus];
  const irq = device.interrupt !== null;
  const operations = kvm.api.kind === "ioctl" ? ioctlOperations(kvm.api) : deviceOperations(kvm.api);

  const configErrors: ErrorRow[] = [
    { error: "-EINVAL", when: `\`flags\` has a bit other than \`${unmapped}\`, or \`pad\` is not all zero` },
    { error: "-EINVAL", when: `\`base\` is not a multiple of the BAR size (${size}), or not 0 with \`${unmapped}\`` },
    {
      error: "-EINVAL",
      when: `the BAR does not fit in the ${bus.words}: \`base + ${size}\` is beyond ${bus.end} (checked unless \`${unmapped}\`)`,
    },
    irq
      ? { error: "-EINVAL", when: `\`gsi\` is neither below \`KVM_MAX_IRQ_ROUTES\` nor \`KVM_${prefix}_NO_GSI\`` }
      : { error: "-EINVAL", when: `\`gsi\` is not 0: ${name} has no interrupt` },
  ];
  const noSlot = (what: string) => [
    { error: "-ENOSPC", when: `the ${kvm.bus === "pio" ? "port I/O" : "MMIO"} bus already holds as many devices as it can${what}` },
    { error: "-ENOMEM", when: `out of memory${what}` },
  ];
  const stateErrors = (nrCheck: ErrorRow, more: ErrorRow[]): ErrorRow[] => [
    ...operations.absent,
    { error: "-EINVAL", when: "`flags` or `pad` is not zero" },
    nrCheck,
    ...more,
    { error: "-EFAULT", when: "the struct or the array at `regs` cannot be accessed" },
  ];
  const noIrqchip = irq
    ? [{ error: "-ENOENT", when: "the VM's PIC and I/O APIC are not both in the kernel (no `KVM_CREATE_IRQCHIP`, or a split irqchip): the device drives an interrupt" }]
    : [];

  // Arrays collapse to one row: their elements are consecutive in the state array.
  const firsts = declaredRegisters(device);
  const order = new LazyViews(firsts, (r) => {
    const elements = arrayElements(device, r);
    const last = elements[elements.length - 1]!;
    return {
      index: elements.length > 1 ? `${r.index}–${last.index}` : String(r.index),
      register: elements.length > 1 ? `${r.name}..${last.name}` : r.name,
      name: code(elements.length > 1 ? `${indexName(device, r)}..${indexName(device, last)}` : indexName(device, r)),
    };
  });

  return {
    uapi: uapiBlock(device).trimEnd(),
    ioctl:
      kvm.api.kind === "ioctl"
        ? {
            capability: { name: code(kvm.api.capability.name), number: kvm.api.capability.number },
            ioctls: [
              ioctlRow(name, kvm.api.create, "w", "config", "create the device and map its BAR"),
              ioctlRow(name, kvm.api.configure, "w", "config", "move or unmap the BAR, change the GSI"),
              ioctlRow(name, kvm.api.getState, "wr", "state", "read the registers (migration)"),
              ioctlRow(name, kvm.api.setState, "wr", "state", "write the registers (migration); the kernel writes back its register count"),
            ],
          }
        : null,
    device:
      kvm.api.kind === "device"
        ? {
            type: { name: code(kvm.api.type.name), number: kvm.api.type.number },
            groups: [
              { name: code(kvm.api.configGroup.name), number: kvm.api.configGroup.number, struct: code(config), set: "move or unmap the BAR, change the GSI", get: "not offered (`-ENXIO`): the VMM knows where it put the BAR" },
              { name: code(kvm.api.stateGroup.name), number: kvm.api.stateGroup.number, struct: code(state), set: "write the registers (migration)", get: "read the registers (migration)" },
            ],
          }
        : null,
    create: operations.create,
    configure: operations.configure,
    getState: operations.getState,
    setState: operations.setState,
    config: code(config),
    state: code(state),
    unmapped: code(unmapped),
    stateLayout: code(`${prefix}_STATE_LAYOUT`),
    size,
    nrRegs: device.stateSize,
    nrRegsName: code(`${prefix}_NR_STATE`),
    irq,
    busWords: kvm.bus === "pio" ? "port I/O bus (`KVM_PIO_BUS`)" : "MMIO bus (`KVM_MMIO_BUS`)",
    baseWords: kvm.bus === "pio" ? "first port" : "guest physical address",
    gsiWords: irq
      ? `the GSI the interrupt drives through the in-kernel irqchip (routed by the VMM like the PCI INTx line), or \`KVM_${prefix}_NO_GSI\` while INTx is not routed`
      : `0: ${name} has no interrupt`,
    createErrors: errors(
      kvm.api.kind === "ioctl"
        ? [
            { error: "-EEXIST", when: `\`${kvm.api.create.name}\` already succeeded on this VM: a VM has one ${name} at most` },
            ...noIrqchip,
            ...configErrors,
            { error: "-EFAULT", when: "the argument cannot be read" },
            ...noSlot(""),
          ]
        : [
            { error: "-ENODEV", when: `the kernel has no ${name}: \`KVM_CREATE_DEVICE_TEST\` tells without creating one` },
            ...noIrqchip,
            { error: "-ENOMEM", when: "out of memory" },
          ],
    ),
    configureErrors: errors([
      ...operations.absent,
      ...configErrors,
      { error: "-EFAULT", when: "the argument cannot be read" },
      ...noSlot(`: the device is left unmapped${irq ? ", its GSI unchanged" : ""} (see above)`),
    ]),
    getErrors: errors(
      stateErrors(
        { error: "-E2BIG", when: `\`nr_regs\` is smaller than ${device.stateSize}; \`nr_regs\` is set to ${device.stateSize}: allocate that many and retry` },
        [],
      ),
    ),
    setErrors: errors(
      stateErrors({ error: "-EINVAL", when: `\`nr_regs\` is not ${device.stateSize}; \`nr_regs\` is set to ${device.stateSize}` }, [
        { error: "-EINVAL", when: `\`layout\` is not \`${prefix}_STATE_LAYOUT\`: the state comes from a build whose registers differ` },
        { error: "-EINVAL", when: "a value has bits its register cannot hold (beyond its width, or a constant bit off its reset value)" },
      ]),
    ),
    order,
  };
}

function ioctlRow(name: string, n: { name: string; number: number }, direction: keyof typeof DIRECTIONS, struct: "config" | "state", purpose: string) {
  return {
    name: code(n.name),
    definition: code(`${DIRECTIONS[direction].macro}(KVMIO, ${hexPad(n.number, 2)}, struct kvm_${name}_${struct})`),
    value: code(ioctlNumber(direction, n.number, STRUCT_BYTES[struct])),
    direction: cell(DIRECTIONS[direction].words),
    purpose: cell(purpose),
  };
}

/** The four operations as the VM-ioctl API spells them. */
function ioctlOperations(api: KvmIoctlApi) {
  return {
    create: code(api.create.name),
    configure: code(api.configure.name),
    getState: code(api.getState.name),
    setState: code(api.setState.name),
    absent: [{ error: "-ENXIO", when: `\`${api.create.name}\` has not succeeded on this VM` }],
  };
}

/** The four operations as the device API spells them: the device fd always has a device. */
function deviceOperations(api: KvmDeviceApi) {
  const attr = (ioctl: string, group: string) => `${code(ioctl)}(${code(group)})`;
  return {
    create: `${code("KVM_CREATE_DEVICE")}(${code(api.type.name)})`,
    configure: attr("KVM_SET_DEVICE_ATTR", api.configGroup.name),
    getState: attr("KVM_GET_DEVICE_ATTR", api.stateGroup.name),
    setState: attr("KVM_SET_DEVICE_ATTR", api.stateGroup.name),
    absent: [{ error: "-ENXIO", when: "the group is none of the two, or the attribute is not 0" }],
  };
}
