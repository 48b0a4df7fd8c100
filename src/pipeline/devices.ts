/** Finds the device directories a command works on. */
import * as fs from "node:fs";
import * as path from "node:path";
import { DevgenError } from "../util/diagnostics.js";

export const DEFAULT_DEVICES_DIR = "devices";

/** The given directories, or every `devices/<name>/device.ts` when none are given. */
export function deviceDirs(given: readonly string[] | undefined): string[] {
  if (given && given.length) return [...given];
  if (!fs.existsSync(DEFAULT_DEVICES_DIR)) {
    throw DevgenError.single(
      `no device given and no ${DEFAULT_DEVICES_DIR}/ directory here`,
      "run `devgen new <name>` first, or pass a device directory",
    );
  }
  const dirs = fs
    .readdirSync(DEFAULT_DEVICES_DIR)
    .sort()
    .map((name) => path.join(DEFAULT_DEVICES_DIR, name))
    .filter((dir) => fs.existsSync(path.join(dir, "device.ts")));
  if (!dirs.length) {
    throw DevgenError.single(`${DEFAULT_DEVICES_DIR}/ holds no device`, "run `devgen new <name>` first");
  }
  return dirs;
}
