/**
 * `npm run bench -- --phases`: where a cold load's time goes on the largest synthetic device,
 * phase by phase, in a fresh process. The compiler runs as the loader runs it (same options,
 * same DSL declarations); the figures say why the cold column misses the target.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { COMPILER_OPTIONS, DSL_DIR } from "../src/compile/load.js";
import { syntheticDevice } from "./synthetic.js";

interface Phase {
  phase: string;
  ms: number;
  rssMb: number;
}

/** Runs in the child: each phase's time and the RSS after it. */
function measure(registers: number): Phase[] {
  const phases: Phase[] = [];
  let last = performance.now();
  const lap = (phase: string): void => {
    const now = performance.now();
    phases.push({ phase, ms: now - last, rssMb: process.memoryUsage().rss / 1e6 });
    last = now;
  };
  const { Project, ts } = createRequire(import.meta.url)("ts-morph") as typeof import("ts-morph");
  lap("load the compiler");
  const { options } = ts.convertCompilerOptionsFromJson(COMPILER_OPTIONS, DSL_DIR);
  const project = new Project({ compilerOptions: options });
  const text = syntheticDevice(registers);
  const source = project.createSourceFile(path.join(os.tmpdir(), "devgen-phases", "device.ts"), text).compilerNode;
  lap(`parse the device file (${(text.length / 1e6).toFixed(2)} MB)`);
  const program = project.getProgram().compilerObject;
  lap("read and parse the standard library and the DSL");
  program.getTypeChecker();
  lap("bind every file, merge the globals");
  const errors = program.getSemanticDiagnostics(source).length;
  if (errors) throw new Error(`the synthetic device has ${errors} type errors`);
  lap("type-check the device file");
  program.emit(source, () => {});
  lap("emit JavaScript");
  return phases;
}

export function benchCompilerPhases(registers: number): void {
  const output = execFileSync(process.execPath, [fileURLToPath(import.meta.url), String(registers)], { encoding: "utf8" });
  const phases = JSON.parse(output) as Phase[];
  console.log(`\ncold load of ${registers} registers, phase by phase (fresh process)\n`);
  console.log("phase                                                  |    ms | RSS after MB");
  console.log("------------------------------------------------------ | ----- | ------------");
  for (const { phase, ms, rssMb } of phases) {
    console.log(`${phase.padEnd(54)} | ${ms.toFixed(0).padStart(5)} | ${rssMb.toFixed(0).padStart(12)}`);
  }
  const total = phases.reduce((sum, p) => sum + p.ms, 0);
  console.log(`${"total".padEnd(54)} | ${total.toFixed(0).padStart(5)} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(measure(Number(process.argv[2]))));
}
