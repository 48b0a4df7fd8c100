/**
 * Guest-side programs (the KVM test, the QEMU-level test, the L3 payload) are compiled on
 * the host from a handful of sources, most of them rendered per device. Each product lives
 * in `<dir>/<name>-<hash>/`, the hash covering the compiler's version, the commands and every
 * source, so it is rebuilt only when one of them changes and several can coexist.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Progress } from "../util/progress.js";
import { run } from "../util/run.js";

export interface CompileSpec {
  /** The product's file name, also the build directory's prefix: "xche_kvm_test". */
  product: string;
  /** File name → content, written into the build directory. */
  sources: Record<string, string | Buffer>;
  /** Commands run in the build directory, in order; the last must write `product`. */
  commands: readonly (readonly string[])[];
  /** Where products are cached. */
  dir: string;
  log: string;
  progress: Progress;
  hint: string;
}

export async function compileCached(spec: CompileSpec): Promise<{ file: string; reused: boolean }> {
  const { stdout: gccVersion } = await run("gcc", ["--version"], { step: "gcc --version", log: spec.log });
  const hash = createHash("sha256").update(`${gccVersion.split("\n")[0]}\n`);
  for (const command of spec.commands) hash.update(`${command.join(" ")}\n`);
  for (const name of Object.keys(spec.sources).sort()) hash.update(`${name}\n`).update(spec.sources[name]!).update("\n");
  const buildDir = path.join(spec.dir, `${spec.product}-${hash.digest("hex").slice(0, 16)}`);
  const file = path.join(buildDir, spec.product);
  if (fs.existsSync(file)) return { file, reused: true };

  const task = spec.progress.task(`compiling ${spec.product}`);
  const tmp = `${buildDir}.${process.pid}.tmp`;
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    for (const [name, contents] of Object.entries(spec.sources)) fs.writeFileSync(path.join(tmp, name), contents);
    for (const [command, ...args] of spec.commands) {
      await run(command!, args, { step: `compile ${spec.product} (${command})`, log: spec.log, cwd: tmp, hint: spec.hint });
    }
    fs.rmSync(buildDir, { recursive: true, force: true });
    fs.renameSync(tmp, buildDir);
    task.done();
  } catch (err) {
    task.fail();
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { file, reused: false };
}
