/** Bit arithmetic on bigint, shared by lowering, the model and the generators. */

/** Masks of 0..64 bits made once: the model asks for them on every access, and each bigint is an allocation. */
const MASKS = Array.from({ length: 65 }, (_, width) => (1n << BigInt(width)) - 1n);

export function bitMask(width: number): bigint {
  return MASKS[width] ?? (1n << BigInt(width)) - 1n;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** The position of a non-zero mask's lowest set bit. */
export function lowestBit(mask: bigint): number {
  let bit = 0;
  while (!((mask >> BigInt(bit)) & 1n)) bit++;
  return bit;
}
