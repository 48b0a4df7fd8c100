/** devgen doctor: the pure checks on made-up probes, the --fix flow, the ELF static test. */
import {
  checkCache,
  checkDisk,
  checkKvm,
  checkNested,
  checkNode,
  checkPackages,
  compareVersions,
  evaluate,
  stepsToCheck,
  type KvmProbe,
  type Probe,
} from "../../src/toolchain/doctor-checks.js";
import { installCommand, unmetNeeds, type UnmetNeed } from "../../src/toolchain/packages.js";
import { needsOf, SCOPES, STEPS } from "../../src/toolchain/step-needs.js";
import { DEFAULT_KERNEL, KERNEL_SERIES } from "../../src/toolchain/kernel-fetch.js";
import { DEFAULT_QEMU, qemuBuildSeries, QEMU_SERIES } from "../../src/toolchain/qemu-fetch.js";
import { doctorExitCode, formatDoctor, runDoctor } from "../../src/pipeline/doctor.js";
import { quietProgress } from "../../src/util/progress.js";

const STANDARD_KVM: KvmProbe = {
  devKvm: "ok",
  modules: ["kvm", "kvm_amd"],
  cpuFlags: ["svm"],
  nested: { kvm_intel: null, kvm_amd: "1" },
};

/** A machine where everything is in place: every package of every step, new enough. */
function healthy(overrides: Partial<Probe> = {}, packages: Partial<Probe["packages"]> = {}): Probe {
  return {
    node: "20.20.2",
    packages: { apt: true, root: false, versions: Object.fromEntries(needsOf(STEPS).map((n) => [n.package, "99.0-1"])), evidence: {}, ...packages },
    cachedTrees: { kernel: [], qemu: [] },
    disk: { path: "/home/me/.cache/devgen", freeBytes: 80e9 },
    kvm: STANDARD_KVM,
    cache: { root: "/home/me/.cache/devgen", exists: true, writable: true, entries: [{ name: "kernel 6.1 (6.1.192-2)", size: 2.2e9, complete: true }] },
    ...overrides,
  };
}

function byName(probe: Probe, name: string, scope: keyof typeof SCOPES = "demo") {
  const found = evaluate(probe, scope).find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}`);
  return found;
}

test("a healthy machine: every check ok, in the documented order", () => {
  const checks = evaluate(healthy(), "demo");
  expect(checks.map((c) => c.name)).toEqual(["node", ...needsOf(SCOPES.demo).map((n) => n.package), "disk", "kvm", "nested", "cache"]);
  expect(checks.filter((c) => c.status !== "ok")).toEqual([]);
  // The demo's pair builds Linux 7.3 whole (no pahole needed) and QEMU 10.2 (meson and pycotap from backports); busybox is fetched, not installed.
  for (const name of ["gcc", "make", "flex", "bison", "meson", "python3-pycotap", "libelf-dev", "cpio", "qemu-system-x86", "seabios"]) {
    expect(checks.map((c) => c.name)).toContain(name);
  }
  expect(checks.map((c) => c.name)).not.toContain("busybox-static");
  expect(checks.map((c) => c.name)).not.toContain("dwarves");
});

test("scopes narrow the packages: build needs no VM, all adds the module builds' pahole", () => {
  const names = (scope: keyof typeof SCOPES) => evaluate(healthy(), scope).map((c) => c.name);
  expect(names("build")).toContain("python3-pycotap");
  expect(names("build")).not.toContain("qemu-system-x86");
  expect(names("test-in-vm")).toContain("qemu-system-x86");
  expect(names("all")).toContain("dwarves");
});

test("the default scopes build the default pair as this machine must: 7.3 whole, QEMU 10.2 like 10.0", () => {
  expect(DEFAULT_KERNEL).toBe("7.3");
  expect(SCOPES.build).toContain("kernel-full");
  expect(SCOPES.build).toContain(`qemu-${qemuBuildSeries(DEFAULT_QEMU)}`);
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

test("versions: numeric comparison", () => {
  expect(compareVersions("20.5.0", "20.5")).toBe(0);
  expect(compareVersions("v20.10.0", "20.5.0")).toBe(1);
});

test("a fetch whose trees are cached installs nothing, so doctor does not ask for its packages", () => {
  const probe = healthy();
  probe.packages.versions["dpkg-dev"] = null;
  expect(byName(probe, "dpkg-dev").status).toBe("fail");
  probe.cachedTrees = { kernel: [DEFAULT_KERNEL], qemu: [DEFAULT_QEMU] };
  expect(evaluate(probe, "demo").map((c) => c.name)).not.toContain("dpkg-dev");
  // --for all fetches every series: 10.0 is not cached yet.
  expect(byName(probe, "dpkg-dev", "all").status).toBe("fail");
  expect(stepsToCheck("all", { kernel: [...KERNEL_SERIES], qemu: [...QEMU_SERIES] })).not.toContain("fetch-qemu");
});

test("a missing package fails with the apt-get line (sudo unless root)", () => {
  const probe = healthy();
  probe.packages.versions.flex = null;
  const flex = byName(probe, "flex");
  expect(flex).toMatchObject({ status: "fail", ok: false, fix: "sudo apt-get install -y flex" });
  expect(flex.found).toBe("not installed: needed for building a minimal kernel (--full), building QEMU 10.0");
  expect(byName({ ...probe, packages: { ...probe.packages, root: true } }, "flex").fix).toBe("apt-get install -y flex");
});

test("a package too old for a step is missing for that step only, with its suite", () => {
  const probe = healthy();
  probe.packages.versions.meson = "1.0.1-5";
  expect(checkPackages(probe.packages, ["qemu-7.2"]).find((c) => c.name === "meson")?.status).toBe("ok");
  const all = byName(probe, "meson", "all");
  expect(all.status).toBe("fail");
  expect(all.found).toBe("1.0.1-5 is older than 1.5 (needed from bookworm-backports): needed for building QEMU 7.2, building QEMU 10.0");
  expect(all.fix).toBe("sudo apt-get install -y -t bookworm-backports meson");
});

test("without apt, the evidence (a command or a file) decides", () => {
  const probe = healthy({}, { apt: false, versions: {}, evidence: { "libssl-dev": "no /usr/include/openssl/ssl.h" } });
  expect(byName(probe, "libelf-dev")).toMatchObject({ status: "ok", found: "found" });
  const ssl = byName(probe, "libssl-dev");
  expect(ssl).toMatchObject({ status: "fail", fix: "install libssl-dev (Debian's names) with your distribution's package manager" });
  expect(ssl.found).toContain("no /usr/include/openssl/ssl.h");
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

test("installCommand: one apt-get per suite, nothing when nothing is missing", () => {
  const probe = healthy();
  probe.packages.versions.bc = null;
  probe.packages.versions["qemu-system-x86"] = null;
  probe.packages.versions["python3-pycotap"] = null;
  const unmet: UnmetNeed[] = unmetNeeds(needsOf(SCOPES.all), probe.packages);
  expect(unmet.map((u) => u.need.package)).toEqual(["bc", "python3-pycotap", "qemu-system-x86"]);
  expect(installCommand(unmet, probe.packages)).toBe("sudo apt-get install -y bc qemu-system-x86 && sudo apt-get install -y -t bookworm-backports python3-pycotap");
  expect(installCommand([], probe.packages)).toBe("");
});

describe("runDoctor", () => {
  function broken(root: boolean, apt = true): () => Probe {
    let installed = false;
    const probe = () => {
      const p = apt ? healthy({}, { root }) : healthy({}, { root, apt, versions: {}, evidence: {} });
      if (!installed) {
        if (apt) p.packages.versions.cpio = null;
        else p.packages.evidence.cpio = "no cpio on PATH";
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
    expect(text).toMatch(/^✗ cpio +not installed: needed for the kvm-level test VM/m);
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
      install: async (unmet) => {
        calls.push(unmet.map((u) => u.need.package));
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
