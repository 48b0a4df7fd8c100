/**
 * hooks.c compiled against the core header devgen generates for it, at check time: the
 * kernel and QEMU builds would be the first to find that it does not compile. gcc checks
 * it with the flags and include directory the native tests build it with, syntax only.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CompiledDevice } from "../compile/index.js";
import { generateCore, HOOK_CFLAGS } from "../gen/core/index.js";
import { DEFAULT_TARGETS } from "../gen/index.js";
import { ensureStep } from "../toolchain/packages.js";
import { logsDir } from "../util/cache-dir.js";
import { DevgenError, type Diagnostic } from "../util/diagnostics.js";
import type { Progress } from "../util/progress.js";

/**
 * Plain lines (no colours, carets or URLs), columns in bytes as devgen counts them, and
 * ASCII quotes whatever the user's locale.
 */
const DIAGNOSTIC_FLAGS = ["-fdiagnostics-plain-output", "-fdiagnostics-column-unit=byte"];
const ERROR_LINE = /^(.*?):(\d+):(\d+): (?:fatal )?error: (.*)$/;

/**
 * For the commands that install what their steps need (build, test-in-vm, bench, demo): gcc
 * before compileAll needs it, so that a fresh machine's first `devgen demo` gets that far.
 * check and generate install nothing; they say what to install.
 */
export async function ensureHooksCompiler(progress: Progress): Promise<void> {
  await ensureStep("check-hooks", path.join(logsDir(), "check-hooks.log"), progress);
}

export function checkHooksCompile({ device, hooks }: CompiledDevice): Diagnostic[] {
  if (!hooks) return [];
  const header = fs.mkdtempSync(path.join(os.tmpdir(), `devgen-hooks-${device.name}-`));
  try {
    for (const file of generateCore({ device, hooks: null, targets: DEFAULT_TARGETS })) {
      fs.writeFileSync(path.join(header, path.basename(file.path)), file.contents);
    }
    const gcc = spawnSync("gcc", ["-fsyntax-only", ...HOOK_CFLAGS, ...DIAGNOSTIC_FLAGS, "-I", header, hooks.path], {
      encoding: "utf8",
      env: { ...process.env, LC_ALL: "C" },
    });
    if (gcc.error) {
      const why = (gcc.error as NodeJS.ErrnoException).code === "ENOENT" ? "gcc is not on PATH" : `gcc did not run: ${gcc.error.message}`;
      throw new DevgenError(
        [{ location: null, message: `cannot check that ${hooks.path} compiles: ${why}`, hint: "install gcc and libc6-dev: devgen doctor --for check --fix" }],
        3,
      );
    }
    if (gcc.status === 0) return [];
    const hint = `the kernel and QEMU compile hooks.c against the generated ${device.name}_core.h; devgen checks it with gcc -fsyntax-only ${HOOK_CFLAGS.join(" ")}`;
    const errors = gcc.stderr.split("\n").flatMap((line): Diagnostic[] => {
      const [, file, lineNumber, column, message] = ERROR_LINE.exec(line) ?? [];
      if (file === undefined) return [];
      // Only a header devgen wrote, which is gone when the user reads this: name it alone.
      if (file !== hooks.path) return [{ location: null, message: `${path.basename(file)}:${lineNumber}: ${message!}`, hint }];
      return [{ location: { file, line: Number(lineNumber), column: Number(column) }, message: message!, hint }];
    });
    if (errors.length) return errors;
    throw new DevgenError([{ location: null, message: `gcc failed on ${hooks.path} without an error line: ${gcc.stderr.trim()}`, hint: "" }], 3);
  } finally {
    fs.rmSync(header, { recursive: true, force: true });
  }
}
