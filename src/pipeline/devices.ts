/** Finds the device directories a command works on. */
import * as fs from "node:fs";
import * as path from "node:path";
import { DevgenError } from "../util/diagnostics.js";

export const DEFAULT_DEVICES_DIR = "devices";
/** Where the project keeps its example devices, next to its own (what `devgen ci` tests too). */
export const EXAMPLES_DIR = "examples";

/** Every `<root>/<name>/device.ts`, by name; none when `root` does not exist. */
function devicesUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .sort()
    .map((name) => path.join(root, name))
    .filter((dir) => fs.existsSync(path.join(dir, "device.ts")));
}

/** The given directories, or every `devices/<name>/device.ts` when none are given. */
export function deviceDirs(given: readonly string[] | undefined): string[] {
  if (given && given.length) return [...given];
  if (!fs.existsSync(DEFAULT_DEVICES_DIR)) {
    throw DevgenError.single(
      `no device given and no ${DEFAULT_DEVICES_DIR}/ directory here`,
      "run `devgen new <name>` first, or pass a device directory",
    );
  }
  const dirs = devicesUnder(DEFAULT_DEVICES_DIR);
  if (!dirs.length) {
    throw DevgenError.single(`${DEFAULT_DEVICES_DIR}/ holds no device`, "run `devgen new <name>` first");
  }
  return dirs;
}

/** The given directories, or the project's devices and its examples. */
export function projectDeviceDirs(given: readonly string[] | undefined): string[] {
  if (given && given.length) return [...given];
  return [...deviceDirs(undefined), ...devicesUnder(EXAMPLES_DIR)];
}
