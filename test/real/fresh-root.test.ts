/**
 * The fresh-machine proof (issue: meson and dwarves were missing on a new Debian 12): in
 * minimal Debian 12 roots made by mmdebstrap, with nothing but node, the compiled checkout and
 * the cached trees, devgen installs what a step declares and then runs the step's parts that
 * find out what is missing: kernel modules_prepare per series (config drift checked), QEMU
 * configure per release, each level's guest programs and an initramfs. Each step gets a root
 * of its own, so one step's packages cannot hide another's gap. Doctor must name what is
 * missing before, and nothing after; and the README's first command, `npm ci && npx devgen
 * demo`, passes there and leaves doctor nothing to report. Runs with DEVGEN_REAL=1.
 */
import * as path from "node:path";
import { STEPS, type Step } from "../../src/toolchain/step-needs.js";
import { cacheRoot } from "../../src/util/cache-dir.js";
import { fetchKernel, KERNEL_SERIES, type KernelSeries } from "../../src/toolchain/kernel-fetch.js";
import { fetchQemu, qemuBuildSeries, QEMU_SERIES } from "../../src/toolchain/qemu-fetch.js";
import { createProgress } from "../../src/util/progress.js";
import { makeFreshRoot, type FreshRoot } from "../helpers/fresh-root.js";

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;
const MINUTE = 60_000;
const checkout = path.resolve(".");
// Outside the cache: the roots see the cache through an overlay the host must not write under.
const log = "/var/tmp/devgen-fresh-root-test.log";

/** A fresh root for the tests of one describe block, with devgen and its task runner in it. */
function freshRootPerBlock() {
  let root: FreshRoot | undefined;
  beforeAll(async () => {
    root = await makeFreshRoot({ cache: cacheRoot(), checkout, devgenCache: cacheRoot(), log });
  }, 15 * MINUTE);
  afterAll(async () => {
    await root?.dispose();
  }, 5 * MINUTE);
  const node = async (args: string[]) => {
    const result = await root!.run("node", args, { cwd: checkout, timeoutMs: 30 * MINUTE, env: { CI: "true" } });
    return { ...result, output: `${result.output}\n(log of the roots: ${log})` };
  };
  return {
    /** A shell command in a fresh clone of the checkout inside the root. */
    inClone: async (command: string) => {
      const dir = await root!.clone("/root/devgen");
      const result = await root!.run("sh", ["-c", command], { cwd: dir, timeoutMs: 60 * MINUTE, env: { CI: "true" } });
      return { ...result, output: `${result.output}\n(log of the roots: ${log})` };
    },
    devgen: (...args: string[]) => node([path.join(checkout, "dist/src/cli/main.js"), ...args]),
    /** Runs test/fresh-root/in-root.ts's tasks; each prints `ok <task>`. */
    tasks: (...tasks: string[]) => node([path.join(checkout, "dist/test/fresh-root/in-root.js"), ...tasks]),
  };
}

/** The tasks ran, each printed its ok line (a failure shows the whole output), and the exit code was 0. */
function expectOk(result: { exitCode: number; output: string }, ...tasks: string[]): void {
  for (const task of tasks) expect(result.output).toContain(`ok ${task} `);
  expect(result.exitCode).toBe(0);
}

real("fresh Debian 12 roots", () => {
  /** The series whose stock image this machine can build modules for (the others need a compiler Debian 12 lacks). */
  const moduleSeries: KernelSeries[] = [];
  beforeAll(async () => {
    // The trees come from the host's cache, as for every real test.
    const progress = createProgress({ mode: "plain" });
    for (const version of KERNEL_SERIES) {
      if (!(await fetchKernel({ version, progress })).moduleModeBlocker) moduleSeries.push(version);
    }
    for (const version of QEMU_SERIES) await fetchQemu({ version, progress });
  }, 30 * MINUTE);

  describe("the kernel modules", () => {
    const { devgen, tasks } = freshRootPerBlock();

    test("before: doctor names what is missing, meson and dwarves among it", async () => {
      const { exitCode, output } = await devgen("doctor", "--for", "all");
      expect(output).toMatch(/^✗ meson +not installed/m);
      expect(output).toMatch(/^✗ dwarves +not installed/m);
      expect(output).toMatch(/^✗ gcc +not installed/m);
      expect(output).toMatch(/^\d+ problems: /m);
      expect(exitCode).toBe(3);
    }, 5 * MINUTE);

    test("without pahole, olddefconfig's drift stops the 6.12 prepare before it builds, naming BTF and dwarves", async () => {
      // What the fresh machine did before dwarves was declared: the kernel build's packages only.
      expectOk(await tasks("packages:kernel-full"), "packages:kernel-full");
      const { exitCode, output } = await tasks("kernel:6.12");
      expect(output).toContain("CONFIG_DEBUG_INFO_BTF (y → not set)");
      expect(output).toContain("pahole is missing or too old (Debian package dwarves)");
      expect(output).not.toContain("make modules_prepare");
      expect(exitCode).toBe(3);
    }, 30 * MINUTE);

    test("with what kernel-modules declares, each series prepares for its stock image (the refused one again)", async () => {
      const series = moduleSeries.map((s) => `kernel:${s}`);
      expectOk(await tasks("packages:kernel-modules", ...series), "packages:kernel-modules", ...series);
    }, 30 * MINUTE);
  });

  describe.each(QEMU_SERIES)("QEMU %s", (series) => {
    const { tasks } = freshRootPerBlock();

    test(`with what fetch-qemu and qemu-${qemuBuildSeries(series)} declare, it configures`, async () => {
      const step = `packages:qemu-${qemuBuildSeries(series)}`;
      expectOk(await tasks("packages:fetch-qemu", step, `qemu:${series}`), "packages:fetch-qemu", step, `qemu:${series}`);
    }, 30 * MINUTE);
  });

  describe.each(["kvm", "qemu", "full", "fuzz", "bench"])("level %s", (level) => {
    const { tasks } = freshRootPerBlock();

    test("with what the level declares, its guest programs compile and its initramfs builds", async () => {
      const step = level === "bench" ? "packages:bench" : `packages:level-${level}`;
      expectOk(await tasks(step, `guests:${level}`), step, `guests:${level}`);
    }, 30 * MINUTE);
  });

  describe("the README's first command", () => {
    const { inClone } = freshRootPerBlock();

    test("npm ci && npx devgen demo passes in a fresh clone, and doctor then finds nothing missing", async () => {
      const demo = await inClone("npm ci --no-audit --no-fund && npx devgen demo && npx devgen doctor");
      expect(demo.output).toMatch(/^demo passed in \d+ s$/m);
      expect(demo.output).toMatch(/^ready/m);
      expect(demo.output).not.toMatch(/^✗/m);
      expect(demo.exitCode).toBe(0);
    }, 60 * MINUTE);
  });

  describe("every step", () => {
    const { devgen, tasks } = freshRootPerBlock();

    test("after installing what every step declares, doctor --for all reports nothing missing", async () => {
      const all = STEPS.map((s: Step) => `packages:${s}`);
      expectOk(await tasks(...all), ...all);
      const { exitCode, output } = await devgen("doctor", "--for", "all");
      expect(output).not.toMatch(/^✗/m);
      expect(output).toMatch(/^ready/m);
      expect(exitCode).toBe(0);
    }, 30 * MINUTE);
  });
});
