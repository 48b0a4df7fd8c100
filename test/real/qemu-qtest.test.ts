/**
 * The conformance vectors against QEMU's real emulated device, over the qtest protocol: with
 * DEVGEN_QEMU_BINARY naming a qemu-system-x86_64 built with the devices (or with
 * DEVGEN_REAL=1, which builds Debian's QEMU 7.2 with all of them), every vector of xche (and
 * of each example the binary contains) against the device, and a tampered vector to show the
 * harness reports exactly that one. The harness itself against a fake PC:
 * test/unit/qemu-qtest.test.ts.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseVectorsJson, runVectorsQtest } from "../../src/harness/qtest.js";
import type { Device } from "../../src/ir/types.js";
import { generateVectors } from "../../src/reference/vectors.js";
import { compileDevice } from "../../src/compile/index.js";
import { generateAll } from "../../src/gen/index.js";
import { runQtestLevel } from "../../src/harness/qtest-level.js";
import { ensureStep } from "../../src/toolchain/packages.js";
import { quietProgress } from "../../src/util/progress.js";
import { QTEST_DEVICES as DEVICES, report, tamper } from "../helpers/qtest.js";

const compiled = new Map(DEVICES.map((dir) => [dir, compileDevice(dir).device]));
const deviceOf = (dir: string): Device => compiled.get(dir)!;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-qtest-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * A QEMU with every example device: DEVGEN_QEMU_BINARY, or with DEVGEN_REAL=1 the one
 * `devgen build` makes from Debian's 7.2 (patched with all of DEVICES).
 */
const binary = process.env.DEVGEN_QEMU_BINARY ?? (process.env.DEVGEN_REAL === "1" ? buildQemuWithDevices() : undefined);

function buildQemuWithDevices(): string {
  const out = execFileSync(process.execPath, ["dist/src/cli/main.js", "build", ...DEVICES, "--only", "qemu", "--json"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out).qemu.binary as string;
}
/** QOM types the binary offers, from `-device help`. */
const available = ((): Set<string> => {
  if (!binary) return new Set();
  try {
    const help = execFileSync(binary, ["-machine", "none", "-device", "help"], { encoding: "utf8", timeout: 30_000 });
    return new Set([...help.matchAll(/^name "([^"]+)"/gm)].map((m) => m[1]!));
  } catch {
    return new Set();
  }
})();

if (!binary) {
  test.skip("QEMU qtest conformance: set DEVGEN_REAL=1, or DEVGEN_QEMU_BINARY to a qemu-system-x86_64 built with xche", () => {});
} else {
  describe(`QEMU qtest conformance (${binary})`, () => {
    // The firmware the built QEMU loads: what step qtest declares (a fresh machine lacks it).
    beforeAll(() => ensureStep("qtest", path.join(tmp, "packages.log"), quietProgress), 10 * 60_000);

    test("the binary offers the xche device", () => {
      expect([...available]).toContain("xche");
    });

    for (const dir of DEVICES) {
      const device = deviceOf(dir);
      const run = available.has(device.name) ? test : test.skip;
      run(`${device.name}: every conformance vector passes against the emulated device`, async () => {
        const vectors =
          dir === "devices/xche"
            ? parseVectorsJson(fs.readFileSync("generated/xche/tests/xche_vectors.json", "utf8"))
            : generateVectors(device);
        const log = path.join(tmp, `${device.name}.log`);
        const result = await runVectorsQtest({ binary, device, vectors, log });
        expect(report(result)).toBe("");
        expect(result.failed).toBe(0);
        expect(result.checked + result.unclaimed).toBeGreaterThan(vectors.length / 2);
        if (device.interrupt) expect(fs.readFileSync(log, "utf8")).toMatch(/IRQ raise 11/);
      });
    }

    test("xche in slot 4 (pin A swizzled to PIRQD) still raises IRQ 11 when the model says so", async () => {
      const device = deviceOf("devices/xche");
      const vectors = generateVectors(device);
      const log = path.join(tmp, "xche-slot4.log");
      const result = await runVectorsQtest({ binary, device, vectors, log, deviceProperties: "in-kernel=off,addr=04.0" });
      expect(report(result)).toBe("");
      expect(result.failed).toBe(0);
      expect(fs.readFileSync(log, "utf8")).toMatch(/IRQ raise 11/);
    });

    test("xche: a tampered vector is reported, and only that one", async () => {
      const device = deviceOf("devices/xche");
      const { vectors, read, irq } = tamper(generateVectors(device));
      const result = await runVectorsQtest({ binary, device, vectors, log: path.join(tmp, "xche-tampered.log") });
      expect(result.failures.map((f) => f.index)).toEqual([read, irq]);
    });

    test("level qtest: xche's artifact set passes; a tampered vector fails the level, named in its check", async () => {
      const compiled = compileDevice("devices/xche");
      const passed = await runQtestLevel({ device: compiled.device, generated: generateAll(compiled), qemuBinary: binary, runDir: path.join(tmp, "level"), progress: quietProgress });
      expect(passed.checks.filter((c) => !c.ok)).toEqual([]);
      expect(passed).toMatchObject({ level: "qtest", ok: true, accel: { name: "qtest" } });
      expect(passed.checks[0]!.name).toMatch(/^every vector: reads and the line equal the reference model \([1-9]\d* compared/);
      expect(fs.existsSync(path.join(tmp, "level", "result.json"))).toBe(true);

      // The first read of ID ("XCHE") expects "XCHF".
      const vectorsJson = "tests/xche_vectors.json";
      const raw = JSON.parse(generateAll(compiled).find((f) => f.path === vectorsJson)!.contents) as Record<string, unknown>[];
      const index = raw.findIndex((v) => v.op === "read" && v.claimed && Number(v.offset) === 0 && v.expect === "0x58434845");
      expect(index).toBeGreaterThanOrEqual(0);
      raw[index]!.expect = "0x58434846";
      const tampered = generateAll(compiled).map((f) => (f.path === vectorsJson ? { ...f, contents: JSON.stringify(raw) } : f));
      const failed = await runQtestLevel({ device: compiled.device, generated: tampered, qemuBinary: binary, runDir: path.join(tmp, "level-tampered"), progress: quietProgress });
      expect(failed.ok).toBe(false);
      expect(failed.checks[0]!.detail).toContain(`#${index} read offset 0x0 size 4: expected 0x58434846`);
    });
  });
}
