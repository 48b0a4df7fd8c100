/** `devgen new <name>`: scaffold a device description and its hooks file. */
import * as fs from "node:fs";
import * as path from "node:path";
import { render } from "../gen/render.js";
import { DevgenError } from "../util/diagnostics.js";
import { C_IDENTIFIER } from "../compile/reserved-names.js";
import { DEFAULT_DEVICES_DIR } from "./devices.js";

export interface NewOptions {
  name: string;
  dir?: string;
}

export function scaffoldFiles(name: string): { path: string; contents: string }[] {
  const idText = name.slice(0, 4).toUpperCase().padEnd(4, "_");
  const idValue = `0x${[...idText].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("")}`;
  const view = { name, prefix: name.toUpperCase(), idText, idValue };
  return [
    { path: "device.ts", contents: render("scaffold/device.ts.hbs", view) },
    { path: "hooks.c", contents: render("scaffold/hooks.c.hbs", view) },
  ];
}

export function runNew({ name, dir }: NewOptions): string {
  if (!C_IDENTIFIER.test(name) || name !== name.toLowerCase()) {
    throw DevgenError.single(`"${name}" is not a lower-case C identifier`, "use letters, digits and _, e.g. xche");
  }
  const target = dir ?? path.join(DEFAULT_DEVICES_DIR, name);
  if (fs.existsSync(path.join(target, "device.ts"))) {
    throw DevgenError.single(`${path.join(target, "device.ts")} already exists`, "devgen new never overwrites a device; edit it instead");
  }
  const files = scaffoldFiles(name);
  fs.mkdirSync(target, { recursive: true });
  for (const file of files) {
    const out = path.join(target, file.path);
    if (!fs.existsSync(out)) fs.writeFileSync(out, file.contents);
  }
  return target;
}
