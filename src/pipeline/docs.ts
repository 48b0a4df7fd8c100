/**
 * `devgen docs [device] [--html] [--out FILE]`: a device's register map, as Markdown (the
 * same text as generated/<name>/docs/<name>.md) or as a self-contained HTML page with a
 * bit-field diagram per register.
 *
 * Markdown goes to stdout unless --out is given; HTML goes to --out, else to <name>.html in
 * the current directory. An --out that is an existing directory gets <name>.<md|html> in it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { docsView } from "../gen/docs/device-page.js";
import { renderHtmlPage } from "../gen/html/index.js";
import { render } from "../gen/render.js";
import { compileDevice } from "../compile/index.js";
import { DevgenError } from "../util/diagnostics.js";
import { deviceDirs } from "./devices.js";

export type DocsFormat = "md" | "html";

export interface DocsOptions {
  /** Device directory; when absent, the only device under devices/. */
  dir?: string;
  out?: string;
  format: DocsFormat;
}

export interface DocsResult {
  ok: true;
  device: string;
  format: DocsFormat;
  /** Where it was written, or null when printed on stdout. */
  out: string | null;
  /** The document itself when it was not written to a file. */
  contents: string | null;
}

function chooseDevice(dir: string | undefined): string {
  if (dir !== undefined) return dir;
  const dirs = deviceDirs(undefined);
  if (dirs.length > 1) {
    throw DevgenError.single(`devices/ holds ${dirs.length} devices; name the one to document`, `for example: devgen docs ${dirs[0]}`);
  }
  return dirs[0]!;
}

/** The Markdown or HTML of a device, as a string. */
export function renderDocs(dir: string, format: DocsFormat): { device: string; contents: string } {
  const { device } = compileDevice(dir);
  const contents = format === "html" ? renderHtmlPage(device) : render("docs/device.md.hbs", docsView(device));
  return { device: device.name, contents };
}

export function runDocs(options: DocsOptions): DocsResult {
  const { device, contents } = renderDocs(chooseDevice(options.dir), options.format);
  let out = options.out ?? (options.format === "html" ? `${device}.html` : null);
  if (out === null) return { ok: true, device, format: options.format, out: null, contents };
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) out = path.join(out, `${device}.${options.format}`);
  try {
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, contents);
  } catch (err) {
    throw new DevgenError(
      [{ location: null, message: `cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, hint: "pass --out with a path you can write" }],
      3,
    );
  }
  return { ok: true, device, format: options.format, out, contents: null };
}

/** What `devgen docs` prints: the document itself, or where it went. */
export function formatDocs(result: DocsResult): string {
  if (result.contents !== null) return result.contents.replace(/\n$/, "");
  return `${result.device}: ${result.format === "html" ? "HTML page" : "Markdown"} written to ${result.out}`;
}
