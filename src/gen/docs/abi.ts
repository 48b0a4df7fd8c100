/**
 * The KVM userspace ABI in words: capability, the four VM ioctls with their numbers, the
 * structs' fields and every error, for the "KVM interface" section of the docs.
 *
 * The declarations themselves come from `uapiBlock()` (the block both kernel and QEMU
 * headers get); this file restates what the kvm/ glue does with them.
 */
import { arrayElements, declaredRegisters } from "../../ir/arrays.js";
import { indexName } from "../../ir/names.js";
import type { Device } from "../../ir/types.js";
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
  const ioctl = (n: { name: string; number: number }, direction: keyof typeof DIRECTIONS, struct: "config" | "state", purpose: string) => ({
    name: code(n.name),
    definition: code(`${DIRECTIONS[direction].macro}(KVMIO, ${hexPad(n.number, 2)}, struct kvm_${name}_${struct})`),
    value: code(ioctlNumber(direction, n.number, STRUCT_BYTES[struct])),
    direction: cell(DIRECTIONS[direction].words),
    purpose: cell(purpose),
  });

  const configErrors: ErrorRow[] = [
    { error: "-EINVAL", when: `\`flags\` has a bit other than \`${unmapped}\`, or \`pad\` is not all zero` },
    { error: "-EINVAL", when: `\`base\` is not a multiple of the BAR size (${size}) (checked unless \`${unmapped}\`)` },
    {
      error: "-EINVAL",
      when: `the BAR does not fit in the ${bus.words}: \`base + ${size}\` is beyond ${bus.end} (checked unless \`${unmapped}\`)`,
    },
    ...(irq ? [{ error: "-EINVAL", when: `\`gsi\` is neither below \`KVM_MAX_IRQ_ROUTES\` nor \`KVM_${prefix}_NO_GSI\`` }] : []),
  ];
  const absent = { error: "-ENXIO", when: `\`${kvm.create.name}\` has not succeeded on this VM` };
  const noSlot = (what: string) => [
    { error: "-ENOSPC", when: `the ${kvm.bus === "pio" ? "port I/O" : "MMIO"} bus already holds as many devices as it can${what}` },
    { error: "-ENOMEM", when: `out of memory${what}` },
  ];
  const stateErrors = (nrCheck: ErrorRow): ErrorRow[] => [
    absent,
    { error: "-EINVAL", when: "`flags` or `pad` is not zero" },
    nrCheck,
    { error: "-EFAULT", when: "the struct or the array at `regs` cannot be accessed" },
  ];

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
    capability: { name: code(kvm.capability.name), number: kvm.capability.number },
    busWords: kvm.bus === "pio" ? "port I/O bus (`KVM_PIO_BUS`)" : "MMIO bus (`KVM_MMIO_BUS`)",
    baseWords: kvm.bus === "pio" ? "first port" : "guest physical address",
    ioctls: [
      ioctl(kvm.create, "w", "config", "create the device and map its BAR"),
      ioctl(kvm.configure, "w", "config", "move or unmap the BAR, change the GSI"),
      ioctl(kvm.getState, "wr", "state", "read the registers (migration)"),
      ioctl(kvm.setState, "wr", "state", "write the registers (migration); the kernel writes back its register count"),
    ],
    create: code(kvm.create.name),
    configure: code(kvm.configure.name),
    getState: code(kvm.getState.name),
    setState: code(kvm.setState.name),
    config: code(config),
    state: code(state),
    unmapped: code(unmapped),
    size,
    nrRegs: device.registers.length,
    nrRegsName: code(`${prefix}_NR_REGS`),
    irq,
    gsiWords: irq
      ? `the GSI the interrupt drives through the in-kernel irqchip (routed by the VMM like the PCI INTx line), or \`KVM_${prefix}_NO_GSI\` while INTx is not routed`
      : `ignored: ${name} has no interrupt`,
    createErrors: errors([
      { error: "-EEXIST", when: `\`${kvm.create.name}\` already succeeded on this VM: a VM has one ${name} at most` },
      ...(irq
        ? [{ error: "-ENOENT", when: "the VM has no in-kernel irqchip (`KVM_CREATE_IRQCHIP` or split irqchip): the device drives an interrupt" }]
        : []),
      ...configErrors,
      { error: "-EFAULT", when: `the argument cannot be read${irq ? ", or the VM has no IRQ source ID left" : ""}` },
      ...noSlot(""),
    ]),
    configureErrors: errors([
      absent,
      ...configErrors,
      { error: "-EFAULT", when: "the argument cannot be read" },
      ...noSlot(`: the device is left unmapped${irq ? ", its GSI unchanged" : ""} (see above)`),
    ]),
    getErrors: errors(
      stateErrors({ error: "-E2BIG", when: `\`nr_regs\` is smaller than ${device.registers.length}; \`nr_regs\` is set to ${device.registers.length}: allocate that many and retry` }),
    ),
    setErrors: errors(
      stateErrors({ error: "-EINVAL", when: `\`nr_regs\` is not ${device.registers.length}; \`nr_regs\` is set to ${device.registers.length}` }),
    ),
    order,
  };
}
