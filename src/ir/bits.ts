/** Bit arithmetic on bigint, shared by lowering, the model and the generators. */

export function bitMask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
