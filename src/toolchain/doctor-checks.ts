/**
 * The doctor's judgements: pure functions from what was probed (src/toolchain/doctor-probe.ts) to
 * checks with a status, what was found and what to do. No file, process or environment is
 * read here, so every case is a unit test with a made-up probe.
 */
import { installCommand, unmetNeeds, type PackageState, type UnmetNeed } from "./packages.js";
import { DEFAULT_KERNEL, KERNEL_SERIES } from "./kernel-fetch.js";
import { DEFAULT_QEMU, QEMU_SERIES } from "./qemu-fetch.js";
import { needsOf, SCOPES, STEP_NEEDS, stepsNeeding, type PackageNeed, type Scope, type Step } from "./step-needs.js";
import { formatBytes } from "../util/progress.js";
import { DISK_FAIL_BYTES, DISK_WARN_BYTES, MIN_NODE } from "./machine-requirements.js";

/** `warn`: devgen works, slower or with less coverage; `fail`: a command will stop. */
export type CheckStatus = "ok" | "warn" | "fail";

export interface Check {
  name: string;
  status: CheckStatus;
  /** false only for `fail`: what the exit code counts. */
  ok: boolean;
  found: string;
  /** What to do, one sentence or a command; "" when there is nothing to do. */
  fix: string;
}

export interface KvmProbe {
  /** `ok`: exists and opens read-write; `denied`: exists but not for this user. */
  devKvm: "missing" | "denied" | "ok";
  /** Loaded modules among kvm, kvm_intel, kvm_amd, kvm_pvm. */
  modules: string[];
  /** Flags among vmx, svm, hypervisor in /proc/cpuinfo. */
  cpuFlags: string[];
  /** `/sys/module/kvm_<vendor>/parameters/nested`, null when absent. */
  nested: { kvm_intel: string | null; kvm_amd: string | null };
}

export interface CacheProbe {
  root: string;
  exists: boolean;
  writable: boolean;
  entries: { name: string; size: number; complete: boolean }[];
}

export interface Probe {
  node: string;
  /** What the machine has of every package any step needs (apt, root, versions or evidence). */
  packages: PackageState;
  /** The kernel and QEMU series whose trees the cache holds: fetching them again installs nothing. */
  cachedTrees: { kernel: string[]; qemu: string[] };
  /** Free space of the filesystem the cache is on (its nearest existing ancestor). */
  disk: { path: string; freeBytes: number } | null;
  kvm: KvmProbe;
  cache: CacheProbe;
}

function check(name: string, status: CheckStatus, found: string, fix = ""): Check {
  return { name, status, ok: status !== "fail", found, fix };
}

/** -1, 0 or 1 as `a` is below, equal to or above `b` (numeric dotted versions). */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, "").split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.replace(/^v/, "").split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

export function checkNode(version: string): Check {
  if (compareVersions(version, MIN_NODE) >= 0) return check("node", "ok", version);
  return check("node", "fail", `${version}: devgen needs ${MIN_NODE} or later`, `install Node.js ${MIN_NODE} or later (Debian 12's nodejs is 18: use NodeSource or nvm)`);
}

/**
 * The steps whose packages a scope's command would install next: its steps, less a fetch
 * whose trees are all in the cache already (that command would not fetch, so not install).
 */
export function stepsToCheck(scope: Scope, cached: Probe["cachedTrees"]): Step[] {
  const kernels: readonly string[] = scope === "all" ? KERNEL_SERIES : [DEFAULT_KERNEL];
  const qemus: readonly string[] = scope === "all" ? QEMU_SERIES : [DEFAULT_QEMU];
  const fetched = {
    "fetch-kernel": kernels.every((s) => cached.kernel.includes(s)),
    "fetch-qemu": qemus.every((s) => cached.qemu.includes(s)),
  } as Partial<Record<Step, boolean>>;
  return SCOPES[scope].filter((step) => !fetched[step]);
}

/** One package the steps need: ok with its version (or evidence), fail with what it lacks. */
export function checkPackage(need: PackageNeed, unmet: UnmetNeed | undefined, state: PackageState, steps: readonly Step[]): Check {
  const why = stepsNeeding(need.package, steps).map((s) => STEP_NEEDS[s].does).join(", ");
  if (unmet) return check(need.package, "fail", `${unmet.found}${need.suite ? ` (needed from ${need.suite})` : ""}: needed for ${why}`, installCommand([unmet], state));
  const version = state.versions[need.package];
  return check(need.package, "ok", version ? `${version}${need.minVersion ? ` (≥ ${need.minVersion})` : ""}` : "found");
}

/** The package checks of some steps, in the order the steps declare them. */
export function checkPackages(state: PackageState, steps: readonly Step[]): Check[] {
  const needs = needsOf(steps);
  const unmet = new Map(unmetNeeds(needs, state).map((u) => [u.need.package, u]));
  return needs.map((need) => checkPackage(need, unmet.get(need.package), state, steps));
}

export function checkDisk(disk: Probe["disk"]): Check {
  const fix = "free some space, or point DEVGEN_CACHE (or XDG_CACHE_HOME) at a larger disk";
  if (!disk) return check("disk", "warn", "cannot tell how much space is free", fix);
  const found = `${formatBytes(disk.freeBytes)} free on ${disk.path}`;
  if (disk.freeBytes < DISK_FAIL_BYTES) {
    return check("disk", "fail", `${found}: a kernel tree and its build need ${formatBytes(DISK_FAIL_BYTES)}`, fix);
  }
  if (disk.freeBytes < DISK_WARN_BYTES) {
    return check("disk", "warn", `${found}: two kernel trees (2.2 GB each) with their builds need about ${formatBytes(DISK_WARN_BYTES)}`, fix);
  }
  return check("disk", "ok", found);
}

/** The vendor module that runs standard guests, if loaded: kvm_intel or kvm_amd. */
function vendorModule(kvm: KvmProbe): "kvm_intel" | "kvm_amd" | null {
  if (kvm.modules.includes("kvm_intel")) return "kvm_intel";
  if (kvm.modules.includes("kvm_amd")) return "kvm_amd";
  return null;
}

/** Whether `-accel kvm` can boot an ordinary guest kernel here. */
export function kvmUsable(kvm: KvmProbe): boolean {
  return kvm.devKvm === "ok" && vendorModule(kvm) !== null;
}

const TCG = "test-in-vm will use TCG (slower, but the tests run the same)";

export function checkKvm(kvm: KvmProbe): Check {
  const vendor = vendorModule(kvm);
  const cpu = kvm.cpuFlags.includes("vmx") ? "vmx" : kvm.cpuFlags.includes("svm") ? "svm" : null;
  const wanted = cpu === "vmx" ? "kvm_intel" : "kvm_amd";
  if (kvm.devKvm === "missing") {
    if (cpu) return check("kvm", "warn", `no /dev/kvm although the CPU has ${cpu}: ${TCG}`, `load the module: sudo modprobe ${wanted}`);
    const where = kvm.cpuFlags.includes("hypervisor") ? "enable nested virtualization on the host of this VM" : "enable VT-x or AMD-V in the firmware";
    return check("kvm", "warn", `no /dev/kvm and no vmx or svm in /proc/cpuinfo: ${TCG}`, `for faster tests, ${where}`);
  }
  if (!vendor && kvm.modules.includes("kvm_pvm")) {
    return check(
      "kvm",
      "warn",
      `/dev/kvm cannot run a standard guest (paravirtual kvm_pvm): ${TCG}`,
      "nothing to do here; a machine with VT-x or AMD-V runs the tests faster",
    );
  }
  if (!vendor) {
    return check("kvm", "warn", `/dev/kvm has neither kvm_intel nor kvm_amd behind it: ${TCG}`, cpu ? `sudo modprobe ${wanted}` : "");
  }
  if (kvm.devKvm === "denied") {
    return check("kvm", "warn", `/dev/kvm (${vendor}) exists but this user cannot open it: ${TCG}`, "sudo usermod -aG kvm $USER, then log in again");
  }
  return check("kvm", "ok", `/dev/kvm via ${vendor}${cpu ? ` (${cpu})` : ""}: test-in-vm will use -accel kvm -cpu host`);
}

/** Y, y or 1 in a `nested` module parameter. */
function enabled(value: string | null): boolean {
  return value !== null && /^(y|1)$/i.test(value.trim());
}

export function checkNested(kvm: KvmProbe): Check {
  const vendor = vendorModule(kvm);
  if (!kvmUsable(kvm) || !vendor) {
    return check("nested", "warn", "no hardware nesting: the test guest gets SVM emulated by TCG (-cpu qemu64,+svm,+npt)", "nothing to do; it works, only slower");
  }
  const value = kvm.nested[vendor];
  const what = vendor === "kvm_intel" ? "VMX" : "SVM";
  if (enabled(value)) return check("nested", "ok", `${what}: ${vendor} nested=${value!.trim()}`);
  return check(
    "nested",
    "warn",
    `${what} nesting is off (${vendor} nested=${value?.trim() ?? "unknown"}): test-in-vm will fall back to TCG`,
    `sudo modprobe -r ${vendor} && sudo modprobe ${vendor} nested=1 (keep it with "options ${vendor} nested=1" in /etc/modprobe.d/kvm.conf)`,
  );
}

export function checkCache(cache: CacheProbe): Check {
  if (!cache.exists) return check("cache", "ok", `${cache.root}: empty (devgen fetch fills it)`);
  if (!cache.writable) return check("cache", "fail", `${cache.root} is not writable`, "make it writable, or point DEVGEN_CACHE at a directory you own");
  const total = cache.entries.reduce((sum, e) => sum + e.size, 0);
  const trees = cache.entries.filter((e) => e.name !== "logs");
  const names = trees.length ? trees.map((e) => e.name).join(", ") : "no trees yet (devgen fetch downloads them)";
  const incomplete = trees.filter((e) => !e.complete);
  const found = `${cache.root}: ${formatBytes(total)}; ${names}`;
  if (incomplete.length) {
    return check("cache", "warn", found, `interrupted fetches: run devgen fetch to finish them, or devgen cache clean ${incomplete.map((e) => `"${e.name}"`).join(" ")}`);
  }
  return check("cache", "ok", found);
}

export function evaluate(probe: Probe, scope: Scope): Check[] {
  return [
    checkNode(probe.node),
    ...checkPackages(probe.packages, stepsToCheck(scope, probe.cachedTrees)),
    checkDisk(probe.disk),
    checkKvm(probe.kvm),
    checkNested(probe.kvm),
    checkCache(probe.cache),
  ];
}
