/**
 * The `deb-src` entries `apt-get source` needs. devgen writes its own file,
 * /etc/apt/sources.list.d/devgen-src.sources, reusing the Debian mirror (and security
 * mirror) already configured on the machine: it never invents a host.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DevgenError } from "../util/diagnostics.js";
import { parseDeb822 } from "./apt.js";

export const APT_DIR = "/etc/apt";
/** The Debian release devgen runs on, whose archive entry names the mirror to use. */
export const MACHINE_CODENAME = "bookworm";
export const DEVGEN_SOURCES_FILE = "devgen-src.sources";

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  signedBy?: string;
  file: string;
}

const words = (value: string | undefined): string[] => (value ?? "").split(/\s+/).filter(Boolean);

/** Parses a deb822 `.sources` file; disabled stanzas (`Enabled: no`) are left out. */
export function parseSourcesDeb822(text: string, file: string): AptSource[] {
  return parseDeb822(text)
    .filter((s) => (s.Enabled ?? "yes").toLowerCase() !== "no" && s.Types && s.URIs)
    .map((s) => ({
      types: words(s.Types),
      uris: words(s.URIs),
      suites: words(s.Suites),
      components: words(s.Components),
      signedBy: s["Signed-By"]?.includes("\n") ? undefined : s["Signed-By"],
      file,
    }));
}

/** Parses one-line-style `sources.list` text: `deb [signed-by=...] URI SUITE COMPONENT...`. */
export function parseSourcesList(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(m[2] ?? "")?.[1];
    sources.push({ types: [m[1]], uris: [m[3]], suites: [m[4]], components: words(m[5]), signedBy, file });
  }
  return sources;
}

/** Every entry in /etc/apt/sources.list and sources.list.d/ (.list and .sources). */
export function readAptSources(aptDir = APT_DIR): AptSource[] {
  const sources: AptSource[] = [];
  const main = join(aptDir, "sources.list");
  if (existsSync(main)) sources.push(...parseSourcesList(readFileSync(main, "utf8"), main));
  const dir = join(aptDir, "sources.list.d");
  const names = existsSync(dir) ? readdirSync(dir).sort() : [];
  for (const name of names) {
    const file = join(dir, name);
    if (name.endsWith(".sources")) sources.push(...parseSourcesDeb822(readFileSync(file, "utf8"), file));
    else if (name.endsWith(".list")) sources.push(...parseSourcesList(readFileSync(file, "utf8"), file));
  }
  return sources;
}

export interface Mirror {
  uri: string;
  signedBy?: string;
}

export interface DebianMirrors {
  archive: Mirror;
  security: Mirror | null;
}

/**
 * The Debian archive and security mirrors this machine already uses, found through the
 * entry for `codename` (e.g. bookworm) and `<codename>-security`.
 */
export function findDebianMirrors(sources: AptSource[], codename: string): DebianMirrors {
  const find = (suite: string): Mirror | null => {
    const entry = sources.find((s) => s.suites.includes(suite) && s.components.includes("main") && !s.file.endsWith(DEVGEN_SOURCES_FILE));
    return entry ? { uri: entry.uris[0], signedBy: entry.signedBy } : null;
  };
  const archive = find(codename);
  if (!archive) {
    throw new DevgenError(
      [
        {
          location: null,
          message: `no apt entry for Debian ${codename} (main) in /etc/apt/sources.list or sources.list.d/`,
          hint: `devgen fetches Debian's packages; configure the Debian ${codename} archive in apt first`,
        },
      ],
      3,
    );
  }
  return { archive, security: find(`${codename}-security`) };
}

/** Codenames that already have a deb-src entry for main (in any file, devgen's included). */
export function debSrcCodenames(sources: AptSource[], onlyFile?: string): Set<string> {
  const found = new Set<string>();
  for (const s of sources) {
    if (!s.types.includes("deb-src") || !s.components.includes("main")) continue;
    if (onlyFile && s.file !== onlyFile) continue;
    for (const suite of s.suites) if (!suite.includes("-")) found.add(suite);
  }
  return found;
}

/** The contents of devgen-src.sources: deb-src for each codename and its security suite. */
export function renderDevgenSources(mirrors: DebianMirrors, codenames: string[]): string {
  const stanza = (mirror: Mirror, suites: string[]): string =>
    [
      "Types: deb-src",
      `URIs: ${mirror.uri}`,
      `Suites: ${suites.join(" ")}`,
      "Components: main",
      ...(mirror.signedBy ? [`Signed-By: ${mirror.signedBy}`] : []),
    ].join("\n");
  const sorted = [...codenames].sort();
  const parts = [
    "# Written by devgen (`devgen fetch`): Debian source packages for the kernel and QEMU trees it builds.\n" +
      "# Safe to delete; devgen writes it again when it needs it.",
    stanza(mirrors.archive, sorted),
  ];
  if (mirrors.security) parts.push(stanza(mirrors.security, sorted.map((c) => `${c}-security`)));
  return `${parts.join("\n\n")}\n`;
}

/**
 * Makes sure apt has deb-src entries for `codenames`. Returns true when devgen-src.sources
 * was (re)written, so the caller knows it must run `apt-get update`.
 */
export function ensureDebSrc(codenames: string[], options: { aptDir?: string; base?: string } = {}): boolean {
  const aptDir = options.aptDir ?? APT_DIR;
  const ours = join(aptDir, "sources.list.d", DEVGEN_SOURCES_FILE);
  const sources = readAptSources(aptDir);
  const covered = debSrcCodenames(sources);
  const missing = codenames.filter((c) => !covered.has(c));
  if (missing.length === 0) return false;
  const mirrors = findDebianMirrors(sources, options.base ?? MACHINE_CODENAME);
  const keep = debSrcCodenames(sources, ours);
  const text = renderDevgenSources(mirrors, [...new Set([...keep, ...missing])]);
  try {
    writeFileSync(ours, text);
  } catch (err) {
    throw new DevgenError(
      [
        {
          location: null,
          message: `cannot write ${ours}: ${(err as Error).message}`,
          hint: `run devgen as root once, or create the file yourself and run \`apt-get update\`:\n${text}`,
        },
      ],
      3,
    );
  }
  return true;
}
