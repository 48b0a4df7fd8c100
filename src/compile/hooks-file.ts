/**
 * Keeps `hooks.c` and the declared hooks in step: a declared hook must be defined there,
 * returning what its direction needs (u64 for a read hook, void for a write hook),
 * and a function that looks like a hook but is no longer declared is reported as stale.
 */
import type { Action, Device } from "../ir/types.js";
import type { Diagnostic, SourceLocation } from "../util/diagnostics.js";

export interface HooksFile {
  path: string;
  text: string;
}

export function checkHooksFile(
  device: Device,
  hooks: HooksFile | null,
  locateHook: (name: string) => SourceLocation,
): Diagnostic[] {
  if (device.hooks.length === 0 && hooks === null) return [];
  const defined = new Map<string, { location: SourceLocation; returns: string }>();
  if (hooks) {
    // Require a body: a kernel-doc comment, a prototype or a call does not define a hook.
    const code = withoutComments(hooks.text);
    const pattern = new RegExp(`^[\\w \\t*]*?\\b(${device.name}_hook_\\w+)\\s*\\([^;{]*\\)\\s*\\{`, "gm");
    for (const match of code.matchAll(pattern)) {
      const { line, column } = positionIn(code, match.index! + match[0].indexOf(match[1]!));
      // The last word before the name: `static u64 ` returns u64, `u64 *` a pointer; "" when not on the line.
      const returns = match[0].slice(0, match[0].indexOf(match[1]!)).trim().split(/\s+/).pop()!;
      defined.set(match[1]!, { location: { file: hooks.path, line, column }, returns });
    }
  }
  const diagnostics: Diagnostic[] = [];
  for (const hook of device.hooks) {
    // A hook whose name lower() rejected has no meaningful C name to look for.
    if (!/^[a-z][a-z0-9_]*$/.test(hook.name)) continue;
    if (!defined.has(hook.cName)) {
      diagnostics.push({
        location: locateHook(hook.name),
        message: `hook "${hook.name}" has no C function ${hook.cName}() in ${hooks?.path ?? "hooks.c (missing)"}`,
        hint: `add: ${hookSignature(device, hook.direction, hook.cName)}`,
      });
      continue;
    }
    // The generated header declares the prototype, so a mismatch would only show in the C build.
    const { location, returns } = defined.get(hook.cName)!;
    const wanted = hook.direction === "read" ? "u64" : "void";
    if (returns !== "" && returns !== wanted && !usedOnReadsAndWrites(device, hook.name)) {
      diagnostics.push({
        location,
        message: `${hook.cName}() returns ${returns}, but hook "${hook.name}" is a ${hook.direction} hook, which returns ${wanted}`,
        hint: `declare it as: ${hookSignature(device, hook.direction, hook.cName)}`,
      });
    }
  }
  const declared = new Set(device.hooks.map((h) => h.cName));
  for (const [cName, { location }] of defined) {
    if (!declared.has(cName)) {
      diagnostics.push({
        location,
        message: `${cName}() is stale: no hook "${cName.slice(device.name.length + 6)}" is declared in the device file`,
        hint: "declare it under hooks: { ... } or delete the function",
      });
    }
  }
  return diagnostics;
}

/** The C text with its comments blanked out, line breaks kept, so that positions stay. */
export function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, " "));
}

/** 1-based line and column of `index` in `text`. */
export function positionIn(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  return { line: before.split("\n").length, column: index - before.lastIndexOf("\n") };
}

/** lower() reports a hook used both ways; no return type would be right for it. */
function usedOnReadsAndWrites(device: Device, hook: string): boolean {
  const calls = (actions: Action[]): boolean => actions.some((a) => a.kind === "hook" && a.hook === hook);
  return device.registers.some((r) => calls(r.onRead)) && device.registers.some((r) => calls(r.onWrite));
}

export function hookSignature(device: Device, direction: "read" | "write", cName: string): string {
  return direction === "read"
    ? `u64 ${cName}(struct ${device.name}_core *s, u64 value)`
    : `void ${cName}(struct ${device.name}_core *s, u64 value)`;
}
