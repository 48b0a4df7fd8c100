/**
 * Vectors that repeat an access with actions (a hook, a set/clear/toggle of another
 * register) in a state where it does something, then look at everything: gaps that
 * `npm run bench -- --mutants` found. The register phases write each register a few times
 * and read it back, so a counter a hook bumps never reached where it saturates (xche's
 * COUNT at 0xff), and a soft reset never ran while there was something to clear.
 *
 * For each register whose access has actions: from a reset, the device is primed (every
 * register written with all ones, which enables most devices), then the access repeats
 * past an 8-bit counter's wrap, then every register is read, then every write-1-to-clear
 * bit acknowledged (a W1C bit only an action sets, like dma_engine's DESC_CTRL.DONE, was
 * never set when the register phase wrote it). The reads come last: a read can clear (a
 * read-clear counter read after each step would never count far). Then the
 * same with three other primes and three accesses each: an enable written into a device
 * whose other registers are zero (hpet_timer's CONFIG arming comparators at 0), or a
 * control write without its reset bit (dma_engine's CTRL), does something only there.
 *
 * Measured and left out: each ordered pair of such accesses after a prime killed 4 more of
 * dma_engine's 899 mutants for 6,000 more vectors; which relation needs which sequence is
 * the coverage-directed vectors' business.
 */
import type { Device, Register } from "../ir/types.js";

export interface VectorAccess {
  read(offset: number, size: number): void;
  write(offset: number, size: number, value: bigint): void;
  reset(): void;
}

/** What most devices need to do anything: every enable bit set. */
const ALL_ONES = 0xffffffffffffffffn;
/** What an access with actions writes: all ones, then two patterns of complementary bits. */
const PATTERNS = [ALL_ONES, 0xa5a5a5a5a5a5a5a5n, 0x5a5a5a5a5a5a5a5an];
/**
 * The other states an access meets, each after writing every register with one pattern:
 * all zeros (nothing enabled, every comparator at 0), then bits set in one half and clear
 * in the other, then the other way round.
 */
const PRIMES = [0n, 0xa5a5a5a5a5a5a5a5n, 0x5a5a5a5a5a5a5a5an];
/** Past an 8-bit counter's wrap: 255 to saturate, a few more to see it stay. */
const REPEATS = 260;

/** Each access of `r` at the widest bus size its width allows: offset and size. */
function chunks(device: Device, r: Register): [number, number][] {
  const size = Math.min(r.bytes, device.busSizes[device.busSizes.length - 1]!);
  const result: [number, number][] = [];
  for (let at = r.offset; at < r.offset + r.bytes; at += size) result.push([at, size]);
  return result;
}

export function actionSequences(device: Device, access: VectorAccess): void {
  const triggers = device.registers.filter((r) => r.onWrite.length || r.onRead.length);
  const prime = (pattern: bigint) => {
    for (const r of device.registers) for (const [at, size] of chunks(device, r)) access.write(at, size, pattern);
  };
  const trigger = (r: Register, pattern: bigint) => {
    for (const [at, size] of chunks(device, r)) {
      if (r.onWrite.length) access.write(at, size, pattern);
      if (r.onRead.length) access.read(at, size);
    }
  };
  /** Writes 1 to every write-1-to-clear bit, as a driver acknowledges what the accesses set, and reads the result. */
  const acknowledge = () => {
    for (const r of device.registers.filter((r) => r.masks.w1c)) {
      for (const [at, size] of chunks(device, r)) {
        access.write(at, size, r.masks.w1c >> BigInt(8 * (at - r.offset)));
        access.read(at, size);
      }
    }
  };
  const readAll = () => {
    for (const r of device.registers) for (const [at, size] of chunks(device, r)) access.read(at, size);
  };

  for (const r of triggers) {
    // Only a hook or a counter can count; an array's later elements repeat its first's
    // behaviour on their own registers, so one round from all ones reaches what is theirs.
    const counts = [...r.onRead, ...r.onWrite].some((a) => a.kind === "hook" || a.kind === "increment" || a.kind === "decrement");
    const later = (r.arrayIndex ?? 0) > 0;
    access.reset();
    prime(ALL_ONES);
    const repeats = counts && !later ? REPEATS : PATTERNS.length;
    for (let i = 0; i < repeats; i++) trigger(r, PATTERNS[i % PATTERNS.length]!);
    readAll();
    acknowledge();
    // Set, clear and toggle act alike from any state; a hook's C may not.
    if (later || !r.onRead.concat(r.onWrite).some((a) => a.kind === "hook")) continue;
    for (const pattern of PRIMES) {
      access.reset();
      prime(pattern);
      for (const value of PATTERNS) trigger(r, value);
      readAll();
    }
  }
}
