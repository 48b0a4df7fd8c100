/**
 * Write-once fields: each gets a flag, an entry of the `WRITTEN` storage that its first
 * write since reset sets, and a write gate locking it while the flag is set. The flags are
 * state like any storage: saved, migrated, checked (0 or 1) and cleared by reset.
 */
import type { FieldSpec, RegisterSpec } from "../dsl/types.js";
import type { Register, Storage } from "../ir/types.js";
import type { SpecPath } from "../util/diagnostics.js";
import { Lowering } from "./lowering.js";

export const WRITTEN_STORAGE = "WRITTEN";

interface OnceSpec {
  label: string;
  mask: bigint;
  path: SpecPath;
}

/** Appends the `WRITTEN` storage to `storage` when some field is write-once. */
export function lowerWriteOnce(l: Lowering, registers: Register[], specRegisters: RegisterSpec[], storage: Storage[], stateSize: number): void {
  const fields: Array<OnceSpec & { register: Register }> = [];
  for (const r of registers) {
    const path = l.origins.register.get(r)!;
    const spec = specRegisters[path[1] as number]!;
    const lowering = l.forElement(r);
    const changeable = r.masks.writable | r.masks.w1c | r.masks.w1s;
    const once: OnceSpec[] = [];
    if (lowering.flag(spec.writeOnce, [...path, "writeOnce"], "writeOnce")) once.push({ label: r.name, mask: r.masks.defined & changeable, path: [...path, "writeOnce"] });
    (spec.fields ?? []).forEach((f: FieldSpec, i) => {
      const field = r.fields.find((candidate) => candidate.name === f.name);
      const at = [...path, "fields", i, "writeOnce"];
      if (field && lowering.flag(f.writeOnce, at, "writeOnce")) once.push({ label: `${r.name}.${field.name}`, mask: field.mask & changeable, path: at });
    });
    for (const o of once) {
      if (o.mask === 0n) {
        lowering.report.error(o.path, `${o.label} is write-once but no write changes it`, "remove writeOnce, or make the bits rw, wo, w1c or w1s");
      } else if (r.indirect) {
        lowering.report.error(o.path, `${r.name} is an indirect data register: writeOnce would close every entry at once`, "remove writeOnce");
      } else {
        fields.push({ ...o, register: r });
      }
    }
  }
  if (!fields.length) return;
  const register = registers.find((r) => r.name === WRITTEN_STORAGE || r.arrayName === WRITTEN_STORAGE);
  if (storage.some((s) => s.name === WRITTEN_STORAGE) || register) {
    const path = register ? [...l.origins.register.get(register)!, "name"] : ["storage", WRITTEN_STORAGE];
    l.report.error(path, `"${WRITTEN_STORAGE}" is the name devgen gives the flags of write-once fields (${fields[0]!.label})`, "rename it");
    return;
  }
  const first = stateSize;
  fields.forEach((f, n) => {
    const flag = first + n;
    f.register.writeOnce.push({ mask: f.mask, flag, label: f.label });
    f.register.writeGates.push({ mask: f.mask, by: { register: flag, mask: 1n, label: `${WRITTEN_STORAGE}_${n}` }, writableWhile: "clear", once: true });
  });
  storage.push({
    name: WRITTEN_STORAGE,
    description: `Set by the first write since reset to each write-once field: ${fields.map((f, n) => `${n} ${f.label}`).join(", ")}`,
    count: fields.length,
    width: 8,
    reset: 0n,
    holds: 1n,
    first,
    fifo: null,
    keepOnReset: false,
  });
}
