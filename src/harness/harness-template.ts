/**
 * The guest programs' per-device headers are handlebars templates in kernel-harness/ and
 * qemu-harness/, rendered from a view of the IR: C that reads like C, each compiled once.
 */
import * as fs from "node:fs";
import Handlebars from "handlebars";

const handlebars = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

export function renderHarnessTemplate(file: string, view: object): string {
  let template = compiled.get(file);
  if (!template) {
    template = handlebars.compile(fs.readFileSync(file, "utf8"), { strict: true, noEscape: true });
    compiled.set(file, template);
  }
  return template(view);
}
