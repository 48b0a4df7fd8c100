#!/usr/bin/env node
/** The devgen command line. */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { DevgenError, formatDiagnostic } from "../util/diagnostics.js";
import { runNew } from "./commands/new.js";
import { compileAll, DEFAULT_OUT, runGenerate } from "./commands/generate.js";
import { deviceDirs } from "./devices.js";
import { EXIT } from "./exit-codes.js";

interface Common {
  json?: boolean;
  verbose?: boolean;
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

function fail(err: unknown, options: Common): never {
  if (err instanceof DevgenError) {
    if (options.json) {
      print(true, { ok: false, errors: err.diagnostics }, "");
    } else {
      process.stderr.write(`${err.diagnostics.map(formatDiagnostic).join("\n")}\n`);
    }
    process.exit(err.exitCode);
  }
  const error = err as Error;
  process.stderr.write(`devgen: internal error: ${error?.message ?? String(err)}\n`);
  if (options.verbose && error?.stack) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write("run again with --verbose for the stack trace, and please report it\n");
  process.exit(EXIT.environment);
}

function guarded<T extends Common>(action: (argv: T) => void): (argv: T) => void {
  return (argv) => {
    try {
      action(argv);
    } catch (err) {
      fail(err, argv);
    }
  };
}

await yargs(hideBin(process.argv))
  .scriptName("devgen")
  .usage("$0 <command> [options]\n\nGenerate a KVM in-kernel device and its QEMU twin from one TypeScript description.")
  .option("json", { type: "boolean", describe: "Print machine-readable JSON on stdout" })
  .option("verbose", { type: "boolean", describe: "Show stack traces and full logs" })
  .command(
    "new <name>",
    "Scaffold devices/<name>/device.ts and hooks.c",
    (y) =>
      y
        .positional("name", { type: "string", demandOption: true, describe: "Device name, a lower-case C identifier" })
        .option("dir", { type: "string", describe: "Directory to create (default devices/<name>)" })
        .example("$0 new xche", "Create devices/xche/ with the xche example device"),
    guarded((argv) => {
      const dir = runNew({ name: argv.name, dir: argv.dir });
      print(argv.json, { ok: true, dir }, `created ${dir}/device.ts and ${dir}/hooks.c\nnext: devgen generate ${dir}`);
    }),
  )
  .command(
    "check [devices..]",
    "Validate device descriptions without writing anything",
    (y) =>
      y
        .positional("devices", { type: "string", array: true, describe: "Device directories (default: every devices/*)" })
        .example("$0 check devices/xche", "Type-check and validate one device"),
    guarded((argv) => {
      const compiled = compileAll(deviceDirs(argv.devices));
      const summary = compiled.map((c) => ({ device: c.device.name, registers: c.device.registers.length }));
      print(argv.json, { ok: true, devices: summary }, summary.map((s) => `ok: ${s.device} (${s.registers} registers)`).join("\n"));
    }),
  )
  .command(
    "generate [devices..]",
    "Write the core, KVM, QEMU, docs and tests for each device",
    (y) =>
      y
        .positional("devices", { type: "string", array: true, describe: "Device directories (default: every devices/*)" })
        .option("out", { type: "string", default: DEFAULT_OUT, describe: "Output root: each device goes to <out>/<name>/" })
        .example("$0 generate", "Generate every device under devices/ into generated/")
        .example("$0 generate examples/uart16550 --out /tmp/gen", "Generate one device elsewhere"),
    guarded((argv) => {
      const results = runGenerate(deviceDirs(argv.devices), argv.out);
      print(argv.json, { ok: true, results }, results.map((r) => `${r.device}: ${r.files.length} files in ${r.out}/`).join("\n"));
    }),
  )
  .demandCommand(1, "name a command; see devgen --help")
  .strict()
  .completion("completion", "Print a shell completion script")
  .fail((message, err, y) => {
    if (err) throw err;
    process.stderr.write(`${y.help().toString?.() ?? ""}\n\ndevgen: ${message}\n`);
    process.exit(EXIT.usage);
  })
  .help()
  .version()
  .parseAsync();
