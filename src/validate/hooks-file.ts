/**
 * Keeps `hooks.c` and the declared hooks in step: a declared hook must be defined there,
 * and a function that looks like a hook but is no longer declared is reported as stale.
 */
import type { Device } from "../ir/types.js";
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
  const defined = new Map<string, SourceLocation>();
  if (hooks) {
    // Blank out comments (keeping line breaks, so positions stay) and require a body: a
    // kernel-doc comment, a prototype or a call does not define a hook.
    const code = hooks.text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, " "));
    const pattern = new RegExp(`^[\\w \\t*]*?\\b(${device.name}_hook_\\w+)\\s*\\([^;{]*\\)\\s*\\{`, "gm");
    for (const match of code.matchAll(pattern)) {
      const before = code.slice(0, match.index! + match[0].indexOf(match[1]!));
      const line = before.split("\n").length;
      const column = before.length - before.lastIndexOf("\n");
      defined.set(match[1]!, { file: hooks.path, line, column });
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
    }
  }
  const declared = new Set(device.hooks.map((h) => h.cName));
  for (const [cName, location] of defined) {
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

export function hookSignature(device: Device, direction: "read" | "write", cName: string): string {
  return direction === "read"
    ? `u64 ${cName}(struct ${device.name}_core *s, u64 value)`
    : `void ${cName}(struct ${device.name}_core *s, u64 value)`;
}
