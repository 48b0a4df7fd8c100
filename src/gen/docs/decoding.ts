/**
 * The "Decoding" text: how a BAR offset reaches a register when the BAR is larger than the
 * register window, and which bytes of the window hold no register; and what an access
 * straddling the BAR's end does.
 */
import type { Device } from "../../ir/types.js";
import type { Layout } from "./register-groups.js";
import { byteRange, code, hexPad, list } from "./markdown.js";
import { registerWord } from "./semantics.js";
import { PAGE_SIZE } from "../../reference/device-model.js";

export function decodeText(device: Device, { window, digits }: Layout): string {
  const { bar } = device;
  if (window === bar.size) {
    return `The registers fill a window as large as the BAR (${code(hexPad(bar.decodeMask, 1))} decode mask): every BAR offset decodes to itself, nothing is aliased.`;
  }
  const aliasExample = device.registers.find((r) => r.offset > 0) ?? device.registers[0]!;
  return (
    `The device decodes ${code(`offset & ${hexPad(bar.decodeMask, 1)}`)}, where offset is relative to the start of the BAR: ` +
    `the ${hexPad(window, 1)}-byte register window repeats ${bar.size / window} times across the ${hexPad(bar.size, 1)}-byte BAR, ` +
    `and every copy reaches the same registers (and their side effects). ` +
    `For example BAR offset ${code(hexPad(window + aliasExample.offset, digits))} reaches ${aliasExample.name} just as ${code(hexPad(aliasExample.offset, digits))} does. ` +
    `A driver should use the first copy.`
  );
}

/** What an access straddling the BAR's end does (DeviceModel.read), and the in-kernel device's gap. */
export function cutText({ bar }: Device): string {
  const page = bar.space === "mmio" && bar.size >= PAGE_SIZE;
  return (
    `An access straddling the BAR's end acts with its bytes inside the BAR only, as the largest power-of-two accesses that fit, in address order; ` +
    `the rest goes to whatever decodes past the BAR` +
    (bar.space === "mmio" ? `. Memory accesses are also cut at every 4 KiB boundary, as the CPU and KVM cut them` : "") +
    (page
      ? `.`
      : `. With the in-kernel device, KVM passes such an access to userspace whole (it cuts only at pages), and QEMU drops its bytes inside the BAR rather than apply them to its stale copy of the registers.`)
  );
}

/** The holes, and the bytes between the elements of arrays whose stride exceeds their width; null when there are none. */
export function gapsText({ groups, holes, digits }: Layout): string | null {
  const strided = groups.filter((g) => g.stride > g.first.bytes);
  if (!holes.length && !strided.length) return null;
  return list([
    ...holes.map((h) => byteRange(h.start, h.end, digits)),
    ...strided.map((g) => `between the elements of ${registerWord(g.first)}`),
  ]);
}
