/**
 * Handlebars set up once: strict (a missing variable is an error, not an empty string),
 * no HTML escaping (we emit C and Markdown), shared partials from `templates/partials/`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { contentKey, readEntry, storeEntry } from "../util/content-cache.js";
import { joinMapped } from "./join.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** `templates/` at the package root, whether running from `src/` or `dist/src/`. */
export const TEMPLATES_DIR = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..", "templates");

const handlebars = Handlebars.create();
// knownHelpersOnly: templates call no helper but Handlebars' own (`each`, `if`), so a
// `{{name}}` is always the view's value, not first looked up among the helpers.
const OPTIONS: CompileOptions = { strict: true, noEscape: true, preventIndent: true, knownHelpersOnly: true };

/**
 * A list for `{{#each}}` whose items' views are made as it renders them. Made up front, the
 * views of a large device's registers outlive many collections, each one moving them;
 * made one at a time, they die young. Iterating it makes the views as well.
 */
export class LazyViews<T, V> implements Iterable<V> {
  constructor(
    readonly items: readonly T[],
    readonly view: (item: T, index: number) => V,
  ) {}

  get length(): number {
    return this.items.length;
  }

  *[Symbol.iterator](): Iterator<V> {
    for (let i = 0; i < this.items.length; i++) yield this.view(this.items[i]!, i);
  }
}

const builtinEach = handlebars.helpers.each!;

/**
 * `{{#each}}` over an array or `LazyViews`, with the text Handlebars' own helper would
 * produce. Its helper appends each item's text to one growing string; this one joins them
 * a few dozen at a time (see `joinMapped`). Anything else (objects, iterables, an empty
 * list's `{{else}}`) goes to Handlebars' helper.
 */
function eachList(this: unknown, context: unknown, options: Handlebars.HelperOptions): string {
  const lazy = context instanceof LazyViews ? context : null;
  const items: unknown = lazy ? lazy.items : context;
  if (!Array.isArray(items) || items.length === 0) return builtinEach.call(this, items, options) as string;
  const data = options.data ? handlebars.createFrame(options.data) : undefined;
  // The item's program reads these when called and keeps neither: one object serves every item.
  const itemOptions: { data: unknown; blockParams?: unknown[] } = { data };
  const declaresBlockParams = (options.fn as { blockParams?: number }).blockParams;
  return joinMapped(items, (item: unknown, i) => {
    if (!(i in items)) return ""; // a hole, which Handlebars' helper skips
    if (data) {
      data.key = i;
      data.index = i;
      data.first = i === 0;
      data.last = i === items.length - 1;
    }
    const view = lazy ? lazy.view(item, i) : item;
    if (declaresBlockParams) itemOptions.blockParams = [view, i];
    return options.fn(view, itemOptions);
  });
}
handlebars.registerHelper("each", eachList);

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
