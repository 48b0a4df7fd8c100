/** The CLI as a user runs it: exit codes, --json shapes, messages, nothing written on error. */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const CLI = path.resolve("dist/src/cli/main.js");

function devgen(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "devgen-cli-"));
}

test("--help lists the commands with examples; --version prints the package version", () => {
  const help = devgen(tempDir(), "--help");
  expect(help.status).toBe(0);
  for (const command of ["new <name>", "check [devices..]", "generate [devices..]"]) {
    expect(help.stdout).toContain(command);
  }
  expect(devgen(tempDir(), "generate", "--help").stdout).toContain("Examples:");
  const version = JSON.parse(fs.readFileSync("package.json", "utf8")).version;
  expect(devgen(tempDir(), "--version").stdout.trim()).toBe(version);
});

test("an unknown command is a usage error (exit 2)", () => {
  const result = devgen(tempDir(), "frobnicate");
  expect(result.status).toBe(2);
  expect(result.stderr).toContain("Unknown argument: frobnicate");
});

test("unpatch with no tree is a usage error with a hint, not a crash", () => {
  const result = devgen(tempDir(), "unpatch");
  expect(result.status).toBe(2);
  expect(result.stderr).toBe("error: devgen unpatch: name a tree: --kernel-src DIR and/or --qemu-src DIR\n  hint: devgen unpatch --help\n");
});

test("new, check and generate: the scaffold validates and generates", () => {
  const dir = tempDir();
  expect(devgen(dir, "new", "xche").status).toBe(0);
  const check = devgen(dir, "check", "--json");
  expect(check.status).toBe(0);
  expect(JSON.parse(check.stdout)).toEqual({ ok: true, devices: [{ device: "xche", registers: 9 }] });
  const generate = devgen(dir, "generate", "--json");
  expect(generate.status).toBe(0);
  const [result] = JSON.parse(generate.stdout).results;
  expect(result.device).toBe("xche");
  expect(result.out).toBe(path.join("generated", "xche"));
  for (const file of result.files) expect(fs.existsSync(path.join(dir, result.out, file))).toBe(true);
});

test("new never overwrites a device", () => {
  const dir = tempDir();
  devgen(dir, "new", "xche");
  fs.appendFileSync(path.join(dir, "devices/xche/device.ts"), "// mine\n");
  const again = devgen(dir, "new", "xche");
  expect(again.status).toBe(2);
  expect(again.stderr).toContain("devices/xche/device.ts already exists");
  expect(fs.readFileSync(path.join(dir, "devices/xche/device.ts"), "utf8")).toMatch(/\/\/ mine\n$/);
});

test("an invalid device: exit 2, file:line:col and a hint on stderr, nothing written", () => {
  const dir = tempDir();
  devgen(dir, "new", "xche");
  const file = path.join(dir, "devices/xche/device.ts");
  const text = fs.readFileSync(file, "utf8").replace('name: "DATA_IN",\n      offset: 0x10,', 'name: "DATA_IN",\n      offset: 0x12,');
  fs.writeFileSync(file, text);
  const line = text.split("\n").findIndex((l) => l.includes("offset: 0x12")) + 1;
  const column = text.split("\n")[line - 1]!.indexOf("0x12") + 1;
  const result = devgen(dir, "generate");
  expect(result.status).toBe(2);
  expect(result.stderr).toContain(
    `devices/xche/device.ts:${line}:${column}: error: register DATA_IN at 0x12 is not aligned to its 4-byte width\n  hint: use an offset that is a multiple of 4`,
  );
  expect(fs.existsSync(path.join(dir, "generated"))).toBe(false);

  const json = devgen(dir, "check", "--json");
  expect(json.status).toBe(2);
  const parsed = JSON.parse(json.stdout);
  expect(parsed.ok).toBe(false);
  expect(parsed.errors[0]).toEqual({
    location: { file: "devices/xche/device.ts", line, column },
    message: "register DATA_IN at 0x12 is not aligned to its 4-byte width",
    hint: "use an offset that is a multiple of 4",
  });
});

test("generate with no devices/ directory explains what to do", () => {
  const result = devgen(tempDir(), "generate");
  expect(result.status).toBe(2);
  expect(result.stderr).toContain("no device given and no devices/ directory here");
  expect(result.stderr).toContain("devgen new <name>");
});

test("check accepts a device directory given by absolute path", () => {
  const out = execFileSync(process.execPath, [CLI, "check", path.resolve("devices/xche")], { encoding: "utf8" });
  expect(out).toBe("ok: xche (9 registers)\n");
});
