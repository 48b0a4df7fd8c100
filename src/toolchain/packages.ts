/**
 * Whether what a step needs (step-needs.ts) is installed, and installing it: with apt-get as
 * root, from the suite a need names; otherwise a clear error with the exact list. The same
 * judgement (`unmetNeeds`) serves the steps and `devgen doctor`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { compareDebianVersions } from "./apt.js";
import { findDebianMirrors, readAptSources } from "./sources.js";
import { DevgenError } from "../util/diagnostics.js";
import type { Progress } from "../util/progress.js";
import { run } from "../util/run.js";
import { hasApt, missingEvidence } from "./package-evidence.js";
import { needsOf, STEP_NEEDS, type PackageNeed, type Step } from "./step-needs.js";

/** What the machine has of some packages. */
export interface PackageState {
  /** Whether apt-get and dpkg are there: then dpkg decides, otherwise the evidence does. */
  apt: boolean;
  root: boolean;
  /** dpkg's installed version of each package, null when not installed (only with apt). */
  versions: Record<string, string | null>;
  /** Without apt: what is missing of each package ("" when its command or file is there). */
  evidence: Record<string, string>;
}

export interface UnmetNeed {
  need: PackageNeed;
  /** What is there instead: "not installed", "1.0.1-5 is older than 1.5", "no meson on PATH". */
  found: string;
}

/** dpkg's installed version of each of `packages` (null: not installed or unknown). */
export function installedVersions(packages: readonly string[]): Record<string, string | null> {
  let out = "";
  try {
    out = execFileSync("dpkg-query", ["-W", "-f", "${Package} ${db:Status-Status} ${Version}\\n", ...packages], {
      encoding: "utf8",
      // The PATH as this module sees it: jest gives each test file a process.env of its own.
      env: process.env,
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch (err) {
    // dpkg-query exits 1 when some package is unknown; its stdout still lists the known ones.
    out = String((err as { stdout?: string }).stdout ?? "");
  }
  const versions: Record<string, string | null> = Object.fromEntries(packages.map((p) => [p, null]));
  for (const line of out.split("\n")) {
    const [name, status, version] = line.split(" ");
    if (name && status === "installed" && version) versions[name.replace(/:.*$/, "")] = version;
  }
  return versions;
}

/** Reads the machine's state of `needs`. */
export function probePackages(needs: readonly PackageNeed[]): PackageState {
  const names = needs.map((n) => n.package);
  const apt = hasApt();
  return {
    apt,
    root: process.getuid?.() === 0,
    versions: apt ? installedVersions(names) : {},
    evidence: apt ? {} : Object.fromEntries(names.map((p) => [p, missingEvidence(p)])),
  };
}

/** The needs the machine does not meet, with what it has instead. Pure. */
export function unmetNeeds(needs: readonly PackageNeed[], state: PackageState): UnmetNeed[] {
  const unmet: UnmetNeed[] = [];
  for (const need of needs) {
    if (!state.apt) {
      const missing = state.evidence[need.package] ?? "";
      if (missing) unmet.push({ need, found: missing });
      continue;
    }
    const version = state.versions[need.package] ?? null;
    if (version === null) unmet.push({ need, found: "not installed" });
    else if (need.minVersion && compareDebianVersions(version, need.minVersion) < 0) {
      unmet.push({ need, found: `${version} is older than ${need.minVersion}` });
    }
  }
  return unmet;
}

/** The unmet needs grouped by the suite to install them from ("" for the default). */
function bySuite(unmet: readonly UnmetNeed[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { need } of unmet) {
    const suite = need.suite ?? "";
    groups.set(suite, [...(groups.get(suite) ?? []), need.package]);
  }
  return groups;
}

/** The commands that install `unmet`, or what to install without apt. */
export function installCommand(unmet: readonly UnmetNeed[], state: Pick<PackageState, "apt" | "root">): string {
  if (!unmet.length) return "";
  if (!state.apt) return `install ${unmet.map((u) => u.need.package).join(" ")} (Debian's names) with your distribution's package manager`;
  const sudo = state.root ? "" : "sudo ";
  return [...bySuite(unmet)]
    .map(([suite, packages]) => `${sudo}apt-get install -y ${suite ? `-t ${suite} ` : ""}${packages.join(" ")}`)
    .join(" && ");
}

/** "meson (1.0.1-5 is older than 1.5, from bookworm-backports), flex (not installed)". */
function describeUnmet(unmet: readonly UnmetNeed[]): string {
  return unmet.map(({ need, found }) => `${need.package} (${found}${need.suite ? `; from ${need.suite}` : ""})`).join(", ");
}

/**
 * Installs what `step` needs and the machine lacks: with apt-get as root (adding a needed
 * suite to apt's sources), checked again afterwards; otherwise an error (exit 3) naming each
 * package and what is missing of it, and the command that installs them.
 */
export async function ensureStep(step: Step, log: string, progress: Progress): Promise<void> {
  const needs = needsOf([step]);
  const state = probePackages(needs);
  const unmet = unmetNeeds(needs, state);
  if (!unmet.length) return;
  const why = STEP_NEEDS[step].does;
  if (!state.apt || !state.root) {
    throw new DevgenError(
      [
        {
          location: null,
          message: `${why} needs what these Debian packages provide: ${describeUnmet(unmet)}`,
          hint: state.apt ? `run: ${installCommand(unmet, state)}` : `this machine has no apt-get: ${installCommand(unmet, state)}`,
        },
      ],
      3,
    );
  }
  await installNeeds(unmet, log, progress);
  const still = unmetNeeds(needs, probePackages(needs));
  if (still.length) {
    throw new DevgenError([{ location: null, message: `${why}: apt-get ran, but these are still not met: ${describeUnmet(still)}`, hint: `see ${log}` }], 3);
  }
}

/** apt-get install of `unmet`, suite by suite, adding each suite to apt's sources first. */
export async function installNeeds(unmet: readonly UnmetNeed[], log: string, progress: Progress): Promise<void> {
  for (const [suite, packages] of bySuite(unmet)) {
    if (suite && ensureSuite(suite)) progress.info(`added ${suite} to apt's sources (${suiteSourcesFile(suite)})`);
    await aptInstall(packages, log, progress, suite || undefined);
  }
}

function suiteSourcesFile(suite: string): string {
  return `/etc/apt/sources.list.d/devgen-${suite}.sources`;
}

/** Adds a `deb` entry for `suite` (e.g. bookworm-backports) on the mirror apt already uses. */
function ensureSuite(suite: string): boolean {
  const sources = readAptSources();
  if (sources.some((s) => s.types.includes("deb") && s.suites.includes(suite) && s.components.includes("main"))) return false;
  const { archive } = findDebianMirrors(sources, suite.replace(/-.*$/, ""));
  const text = [
    `# Written by devgen: packages newer than bookworm's own (see src/toolchain/step-needs.ts).`,
    "# Safe to delete; devgen writes it again when it needs it.",
    "",
    "Types: deb",
    `URIs: ${archive.uri}`,
    `Suites: ${suite}`,
    "Components: main",
    ...(archive.signedBy ? [`Signed-By: ${archive.signedBy}`] : []),
    "",
  ].join("\n");
  fs.writeFileSync(suiteSourcesFile(suite), text);
  return true;
}

/** `apt-get update` then install `packages` (from `suite` when given), with a progress line. */
async function aptInstall(packages: readonly string[], log: string, progress: Progress, suite?: string): Promise<void> {
  const from = suite ? ["-t", suite] : [];
  const task = progress.task(`installing ${packages.join(" ")}${suite ? ` from ${suite}` : ""}`);
  try {
    await run("apt-get", ["update", "-qq"], { step: "apt-get update", log, hint: "apt could not read its package lists: check the network and /etc/apt/sources.list.d" });
    await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...from, ...packages], {
      step: `installing ${packages.join(" ")}${suite ? ` from ${suite}` : ""} (apt-get install)`,
      log,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      hint: `apt could not install ${packages.join(" ")}: its last lines above say why (not found, held, no network)`,
    });
    task.done();
  } catch (err) {
    task.fail();
    throw err;
  }
}
