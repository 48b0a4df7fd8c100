/**
 * A fresh minimal Debian 12 (bookworm) root to run commands in as root through chroot, so
 * a test can prove devgen installs every package it needs on a machine that has nothing
 * but node. The root is Debian's minbase variant made by mmdebstrap (cached as a tarball);
 * the test's node, the checkout (read-only) and the devgen cache (through an overlay, so
 * the host's cache is never written) appear at the same paths as on the host.
 */
import { execa } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { onPath } from "../../src/toolchain/package-evidence.js";
import { readAptSources, type AptSource } from "../../src/toolchain/sources.js";
import { formatCommand } from "../../src/util/run.js";

export interface RunOptions {
  env?: Record<string, string>;
  /** A directory inside the root. */
  cwd?: string;
  /** Where to append the command and its output; the log given to makeFreshRoot by default. */
  log?: string;
  timeoutMs?: number;
}

export interface RunResult {
  /** -1 when the command did not exit by itself (timed out, killed, or could not start). */
  exitCode: number;
  /** stdout and stderr, interleaved. */
  output: string;
}

export interface FreshRoot {
  /** The root directory on the host. */
  dir: string;
  /**
   * Copies the checkout's files as a fresh clone has them (tracked and new, not ignored:
   * no node_modules, no dist) to `dest` inside the root, writable there, and returns `dest`.
   */
  clone(dest: string): Promise<string>;
  /** Runs `cmd` in the root as root with a clean environment (PATH, HOME, DEVGEN_CACHE, `opts.env`). */
  run(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Unmounts everything and removes the root; safe to call more than once. */
  dispose(): Promise<void>;
}

export interface FreshRootOptions {
  /** Where the root's tarball is cached (`<cache>/fresh-root/`). */
  cache: string;
  /** The built repository (dist/, node_modules/), mounted read-only at the same path. */
  checkout: string;
  /** devgen's cache, overlaid at the same path: readable and writable, the host's copy unchanged. */
  devgenCache: string;
  /** The setup's log, and the default log of `run`. */
  log: string;
}

const SUITE = "bookworm";
const SUITES = [SUITE, `${SUITE}-updates`, `${SUITE}-security`];
const DEFAULT_MIRROR = "http://deb.debian.org/debian";
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** On disk, not in /tmp: /tmp may be a small tmpfs, and the overlay's upper layer holds whole builds. */
const SCRATCH = "/var/tmp";
/** What minbase leaves out and devgen has to install itself: finding one means the tarball is not minbase. */
const ABSENT_TOOLS = ["usr/bin/gcc", "usr/bin/cc", "usr/bin/make", "usr/bin/meson", "usr/bin/ninja", "usr/bin/flex", "usr/bin/bison"];

export async function makeFreshRoot(given: FreshRootOptions): Promise<FreshRoot> {
  if (process.getuid?.() !== 0) throw new Error("fresh root: needs root (mmdebstrap, mount, chroot)");
  // The checkout and the cache appear in the root at their host paths, so those must be absolute.
  const options = { ...given, checkout: path.resolve(given.checkout), devgenCache: path.resolve(given.devgenCache) };
  fs.mkdirSync(path.dirname(options.log), { recursive: true });
  const temp = fs.mkdtempSync(path.join(SCRATCH, "devgen-fresh-root-"));
  const dir = path.join(temp, "root");
  let disposing: Promise<void> | undefined;
  const root: FreshRoot = {
    dir,
    run: (cmd, args, opts = {}) => runInRoot(dir, options.devgenCache, cmd, args, { ...opts, log: opts.log ?? options.log }),
    clone: (dest) => cloneInto(options.checkout, path.join(dir, dest), options.log).then(() => dest),
    dispose: () => (disposing ??= teardown(temp, options.log)),
  };
  try {
    const tarball = await ensureTarball(options.cache, options.log);
    await progress(`extracting ${tarball}`, () => extract(tarball, dir, options.log));
    await progress("mounting", () => populate(temp, dir, options));
    await progress("checking node in the root", () => checkNode(root));
    return root;
  } catch (err) {
    const cleanup = await root.dispose().then(
      () => "",
      (e: Error) => `\ncleaning up also failed: ${e.message}`,
    );
    throw new Error(`fresh root: ${(err as Error).message}${cleanup}\nlog: ${options.log}`, { cause: err });
  }
}

/** The mount points under `dir` in /proc/self/mountinfo, in mount order (parents before children). */
function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" ")[4]!.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/** The cached minbase tarball, made on first use; written under a temporary name so an interrupted run leaves none. */
async function ensureTarball(cache: string, log: string): Promise<string> {
  const tarball = path.join(cache, "fresh-root", `${SUITE}-minbase.tar`);
  if (fs.existsSync(tarball)) return tarball;
  await ensureMmdebstrap(log);
  fs.mkdirSync(path.dirname(tarball), { recursive: true });
  const partial = `${tarball}.${process.pid}.partial`;
  const args = ["--variant=minbase", "--include=ca-certificates", "--format=tar", SUITE, partial, ...mirrorLines(readAptSources())];
  try {
    await progress(`mmdebstrap ${SUITE} (cold, ~2 min)`, () => must(log, "mmdebstrap", args));
    fs.renameSync(partial, tarball);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  return tarball;
}

async function ensureMmdebstrap(log: string): Promise<void> {
  if (onPath("mmdebstrap")) return;
  await progress("installing mmdebstrap on the host", async () => {
    const install = ["install", "-y", "--no-install-recommends", "mmdebstrap"];
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    if ((await sh(log, "apt-get", install, { env })).exitCode === 0) return;
    // A fresh machine may have no package lists yet.
    await must(log, "apt-get", ["update"], { env });
    await must(log, "apt-get", install, { env });
  });
}


/**
 * mmdebstrap's mirror arguments: a `deb URI SUITE COMPONENTS` line for each bookworm suite
 * (release, -updates, -security) the host's apt uses, so the root downloads from the same
 * mirrors; Debian's own mirror for the release when the host has no entry for it.
 */
function mirrorLines(sources: AptSource[]): string[] {
  const lines = sources
    .filter((s) => s.types.includes("deb"))
    .flatMap((s) => s.suites.filter((suite) => SUITES.includes(suite)).flatMap((suite) => s.uris.map((uri) => `deb ${uri} ${suite} ${s.components.join(" ")}`)));
  const hasRelease = lines.some((line) => line.split(" ")[2] === SUITE);
  return [...new Set(hasRelease ? lines : [`deb ${DEFAULT_MIRROR} ${SUITE} main`, ...lines])];
}

async function extract(tarball: string, dir: string, log: string): Promise<void> {
  fs.mkdirSync(dir);
  // The ids in the tarball are the root's own; the host's names for them do not matter.
  await must(log, "tar", ["-xf", tarball, "-C", dir, "--numeric-owner"]);
  const present = ABSENT_TOOLS.filter((tool) => fs.lstatSync(path.join(dir, tool), { throwIfNoEntry: false }));
  if (present.length > 0) throw new Error(`${tarball} is not a minbase root (it has ${present.join(", ")}): delete it to make it again`);
}

/** Mounts what the root needs from the host and copies in what apt needs to reach the network. */
async function populate(temp: string, dir: string, options: FreshRootOptions): Promise<void> {
  const log = options.log;
  const at = (p: string): string => path.join(dir, p);
  await mount(log, ["-t", "proc", "proc"], at("/proc"));
  await mount(log, ["-t", "sysfs", "sysfs"], at("/sys"));
  // The host's /dev with its submounts (/dev/pts, /dev/shm). As a slave, unmounting them
  // from the root later does not propagate back and unmount the host's own.
  await mount(log, ["--rbind", "/dev"], at("/dev"));
  await must(log, "mount", ["--make-rslave", at("/dev")]);
  await mount(log, ["-t", "tmpfs", "tmpfs"], at("/tmp"));
  await mountNode(dir, log);
  await mount(log, ["--bind", "-o", "ro", options.checkout], at(options.checkout));
  await mountCacheOverlay(temp, dir, options.devgenCache, log);
  copyResolvConf(dir);
  copyCaBundle(dir);
  forbidServices(dir);
}

/** Mounts on `target`, creating it first: a directory, or an empty file when binding a file. */
async function mount(log: string, args: string[], target: string, file = false): Promise<void> {
  if (file) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, "");
  } else {
    fs.mkdirSync(target, { recursive: true });
  }
  await must(log, "mount", [...args, target]);
}

/**
 * The node running the tests is the node a bare machine would have: its binary, read-only.
 * It needs only libc, libstdc++ and libgcc_s, which minbase has (apt links against them).
 */
async function mountNode(dir: string, log: string): Promise<void> {
  await mount(log, ["--bind", "-o", "ro", fs.realpathSync(process.execPath)], path.join(dir, "usr/local/bin/node"), true);
  // npm and npx, as Node.js's own packages install them beside node: the README's first command is `npm ci`.
  const npm = npmPackageDir();
  if (!npm) return;
  await mount(log, ["--bind", "-o", "ro", npm], path.join(dir, npm));
  for (const [command, script] of [["npm", "npm-cli.js"], ["npx", "npx-cli.js"]]) {
    fs.symlinkSync(path.join(npm, "bin", script!), path.join(dir, "usr/local/bin", command!));
  }
}

/** The npm package directory of the node running the tests (…/lib/node_modules/npm), if it has one. */
function npmPackageDir(): string | null {
  const dir = path.resolve(path.dirname(fs.realpathSync(process.execPath)), "..", "lib", "node_modules", "npm");
  return fs.existsSync(path.join(dir, "bin", "npm-cli.js")) ? dir : null;
}

/** The cache through an overlay whose upper layer lives in the scratch directory, removed with the root. */
async function mountCacheOverlay(temp: string, dir: string, devgenCache: string, log: string): Promise<void> {
  fs.mkdirSync(devgenCache, { recursive: true });
  const upper = path.join(temp, "cache-upper");
  const work = path.join(temp, "cache-work");
  for (const p of [devgenCache, upper, work]) {
    if (/[,:\s]/.test(p)) throw new Error(`overlayfs options cannot carry ${JSON.stringify(p)} (comma, colon or white space)`);
    fs.mkdirSync(p, { recursive: true });
  }
  await mount(log, ["-t", "overlay", "overlay", "-o", `lowerdir=${devgenCache},upperdir=${upper},workdir=${work}`], path.join(dir, devgenCache));
}

async function cloneInto(checkout: string, target: string, log: string): Promise<void> {
  fs.mkdirSync(target, { recursive: true });
  const copy = 'git -C "$1" ls-files -z --cached --others --exclude-standard | tar -C "$1" --null -T - -cf - | tar -C "$2" -xf -';
  await must(log, "sh", ["-c", copy, "sh", checkout, target]);
}

/**
 * The machine's own trust, as a fresh machine on the same network would be set up: where a
 * proxy re-signs TLS, its CA is in the host's bundle, and node in the root needs it too
 * (runInRoot points NODE_EXTRA_CA_CERTS at it: node does not read the system's store).
 */
function copyCaBundle(dir: string): void {
  if (!fs.existsSync(CA_BUNDLE)) return;
  const target = path.join(dir, CA_BUNDLE);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { force: true });
  fs.copyFileSync(CA_BUNDLE, target);
}

function copyResolvConf(dir: string): void {
  const target = path.join(dir, "etc/resolv.conf");
  // Removed first: were it a symlink, copying onto it would follow it out to the host's file.
  fs.rmSync(target, { force: true });
  fs.copyFileSync("/etc/resolv.conf", target);
}

/** Packages installed in a chroot must not start daemons: they would outlive the test and keep its mounts busy. */
function forbidServices(dir: string): void {
  fs.writeFileSync(path.join(dir, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
}

async function checkNode(root: FreshRoot): Promise<void> {
  const { exitCode, output } = await root.run("node", ["--version"]);
  if (exitCode !== 0 || output.trim() !== process.version) throw new Error(`node --version in the root printed (exit ${exitCode}):\n${output}`);
}

function runInRoot(dir: string, devgenCache: string, cmd: string, args: string[], opts: RunOptions & { log: string }): Promise<RunResult> {
  const trust = fs.existsSync(path.join(dir, CA_BUNDLE)) ? { NODE_EXTRA_CA_CERTS: CA_BUNDLE } : {};
  const env = { PATH: ROOT_PATH, HOME: "/root", DEVGEN_CACHE: devgenCache, ...trust, ...opts.env };
  const chdir = opts.cwd ? [`--chdir=${opts.cwd}`] : [];
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  return sh(opts.log, "chroot", [dir, "/usr/bin/env", "-i", ...chdir, ...assignments, cmd, ...args], { timeoutMs: opts.timeoutMs });
}

/**
 * Unmounts whatever is mounted under the scratch directory, children before parents,
 * lazily when a mount is busy, then removes the directory.
 */
async function teardown(temp: string, log: string): Promise<void> {
  for (const point of mountsUnder(temp).reverse()) {
    // Unmounting a parent lazily detaches its children too: one already gone just fails here.
    if ((await sh(log, "umount", [point])).exitCode !== 0) await sh(log, "umount", ["-l", point]);
  }
  const left = mountsUnder(temp);
  // fs.rmSync crosses mount points: through a /dev or checkout still mounted it would delete the host's files.
  if (left.length > 0) throw new Error(`still mounted, so ${temp} is left in place: ${left.join(", ")}`);
  fs.rmSync(temp, { recursive: true, force: true });
}

/** Runs a host command, appending it and its output to `log`. */
async function sh(log: string, cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  const result = await execa(cmd, args, { reject: false, all: true, stdin: "ignore", env: opts.env, timeout: opts.timeoutMs });
  const output = result.all ?? "";
  const status = result.exitCode !== undefined && !result.timedOut ? `exit ${result.exitCode}` : result.shortMessage;
  fs.appendFileSync(log, `$ ${formatCommand(cmd, args)}\n${output}${output.endsWith("\n") || output === "" ? "" : "\n"}[${status}]\n\n`);
  return { exitCode: result.timedOut ? -1 : (result.exitCode ?? -1), output };
}


/** `sh`, throwing with the end of the output unless the command succeeds. */
async function must(log: string, cmd: string, args: string[], opts: { env?: Record<string, string> } = {}): Promise<RunResult> {
  const result = await sh(log, cmd, args, opts);
  if (result.exitCode !== 0) {
    const tail = result.output.trimEnd().split("\n").slice(-15).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${result.exitCode}):\n${tail}`);
  }
  return result;
}

/** One line on stderr per long step: what it is, then how long it took. */
async function progress<T>(label: string, step: () => Promise<T>): Promise<T> {
  const start = Date.now();
  process.stderr.write(`fresh root: ${label}...`);
  try {
    const result = await step();
    process.stderr.write(` ${((Date.now() - start) / 1000).toFixed(1)}s\n`);
    return result;
  } catch (err) {
    process.stderr.write(" failed\n");
    throw err;
  }
}
