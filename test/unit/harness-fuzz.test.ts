/**
 * The VM harness, level fuzz, without a VM: the summary line's parser and its formatting,
 * and that the guest-side fuzzer compiles cleanly for every device (port I/O and MMIO) with
 * its guest code in its own section. A real run: test/real/harness-fuzz.test.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { accelArgs, kvmAccel, tcgAccel } from "../../src/harness/accel.js";
import { defaultFuzzTimeoutMs, formatFuzzSummary, fuzzVmCpus, parseFuzzSummary } from "../../src/harness/fuzz-level.js";
import { buildKvmTest } from "../../src/harness/kvm-level.js";
import { qemuArgs } from "../../src/harness/vm.js";
import { quietProgress } from "../../src/util/progress.js";
import { DEVICES, useScratch } from "../helpers/harness.js";

const { tmpDir, generate } = useScratch();

describe("the fuzzer's summary", () => {
  test("is read from its '# fuzz:' line among the other results", () => {
    const summary = parseFuzzSummary([
      "ok 5 - ioctl fuzzing: 160000 ioctls on 120 VMs in 13.5 s return what the uapi documents",
      "# fuzz: accesses=1234567 vcpus=4 seconds=90.3 ioctls=161234 seed=0x2a\r",
      "1..6",
      "DEVGEN-RESULT level=fuzz status=pass",
    ]);
    expect(summary).toEqual({ accesses: 1234567, vcpus: 4, seconds: 90.3, ioctls: 161234, seed: "0x2a" });
  });

  test("is missing when the fuzzer never got to print it, or printed something else", () => {
    expect(parseFuzzSummary(["ok 1 - guest fuzzing", "not ok 2 - the test VM runs to the end"])).toBeNull();
    expect(parseFuzzSummary(["# fuzz: accesses=12 vcpus=4"])).toBeNull();
    expect(parseFuzzSummary(["# fuzz: accesses=-1 vcpus=4 seconds=1 ioctls=2 seed=0x1"])).toBeNull();
  });

  test("is printed with thousands separators and the splat count", () => {
    expect(formatFuzzSummary({ accesses: 1234567, vcpus: 4, seconds: 90.25, ioctls: 161234, seed: "0x2a", splats: 0 })).toBe(
      "1,234,567 guest accesses on 4 vCPUs, 161,234 ioctls in 90.3 s (seed 0x2a), 0 kernel splats",
    );
    expect(formatFuzzSummary({ accesses: 1, vcpus: 1, seconds: 1, ioctls: 1, seed: "0x1", splats: 1 })).toMatch(/, 1 kernel splat$/);
  });

  test("the VM gets a CPU per fuzzer thread, up to the host's, on one TCG thread", () => {
    expect(fuzzVmCpus(4)).toBe(Math.min(os.availableParallelism(), 5));
    expect(fuzzVmCpus(1)).toBeLessThanOrEqual(2);
    const args = qemuArgs({ level: "fuzz", kernel: "k", initrd: "i", accel: tcgAccel("test"), timeoutMs: 1, runDir: "r", cpus: 2 }, "c");
    expect(args.slice(0, 2)).toEqual(["-accel", "tcg,thread=single"]);
    expect(args[args.indexOf("-smp") + 1]).toBe("2");
    // One CPU, or hardware virtualization: QEMU's own default threading.
    expect(accelArgs(tcgAccel("test"), 1)).toEqual(tcgAccel("test").args);
    expect(accelArgs(kvmAccel("test"), 4)).toEqual(kvmAccel("test").args);
  });

  test("the VM's timeout leaves room for boot and teardown beyond the fuzzing itself", () => {
    const accel = tcgAccel("test");
    expect(defaultFuzzTimeoutMs(accel, 90)).toBeGreaterThan(90_000 + 120_000);
    expect(defaultFuzzTimeoutMs(accel, 300)).toBeGreaterThan(defaultFuzzTimeoutMs(accel, 90));
  });
});

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
(hasGcc ? describe.each(DEVICES) : describe.skip.each(DEVICES))("the guest-side fuzzer for %s", (dir) => {
  test("compiles without a warning, with the guest code in its own section", async () => {
    const out = generate(dir);
    const cache = tmpDir("devgen-kvm-fuzz-");
    const built = await buildKvmTest({
      device: out.device,
      generated: out.files,
      dir: cache,
      log: path.join(cache, "build.log"),
      progress: quietProgress,
      program: "kvm_fuzz",
    });
    expect(path.basename(built.binary)).toBe(`${out.device.name}_kvm_fuzz`);
    const buildDir = path.dirname(built.binary);
    execFileSync("gcc", ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-I.", "kvm_fuzz.c"], { cwd: buildDir, stdio: "pipe" });
    // The guest code is copied into guest memory from these symbols: they must bracket it.
    const symbols = execFileSync("nm", [built.binary], { encoding: "utf8" });
    const address = (name: string) => BigInt(`0x${new RegExp(`^([0-9a-f]+) R ${name}$`, "m").exec(symbols)![1]}`);
    const size = address("guest_fuzz_end") - address("guest_fuzz_start");
    expect(size).toBeGreaterThan(0x100n);
    expect(size).toBeLessThan(0x7000n); // below FUZZ_PARAMS_GPA - FUZZ_CODE_GPA
  }, 60_000);
});
