/**
 * What the doctor looks at on this machine: the packages every step needs (as the steps
 * themselves see them), free disk, /dev/kvm and the KVM modules, the cache. Only reads;
 * src/toolchain/doctor-checks.ts judges the result.
 */
import { accessSync, constants, existsSync, readFileSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { cacheEntries } from "./download-cache.js";
import { cacheRoot } from "../util/cache-dir.js";
import { probePackages } from "./packages.js";
import { needsOf, STEPS } from "./step-needs.js";
import { cachedKernel, KERNEL_SERIES } from "./kernel-fetch.js";
import { cachedQemu, QEMU_SERIES } from "./qemu-fetch.js";
import type { CacheProbe, KvmProbe, Probe } from "./doctor-checks.js";

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

export function probeKvm(): KvmProbe {
  let devKvm: KvmProbe["devKvm"] = "missing";
  if (existsSync("/dev/kvm")) {
    try {
      accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
      devKvm = "ok";
    } catch {
      devKvm = "denied";
    }
  }
  const names = ["kvm", "kvm_intel", "kvm_amd", "kvm_pvm"];
  const loaded = new Set((readText("/proc/modules") ?? "").split("\n").map((l) => l.split(" ")[0]));
  // Built-in modules are not in /proc/modules but have /sys/module/<name>.
  const modules = names.filter((m) => loaded.has(m) || existsSync(`/sys/module/${m}`));
  const flags = new Set(((readText("/proc/cpuinfo") ?? "").match(/^flags\s*:(.*)$/m)?.[1] ?? "").trim().split(/\s+/));
  const nested = (m: string) => readText(`/sys/module/${m}/parameters/nested`)?.trim() ?? null;
  return {
    devKvm,
    modules,
    cpuFlags: ["vmx", "svm", "hypervisor"].filter((f) => flags.has(f)),
    nested: { kvm_intel: nested("kvm_intel"), kvm_amd: nested("kvm_amd") },
  };
}

/** The nearest existing ancestor of `path` (the cache may not exist yet). */
function existingAncestor(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

export function probeDisk(path: string): Probe["disk"] {
  const at = existingAncestor(path);
  try {
    const st = statfsSync(at);
    return { path: at, freeBytes: Number(st.bavail) * Number(st.bsize) };
  } catch {
    return null;
  }
}

export function probeCache(root = cacheRoot()): CacheProbe {
  const exists = existsSync(root);
  let writable = false;
  try {
    accessSync(existingAncestor(root), constants.W_OK);
    writable = true;
  } catch {
    writable = false;
  }
  const entries = exists ? cacheEntries(root).map((e) => ({ name: e.name, size: e.size, complete: e.complete })) : [];
  return { root, exists, writable, entries };
}

/** Everything the checks need, read from this machine. */
export function probeMachine(): Probe {
  const root = cacheRoot();
  return {
    node: process.versions.node,
    packages: probePackages(needsOf(STEPS)),
    cachedTrees: {
      kernel: KERNEL_SERIES.filter((series) => cachedKernel(series, root)),
      qemu: QEMU_SERIES.filter((series) => cachedQemu(series, root)),
    },
    disk: probeDisk(root),
    kvm: probeKvm(),
    cache: probeCache(root),
  };
}
