/**
 * What the doctor looks at on this machine: commands on PATH and their versions, dpkg's
 * package states, headers, free disk, /dev/kvm and the KVM modules, the cache. Only reads;
 * src/doctor/checks.ts judges the result.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, openSync, readFileSync, readSync, closeSync, statfsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { cacheEntries, cacheRoot } from "../cache/index.js";
import type { CacheProbe, KvmProbe, Probe, ToolProbe } from "./checks.js";
import { REQUIREMENTS } from "./requirements.js";

/** The full path of `command` on PATH, or null. */
export function which(command: string, path = process.env.PATH ?? ""): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Whether an ELF executable is static: it has no PT_INTERP program header (no dynamic
 * loader). Null when `header` is not a 64- or 32-bit little-endian ELF.
 */
export function elfIsStatic(header: Buffer): boolean | null {
  if (header.length < 0x34 || header.readUInt32BE(0) !== 0x7f454c46 || header[5] !== 1) return null;
  const is64 = header[4] === 2;
  const phoff = is64 ? Number(header.readBigUInt64LE(0x20)) : header.readUInt32LE(0x1c);
  const phentsize = header.readUInt16LE(is64 ? 0x36 : 0x2a);
  const phnum = header.readUInt16LE(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > header.length) return null;
    if (header.readUInt32LE(at) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

function readHead(path: string, bytes = 4096): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const n = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function firstLine(command: string, args: string[]): string | null {
  try {
    const out = execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 5000 });
    return out.split("\n").find((l) => l.trim())?.trim() ?? null;
  } catch (err) {
    // busybox without an applet prints its banner and exits 1.
    const out = String((err as { stdout?: string }).stdout ?? "");
    return out.split("\n").find((l) => l.trim())?.trim() ?? null;
  }
}

function probeTool(command: string, versionArgs: string[] | undefined, wantStatic: boolean): ToolProbe | null {
  const path = which(command);
  if (!path) return null;
  let isStatic: boolean | null = null;
  if (wantStatic) {
    try {
      isStatic = elfIsStatic(readHead(path));
    } catch {
      isStatic = null;
    }
  }
  return { path, version: versionArgs ? firstLine(path, versionArgs) : null, static: isStatic };
}

/** dpkg's state of each package (true: installed), or null where there is no dpkg. */
export function dpkgStates(packages: readonly string[]): Record<string, boolean> | null {
  if (!which("dpkg-query")) return null;
  let out = "";
  try {
    out = execFileSync("dpkg-query", ["-W", "-f", "${Package} ${db:Status-Status}\\n", ...packages], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch (err) {
    // Exit 1 when some package is unknown; the known ones are still listed.
    out = String((err as { stdout?: string }).stdout ?? "");
  }
  const installed = new Set(out.split("\n").filter((l) => l.endsWith(" installed")).map((l) => l.split(" ")[0]!.replace(/:.*$/, "")));
  return Object.fromEntries(packages.map((p) => [p, installed.has(p)]));
}

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
  const tools: Record<string, ToolProbe | null> = {};
  const headers: Record<string, boolean> = {};
  for (const r of REQUIREMENTS) {
    if (r.command) tools[r.command] = probeTool(r.command, r.versionArgs, r.static === true);
    for (const h of r.headers ?? []) headers[h] = existsSync(h);
  }
  const root = cacheRoot();
  return {
    node: process.versions.node,
    dpkg: dpkgStates(REQUIREMENTS.map((r) => r.package)),
    tools,
    headers,
    apt: which("apt-get") !== null,
    root: process.getuid?.() === 0,
    disk: probeDisk(root),
    kvm: probeKvm(),
    cache: probeCache(root),
  };
}
