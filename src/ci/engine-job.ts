/**
 * What a cell's job does on any CI engine, before each engine's own syntax: the machine it
 * runs on, how devgen and the Debian packages its steps need get installed, and the devgen
 * commands it runs. Every cell runs devgen itself, so a cell runs the same locally and in CI.
 */
import { cellId, cellSlug, type Cell } from "./cell.js";
import { cacheKeyPrefix } from "./cache-key.js";

/**
 * devgen fetches Debian's trees with apt (and reads other suites through private archives),
 * so the job runs in Debian 12; Node 20 is what the project needs (Debian 12's nodejs is 18).
 */
export const CI_IMAGE = "node:20-bookworm";

/** Relative to the checkout: both engines cache paths inside it (GitLab only those). */
export const CI_CACHE_DIR = ".devgen-cache";
export const JUNIT_FILE = "junit.xml";

/** Cold cells fetch and build a kernel and a QEMU under TCG on 2 cores: give them room. */
export const CELL_TIMEOUT_MINUTES = 180;

/**
 * Installing devgen, then every Debian package devgen's steps declare
 * (toolchain/step-needs.ts, installed by the doctor as the steps themselves would).
 */
export const INSTALL_COMMANDS = ["npm ci --no-audit --no-fund", "apt-get update -qq", "npx devgen doctor --for all --fix"];

/** One cell as an engine's matrix entry: its id, a name without "/", and its cache entries' prefix. */
export interface MatrixEntry {
  cell: string;
  slug: string;
  "cache-prefix": string;
}

export function matrixEntry(cell: Cell): MatrixEntry {
  return { cell: cellId(cell), slug: cellSlug(cell), "cache-prefix": cacheKeyPrefix(cell) };
}

/** Single quotes for the shell: a cell id or a device directory as one word. */
export function shellWord(word: string): string {
  return /^[\w./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * `npx devgen ci <what> <cell> <the matrix's own arguments>`: a cell is only found in the
 * matrix it came from, so each command repeats the devices and options that made it.
 */
export function devgenCiCommand(what: "--run-cell" | "--cache-key", cell: string, matrixArgs: readonly string[], extra: readonly string[] = []): string {
  return ["npx devgen ci", what, cell, ...matrixArgs.map(shellWord), ...extra].join(" ");
}
