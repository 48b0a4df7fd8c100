/**
 * The accesses `npm run bench -- --core` times (bench/core.ts): per device a driver-like
 * mix, the few accesses its driver makes over and over, and a seeded random mix of every
 * access its policies serve.
 */
import type { Device } from "../src/ir/types.js";
import { registerAt } from "../src/reference/decode.js";
import { policyFor } from "../src/reference/device-model.js";
import { xorshift } from "../src/reference/vectors.js";

export interface MixAccess {
  /** "write-back" writes the value last read, as a driver acknowledges the causes it read. */
  op: "read" | "write" | "write-back";
  offset: number;
  size: number;
  value: bigint;
}

export interface Mix {
  /** Made once, from reset, untimed: what the driver's probe sets up. */
  setup: MixAccess[];
  /** Made over and over, timed. */
  repeated: MixAccess[];
}

/** A register by name, its whole width unless `size` says less; "random" writes a fresh value each time. */
type Step = [op: MixAccess["op"], register: string, value?: bigint | "random", size?: number];

/** Each device's driver at work, from its device.ts. */
const DRIVER_STEPS: Record<string, { setup: Step[]; repeated: Step[] }> = {
  // Issue 17's loop: exchange a word (XOR with KEY), collect it, acknowledge DONE, read COUNT.
  xche: {
    setup: [["write", "CTRL", 0x3n], ["write", "INT_ENABLE", 0x1n]],
    repeated: [["write", "DATA_IN", "random"], ["read", "DATA_OUT"], ["read", "INT_STATUS"], ["write-back", "INT_STATUS"], ["read", "COUNT"]],
  },
  // Save a byte of NVRAM and read it back, then stream the next two through BLOCK.
  cmos_nvram: {
    setup: [["write", "INDEX", 0n]],
    repeated: [["write", "INDEX", "random"], ["write", "DATA", "random"], ["read", "DATA"], ["read", "BLOCK"], ["read", "BLOCK"]],
  },
  // A console in loopback: wait for THRE, send a byte, see why the line is up, take the byte.
  uart16550: {
    setup: [["write", "LCR", 0x3n], ["write", "MCR", 0x10n], ["write", "IER", 0x1n]],
    repeated: [["read", "LSR"], ["write", "DATA", "random"], ["read", "IIR"], ["read", "LSR"], ["read", "DATA"]],
  },
  // Arm comparator 0 in the past so it fires, acknowledge it, read the counter whole and its low half.
  hpet_timer: {
    setup: [["write", "CONFIG", 0x1n], ["write", "INT_ENABLE", 0x1n]],
    repeated: [["read", "COUNTER"], ["write", "T_CMP_0", 0n], ["read", "INT_STATUS"], ["write-back", "INT_STATUS"], ["read", "COUNTER", undefined, 4]],
  },
  // Submit descriptor 0 and reap it: validate it, ring, poll STATUS, acknowledge DONE.
  dma_engine: {
    setup: [
      ["write", "CTRL", 0x1n],
      ["write", "CH_ENABLE", 0x1n],
      ["write", "INT_ENABLE", 0x1n],
      ["write", "DESC_ADDR_0", 0x10000n],
      ["write", "DESC_LEN_0", 0x1000n],
    ],
    repeated: [["write", "DESC_CTRL_0", 0x3n], ["write", "DOORBELL", 0n], ["read", "STATUS"], ["read", "INT_STATUS"], ["write-back", "INT_STATUS"]],
  },
};

/** Times the driver's loop is written out, each with its own random values. */
const DRIVER_LOOPS = 64;
const RANDOM_MIX_LENGTH = 4096;
const SEED = 0x17n;

const sizeMask = (size: number): bigint => (1n << BigInt(8 * size)) - 1n;

/** The device's driver-like mix; null for a device without one in DRIVER_STEPS. */
export function driverMix(device: Device): Mix | null {
  const steps = DRIVER_STEPS[device.name];
  if (!steps) return null;
  const random = xorshift(SEED);
  const access = ([op, name, value = 0n, size]: Step): MixAccess => {
    const register = device.registers.find((r) => r.name === name);
    if (!register) throw new Error(`bench/core-mixes.ts: ${device.name} has no register ${name}`);
    const bytes = size ?? register.bytes;
    return { op, offset: register.offset, size: bytes, value: value === "random" ? random.next64() & sizeMask(bytes) : value };
  };
  return {
    setup: steps.setup.map(access),
    repeated: Array.from({ length: DRIVER_LOOPS }, () => steps.repeated.map(access)).flat(),
  };
}

/**
 * Every access the device's policies serve (start in a register, a bus size, neither
 * refused nor ignored, not wrapping around the decode window), picked at random, at any
 * alias of the window in the BAR, half reads, half writes of random values.
 */
export function randomMix(device: Device): Mix {
  const { bar, busSizes } = device;
  const window = bar.decodeMask + 1;
  const served: { start: number; size: number }[] = [];
  for (let start = 0; start < window; start++) {
    const register = registerAt(device, start);
    if (!register) continue;
    for (const size of busSizes) {
      if (start + size <= window && policyFor(register, start, size) === "lanes") served.push({ start, size });
    }
  }
  const random = xorshift(SEED);
  const repeated = Array.from({ length: RANDOM_MIX_LENGTH }, (): MixAccess => {
    const { start, size } = served[random.below(served.length)]!;
    const offset = window * random.below(bar.size / window) + start;
    return random.below(2)
      ? { op: "write", offset, size, value: random.next64() & sizeMask(size) }
      : { op: "read", offset, size, value: 0n };
  });
  return { setup: [], repeated };
}
