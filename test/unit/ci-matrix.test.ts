/** `devgen ci`'s matrix (src/ci/matrix.ts) and the CLI around it: ids, pairs, options, errors. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { cellId } from "../../src/ci/cell.js";
import { cacheKey, cacheKeyPrefix, patchHash } from "../../src/ci/cache-key.js";
import { ciMatrix, findCell, treePairs, type CiDevice } from "../../src/ci/matrix.js";
import { DEFAULT_FUZZ_SECONDS } from "../../src/harness/fuzz-level.js";
import { matrixArgs } from "../../src/pipeline/ci.js";

const XCHE: CiDevice = { name: "xche", dir: "devices/xche", api: "ioctl" };
const HPET: CiDevice = { name: "hpet_timer", dir: "examples/hpet_timer", api: "device" };

test("default: the oldest and the newest pair of the series devgen fetches", () => {
  expect(treePairs()).toEqual([
    { kernel: "6.1", qemu: "7.2" },
    { kernel: "7.3", qemu: "10.2" },
  ]);
});

test("--kernels and --qemus: every kernel given with every QEMU given, the side not given keeps both ends", () => {
  expect(treePairs({ kernels: ["6.1"], qemus: ["7.2"] })).toEqual([{ kernel: "6.1", qemu: "7.2" }]);
  expect(treePairs({ kernels: ["7.2", "6.12", "6.12"] }).map((p) => `${p.kernel}/${p.qemu}`)).toEqual(["6.12/7.2", "6.12/10.2", "7.2/7.2", "7.2/10.2"]);
  expect(treePairs({ qemus: ["10.0"] }).map((p) => `${p.kernel}/${p.qemu}`)).toEqual(["6.1/10.0", "7.3/10.0"]);
});

test("every device × both APIs (its own first) × pair × kvm, qemu, full, and one fuzz cell per device and API on the newest kernel", () => {
  const ids = ciMatrix([XCHE, HPET]).map(cellId);
  const cells = (device: string, api: string) => [
    `${device}/6.1/7.2/${api}/kvm`,
    `${device}/6.1/7.2/${api}/qemu`,
    `${device}/6.1/7.2/${api}/full`,
    `${device}/7.3/10.2/${api}/kvm`,
    `${device}/7.3/10.2/${api}/qemu`,
    `${device}/7.3/10.2/${api}/full`,
    `${device}/7.3/10.2/${api}/fuzz`,
  ];
  expect(ids).toEqual([...cells("xche", "ioctl"), ...cells("xche", "device"), ...cells("hpet_timer", "device"), ...cells("hpet_timer", "ioctl")]);
  expect(ciMatrix([XCHE, HPET], { apis: ["device"] }).map(cellId)).toEqual([...cells("xche", "device"), ...cells("hpet_timer", "device")]);
  const fuzz = ciMatrix([XCHE]).find((c) => c.level === "fuzz")!;
  expect(fuzz).toMatchObject({ dir: "devices/xche", fuzzSeconds: DEFAULT_FUZZ_SECONDS });
});

test("--levels narrows, --fuzz-seconds sets the fuzz cells' time", () => {
  expect(ciMatrix([XCHE], { levels: ["kvm"], apis: ["ioctl"] }).map(cellId)).toEqual(["xche/6.1/7.2/ioctl/kvm", "xche/7.3/10.2/ioctl/kvm"]);
  expect(ciMatrix([XCHE], { levels: ["fuzz"], fuzzSeconds: 3600, kernels: ["6.1", "6.12"], apis: ["ioctl"] })).toEqual([
    { device: "xche", dir: "devices/xche", api: "ioctl", kernel: "6.12", qemu: "10.2", level: "fuzz", fuzzSeconds: 3600 },
  ]);
});

test("an unknown cell: the closest ids, or none", () => {
  const cells = ciMatrix([XCHE, HPET]);
  expect(findCell(cells, "xche/6.1/7.2/ioctl/kvm")).toEqual({ cell: cells[0] });
  expect(findCell(cells, "xche/6.1/7.3/ioctl/kvm")).toEqual({ closest: ["xche/6.1/7.2/ioctl/kvm"] });
  expect(findCell(cells, "xche/7.3/10.2/device/full")).toEqual({ cell: cells.find((c) => c.api === "device" && c.kernel === "7.3" && c.level === "full") });
  expect(findCell(cells, "xche/7.3/10.2/mmio/full")).toEqual({ closest: ["xche/7.3/10.2/ioctl/full", "xche/7.3/10.2/device/full"] });
  expect(findCell(cells, "nothing")).toEqual({ closest: [] });
});

test("a workflow's cell commands repeat the matrix's devices and options", () => {
  expect(matrixArgs({})).toEqual([]);
  expect(matrixArgs({ devices: ["devices/xche"], kernels: ["6.1"], levels: ["kvm", "fuzz"], fuzzSeconds: 60 })).toEqual([
    "devices/xche",
    "--kernels",
    "6.1",
    "--levels",
    "kvm",
    "fuzz",
    "--fuzz-seconds",
    "60",
  ]);
  expect(matrixArgs({ apis: ["device"] })).toEqual(["--apis", "device"]);
});

test("the cache key: the cell's tree pair, the resolved Debian versions, the patch hash; a changed template changes the hash", () => {
  const [cell] = ciMatrix([XCHE]);
  const files = [{ path: "core/core.c.hbs", contents: "int x;\n" }];
  const hash = patchHash("0.1.0", files);
  expect(hash).toMatch(/^[0-9a-f]{16}$/);
  expect(patchHash("0.1.0", [{ ...files[0]!, contents: "int y;\n" }])).not.toBe(hash);
  expect(patchHash("0.2.0", files)).not.toBe(hash);
  const key = cacheKey(cell!, { kernel: { sourceVersion: "6.1.192-2", release: "6.1.0-57-amd64" }, qemu: null }, hash);
  expect(key).toBe(`devgen-linux-6.1-qemu-7.2-6.1.192-2-6.1.0-57-amd64-none-${hash}`);
  expect(key.startsWith(cacheKeyPrefix(cell!))).toBe(true);
  // Every cell of a pair shares its entries, whatever the device, API or level; the other pair has its own.
  const cells = ciMatrix([XCHE, HPET]);
  const prefixes = new Set(cells.map(cacheKeyPrefix));
  expect([...prefixes]).toEqual(["devgen-linux-6.1-qemu-7.2-", "devgen-linux-7.3-qemu-10.2-"]);
});

describe("devgen ci on the command line", () => {
  const CLI = path.resolve("dist/src/cli/main.js");
  const devgen = (...args: string[]) => spawnSync(process.execPath, [CLI, "ci", ...args], { encoding: "utf8" });

  test("--list: the project's devices and examples, one cell a line; --json the cells", () => {
    const list = devgen("--list");
    expect(list.status).toBe(0);
    const ids = list.stdout.trim().split("\n");
    expect(ids).toContain("xche/6.1/7.2/ioctl/kvm");
    expect(ids).toContain("hpet_timer/7.3/10.2/device/fuzz");
    expect(ids).toContain("xche/7.3/10.2/device/full");
    expect(ids).toHaveLength(5 * 2 * 7);
    const json = JSON.parse(devgen("--json", "--list", "--levels", "kvm").stdout) as { id: string; level: string }[];
    expect(json.map((c) => c.id)).toEqual(ids.filter((id) => id.endsWith("/kvm")));
  });

  test("bad input: one clear error, exit 2", () => {
    const unknown = devgen("--run-cell", "xche/6.1/7.3/ioctl/kvm", "devices/xche");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe("error: no cell xche/6.1/7.3/ioctl/kvm in the matrix (device/kernel/qemu/api/level)\n  hint: closest: xche/6.1/7.2/ioctl/kvm\n");
    expect(devgen().stderr).toContain("name one of --list, --github, --gitlab, --run-cell ID, --cache-key ID");
    expect(devgen("--list", "--github").status).toBe(2);
    expect(devgen("--list", "--fuzz-seconds", "1.5").stderr).toContain("--fuzz-seconds takes a whole number of seconds above 0");
    expect(devgen("--list", "--kernels", "5.10").status).toBe(2);
  });
});
