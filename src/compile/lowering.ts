/**
 * Reading a DeviceSpec's values: each is checked against its rule (integer in range, one of
 * some choices, a C identifier of the right case, an access policy) and every problem is
 * reported with the path of the value that caused it; where each register and field came
 * from is kept for the checks after lowering.
 */
import type { AccessPolicy, AccessSize } from "../dsl/types.js";
import type { Field, Policy, Register, ResolvedPolicy } from "../ir/types.js";
import { Reporter, type SpecPath } from "../util/diagnostics.js";
import { C_IDENTIFIER, isCKeyword } from "./reserved-names.js";
import { codePoint, describe, firstNonIdentifierCharacter, hex } from "./message-words.js";

type SizeCase = "narrower" | "wider" | "unaligned";
const POLICY_CHOICES: Record<SizeCase, readonly ResolvedPolicy[]> = {
  narrower: ["combine", "ignore", "error"],
  wider: ["split", "ignore", "error"],
  unaligned: ["split", "ignore", "error"],
};
const ACCESS_SIZES: readonly AccessSize[] = [1, 2, 4, 8];
/** How register, field and KVM names are written; the device's own name is lower case. */
export const UPPER_IDENTIFIER = /^[A-Z][A-Z0-9_]*$/;
export const LOWER_IDENTIFIER = /^[a-z][a-z0-9_]*$/;

/** Where each IR register and field came from, for diagnostics after lowering. */
export interface Origins {
  register: Map<Register, SpecPath>;
  field: Map<Field, SpecPath>;
}

type Integer = bigint | null;

export class Lowering {
  readonly origins: Origins = { register: new Map(), field: new Map() };

  private silent: Lowering | null = null;

  constructor(readonly report: Reporter) {}

  /**
   * The lowering to check `r`'s spec with: an array's elements share one spec, so its
   * problems are the first element's to report, once; the others' go nowhere.
   */
  forElement(r: Register): Lowering {
    if ((r.arrayIndex ?? 0) === 0) return this;
    this.silent ??= new Lowering(new Reporter(() => null));
    return this.silent;
  }

  /** `show` prints the value and its range: hex for offsets and sizes, decimal for counts. */
  integer(
    value: unknown,
    path: SpecPath,
    what: string,
    min: bigint,
    max: bigint,
    rangeHint?: string,
    show: (n: bigint) => string = hex,
  ): Integer {
    let n: bigint;
    if (typeof value === "bigint") {
      n = value;
    } else if (typeof value === "number" && Number.isInteger(value)) {
      n = BigInt(value);
    } else {
      this.report.error(path, `${what} must be an integer, got ${describe(value)}`, `write a whole number such as 0x10`);
      return null;
    }
    if (n < min || n > max) {
      this.report.error(path, `${what} ${show(n)} is out of range ${show(min)}..${show(max)}`, rangeHint ?? `use a value in ${show(min)}..${show(max)}`);
      return null;
    }
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      // By the time devgen sees it, the literal has been rounded to the nearest double.
      this.report.error(
        path,
        `${what} ${show(n)} is above Number.MAX_SAFE_INTEGER (2^53 - 1), where a number cannot hold every integer`,
        "write it as a bigint: add n to the literal",
      );
      return null;
    }
    return n;
  }

  small(value: unknown, path: SpecPath, what: string, min: number, max: number, fallback: number, show: (n: bigint) => string = hex): number {
    if (value === undefined) return fallback;
    const n = this.integer(value, path, what, BigInt(min), BigInt(max), undefined, show);
    return n === null ? fallback : Number(n);
  }

  /** A yes/no option: true only when written so; a value other than true or false is reported. */
  flag(value: unknown, path: SpecPath, what: string): boolean {
    if (value !== undefined && typeof value !== "boolean") this.report.error(path, `${what} must be true or false, got ${describe(value)}`);
    return value === true;
  }

  choice<T extends string>(value: unknown, path: SpecPath, what: string, choices: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value === "string" && (choices as readonly string[]).includes(value)) return value as T;
    this.report.error(path, `${what} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${describe(value)}`);
    return fallback;
  }

  /** `bareInC`: the name is used without a prefix in C, so it must not be a keyword. */
  identifier(value: unknown, path: SpecPath, what: string, form: RegExp, formHint: string, bareInC = false): string {
    if (typeof value !== "string" || !C_IDENTIFIER.test(value)) {
      const wrong = typeof value === "string" ? firstNonIdentifierCharacter(value) : null;
      const why = wrong === null ? "" : `: ${JSON.stringify(wrong)} (${codePoint(wrong)}) is not an ASCII letter, digit or _`;
      this.report.error(path, `${what} ${describe(value)} is not a C identifier${why}`, `use letters, digits and _, e.g. ${formHint}`);
      return typeof value === "string" ? value : "_";
    }
    if (!form.test(value)) {
      this.report.error(path, `${what} "${value}" has the wrong case`, `write it like ${formHint}`);
    } else if (bareInC && isCKeyword(value)) {
      this.report.error(path, `${what} "${value}" is a C keyword`, "choose another name");
    }
    return value;
  }

  /** `busSizes`: the access sizes the BAR's bus issues. */
  policy(spec: AccessPolicy | undefined, path: SpecPath, base: Policy, busSizes: readonly number[]): Policy {
    if (spec === undefined) return base;
    const result = { ...base };
    for (const key of Object.keys(POLICY_CHOICES) as SizeCase[]) {
      result[key] = this.choice(spec[key], [...path, key], `policy.${key}`, POLICY_CHOICES[key], base[key]);
    }
    result.otherSizes = this.choice(spec.otherSizes, [...path, "otherSizes"], "policy.otherSizes", ["ignore", "error"] as const, base.otherSizes);
    if (spec.sizes !== undefined) result.sizes = this.accessSizes(spec.sizes, [...path, "sizes"], busSizes) ?? base.sizes;
    return result;
  }

  private accessSizes(value: unknown, path: SpecPath, busSizes: readonly number[]): AccessSize[] | null {
    const sizes: AccessSize[] = [];
    if (!Array.isArray(value) || value.length === 0) {
      this.report.error(path, `policy.sizes must list access sizes in bytes, got ${describe(value)}`, "write e.g. sizes: [4, 8]");
      return null;
    }
    value.forEach((size: unknown, i) => {
      if (!(ACCESS_SIZES as readonly unknown[]).includes(size)) {
        this.report.error([...path, i], `access size ${describe(size)} is not 1, 2, 4 or 8`, "list sizes in bytes: 1, 2, 4 or 8");
      } else if (!busSizes.includes(size as number)) {
        this.report.error([...path, i], `access size ${String(size)} is never issued: port I/O accesses are at most ${busSizes[busSizes.length - 1]} bytes`, `list sizes of at most ${busSizes[busSizes.length - 1]} bytes`);
      } else if (sizes.includes(size as AccessSize)) {
        this.report.error([...path, i], `access size ${String(size)} is listed twice`, "list each size once");
      } else {
        sizes.push(size as AccessSize);
      }
    });
    return sizes.length ? sizes.sort((a, b) => a - b) : null;
  }
}
