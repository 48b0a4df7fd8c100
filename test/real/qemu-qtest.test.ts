/**
 * The conformance vectors against QEMU's real emulated device, over the qtest protocol: with
 * DEVGEN_QEMU_BINARY naming a qemu-system-x86_64 built with the devices (or with
 * DEVGEN_REAL=1, which builds Debian's QEMU 7.2 with all of them), every vector of xche (and
 * of each example the binary contains) against the device, and a tampered vector to show the
 * harness reports exactly that one. The harness itself against a fake PC:
 * test/unit/qemu-qtest.test.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseVectorsJson, QtestDevice, runVectorsQtest } from "../../src/harness/qtest.js";
import type { Device } from "../../src/ir/types.js";
import { generateVectors } from "../../src/reference/vectors.js";
import { compileDevice } from "../../src/compile/index.js";
import { generateAll } from "../../src/gen/index.js";
import { runQtestLevel } from "../../src/harness/qtest-level.js";
import { ensureStep } from "../../src/toolchain/packages.js";
import { quietProgress } from "../../src/util/progress.js";
import { QTEST_DEVICES as DEVICES, report, tamper } from "../helpers/qtest.js";
import { DEFAULT_FIRMWARE_DIRS, QemuQtest } from "../../src/harness/qemu-qtest.js";
import { stateLayout } from "../../src/reference/state-rules.js";

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
        // Most reads and line checks are compared: writes, which the action-sequence phase makes
        // many of, are never "checked".
        const checkable = vectors.filter((v) => v.op === "read" || v.op === "irq").length;
        expect(result.checked + result.unclaimed).toBeGreaterThan(checkable / 2);
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

    test("migration: xche's state comes back in a QEMU of the same layout; a state of another layout is refused, naming both", async () => {
      const device = deviceOf("devices/xche");
      const offsetOf = (name: string): number => device.registers.find((r) => r.name === name)!.offset;
      const state = path.join(tmp, "xche.state");
      const log = path.join(tmp, "xche-migration.log");
      const args = ["-m", "64"];

      const source = await QemuQtest.start({ binary, device: "xche,in-kernel=off", log, extraArgs: args });
      try {
        const guest = new QtestDevice(source.qtest, device, () => source.systemReset(), log);
        await guest.setup();
        await guest.write(offsetOf("SCRATCH"), 4, 0x5eed1234n);
        await guest.write(offsetOf("KEY"), 2, 0x1357n);
        await source.qmp.execute("migrate", { uri: `exec:cat > ${state}` });
        await migrationCompleted(source);
      } finally {
        await source.close();
      }

      const destination = await QemuQtest.start({ binary, device: "xche,in-kernel=off", log, extraArgs: [...args, "-incoming", `exec:cat ${state}`] });
      try {
        await destination.qmp.event("RESUME");
        const guest = new QtestDevice(destination.qtest, device, () => destination.systemReset(), log);
        await guest.setup();
        expect(await guest.read(offsetOf("SCRATCH"), 4)).toBe(0x5eed1234n);
        expect(await guest.read(offsetOf("KEY"), 2)).toBe(0x1357n);
      } finally {
        await destination.close();
      }

      // What a build with DATA_IN and SCRATCH declared the other way round sends: the same
      // stream but for its layout word (the registers' values travel in declaration order).
      const [first, second] = [device.registers.findIndex((r) => r.name === "DATA_IN"), device.registers.findIndex((r) => r.name === "SCRATCH")];
      const reordered = [...device.registers];
      [reordered[first], reordered[second]] = [reordered[second]!, reordered[first]!];
      const ours = stateLayout(device);
      const theirs = stateLayout({ ...device, registers: reordered });
      expect(theirs).not.toBe(ours);
      const stream = fs.readFileSync(state);
      const word = (n: number): Buffer => Buffer.from(n.toString(16).padStart(8, "0"), "hex");
      const at = stream.indexOf(word(ours));
      expect(at).toBeGreaterThan(0);
      expect(stream.indexOf(word(ours), at + 1)).toBe(-1);
      word(theirs).copy(stream, at);
      const foreign = path.join(tmp, "xche-reordered.state");
      fs.writeFileSync(foreign, stream);

      const firmware = DEFAULT_FIRMWARE_DIRS.filter((dir) => fs.existsSync(dir)).flatMap((dir) => ["-L", dir]);
      const refused = spawnSync(
        binary,
        ["-machine", "pc", "-accel", "qtest", "-display", "none", "-nodefaults", ...firmware, ...args, "-device", "xche,in-kernel=off", "-incoming", `exec:cat ${foreign}`],
        { encoding: "utf8", timeout: 60_000 },
      );
      const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;
      expect(refused.stderr).toContain(`xche: incoming register layout ${hex(theirs)} is not ${hex(ours)}`);
      expect(refused.status).not.toBe(0);
      expect(refused.signal).toBeNull();
    });
  });
}

/** Polls query-migrate until the outgoing migration has completed (QEMU 7.2 sends no event by default). */
async function migrationCompleted(qemu: QemuQtest): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    const { status } = (await qemu.qmp.execute("query-migrate")) as { status?: string };
    if (status === "completed") return;
    if (status === "failed" || status === "cancelled") throw new Error(`migration ${status}; log: ${qemu.log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`migration did not complete within 30 s; log: ${qemu.log}`);
}
