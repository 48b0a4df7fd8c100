/**
 * The outer VM's accelerator (src/harness/accel-probe.ts), decided on recorded outcomes of
 * the probe: no /dev/kvm, the PVM refusal of this kind of machine, a PVM guest that hangs,
 * KVM without nesting, and working KVM. And every JUnit suite says which accelerator ran it.
 */
import { decideAccel, kvmDeviceProblem, kvmProbeFailure, PROBE_MARKER, type KvmProbeOutcome } from "../../src/harness/accel-probe.js";
import { KVM_ACCEL_ARGS, TCG_ACCEL_ARGS } from "../../src/harness/accel.js";
import { junitXml } from "../../src/harness/junit.js";

const came = (answer: string): KvmProbeOutcome => ({
  answer,
  timedOut: false,
  timeoutMs: 30_000,
  exit: { signal: null, code: 0 },
  qemuErrors: [],
  consoleLog: "/run/accel-probe/console.log",
});

/** Recorded on this machine (Debian 12, kvm_pvm, QEMU 7.2.22): QEMU aborts before the guest's first instruction. */
const PVM_REFUSAL: KvmProbeOutcome = {
  answer: null,
  timedOut: false,
  timeoutMs: 30_000,
  exit: { signal: "SIGABRT", code: null },
  qemuErrors: [
    "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69",
    "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
  ],
  consoleLog: "/run/accel-probe/console.log",
};

/** DESIGN.md: on the same backend a guest kernel can also hang after SeaBIOS. */
const PVM_HANG: KvmProbeOutcome = { ...PVM_REFUSAL, timedOut: true, exit: { signal: "SIGKILL", code: null }, qemuErrors: [] };

const decide = (probe: KvmProbeOutcome) => decideAccel({ forced: undefined, kvmDeviceProblem: null, probe: async () => kvmProbeFailure(probe) });
const noProbe = async (): Promise<string | null> => {
  throw new Error("the probe must not run");
};

test("no /dev/kvm: TCG, without probing", async () => {
  const problem = kvmDeviceProblem("/nonexistent/kvm");
  expect(problem).toBe("/nonexistent/kvm does not exist");
  const accel = await decideAccel({ forced: undefined, kvmDeviceProblem: problem, probe: noProbe });
  expect(accel).toEqual({ name: "tcg", args: TCG_ACCEL_ARGS, reason: "/nonexistent/kvm does not exist" });
});

test("the PVM refusal of this machine: TCG, saying what QEMU said", async () => {
  const accel = await decide(PVM_REFUSAL);
  expect(accel.name).toBe("tcg");
  expect(accel.args).toEqual(TCG_ACCEL_ARGS);
  expect(accel.reason).toBe(
    "/dev/kvm cannot run a standard guest: QEMU with -accel kvm exited with SIGABRT before the guest came up: qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69 / qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
  );
});

test("a guest that never comes up under KVM: TCG", async () => {
  const accel = await decide(PVM_HANG);
  expect(accel.name).toBe("tcg");
  expect(accel.reason).toBe("/dev/kvm cannot run a standard guest: a guest kernel under -accel kvm did not finish booting within 30 s (see /run/accel-probe/console.log)");
});

test("KVM whose guest sees no SVM or VMX (nesting off): TCG, as the nested levels need SVM", async () => {
  const accel = await decide(came(`${PROBE_MARKER} virt=none`));
  expect(accel.name).toBe("tcg");
  expect(accel.reason).toContain("sees no SVM or VMX");
});

test.each(["vmx", "svm"])("working KVM with nesting (%s): -accel kvm -cpu host", async (virt) => {
  expect(await decide(came(`${PROBE_MARKER} virt=${virt}`))).toEqual({ name: "kvm", args: KVM_ACCEL_ARGS, reason: "a standard guest booted with -accel kvm" });
  expect(KVM_ACCEL_ARGS).toEqual(expect.arrayContaining(["-accel", "kvm", "-cpu", "host"]));
});

test("DEVGEN_ACCEL overrides, without probing", async () => {
  expect((await decideAccel({ forced: "kvm", kvmDeviceProblem: "/dev/kvm does not exist", probe: noProbe })).name).toBe("kvm");
  expect((await decideAccel({ forced: "tcg", kvmDeviceProblem: null, probe: noProbe })).name).toBe("tcg");
});

test("a JUnit suite carries the accelerator as properties", () => {
  const xml = junitXml([{ name: "kvm.xche", seconds: 1, cases: [{ name: "reset", ok: true, detail: "" }], properties: { accelerator: "tcg", "accelerator.reason": "a <b> & c" } }]);
  expect(xml).toContain('<property name="accelerator" value="tcg"/>');
  expect(xml).toContain('<property name="accelerator.reason" value="a &lt;b&gt; &amp; c"/>');
  expect(junitXml([{ name: "s", seconds: 0, cases: [] }])).not.toContain("<properties>");
});
