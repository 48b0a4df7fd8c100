/** devgen doctor: the pure checks on made-up probes, the --fix flow, the ELF static test. */
import {
  checkCache,
  checkDisk,
  checkKvm,
  checkNested,
  checkNode,
  compareVersions,
  evaluate,
  installCommand,
  missingFrom,
  shortVersion,
  type KvmProbe,
  type Probe,
} from "../src/doctor/checks.js";
import { elfIsStatic, which } from "../src/doctor/probe.js";
import { REQUIREMENTS } from "../src/doctor/requirements.js";
import { doctorExitCode, formatDoctor, runDoctor } from "../src/cli/commands/doctor.js";
import { quietProgress } from "../src/util/progress.js";
import { closeSync, openSync, readSync } from "node:fs";

const STANDARD_KVM: KvmProbe = {
  devKvm: "ok",
  modules: ["kvm", "kvm_amd"],
  cpuFlags: ["svm"],
  nested: { kvm_intel: null, kvm_amd: "1" },
};

/** A machine where everything is in place. */
function healthy(overrides: Partial<Probe> = {}): Probe {
  const tools: Probe["tools"] = {};
  const headers: Probe["headers"] = {};
  for (const r of REQUIREMENTS) {
    if (r.command) tools[r.command] = { path: `/usr/bin/${r.command}`, version: `${r.command} 1.2.3`, static: r.static ? true : null };
    for (const h of r.headers ?? []) headers[h] = true;
  }
  return {
    node: "20.20.2",
    dpkg: Object.fromEntries(REQUIREMENTS.map((r) => [r.package, true])),
    tools,
    headers,
    apt: true,
    root: false,
    disk: { path: "/home/me/.cache/devgen", freeBytes: 80e9 },
    kvm: STANDARD_KVM,
    cache: { root: "/home/me/.cache/devgen", exists: true, writable: true, entries: [{ name: "kernel 6.1 (6.1.192-2)", size: 2.2e9, complete: true }] },
    ...overrides,
  };
}

function byName(probe: Probe, name: string) {
  const found = evaluate(probe).find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}`);
  return found;
}

test("a healthy machine: every check ok, in the documented order", () => {
  const checks = evaluate(healthy());
  expect(checks.map((c) => c.name)).toEqual([
    "node",
    ...REQUIREMENTS.map((r) => r.package),
    "disk",
    "kvm",
    "nested",
    "cache",
  ]);
  expect(checks.filter((c) => c.status !== "ok")).toEqual([]);
  for (const name of ["gcc", "make", "flex", "bison", "bc", "libelf-dev", "libssl-dev", "cpio", "busybox-static", "qemu-system-x86", "perl", "git"]) {
    expect(checks.map((c) => c.name)).toContain(name);
  }
});

test.each([
  ["20.5.0", "ok"],
  ["20.20.2", "ok"],
  ["22.1.0", "ok"],
  ["20.4.9", "fail"],
  ["18.19.0", "fail"],
] as const)("node %s is %s", (version, status) => {
  const c = checkNode(version);
  expect(c.status).toBe(status);
  if (status === "fail") expect(c.fix).toMatch(/Node\.js 20\.5\.0 or later/);
});

test("versions: comparison and the short form shown", () => {
  expect(compareVersions("20.5.0", "20.5")).toBe(0);
  expect(compareVersions("v20.10.0", "20.5.0")).toBe(1);
  expect(shortVersion("gcc (Debian 12.2.0-14) 12.2.0")).toBe("12.2.0-14");
  expect(shortVersion("kmod version 30")).toBe("30");
  expect(shortVersion("QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)")).toBe("7.2.19");
});

test("a missing command fails with the apt-get line (sudo unless root)", () => {
  const probe = healthy();
  probe.tools.flex = null;
  probe.dpkg!.flex = false;
  const flex = byName(probe, "flex");
  expect(flex).toMatchObject({ status: "fail", ok: false, packages: ["flex"], fix: "sudo apt-get install -y flex" });
  expect(flex.found).toContain("no flex on PATH");
  expect(byName({ ...probe, root: true }, "flex").fix).toBe("apt-get install -y flex");
  expect(byName({ ...probe, apt: false }, "flex").fix).toBe("install flex (Debian's names) with your distribution's package manager");
});

test("a dynamically linked busybox is not busybox-static", () => {
  const probe = healthy();
  probe.tools.busybox = { path: "/usr/bin/busybox", version: "BusyBox v1.35.0", static: false };
  probe.dpkg!["busybox-static"] = false;
  const c = byName(probe, "busybox-static");
  expect(c.status).toBe("fail");
  expect(c.found).toMatch(/dynamically linked/);
  expect(c.packages).toEqual(["busybox-static"]);
});

test("-dev packages: found by header without dpkg, missing when neither says so", () => {
  const probe = healthy({ dpkg: null });
  expect(byName(probe, "libelf-dev")).toMatchObject({ status: "ok", found: "/usr/include/libelf.h" });
  const none = healthy({ dpkg: null, headers: {} });
  expect(byName(none, "libssl-dev")).toMatchObject({ status: "fail", packages: ["libssl-dev"] });
  expect(byName(none, "libssl-dev").found).toContain("/usr/include/openssl/ssl.h");
});

test("disk: warn below 15 GB, fail below 5 GB", () => {
  expect(checkDisk({ path: "/c", freeBytes: 40e9 }).status).toBe("ok");
  const low = checkDisk({ path: "/c", freeBytes: 10e9 });
  expect(low.status).toBe("warn");
  expect(low.found).toMatch(/10\.0 GB free on \/c/);
  expect(low.fix).toMatch(/DEVGEN_CACHE/);
  expect(checkDisk({ path: "/c", freeBytes: 2e9 }).status).toBe("fail");
  expect(checkDisk(null).status).toBe("warn");
});

test("kvm: a standard /dev/kvm, a paravirtual one, none, one the user cannot open", () => {
  expect(checkKvm(STANDARD_KVM)).toMatchObject({ status: "ok" });
  expect(checkKvm(STANDARD_KVM).found).toMatch(/kvm_amd \(svm\).*-accel kvm/);

  const pvm = checkKvm({ devKvm: "ok", modules: ["kvm", "kvm_pvm"], cpuFlags: ["hypervisor"], nested: { kvm_intel: null, kvm_amd: null } });
  expect(pvm.status).toBe("warn");
  expect(pvm.found).toContain("cannot run a standard guest (paravirtual kvm_pvm): test-in-vm will use TCG");

  const unloaded = checkKvm({ devKvm: "missing", modules: [], cpuFlags: ["vmx"], nested: { kvm_intel: null, kvm_amd: null } });
  expect(unloaded).toMatchObject({ status: "warn", fix: "load the module: sudo modprobe kvm_intel" });

  const noVt = checkKvm({ devKvm: "missing", modules: [], cpuFlags: ["hypervisor"], nested: { kvm_intel: null, kvm_amd: null } });
  expect(noVt.fix).toMatch(/nested virtualization on the host/);

  const denied = checkKvm({ ...STANDARD_KVM, devKvm: "denied" });
  expect(denied).toMatchObject({ status: "warn", fix: "sudo usermod -aG kvm $USER, then log in again" });
});

test("nested: on, off (with the modprobe line), or emulated by TCG", () => {
  expect(checkNested(STANDARD_KVM)).toMatchObject({ status: "ok", found: "SVM: kvm_amd nested=1" });
  const intelOff: KvmProbe = { devKvm: "ok", modules: ["kvm", "kvm_intel"], cpuFlags: ["vmx"], nested: { kvm_intel: "N", kvm_amd: null } };
  const off = checkNested(intelOff);
  expect(off.status).toBe("warn");
  expect(off.fix).toContain("sudo modprobe -r kvm_intel && sudo modprobe kvm_intel nested=1");
  expect(checkNested({ ...intelOff, nested: { kvm_intel: "Y", kvm_amd: null } }).status).toBe("ok");
  const pvm = checkNested({ devKvm: "ok", modules: ["kvm", "kvm_pvm"], cpuFlags: [], nested: { kvm_intel: null, kvm_amd: null } });
  expect(pvm.status).toBe("warn");
  expect(pvm.found).toContain("+svm,+npt");
});

test("cache: empty, with trees, with an interrupted fetch, not writable", () => {
  expect(checkCache({ root: "/c", exists: false, writable: true, entries: [] })).toMatchObject({ status: "ok", found: "/c: empty (devgen fetch fills it)" });
  const full = checkCache({
    root: "/c",
    exists: true,
    writable: true,
    entries: [
      { name: "kernel 6.1 (6.1.192-2)", size: 2e9, complete: true },
      { name: "logs", size: 1e3, complete: true },
    ],
  });
  expect(full).toMatchObject({ status: "ok", found: "/c: 2.0 GB; kernel 6.1 (6.1.192-2)" });
  const broken = checkCache({ root: "/c", exists: true, writable: true, entries: [{ name: "qemu 7.2 (x) [incomplete]", size: 5, complete: false }] });
  expect(broken.status).toBe("warn");
  expect(broken.fix).toContain('devgen cache clean "qemu 7.2 (x) [incomplete]"');
  expect(checkCache({ root: "/c", exists: true, writable: false, entries: [] }).status).toBe("fail");
});

test("installCommand and missingFrom gather the packages of failing checks only", () => {
  const probe = healthy();
  probe.tools.bc = null;
  probe.dpkg!.bc = false;
  probe.tools["qemu-system-x86_64"] = null;
  probe.dpkg!["qemu-system-x86"] = false;
  probe.disk = { path: "/c", freeBytes: 1e9 };
  const checks = evaluate(probe);
  expect(missingFrom(checks)).toEqual(["bc", "qemu-system-x86"]);
  expect(installCommand(["bc", "qemu-system-x86"], probe)).toBe("sudo apt-get install -y bc qemu-system-x86");
  expect(installCommand([], probe)).toBe("");
});

describe("runDoctor", () => {
  function broken(root: boolean, apt = true): () => Probe {
    let installed = false;
    const probe = () => {
      const p = healthy({ root, apt });
      if (!installed) {
        p.tools.cpio = null;
        p.dpkg!.cpio = false;
      }
      return p;
    };
    (probe as unknown as { install: () => void }).install = () => {
      installed = true;
    };
    return probe;
  }

  test("exit 0 when only warnings remain", async () => {
    const result = await runDoctor({ probe: () => healthy({ disk: { path: "/c", freeBytes: 10e9 } }) });
    expect(result.ok).toBe(true);
    expect(doctorExitCode(result)).toBe(0);
    expect(formatDoctor(result)).toMatch(/ready, with 1 warning/);
  });

  test("exit 3 and the install line when a package is missing", async () => {
    const result = await runDoctor({ probe: broken(false) });
    expect(result.ok).toBe(false);
    expect(doctorExitCode(result)).toBe(3);
    expect(result.missing).toEqual(["cpio"]);
    expect(result.install).toBe("sudo apt-get install -y cpio");
    const text = formatDoctor(result);
    expect(text).toMatch(/^✗ cpio +not found/m);
    expect(text).toMatch(/→ sudo apt-get install -y cpio/);
    expect(text).toContain("1 problem: cpio");
  });

  test("--fix as root installs the missing packages and checks again", async () => {
    const probe = broken(true);
    const calls: string[][] = [];
    const result = await runDoctor({
      fix: true,
      probe,
      progress: quietProgress,
      install: async (packages) => {
        calls.push(packages);
        (probe as unknown as { install: () => void }).install();
      },
    });
    expect(calls).toEqual([["cpio"]]);
    expect(result).toMatchObject({ ok: true, installed: ["cpio"], missing: [], install: "" });
    expect(formatDoctor(result)).toContain("installed cpio");
  });

  test("--fix without root or without apt prints the exact list instead", async () => {
    let calls = 0;
    const install = async () => {
      calls++;
    };
    const user = await runDoctor({ fix: true, probe: broken(false), install });
    expect(calls).toBe(0);
    expect(user.notFixed).toBe("installing packages needs root");
    expect(formatDoctor(user)).toContain("--fix did not install them: installing packages needs root. Run:\n  sudo apt-get install -y cpio");
    const noApt = await runDoctor({ fix: true, probe: broken(true, false), install });
    expect(noApt.notFixed).toBe("this machine has no apt-get");
    expect(calls).toBe(0);
    expect(noApt.install).toBe("install cpio (Debian's names) with your distribution's package manager");
  });
});

describe("elfIsStatic", () => {
  /** A little-endian ELF64 header with one program header of type `type`. */
  function elf64(type: number): Buffer {
    const b = Buffer.alloc(0x40 + 0x38);
    b.writeUInt32BE(0x7f454c46, 0);
    b[4] = 2; // ELFCLASS64
    b[5] = 1; // little endian
    b.writeBigUInt64LE(0x40n, 0x20); // e_phoff
    b.writeUInt16LE(0x38, 0x36); // e_phentsize
    b.writeUInt16LE(1, 0x38); // e_phnum
    b.writeUInt32LE(type, 0x40);
    return b;
  }

  test("PT_INTERP means dynamic; without it, static; not ELF: unknown", () => {
    expect(elfIsStatic(elf64(1))).toBe(true);
    expect(elfIsStatic(elf64(3))).toBe(false);
    expect(elfIsStatic(Buffer.from("#!/bin/sh\necho hi\n".padEnd(80)))).toBeNull();
  });

  test("node itself is dynamically linked", () => {
    const head = Buffer.alloc(4096);
    const fd = openSync(process.execPath, "r");
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    expect(elfIsStatic(head)).toBe(false);
  });

  test("which finds executables on the given PATH only", () => {
    expect(which("node", `/nonexistent:${process.execPath.replace(/\/node$/, "")}`)).toBe(process.execPath);
    expect(which("no-such-command-devgen", "/usr/bin")).toBeNull();
  });
});
