/**
 * docs/: the register map a reviewer reads (`<name>.md`) and the standalone C header a
 * guest driver includes (`<name>_regs.h`). The views decide every word; the templates only
 * lay them out.
 */
import { render } from "../render.js";
import type { Generator } from "../types.js";
import { docsView } from "./device-page.js";
import { headerView } from "./regs-header.js";

export const generateDocs: Generator = ({ device }) => [
  { path: `docs/${device.name}.md`, contents: render("docs/device.md.hbs", docsView(device)) },
  { path: `docs/${device.name}_regs.h`, contents: render("docs/regs.h.hbs", headerView(device)) },
];
