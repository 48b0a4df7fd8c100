/**
 * Kconfig fragments for full mode (`devgen build --full`): what a minimal kernel needs on top
 * of `make tinyconfig` to run the test harness, as data, plus the pure parts of using them
 * (rendering a fragment file, reading a .config, checking that Kconfig kept every symbol).
 *
 * The same fragments work on Linux 6.1 and 6.12: only symbols with a prompt are listed
 * (6.12's KVM_X86 has none; it follows from KVM and a vendor module), and every one is
 * checked after `olddefconfig`, so a symbol a newer tree renamed or made depend on something
 * else fails the build by name instead of silently going missing.
 */

export type KconfigValue = "y" | "m" | "n";

export interface ConfigSymbol {
  /** Without the CONFIG_ prefix. */
  name: string;
  value: KconfigValue;
  /** Why it is here, for people reading the fragment. */
  why: string;
}

export interface ConfigFragment {
  name: string;
  description: string;
  symbols: readonly ConfigSymbol[];
}

const y = (name: string, why: string): ConfigSymbol => ({ name, value: "y", why });
const m = (name: string, why: string): ConfigSymbol => ({ name, value: "m", why });
const n = (name: string, why: string): ConfigSymbol => ({ name, value: "n", why });

/** What the harness's VMs need: serial console, initramfs, devtmpfs, PCI, modules, KVM. */
export const BASE_FRAGMENT: ConfigFragment = {
  name: "base",
  description: "a minimal x86-64 kernel that boots the devgen harness and loads its own kvm modules",
  symbols: [
    y("64BIT", "x86-64, like the host's VMM and test programs"),
    y("PRINTK", "kernel messages on the console"),
    y("BLK_DEV_INITRD", "the harness boots an initramfs"),
    y("RD_GZIP", "the harness's initramfs is gzip'd"),
    y("BINFMT_ELF", "static busybox and test programs"),
    y("BINFMT_SCRIPT", "/init is a shell script"),
    y("TTY", "consoles"),
    y("SERIAL_8250", "ttyS0 (console) and ttyS1 (results)"),
    y("SERIAL_8250_CONSOLE", "console=ttyS0"),
    y("PROC_FS", "/init mounts /proc"),
    y("SYSFS", "/init mounts /sys"),
    y("DEVTMPFS", "/dev/kvm and the serial ports without mknod"),
    y("DEVTMPFS_MOUNT", "devtmpfs mounted before /init"),
    y("PCI", "QEMU's PCI devices (the device under test, virtio)"),
    y("MODULES", "kvm is loaded as modules, like on a distribution kernel"),
    y("MODULE_UNLOAD", "the harness unloads and reloads kvm"),
    y("VIRTUALIZATION", "the menu KVM lives in"),
    y("HIGH_RES_TIMERS", "KVM depends on it (6.1)"),
    y("SMP", "the fuzz level's vCPU threads and host thread race on several CPUs"),
    y("FUTEX", "threaded test programs"),
    y("EPOLL", "busybox and VMMs"),
    y("SHMEM", "tmpfs and memfd for guest memory"),
    y("UNIX", "local sockets (busybox)"),
    y("NET", "UNIX sockets need it"),
    y("MULTIUSER", "busybox expects uid/gid support"),
    y("ACPI", "poweroff ends the VM"),
    y("SLUB", "/proc/slabinfo for the leak check (6.1's tinyconfig picks SLOB, which has none)"),
    y("SLUB_DEBUG", "/proc/slabinfo needs it"),
    n("SLUB_TINY", "6.12's tinyconfig sets it; it excludes SLUB_DEBUG and KASAN"),
    y("TMPFS", "level full's scratch space inside the host's root"),
    y("VIRTIO_MENU", "the virtio drivers' menu"),
    y("VIRTIO_PCI", "level full mounts the host's root over virtio-9p"),
    y("NET_9P", "the 9p protocol"),
    y("NET_9P_VIRTIO", "9p over virtio"),
    y("INET", "6.1's 9P_FS depends on it"),
    y("9P_FS", "the host's root, read-only, for the QEMU level full runs"),
    y("POSIX_TIMERS", "the host's QEMU runs in the VM: timers"),
    y("SIGNALFD", "QEMU's main loop"),
    y("TIMERFD", "QEMU's main loop"),
    y("AIO", "QEMU's block layer"),
    y("ADVISE_SYSCALLS", "QEMU's madvise of guest RAM"),
    y("MEMBARRIER", "QEMU's RCU"),
    y("FILE_LOCKING", "QEMU locks what it opens"),
    m("KVM", "the module devgen patches the device into"),
    m("KVM_AMD", "nested SVM under TCG (-cpu qemu64,+svm)"),
    m("KVM_INTEL", "VT-x hosts"),
  ],
};

/**
 * Debug kernels (`--debug`): memory errors, lock order, sleeping in atomic context, leaks, UB,
 * each reported on the console for the harness's splat check (src/harness/splats.ts).
 */
export const DEBUG_FRAGMENT: ConfigFragment = {
  name: "debug",
  description: "KASAN, lockdep, atomic-sleep checks, kmemleak and UBSAN on top of the base fragment",
  symbols: [
    y("DEBUG_KERNEL", "the debug options depend on it"),
    y("BUG", "tinyconfig turns it off, and without it WARN() and BUG() print nothing"),
    y("DEBUG_BUGVERBOSE", "file and line in BUG and WARNING reports"),
    y("KALLSYMS", "symbolic stack traces in reports"),
    y("STACKTRACE", "KASAN, lockdep and kmemleak record stacks"),
    y("KASAN", "use-after-free and out-of-bounds accesses"),
    y("KASAN_GENERIC", "the software mode that works everywhere"),
    y("PROVE_LOCKING", "lock order and irq-safety (lockdep)"),
    y("DEBUG_ATOMIC_SLEEP", "sleeping in atomic context, e.g. under kvm->slots_lock misuse"),
    y("DEBUG_LIST", "list corruption, e.g. a device unregistered twice from the io bus"),
    y("DEBUG_FS", "the harness reads /sys/kernel/debug/kmemleak"),
    y("DEBUG_KMEMLEAK", "leaks of the device's allocations"),
    n("DEBUG_KMEMLEAK_AUTO_SCAN", "the harness scans once before power-off; a background scan would report at random times"),
    y("UBSAN", "undefined behaviour (shifts, overflows, bounds)"),
  ],
};

/** The fragments a build uses, in merge order. */
export function fragmentsFor(debug: boolean): ConfigFragment[] {
  return debug ? [BASE_FRAGMENT, DEBUG_FRAGMENT] : [BASE_FRAGMENT];
}

/** The symbols of several fragments, a later fragment's value winning. */
export function mergeFragments(fragments: readonly ConfigFragment[]): ConfigSymbol[] {
  const merged = new Map<string, ConfigSymbol>();
  for (const fragment of fragments) for (const symbol of fragment.symbols) merged.set(symbol.name, symbol);
  return [...merged.values()];
}

/** One line of a .config or fragment file. */
export function configLine(symbol: Pick<ConfigSymbol, "name" | "value">): string {
  return symbol.value === "n" ? `# CONFIG_${symbol.name} is not set` : `CONFIG_${symbol.name}=${symbol.value}`;
}

/** A fragment file for merge_config.sh, with each symbol's reason as a comment. */
export function renderFragment(fragments: readonly ConfigFragment[]): string {
  const lines = [`# devgen full mode: ${fragments.map((f) => f.name).join(" + ")}`];
  for (const fragment of fragments) {
    lines.push(`#`, `# ${fragment.name}: ${fragment.description}`);
    for (const symbol of fragment.symbols) lines.push(`# ${symbol.why}`, configLine(symbol));
  }
  return `${lines.join("\n")}\n`;
}

/** The values a .config sets: `CONFIG_X=v` and `# CONFIG_X is not set` (as "n"). */
export function parseConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const set = /^CONFIG_(\w+)=(.*)$/.exec(line);
    if (set) {
      values.set(set[1]!, set[2]!);
      continue;
    }
    const unset = /^# CONFIG_(\w+) is not set$/.exec(line);
    if (unset) values.set(unset[1]!, "n");
  }
  return values;
}

export interface ConfigMismatch {
  name: string;
  wanted: KconfigValue;
  /** What the .config has; "n" when it does not mention the symbol. */
  actual: string;
}

/** The symbols whose value in the .config is not the one asked for. */
export function checkConfig(config: Map<string, string>, symbols: readonly ConfigSymbol[]): ConfigMismatch[] {
  const mismatches: ConfigMismatch[] = [];
  for (const symbol of symbols) {
    const actual = config.get(symbol.name) ?? "n";
    if (actual !== symbol.value) mismatches.push({ name: symbol.name, wanted: symbol.value, actual });
  }
  return mismatches;
}

/** Symbols a Kconfig file defines (`config X`, `menuconfig X`). */
export function kconfigSymbols(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/^\s*(?:menu)?config\s+(\w+)\s*$/gm)) names.push(match[1]!);
  return names;
}

/** What to tell the user about a symbol Kconfig did not set as asked. */
export function describeMismatch(mismatch: ConfigMismatch, existsInTree: boolean): string {
  const wanted = `CONFIG_${mismatch.name}=${mismatch.wanted}`;
  if (!existsInTree) return `${wanted} was asked for, but this tree's Kconfig has no ${mismatch.name} (renamed or removed?)`;
  const got = mismatch.actual === "n" ? "left it unset" : `set it to ${mismatch.actual}`;
  return `${wanted} was asked for, but Kconfig ${got} (an unmet dependency, or a choice that excludes it)`;
}
