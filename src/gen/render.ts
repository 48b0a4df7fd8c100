/**
 * Handlebars set up once: strict (a missing variable is an error, not an empty string),
 * no HTML escaping (we emit C and Markdown), shared partials from `templates/partials/`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { contentKey, readEntry, storeEntry } from "../util/content-cache.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** `templates/` at the package root, whether running from `src/` or `dist/src/`. */
export const TEMPLATES_DIR = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..", "templates");

const handlebars = Handlebars.create();
const OPTIONS: CompileOptions = { strict: true, noEscape: true, preventIndent: true };
const cache = new Map<string, HandlebarsTemplateDelegate>();
let partialsLoaded = false;

function loadPartials(): void {
  if (partialsLoaded) return;
  const dir = path.join(TEMPLATES_DIR, "partials");
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith(".hbs")) {
      handlebars.registerPartial(file.slice(0, -4), compiled(fs.readFileSync(path.join(dir, file), "utf8")));
    }
  }
  partialsLoaded = true;
}

/** Renders `templates/<name>` (e.g. `core/core.c.hbs`) with `view`. */
export function render(name: string, view: object): string {
  loadPartials();
  let template = cache.get(name);
  if (!template) {
    template = compiled(fs.readFileSync(path.join(TEMPLATES_DIR, name), "utf8"));
    cache.set(name, template);
  }
  return template(view);
}

/**
 * A template from its source, compiled once per template version: compiling the templates
 * costs a tenth of a second per run, loading their compiled form a few milliseconds.
 */
function compiled(source: string): HandlebarsTemplateDelegate {
  const key = contentKey([Handlebars.VERSION, JSON.stringify(OPTIONS), source]);
  let specification = readEntry("templates", key);
  if (specification === null) {
    specification = handlebars.precompile(source, { ...OPTIONS }) as string;
    storeEntry("templates", key, specification);
  }
  // The compiled form is the source of an object literal, as Handlebars' own loader evaluates it.
  return handlebars.template(new Function(`return ${specification};`)() as TemplateSpecification);
}
