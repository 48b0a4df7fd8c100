/**
 * What each step needs from the machine, declared once: the Debian packages (with a minimum
 * version and the suite to take them from, where bookworm's own is too old). The steps install
 * exactly this (`ensureStep` in packages.ts) and `devgen doctor` reports exactly this, so the
 * doctor's verdict is what the next step would install.
 *
 * Measured on a fresh Debian 12 root (test/real/fresh-root.test.ts): a package missing here is a
 * step that fails there.
 */

export interface PackageNeed {
  /** Debian's package name. */
  package: string;
  /** The lowest Debian version that will do. */
  minVersion?: string;
  /** The suite to install it from when bookworm's own is too old. */
  suite?: string;
}

export interface StepNeeds {
  /** For people: "building QEMU 7.2". */
  does: string;
  packages: readonly PackageNeed[];
}

const pkgs = (...names: string[]): PackageNeed[] => names.map((name) => ({ package: name }));

/** Kconfig, objtool, module signing, compressed modules, the kernel's build scripts. */
const KERNEL_BUILD = pkgs("gcc", "make", "flex", "bison", "bc", "libelf-dev", "libssl-dev", "kmod", "xz-utils", "perl");

/** A lean x86_64 QEMU, whatever the release (meson comes per release). */
const QEMU_BUILD = pkgs(
  "gcc",
  "make",
  "ninja-build",
  "pkg-config",
  "python3",
  "python3-venv",
  "flex",
  "bison",
  "bzip2",
  "libglib2.0-dev",
  "libpixman-1-dev",
  "zlib1g-dev",
  "libfdt-dev",
);

/** The outer test VM (Debian's QEMU), guest programs compiled static, the initramfs. */
const TEST_VM = pkgs("qemu-system-x86", "gcc", "libc6-dev", "binutils", "cpio", "gzip", "kmod", "xz-utils");
/** The firmware a self-built QEMU loads (it is built with --disable-install-blobs). */
const FIRMWARE = pkgs("seabios", "qemu-system-data");

const BACKPORTS = "bookworm-backports";

const TABLE = {
  // `devgen check` compiles hooks.c against the generated core header (pipeline/hooks-compile.ts).
  "check-hooks": { does: "checking that hooks.c compiles", packages: pkgs("gcc", "libc6-dev") },
  "fetch-kernel": { does: "fetching Debian's kernel", packages: pkgs("xz-utils") },
  "fetch-qemu": { does: "fetching Debian's QEMU", packages: pkgs("dpkg-dev", "xz-utils") },
  // Debian's images have CONFIG_DEBUG_INFO_BTF: without pahole, olddefconfig drops it and
  // the modules no longer load into the image (6.12: "Invalid relocation target"). With it,
  // 6.12's modules_prepare builds resolve_btfids, whose libbpf runs a python3 script.
  "kernel-modules": { does: "building the kvm modules for Debian's image", packages: [...KERNEL_BUILD, ...pkgs("dwarves", "python3")] },
  "kernel-full": { does: "building a minimal kernel (--full)", packages: KERNEL_BUILD },
  "qemu-7.2": { does: "building QEMU 7.2", packages: [...QEMU_BUILD, ...pkgs("meson")] },
  // The dfsg tarball lacks python/wheels: configure cannot bring its own meson and pycotap.
  "qemu-10.0": {
    does: "building QEMU 10.0",
    packages: [...QEMU_BUILD, { package: "meson", minVersion: "1.5", suite: BACKPORTS }, { package: "python3-pycotap", suite: BACKPORTS }],
  },
  "emit-patch": { does: "writing patches as mails (--emit-patch)", packages: pkgs("git") },
  qtest: { does: "running the built QEMU under qtest", packages: FIRMWARE },
  "level-kvm": { does: "the kvm-level test VM", packages: TEST_VM },
  "level-qemu": { does: "the qemu-level test VM", packages: [...pkgs("gcc", "libc6-dev", "cpio", "gzip", "kmod", "xz-utils"), ...FIRMWARE] },
  "level-full": { does: "the full-level test VM", packages: [...TEST_VM, ...FIRMWARE] },
  "level-fuzz": { does: "the fuzzing VM", packages: TEST_VM },
  bench: { does: "the bench VM", packages: [...TEST_VM, ...FIRMWARE] },
} satisfies Record<string, StepNeeds>;

export type Step = keyof typeof TABLE;
export const STEP_NEEDS: Readonly<Record<Step, StepNeeds>> = TABLE;
export const STEPS = Object.keys(STEP_NEEDS) as Step[];

/**
 * The steps of the default pair (Linux 7.3, built whole on Debian 12 since its image needs
 * gcc 14; QEMU 10.2, built like 10.0); test/unit/doctor.test.ts holds this to DEFAULT_KERNEL and
 * DEFAULT_QEMU.
 */
const DEFAULT_PAIR_BUILD = ["fetch-kernel", "fetch-qemu", "kernel-full", "qemu-10.0"] as const;

/** What `devgen doctor --for` can ask about, as the steps each command runs with its defaults. */
export const SCOPES = {
  check: ["check-hooks"],
  build: DEFAULT_PAIR_BUILD,
  "test-in-vm": [...DEFAULT_PAIR_BUILD, "level-kvm", "level-qemu", "level-full"],
  demo: [...DEFAULT_PAIR_BUILD, "level-kvm", "level-qemu", "level-full"],
  all: STEPS,
} as const satisfies Record<string, readonly Step[]>;

export type Scope = keyof typeof SCOPES;
export const DEFAULT_SCOPE: Scope = "demo";

/** One need per package across `steps`; where one step asks for a minimum version, that need wins. */
export function needsOf(steps: readonly Step[]): PackageNeed[] {
  const merged = new Map<string, PackageNeed>();
  for (const step of steps) {
    for (const need of STEP_NEEDS[step].packages) {
      const seen = merged.get(need.package);
      if (!seen || (need.minVersion && !seen.minVersion)) merged.set(need.package, need);
    }
  }
  return [...merged.values()];
}

/** The steps that need `pkg`, for saying why. */
export function stepsNeeding(pkg: string, steps: readonly Step[] = STEPS): Step[] {
  return steps.filter((s) => STEP_NEEDS[s].packages.some((n) => n.package === pkg));
}
