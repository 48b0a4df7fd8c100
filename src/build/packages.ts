/**
 * System packages a step needs: installed with apt-get when missing (as root), otherwise a
 * clear error with the exact list to install.
 */
import { execFileSync } from "node:child_process";
import { DevgenError } from "../util/diagnostics.js";
import type { Progress } from "../util/progress.js";
import { run } from "../util/run.js";
import { hasApt, missingEvidence } from "./package-evidence.js";

/** Kernel module and full builds (make, gcc, Kconfig tools, objtool's and signing's libraries). */
export const KERNEL_BUILD_PACKAGES = ["gcc", "make", "flex", "bison", "bc", "libelf-dev", "libssl-dev", "kmod", "xz-utils", "perl"];

/** The subset of `packages` dpkg does not report as installed. */
export function missingPackages(packages: readonly string[]): string[] {
  let status = "";
  try {
    status = execFileSync("dpkg-query", ["-W", "-f", "${Package} ${db:Status-Status}\\n", ...packages], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch (err) {
    // dpkg-query exits 1 when some package is unknown; its stdout still lists the known ones.
    status = String((err as { stdout?: string }).stdout ?? "");
  }
  const installed = new Set(
    status
      .split("\n")
      .filter((line) => line.endsWith(" installed"))
      .map((line) => line.split(" ")[0]!.replace(/:.*$/, "")),
  );
  return packages.filter((p) => !installed.has(p));
}

/**
 * Installs what `packages` (Debian's names) provide when it is missing: with apt-get as
 * root; otherwise an error (exit 3) with the exact list, and on a machine without apt what
 * is missing of each, to install with its own package manager.
 */
export async function ensurePackages(packages: readonly string[], why: string, log: string, progress: Progress): Promise<void> {
  if (!hasApt()) {
    const lacking = packages.map((p) => ({ p, what: missingEvidence(p) })).filter((m) => m.what);
    if (!lacking.length) return;
    throw new DevgenError(
      [
        {
          location: null,
          message: `${why} needs what these Debian packages provide: ${lacking.map((m) => `${m.p} (${m.what})`).join(", ")}`,
          hint: `this machine has no apt-get: install their equivalents with its package manager (${lacking.map((m) => m.p).join(" ")})`,
        },
      ],
      3,
    );
  }
  const missing = missingPackages(packages);
  if (!missing.length) return;
  if (process.getuid?.() !== 0) {
    throw new DevgenError(
      [{ location: null, message: `${why} needs packages that are not installed: ${missing.join(" ")}`, hint: `run: sudo apt-get install ${missing.join(" ")}` }],
      3,
    );
  }
  await aptInstall(missing, log, progress);
}

/** `apt-get update` then install `packages` (from `suite` when given), with a progress line. */
export async function aptInstall(packages: readonly string[], log: string, progress: Progress, suite?: string): Promise<void> {
  const from = suite ? ["-t", suite] : [];
  const task = progress.task(`installing ${packages.join(" ")}${suite ? ` from ${suite}` : ""}`);
  try {
    await run("apt-get", ["update", "-qq"], { step: "apt-get update", log });
    await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...from, ...packages], {
      step: `apt-get install ${[...from, ...packages].join(" ")}`,
      log,
      env: { DEBIAN_FRONTEND: "noninteractive" },
    });
    task.done();
  } catch (err) {
    task.fail();
    throw err;
  }
}
