/**
 * What devgen needs from the machine, as data: each Debian package with the command or
 * header that shows it is there on any distribution, and why devgen needs it.
 */
import { KERNEL_BUILD_PACKAGES } from "../build/packages.js";

export interface Requirement {
  /** The Debian package that provides it (what `--fix` installs). */
  package: string;
  /** A command on PATH that shows it is installed. */
  command?: string;
  /** Arguments that make `command` print its version on its first line. */
  versionArgs?: string[];
  /** Header files, any of which shows a -dev package is installed. */
  headers?: string[];
  /** The command must be a static executable (it goes into the guest's initramfs). */
  static?: boolean;
  /** For whom: the step that fails without it. */
  why: string;
}

const KERNEL = "building kvm.ko";

/** In the order `devgen doctor` prints them. */
export const REQUIREMENTS: readonly Requirement[] = [
  { package: "gcc", command: "gcc", versionArgs: ["--version"], why: KERNEL },
  { package: "make", command: "make", versionArgs: ["--version"], why: KERNEL },
  { package: "flex", command: "flex", versionArgs: ["--version"], why: "the kernel's Kconfig" },
  { package: "bison", command: "bison", versionArgs: ["--version"], why: "the kernel's Kconfig" },
  { package: "bc", command: "bc", versionArgs: ["--version"], why: "the kernel's timeconst" },
  { package: "libelf-dev", headers: ["/usr/include/libelf.h", "/usr/include/gelf.h"], why: "objtool" },
  { package: "libssl-dev", headers: ["/usr/include/openssl/ssl.h"], why: "module signing tools" },
  { package: "kmod", command: "depmod", versionArgs: ["--version"], why: "module dependencies in the test guest" },
  { package: "xz-utils", command: "xz", versionArgs: ["--version"], why: "compressed Debian modules" },
  { package: "perl", command: "perl", versionArgs: ["-e", "print qq(perl $^V\\n)"], why: "kernel build scripts and checkpatch" },
  { package: "git", command: "git", versionArgs: ["--version"], why: "checking trees for local changes" },
  { package: "cpio", command: "cpio", versionArgs: ["--version"], why: "the test guest's initramfs" },
  { package: "busybox-static", command: "busybox", versionArgs: [], static: true, why: "the test guest's userland" },
  { package: "qemu-system-x86", command: "qemu-system-x86_64", versionArgs: ["--version"], why: "the outer test VM (devgen test-in-vm)" },
];

/** Every package `--fix` may install; the kernel build's list is part of it. */
export const DOCTOR_PACKAGES: readonly string[] = REQUIREMENTS.map((r) => r.package);

// The kernel build asks for exactly these with ensurePackages: doctor must not miss one.
for (const p of KERNEL_BUILD_PACKAGES) {
  if (!DOCTOR_PACKAGES.includes(p)) throw new Error(`doctor requirements lack ${p}, which building the kernel needs`);
}

/** Node versions below this cannot run devgen's dependencies (execa 9). */
export const MIN_NODE = "20.5.0";

/** Free space below which the cache's disk gets a warning: two kernel trees and their builds. */
export const DISK_WARN_BYTES = 15e9;
/** Free space below which a fetch and a build will not fit at all. */
export const DISK_FAIL_BYTES = 5e9;
