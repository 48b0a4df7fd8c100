/**
 * How to tell, without dpkg, that what a Debian package provides is on this machine: a
 * command on PATH or one of a few files. On a distribution without apt, devgen names the
 * Debian packages a step needs and what is missing of each, for the user to install with
 * their own package manager.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface Evidence {
  command?: string;
  /** Any one of these files. */
  files?: string[];
}

export const PACKAGE_EVIDENCE: Readonly<Record<string, Evidence>> = {
  gcc: { command: "gcc" },
  make: { command: "make" },
  flex: { command: "flex" },
  bison: { command: "bison" },
  bc: { command: "bc" },
  perl: { command: "perl" },
  git: { command: "git" },
  kmod: { command: "modinfo" },
  "xz-utils": { command: "xz" },
  bzip2: { command: "bzip2" },
  cpio: { command: "cpio" },
  gzip: { command: "gzip" },
  binutils: { command: "objcopy" },
  dwarves: { command: "pahole" },
  "dpkg-dev": { command: "dpkg-source" },
  python3: { command: "python3" },
  "ninja-build": { command: "ninja" },
  meson: { command: "meson" },
  "pkg-config": { command: "pkg-config" },
  "qemu-system-x86": { command: "qemu-system-x86_64" },
  "libc6-dev": { files: ["/usr/include/stdio.h"] },
  "libelf-dev": { files: ["/usr/include/libelf.h", "/usr/include/gelf.h"] },
  "libssl-dev": { files: ["/usr/include/openssl/ssl.h"] },
  "libglib2.0-dev": { files: ["/usr/include/glib-2.0/glib.h"] },
  "libpixman-1-dev": { files: ["/usr/include/pixman-1/pixman.h"] },
  "zlib1g-dev": { files: ["/usr/include/zlib.h"] },
  "libfdt-dev": { files: ["/usr/include/libfdt.h"] },
  "python3-venv": { files: ["/usr/lib/python3/dist-packages/venv", "/usr/lib64/python3/venv"] },
  "python3-pycotap": { files: ["/usr/lib/python3/dist-packages/pycotap"] },
  seabios: { files: ["/usr/share/seabios/bios.bin", "/usr/share/qemu/bios.bin"] },
  "qemu-system-data": { files: ["/usr/share/qemu/kvmvapic.bin", "/usr/share/qemu/linuxboot_dma.bin"] },
};

export function onPath(command: string, searchPath = process.env.PATH ?? ""): boolean {
  return searchPath.split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, command)));
}

/** What is missing of `pkg` ("" when its evidence is there, or devgen has none for it). */
export function missingEvidence(pkg: string): string {
  const evidence = PACKAGE_EVIDENCE[pkg];
  if (!evidence) return "";
  if (evidence.command && !onPath(evidence.command)) return `no ${evidence.command} on PATH`;
  if (evidence.files && !evidence.files.some((f) => fs.existsSync(f))) return `no ${evidence.files.join(" or ")}`;
  return "";
}

export function hasApt(): boolean {
  return onPath("apt-get") && onPath("dpkg-query");
}
