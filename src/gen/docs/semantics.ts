/**
 * The register semantics in words. Each phrase restates what the reference model does
 * (src/reference/device-model.ts), so the prose and the behaviour cannot drift apart silently:
 * a new access kind or policy fails to compile here until it is described.
 */
import type { AccessKind } from "../../dsl/types.js";
import type { Action, Device, Field, Policy, Register, ResolvedPolicy } from "../../ir/types.js";
import { code, list, sentence } from "./markdown.js";

/** Access kinds in the order the legend lists them. */
export const ACCESS_ORDER: readonly AccessKind[] = ["ro", "rw", "wo", "w1c", "w1s", "rc", "const"];

/** What a read and a write of a bit of each kind do. */
export const ACCESS_MEANING: Record<AccessKind | "reserved", { read: string; write: string }> = {
  ro: { read: "the stored value", write: "ignored (only side effects and hooks change it)" },
  rw: { read: "the stored value", write: "stored" },
  wo: { read: "0", write: "stored" },
  w1c: { read: "the stored value", write: "1 clears the bit, 0 leaves it" },
  w1s: { read: "the stored value", write: "1 sets the bit, 0 leaves it" },
  rc: { read: "the stored value, then the bits read are cleared", write: "ignored" },
  const: { read: "the reset value, always", write: "ignored" },
  reserved: { read: "0", write: "ignored" },
};

export const RESERVED_TEXT = "Reserved: read as zero, writes ignored";

const POLICY_EFFECT: Record<ResolvedPolicy, string> = {
  combine: "reads or writes only the bytes it covers; the register's other bytes keep their value",
  split:
    "is split byte by byte, each byte going to the register holding it as if that register were accessed on its own; bytes in no register read as zero and ignore writes",
  ignore: "reads as zero and its write is dropped",
  error: "reads as all ones (like a PCI master abort) and its write is dropped",
};

/** One bullet per case of the access-size policy. */
export function policyRules(policy: Policy, busSizes: readonly number[]): string[] {
  const sizes = policy.sizes.length < busSizes.length ? [`An access of a size **other than ${list(policy.sizes.map(String), "or")} bytes** ${POLICY_EFFECT[policy.otherSizes]}, whatever its alignment.`] : [];
  return [
    ...sizes,
    `An access **narrower** than the register ${POLICY_EFFECT[policy.narrower]}.`,
    `An access **wider** than the register ${POLICY_EFFECT[policy.wider]}.`,
    `An **unaligned** access (offset not a multiple of its size) ${POLICY_EFFECT[policy.unaligned]}.`,
  ];
}

export function samePolicy(a: Policy, b: Policy): boolean {
  return policyKey(a) === policyKey(b);
}

/** Equal for policies that act alike. */
export function policyKey(policy: Policy): string {
  return `${policy.narrower}/${policy.wider}/${policy.unaligned}/${policy.sizes.join(",")}/${policy.otherSizes}`;
}

/** `CTRL`, or `DATA_n` for any element of an array. */
export function registerWord(r: Register): string {
  return r.arrayName === null ? r.name : `${r.arrayName}_n`;
}

/** "Writing CTRL with RESET set", "Reading STATUS when the value read has READY set". */
export function trigger(r: Register, direction: "read" | "write", when: Action["when"]): string {
  const head = `${direction === "read" ? "Reading" : "Writing"} ${registerWord(r)}`;
  if (!when) return head;
  const field = r.fields.find((f) => f.mask === when.mask)!;
  const state = field.width > 1 ? `${field.name} non-zero` : `${field.name} set`;
  return direction === "read" ? `${head} when the value read has ${state}` : `${head} with ${state}`;
}

/** "Writing CTRL with RESET set calls hook `soft_reset`: Clear COUNT and DATA_OUT." */
export function actionSentence(device: Device, r: Register, action: Action, direction: "read" | "write"): string {
  const head = trigger(r, direction, action.when);
  if (action.kind === "hook") {
    const hook = device.hooks.find((h) => h.name === action.hook)!;
    const result = direction === "read" ? ", whose result replaces the value read" : "";
    const what = hook.description.trim() ? `: ${sentence(hook.description)}` : ".";
    return `${head} calls hook ${code(hook.name)}${result}${what}`;
  }
  if (action.kind === "raise") {
    return `${head} sets the bits written in ${code(action.target.label)}, as if those interrupt causes had fired.`;
  }
  const target = device.registers[action.target.register]!;
  const { label } = action.target;
  const whose = label.endsWith("[n]")
    ? `, bit n for element n`
    : r.arrayName !== null && label.split(".")[0] === r.arrayName
      ? " of the element accessed"
      : "";
  if (action.kind === "increment" || action.kind === "decrement") {
    const limit = action.kind === "increment" ? "its maximum" : "zero";
    const end = action.saturate ? `stopping at ${limit}` : `wrapping around past ${limit}`;
    return `${head} ${action.kind}s ${code(label)}${whose} by one, ${end}.`;
  }
  const verb = { set: "sets", clear: "clears", toggle: "toggles" }[action.kind];
  const whole = label.includes(".") || target.fields.length === 0 ? "" : "every field of ";
  return `${head} ${verb} ${whole}${code(label)}${whose}.`;
}

/** What w1c, w1s and rc bits do to the register, in words; nothing for the other kinds. */
export function accessEffects(r: Register): string[] {
  const named = (kind: AccessKind): string[] | null => {
    if (r.fields.length === 0) return null;
    return r.fields.filter((f: Field) => f.access === kind).map((f) => f.name);
  };
  const effects: string[] = [];
  const w1 = (kind: "w1c" | "w1s", verb: string) => {
    if (!(kind === "w1c" ? r.masks.w1c : r.masks.w1s)) return;
    const names = named(kind);
    effects.push(
      names
        ? `Writing 1 to ${list(names, "or")} ${verb}s that bit; writing 0 leaves it.`
        : `Writing 1 to a bit ${verb}s it; writing 0 leaves it.`,
    );
  };
  w1("w1c", "clear");
  w1("w1s", "set");
  if (r.masks.readClear) {
    const names = named("rc");
    effects.push(
      names
        ? `Reading returns ${list(names)}, then clears ${names.length > 1 ? "them" : "it"} (only in the bytes the access covered).`
        : "Reading returns the value, then clears it (only the bytes the access covered).",
    );
  }
  return effects;
}
