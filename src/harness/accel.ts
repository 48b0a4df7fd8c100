/**
 * The outer (test) VM's accelerator and the QEMU arguments each implies. Which one a run
 * gets is decided by probing (accel-probe.ts).
 */
export interface Accel {
  /** qtest: no guest runs, the harness drives the device (level qtest). */
  name: "kvm" | "tcg" | "qtest";
  /** QEMU arguments: -accel, -cpu, -machine. */
  args: string[];
  /** Why this one: the probe's outcome, or the override. */
  reason: string;
}

export const KVM_ACCEL_ARGS = ["-accel", "kvm", "-cpu", "host", "-machine", "pc"];
export const TCG_ACCEL_ARGS = ["-accel", "tcg", "-cpu", "qemu64,+svm,+npt", "-machine", "pc"];

export function kvmAccel(reason: string): Accel {
  return { name: "kvm", args: KVM_ACCEL_ARGS, reason };
}

export function tcgAccel(reason: string): Accel {
  return { name: "tcg", args: TCG_ACCEL_ARGS, reason };
}

/**
 * The accelerator's QEMU arguments for a VM of `cpus` CPUs. Under multi-threaded TCG
 * (QEMU 7.2), a nested KVM that runs its vCPUs on several of the VM's CPUs hangs: one CPU
 * stops for good at the instruction after a #VMEXIT's STGI (2 of 3 60-second fuzz runs
 * with 2 CPUs). One TCG thread for all CPUs does not hang, and the guest's kernel still
 * runs on several CPUs, interleaved by QEMU at any instruction rather than by its own
 * scheduler.
 */
export function accelArgs(accel: Accel, cpus: number): string[] {
  if (accel.name !== "tcg" || cpus <= 1) return accel.args;
  return accel.args.map((arg) => (arg === "tcg" ? "tcg,thread=single" : arg));
}
