/**
 * Where devgen's cache lives. Every stage may need it (the loader's check cache, the
 * compiled templates, fetched trees, logs), so it sits in util/, below them all; what the
 * cache holds is src/toolchain/download-cache.ts's business.
 */
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/**
 * `$DEVGEN_CACHE` if set, else `$XDG_CACHE_HOME/devgen`, else `~/.cache/devgen`.
 * Relative values are taken from the current directory.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.DEVGEN_CACHE) return resolve(env.DEVGEN_CACHE);
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, "devgen");
  return join(home, ".cache", "devgen");
}

export function logsDir(root: string = cacheRoot()): string {
  return join(root, "logs");
}
