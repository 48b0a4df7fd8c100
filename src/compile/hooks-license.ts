/**
 * hooks.c is copied into QEMU's hw/misc/ as well as into the kernel. QEMU takes code that is
 * GPL-2.0-only in a few directories alone (its LICENSE file), so a hooks.c whose SPDX line
 * offers no license QEMU accepts there is refused before it is copied anywhere. The kernel
 * accepts all of these. A file without an SPDX line is left to the trees' checkpatch.
 */
import type { Diagnostic } from "../util/diagnostics.js";
import { positionIn, type HooksFile } from "./hooks-file.js";

/** Licenses QEMU accepts in hw/misc/ (its LICENSE: GPL-2.0-or-later, or compatible with it). */
const ACCEPTED = ["GPL-2.0-or-later", "GPL-2.0+", "LGPL-2.1-or-later", "LGPL-2.1+", "MIT", "BSD-2-Clause", "BSD-3-Clause"];

const SPDX_LINE = /SPDX-License-Identifier:[ \t]*(.+?)[ \t]*(?:\*\/)?[ \t]*$/m;

export function checkHooksLicense(hooks: HooksFile): Diagnostic[] {
  const match = SPDX_LINE.exec(hooks.text);
  if (!match) return [];
  const expression = match[1]!;
  const offered = expression.replace(/[()]/g, " ").split(/\s+OR\s+/i).map((s) => s.trim());
  if (offered.some((license) => ACCEPTED.includes(license))) return [];
  const start = match.index + match[0].indexOf(expression);
  return [
    {
      location: { file: hooks.path, ...positionIn(hooks.text, start) },
      message: `hooks.c is ${expression}, which QEMU does not take in hw/misc/, where devgen copies it`,
      hint: "make it GPL-2.0-or-later (what devgen new writes), or dual-license it with one QEMU takes",
    },
  ];
}
