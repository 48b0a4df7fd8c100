/** The "Hooks" section: each hand-written C hook, the accesses that call it, and whether the vectors can check it. */
import * as path from "node:path";
import type { Action, Device, Register } from "../../ir/types.js";
import type { Group } from "./register-groups.js";
import { cell, code, list, sentence } from "./markdown.js";
import { trigger } from "./semantics.js";

export function hookRows(device: Device, groups: Group[]) {
  const triggers = hookTriggers(groups);
  return device.hooks.map((h) => ({
    name: code(h.name),
    cName: code(`${h.cName}()`),
    when: cell(list(triggers.get(h.name) ?? [], "or")),
    description: cell(sentence(h.description) || "(no description)"),
    model: h.model
      ? "yes: the vectors check the C hook against it"
      : cell(`none: after it runs the vectors do not compare ${list(h.touches.map((i) => device.registers[i]!.name))}`),
  }));
}

/** The C file the hooks live in, next to the device description. */
export function hooksFile(device: Device): string {
  return code(path.posix.join(path.posix.dirname(device.source), "hooks.c"));
}

/** Per hook, the accesses that call it; an array's first element stands for all of them. */
function hookTriggers(groups: Group[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const add = (r: Register, direction: "read" | "write", actions: Action[]): void => {
    for (const a of actions) {
      if (a.kind !== "hook") continue;
      const triggers = result.get(a.hook) ?? [];
      triggers.push(trigger(r, direction, a.when).replace(/^./, (c) => c.toLowerCase()));
      result.set(a.hook, triggers);
    }
  };
  for (const g of groups) {
    add(g.first, "read", g.first.onRead);
    add(g.first, "write", g.first.onWrite);
  }
  return result;
}
