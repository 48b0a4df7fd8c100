/**
 * PCI configuration from the guest's side of a PC (i440FX + PIIX3), through configuration
 * mechanism #1 (address at port 0xcf8, data at 0xcfc-0xcff): find a function by its IDs, size
 * and place one BAR, turn decoding on, and route its INTx pin to a known IRQ through the
 * PIIX3's PIRQ registers — what firmware does before a driver runs.
 *
 * Everything goes through `PortIo`, so the same code drives QEMU over qtest or a fake.
 */

/** Port I/O as a guest sees it; values are the access's width, zero-extended. */
export interface PortIo {
  in(port: number, size: 1 | 2 | 4): Promise<number>;
  out(port: number, size: 1 | 2 | 4, value: number): Promise<void>;
}

export interface Bdf {
  bus: number;
  slot: number;
  fn: number;
}

export interface BarPlacement {
  space: "io" | "mmio";
  /** Bus address programmed into the BAR. */
  base: bigint;
  /** Size the device reports when the BAR is sized (all ones written). */
  size: bigint;
  is64: boolean;
}

const CONFIG_ADDRESS = 0xcf8;
const CONFIG_DATA = 0xcfc;

export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BASE_ADDRESS_0 = 0x10;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;

export const PCI_COMMAND_IO = 0x1;
export const PCI_COMMAND_MEMORY = 0x2;

/** PIIX3 function 0 (PCI-to-ISA bridge) and its PIRQ route control registers (PIRQRC[A:D]). */
export const PIIX3 = { bdf: { bus: 0, slot: 1, fn: 0 }, vendorId: 0x8086, deviceId: 0x7000, pirqBase: 0x60 };
/** Bit 7 of a PIRQ route register: the PIRQ reaches no ISA IRQ. */
const PIRQ_DISABLED = 0x80;

/** Where port I/O BARs and MMIO BARs are placed (the PC's usual PCI windows). */
export const IO_WINDOW = 0xc000n;
export const MMIO_WINDOW = 0xe0000000n;

export function formatBdf({ bus, slot, fn }: Bdf): string {
  const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0");
  return `${hex(bus, 2)}:${hex(slot, 2)}.${fn}`;
}

export class PciConfig {
  constructor(private readonly io: PortIo) {}

  private select(bdf: Bdf, reg: number): Promise<void> {
    const address = (0x80000000 | (bdf.bus << 16) | (bdf.slot << 11) | (bdf.fn << 8) | (reg & 0xfc)) >>> 0;
    return this.io.out(CONFIG_ADDRESS, 4, address);
  }

  async read(bdf: Bdf, reg: number, size: 1 | 2 | 4): Promise<number> {
    await this.select(bdf, reg);
    return this.io.in(CONFIG_DATA + (reg & 3), size);
  }

  async write(bdf: Bdf, reg: number, size: 1 | 2 | 4, value: number): Promise<void> {
    await this.select(bdf, reg);
    await this.io.out(CONFIG_DATA + (reg & 3), size, value);
  }

  /** Every function on `bus` with its IDs (functions 1-7 only behind a multi-function header). */
  async scan(bus = 0): Promise<{ bdf: Bdf; vendorId: number; deviceId: number }[]> {
    const found: { bdf: Bdf; vendorId: number; deviceId: number }[] = [];
    for (let slot = 0; slot < 32; slot++) {
      for (let fn = 0; fn < 8; fn++) {
        const bdf = { bus, slot, fn };
        const ids = await this.read(bdf, PCI_VENDOR_ID, 4);
        if ((ids & 0xffff) === 0xffff) {
          if (fn === 0) break;
          continue;
        }
        found.push({ bdf, vendorId: ids & 0xffff, deviceId: ids >>> 16 });
        if (fn === 0 && !((await this.read(bdf, PCI_HEADER_TYPE, 1)) & 0x80)) break;
      }
    }
    return found;
  }

  async find(vendorId: number, deviceId: number, bus = 0): Promise<Bdf | null> {
    const hit = (await this.scan(bus)).find((f) => f.vendorId === vendorId && f.deviceId === deviceId);
    return hit ? hit.bdf : null;
  }

  /**
   * Sizes BAR `index` (all ones written, the read-back's lowest address bit is the size),
   * programs it at the first address of `window` aligned to that size, and turns on the
   * command register's decoding for its space. Decoding is off while the BAR moves.
   */
  async placeBar(bdf: Bdf, index: number, window?: bigint): Promise<BarPlacement> {
    const reg = PCI_BASE_ADDRESS_0 + 4 * index;
    const command = await this.read(bdf, PCI_COMMAND, 2);
    await this.write(bdf, PCI_COMMAND, 2, command & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));

    const original = await this.read(bdf, reg, 4);
    const space = original & 1 ? "io" : "mmio";
    const is64 = space === "mmio" && ((original >>> 1) & 3) === 2;
    await this.write(bdf, reg, 4, 0xffffffff);
    let sized = BigInt((await this.read(bdf, reg, 4)) >>> 0);
    if (is64) {
      await this.write(bdf, reg + 4, 4, 0xffffffff);
      sized |= BigInt((await this.read(bdf, reg + 4, 4)) >>> 0) << 32n;
    } else if (space === "mmio") {
      sized |= 0xffffffff00000000n;
    }
    const addressBits = sized & (space === "io" ? ~3n : ~0xfn);
    if (addressBits === 0n) {
      throw new Error(`BAR ${index} of ${formatBdf(bdf)} is not implemented (reads back ${hex(sized)})`);
    }
    const size = addressBits & -addressBits;
    const start = window ?? (space === "io" ? IO_WINDOW : MMIO_WINDOW);
    const align = space === "mmio" && size < 0x1000n ? 0x1000n : size;
    const base = ((start + align - 1n) / align) * align;

    await this.write(bdf, reg, 4, Number(base & 0xffffffffn));
    if (is64) await this.write(bdf, reg + 4, 4, Number(base >> 32n));
    const enable = space === "io" ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
    await this.write(bdf, PCI_COMMAND, 2, (command & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) | enable);
    return { space, base, size, is64 };
  }

  /**
   * Routes the function's INTx pin to ISA IRQ `irq` (a GSI of the I/O APIC on a PC): the
   * PIIX3 swizzles pin P (1 = INTA) of slot S on bus 0 to PIRQ (S - 1 + P - 1) & 3, the
   * same rule as QEMU's `pci_slot_get_pirq`, and its PIRQ route register names the IRQ.
   * Only that PIRQ is enabled. Returns null when the function has no interrupt pin.
   */
  async routeIntx(bdf: Bdf, irq: number): Promise<{ pin: number; pirq: number; gsi: number } | null> {
    if (bdf.bus !== 0) throw new Error(`INTx routing behind a bridge is not supported (${formatBdf(bdf)})`);
    const pin = await this.read(bdf, PCI_INTERRUPT_PIN, 1);
    if (pin === 0) return null;
    const ids = await this.read(PIIX3.bdf, PCI_VENDOR_ID, 4);
    if ((ids & 0xffff) !== PIIX3.vendorId || ids >>> 16 !== PIIX3.deviceId) {
      throw new Error(`00:01.0 is ${hex(BigInt(ids >>> 0))}, not a PIIX3 ISA bridge: use -machine pc`);
    }
    const pirq = pirqOf(bdf.slot, pin);
    for (let i = 0; i < 4; i++) {
      await this.write(PIIX3.bdf, PIIX3.pirqBase + i, 1, i === pirq ? irq : PIRQ_DISABLED);
    }
    await this.write(bdf, PCI_INTERRUPT_LINE, 1, irq);
    return { pin, pirq, gsi: irq };
  }
}

/** PIRQ (0 = A) that pin `pin` (1 = INTA) of slot `slot` on bus 0 reaches on a PIIX3. */
export function pirqOf(slot: number, pin: number): number {
  return (slot - 1 + pin - 1) & 3;
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}
