/**
 * Module mode builds kvm.ko on this machine for Debian's stock image. That is only sound
 * with the compiler that built the image (its major version): another one answers Kconfig's
 * CC_HAS_* questions differently, `make olddefconfig` drifts from the image's config
 * (config-drift.ts) and the modules may not load. So a fetched kernel says which compiler
 * built its image and whether this machine has it or can install it from its apt sources;
 * when it cannot, the kernel can only be built whole (`--full`), with the machine's compiler.
 */
import { execFileSync } from "node:child_process";
import { onPath } from "./package-evidence.js";

export interface ImageCompiler {
  /** The image config's CONFIG_CC_VERSION_TEXT: "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0". */
  text: string;
  /** The command it names, for CC=: "x86_64-linux-gnu-gcc-14". */
  command: string;
  /** The Debian package that has that command: "gcc-14". */
  package: string;
}

export type CompilerAvailability = "installed" | "installable" | "missing";

/** Which compiler built a kernel, from its config; null when the config does not say. Pure. */
export function imageCompiler(config: string): ImageCompiler | null {
  const symbol = (name: string): string | null => new RegExp(`^CONFIG_${name}=(.*)$`, "m").exec(config)?.[1] ?? null;
  const text = symbol("CC_VERSION_TEXT")?.replace(/^"|"$/g, "");
  if (!text) return null;
  const major = (version: string | null): number => Math.floor(Number(version ?? 0) / 10_000);
  const gcc = major(symbol("GCC_VERSION"));
  const clang = major(symbol("CLANG_VERSION"));
  const pkg = gcc ? `gcc-${gcc}` : clang ? `clang-${clang}` : null;
  if (!pkg) return null;
  return { text, command: text.split(/\s+/)[0], package: pkg };
}

/**
 * Why module mode cannot be used for this image on this machine, as a sentence; null when
 * it can (or the config does not say which compiler built the image: the config drift check
 * still guards the build then). Pure.
 */
export function moduleModeBlocker(series: string, compiler: ImageCompiler | null, availability: CompilerAvailability): string | null {
  if (!compiler || availability !== "missing") return null;
  return (
    `Debian's ${series} image was built with ${compiler.package} (${compiler.text}), which this machine does not have ` +
    `and its apt sources do not offer: modules built here would not match the image`
  );
}

/** Whether the compiler is on PATH, or else whether the machine's own apt sources offer its package. */
export function compilerAvailability(compiler: ImageCompiler): CompilerAvailability {
  if (onPath(compiler.command) || onPath(compiler.package)) return "installed";
  try {
    const out = execFileSync("apt-cache", ["show", "--no-all-versions", compiler.package], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return /^Package: /m.test(out) ? "installable" : "missing";
  } catch {
    return "missing";
  }
}
