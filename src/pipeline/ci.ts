/**
 * `devgen ci`: the test matrix (src/ci/) of the project's devices, listed, emitted as a GitHub
 * Actions workflow or a GitLab CI pipeline, or one cell of it run here (the CLI runs it as
 * `devgen test-in-vm` would). The devices are compiled to learn each one's KVM API, which
 * their cells run first.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cellId, type Cell } from "../ci/cell.js";
import { cacheKey, patchHash } from "../ci/cache-key.js";
import { githubWorkflow } from "../ci/github-workflow.js";
import { gitlabPipeline } from "../ci/gitlab-pipeline.js";
import { ciMatrix, findCell, type MatrixOptions } from "../ci/matrix.js";
import { yamlFile } from "../ci/yaml-file.js";
import { TEMPLATES_DIR } from "../gen/render.js";
import type { GeneratedFile } from "../gen/types.js";
import { patchedOwners } from "../integrate/patch.js";
import { cachedKernel } from "../toolchain/kernel-fetch.js";
import { cachedQemu } from "../toolchain/qemu-fetch.js";
import { DevgenError } from "../util/diagnostics.js";
import { devgenVersion } from "../util/devgen-version.js";
import { unpatchTree } from "./build.js";
import { compileAll } from "./generate.js";
import { projectDeviceDirs } from "./devices.js";

export interface CiOptions extends MatrixOptions {
  /** Device directories; default the project's devices and examples. */
  devices?: readonly string[];
}

/** The matrix of the given (or the project's) devices. */
export function loadMatrix(options: CiOptions): Cell[] {
  const compiled = compileAll(projectDeviceDirs(options.devices));
  const devices = compiled.map((c) => ({ name: c.device.name, dir: path.dirname(c.device.source), api: c.device.kvm.api.kind }));
  return ciMatrix(devices, options);
}

/** The arguments that make this matrix again: what each cell's command in a workflow repeats. */
export function matrixArgs(options: CiOptions): string[] {
  return [
    ...(options.devices ?? []),
    ...(options.kernels?.length ? ["--kernels", ...options.kernels] : []),
    ...(options.qemus?.length ? ["--qemus", ...options.qemus] : []),
    ...(options.levels?.length ? ["--levels", ...options.levels] : []),
    ...(options.fuzzSeconds !== undefined ? ["--fuzz-seconds", String(options.fuzzSeconds)] : []),
    ...(options.apis?.length ? ["--apis", ...options.apis] : []),
  ];
}

/** The cell of this id, or a usage error naming the closest ones. */
export function resolveCell(cells: readonly Cell[], id: string): Cell {
  const found = findCell(cells, id);
  if ("cell" in found) return found.cell;
  const closest = found.closest.slice(0, 5);
  throw DevgenError.single(
    `no cell ${id} in the matrix (device/kernel/qemu/api/level)`,
    closest.length ? `closest: ${closest.join(", ")}` : "devgen ci --list shows every cell (with the same devices and options)",
  );
}

/** devgen's templates, whatever the devices: what the cache key's patch hash covers. */
function templateFiles(): GeneratedFile[] {
  return fs
    .readdirSync(TEMPLATES_DIR, { recursive: true, encoding: "utf8" })
    .sort()
    .map((file) => path.join(TEMPLATES_DIR, file))
    .filter((file) => fs.statSync(file).isFile())
    .map((file) => ({ path: path.relative(TEMPLATES_DIR, file), contents: fs.readFileSync(file, "utf8") }));
}

/**
 * Before a cell runs: the devgen devices its pair's cached trees hold from other cells are
 * removed, so the cell's device is built alone, as on a fresh runner. Trees cached per pair
 * accumulate devices, and a device generated with its other API takes that API's default
 * numbers, which another device may hold (two devices of type 128, or at ioctl 0xfc).
 */
export function aloneInCachedTrees(cell: Cell): string[] {
  const trees = [cachedKernel(cell.kernel)?.srcDir, cachedQemu(cell.qemu)?.srcDir].filter((tree): tree is string => tree !== undefined);
  return trees.flatMap((tree) => unpatchTree(tree, patchedOwners(tree).filter((owner) => owner !== cell.device)));
}

/** The cache key of the trees a cell's run left in devgen's cache: its pair's. */
export function cellCacheKey(cell: Cell): string {
  const kernel = cachedKernel(cell.kernel);
  const qemu = cachedQemu(cell.qemu);
  return cacheKey(
    cell,
    { kernel: kernel && { sourceVersion: kernel.sourceVersion, release: kernel.release }, qemu: qemu && { sourceVersion: qemu.sourceVersion } },
    patchHash(devgenVersion(), templateFiles()),
  );
}

export type CiEngine = "github" | "gitlab";

const WHERE: Record<CiEngine, string> = { github: ".github/workflows/devgen.yml", gitlab: ".gitlab-ci.yml" };

/** The engine's CI file for the matrix: every cell a job running `devgen ci --run-cell`. */
export function ciFile(engine: CiEngine, cells: readonly Cell[], options: CiOptions): string {
  const args = matrixArgs(options);
  const again = ["devgen ci", `--${engine}`, ...args].join(" ");
  const header = `Written by \`${again} > ${WHERE[engine]}\`: run that again after adding a device.\n${cells.length} cells, each \`devgen ci --run-cell <cell>\`: what \`${["devgen ci --list", ...args].join(" ")}\` prints.`;
  return yamlFile(engine === "github" ? githubWorkflow(cells, args) : gitlabPipeline(cells, args), header);
}

export function formatCells(cells: readonly Cell[]): string {
  return cells.map(cellId).join("\n");
}
