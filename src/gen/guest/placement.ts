/** Where the guest programs put the device's BAR: away from everything else their VMs decode. */
import type { Device } from "../../ir/types.js";
import { DevgenError } from "../../util/diagnostics.js";
import { cHex } from "../c.js";

function alignUp(value: bigint, align: bigint): bigint {
  return ((value + align - 1n) / align) * align;
}

/** The BAR's base, where a move puts it, a misaligned base to refuse, and the bus's end. */
export function testPlacement(device: Device): { base: bigint; moved: bigint; misaligned: bigint; busEnd: bigint } {
  const size = BigInt(device.bar.size);
  const misalignBy = size > 1n ? size / 2n : 1n;
  if (device.kvm.bus === "pio") {
    // Above the legacy ports and the test's own 0xe9.
    let base = alignUp(0xc000n, size);
    if (base + 2n * size > 0x10000n) base = 0x10000n - 2n * size;
    return { base, moved: base + size, misaligned: base + misalignBy, busEnd: 0x10000n };
  }
  // Below the IOAPIC and local APIC (0xfec00000), inside the guest's 4 GiB identity map.
  const base = alignUp(0xe0000000n, size);
  if (base + 2n * size > 0xfec00000n) {
    throw DevgenError.single(`${device.name}: a BAR of ${cHex(size)} bytes is too large for the KVM test's guest address map`, "");
  }
  return { base, moved: base + size, misaligned: base + misalignBy, busEnd: 1n << 52n };
}
