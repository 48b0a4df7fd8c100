/**
 * Handlebars for HTML: strict like src/gen/render.ts, but escaping on, so every `{{x}}` is
 * safe text; the view's pre-built fragments (names ending in `Html`) use `{{{x}}}`.
 * Partials come from `templates/html/partials/`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Handlebars from "handlebars";
import { TEMPLATES_DIR } from "../render.js";

const handlebars = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();
let partialsLoaded = false;

function loadPartials(): void {
  if (partialsLoaded) return;
  const dir = path.join(TEMPLATES_DIR, "html", "partials");
  for (const file of fs.readdirSync(dir).sort()) {
    if (file.endsWith(".hbs")) handlebars.registerPartial(file.slice(0, -4), fs.readFileSync(path.join(dir, file), "utf8"));
  }
  partialsLoaded = true;
}

/** Renders `templates/<name>` (e.g. `html/page.html.hbs`) with `view`, escaping `{{x}}`. */
export function renderHtml(name: string, view: object): string {
  loadPartials();
  let template = cache.get(name);
  if (!template) {
    const source = fs.readFileSync(path.join(TEMPLATES_DIR, name), "utf8");
    template = handlebars.compile(source, { strict: true, preventIndent: true });
    cache.set(name, template);
  }
  return template(view);
}

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/**
 * The Markdown the docs views produce, as HTML: code spans, **bold**, `[text](#anchor)`
 * links and `\|` (a pipe escaped for tables). Everything else is escaped text.
 */
export function inlineHtml(markdown: string): string {
  return markdown
    .split(/(`[^`]*`)/)
    .map((part) => {
      if (part.startsWith("`") && part.endsWith("`") && part.length >= 2) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      return escapeHtml(part.replace(/\\\|/g, "|"))
        .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
        .replace(/\[([^\]]+)\]\((#[\w-]+)\)/g, '<a href="$2">$1</a>');
    })
    .join("");
}
