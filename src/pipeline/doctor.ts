/**
 * `devgen doctor [--for SCOPE] [--fix]`: is this machine ready to build and test devices? One
 * line per check (node, every package the scope's steps need, disk, KVM, nesting, cache) with
 * what was found and what to do. The packages are judged exactly as the steps judge them
 * (src/toolchain/step-needs.ts), so what doctor reports missing is what the next step would install.
 * `--fix` installs them as root, or prints the exact command.
 * Exit code: 0 when nothing fails (warnings allowed), 3 when a problem remains.
 */
import { join } from "node:path";
import { installCommand, installNeeds, unmetNeeds, type UnmetNeed } from "../toolchain/packages.js";
import { DEFAULT_SCOPE, needsOf, type Scope } from "../toolchain/step-needs.js";
import { logsDir } from "../util/cache-dir.js";
import { evaluate, stepsToCheck, type Check, type Probe } from "../toolchain/doctor-checks.js";
import { probeMachine } from "../toolchain/doctor-probe.js";
import { createProgress, type Progress } from "../util/progress.js";
import { EXIT } from "../util/exit-codes.js";

export interface DoctorOptions {
  /** Which command's steps to check the packages of (default: the demo's). */
  scope?: Scope;
  fix?: boolean;
  json?: boolean;
  progress?: Progress;
  /** Reads the machine; tests pass a fake. */
  probe?: () => Probe;
  /** Installs packages as root; tests pass a fake. */
  install?: (unmet: UnmetNeed[], progress: Progress) => Promise<void>;
}

export interface DoctorResult {
  ok: boolean;
  scope: Scope;
  checks: Check[];
  /** Debian packages still missing. */
  missing: string[];
  /** The command that installs them ("" when none are missing). */
  install: string;
  /** Packages `--fix` installed. */
  installed: string[];
  /** Why `--fix` did not install (not root, no apt-get), "" otherwise. */
  notFixed: string;
}

const defaultInstall = (unmet: UnmetNeed[], progress: Progress): Promise<void> => installNeeds(unmet, join(logsDir(), "doctor.log"), progress);

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorResult> {
  const probe = options.probe ?? probeMachine;
  const scope = options.scope ?? DEFAULT_SCOPE;
  let probed = probe();
  const needs = needsOf(stepsToCheck(scope, probed.cachedTrees));
  let unmet = unmetNeeds(needs, probed.packages);
  const installed: string[] = [];
  let notFixed = "";
  if (options.fix && unmet.length) {
    if (!probed.packages.apt) {
      notFixed = "this machine has no apt-get";
    } else if (!probed.packages.root) {
      notFixed = "installing packages needs root";
    } else {
      const progress = options.progress ?? createProgress({ mode: options.json ? "plain" : "auto" });
      await (options.install ?? defaultInstall)(unmet, progress);
      const before = unmet.map((u) => u.need.package);
      probed = probe();
      unmet = unmetNeeds(needs, probed.packages);
      installed.push(...before.filter((p) => !unmet.some((u) => u.need.package === p)));
    }
  }
  const checks = evaluate(probed, scope);
  return {
    ok: checks.every((c) => c.ok),
    scope,
    checks,
    missing: unmet.map((u) => u.need.package),
    install: installCommand(unmet, probed.packages),
    installed,
    notFixed,
  };
}

export function doctorExitCode(result: DoctorResult): number {
  return result.ok ? EXIT.ok : EXIT.environment;
}

const MARK = { ok: "✓", warn: "!", fail: "✗" } as const;

/** The table `devgen doctor` prints: mark, check, what was found, and what to do under it. */
export function formatDoctor(result: DoctorResult): string {
  const width = Math.max(...result.checks.map((c) => c.name.length));
  const lines: string[] = [];
  for (const c of result.checks) {
    lines.push(`${MARK[c.status]} ${c.name.padEnd(width)}  ${c.found}`);
    if (c.fix && c.status !== "ok") lines.push(`  ${" ".repeat(width)}  → ${c.fix}`);
  }
  lines.push("");
  const failed = result.checks.filter((c) => c.status === "fail");
  const warned = result.checks.filter((c) => c.status === "warn");
  if (result.installed.length) lines.push(`installed ${result.installed.join(" ")}`);
  if (!failed.length) {
    lines.push(warned.length ? `ready, with ${warned.length} warning${warned.length > 1 ? "s" : ""} (devgen works; see → above)` : "ready: every check passed");
  } else {
    lines.push(`${failed.length} problem${failed.length > 1 ? "s" : ""}: ${failed.map((c) => c.name).join(", ")}`);
    if (result.missing.length) {
      if (result.notFixed) lines.push(`--fix did not install them: ${result.notFixed}. Run:`, `  ${result.install}`);
      else lines.push(`install the missing packages with devgen doctor --fix (as root), or run:`, `  ${result.install}`);
    }
  }
  return lines.join("\n");
}
