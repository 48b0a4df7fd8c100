import type { GeneratedFile } from "../gen/types.js";
import { DevgenError } from "../util/diagnostics.js";

/** A file of a device's artifact set, or an error that says to regenerate. */
export function generatedFile(generated: readonly GeneratedFile[], from: string): GeneratedFile {
  const found = generated.find((f) => f.path === from);
  if (!found) throw DevgenError.single(`generated file ${from} is missing`, "run devgen generate again");
  return found;
}

/** A generated snippet's text as an insertion: without its final newline. */
export function generatedText(generated: readonly GeneratedFile[], from: string): string {
  return generatedFile(generated, from).contents.replace(/\n+$/, "");
}
