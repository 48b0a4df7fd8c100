/**
 * What the VM harness tests share: the devices they run on, the generated trees and
 * scratch directories they make (removed after the test file), the trees `devgen build`
 * makes for the real levels, and the checks every level and guest program must pass.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { GeneratedFile } from "../../src/gen/types.js";
import { fetchKernel, type KernelTree } from "../../src/toolchain/kernel-fetch.js";
import { quietProgress } from "../../src/util/progress.js";
import { generateInto, removeGenerated, type Generated } from "./native.js";

export const EXAMPLES = fs
  .readdirSync("examples")
  .filter((entry) => fs.existsSync(path.join("examples", entry, "device.ts")))
  .sort()
  .map((entry) => path.join("examples", entry));
export const DEVICES = ["devices/xche", ...EXAMPLES];
export const TEN_MINUTES = 10 * 60 * 1000;

/** Call at the top of a test file: `tmpDir` and `generate` clean up after its tests. */
export function useScratch(): { tmpDir: (prefix: string) => string; generate: (dir: string) => Generated } {
  const generated: Generated[] = [];
  const scratch: string[] = [];
  afterAll(() => {
    generated.forEach(removeGenerated);
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    tmpDir(prefix) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      scratch.push(dir);
      return dir;
    },
    generate(dir) {
      const out = generateInto(dir);
      generated.push(out);
      return out;
    },
  };
}

const CLI = path.resolve("dist/src/cli/main.js");

/** What `devgen build <args> --json` printed; the real levels build through the CLI as a user would. */
export function devgenBuild(args: readonly string[]): {
  kernel: { tree: string; release: string; modules: string[]; modulesDir?: string };
  qemu: { binary: string };
} {
  const result = spawnSync(process.execPath, [CLI, "build", ...args, "--json"], { encoding: "utf8", env: { ...process.env } });
  if (result.status !== 0) throw new Error(`devgen build failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * The kvm modules of every device (both KVM APIs) built for Debian's 6.1 image, as `devgen
 * build` makes them, and that image. One device set for every real level on 6.1, so the
 * cached tree is patched and built once, not once per test file.
 */
export async function devicesOn61(): Promise<{ built: ReturnType<typeof devgenBuild>["kernel"]; kernel: KernelTree }> {
  const built = devgenBuild([...DEVICES, "--only", "kernel", "--kernel", "6.1"]).kernel;
  return { built, kernel: await fetchKernel({ version: "6.1", progress: quietProgress }) };
}

/**
 * xche's artifact set with its first read of ID (0x58434845, "XCHE") expecting 0x58434846
 * in the vectors' C header: every level must fail on it and name the vector by `index`.
 */
export function tamperedXche(files: readonly GeneratedFile[]): { files: GeneratedFile[]; index: number } {
  const header = "tests/xche_vectors.h";
  const lines = files.find((f) => f.path === header)!.contents.split("\n");
  const first = lines.findIndex((l) => l.includes("xche_vectors[XCHE_NR_VECTORS] = {"));
  const target = lines.findIndex((l, i) => i > first && l.includes("{ XCHE_VEC_READ, 4, 1, 0x0, 0x58434845ULL, 0xffffffffULL }"));
  expect(target).toBeGreaterThan(first);
  lines[target] = lines[target]!.replace("0x58434845ULL", "0x58434846ULL");
  const tampered = files.map((f) => (f.path === header ? { path: f.path, contents: lines.join("\n") } : f));
  return { files: tampered, index: target - first - 1 };
}

/**
 * A guest program's build contract: it compiles without a warning, and a second build of
 * the same sources reuses the first binary.
 */
export async function expectWarningFreeAndReused(
  main: string,
  build: () => Promise<{ binary: string; reused: boolean }>,
): Promise<{ binary: string }> {
  const first = await build();
  expect(first.reused).toBe(false);
  expect(fs.existsSync(first.binary)).toBe(true);
  execFileSync("gcc", ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-I.", main], { cwd: path.dirname(first.binary), stdio: "pipe" });
  expect(await build()).toEqual({ binary: first.binary, reused: true });
  return first;
}
