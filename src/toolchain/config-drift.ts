/**
 * Config drift: `make olddefconfig` silently turns off what the build machine cannot do
 * (no pahole: no CONFIG_DEBUG_INFO_BTF; another compiler: other CC_HAS_* answers), and
 * modules built from such a config may not load into the image whose config it started from.
 * So after olddefconfig the tree's config must equal the image's, but for the version texts
 * of the tools, and every other difference is named with the tool that explains it.
 */

/** The symbols that record which tools configured the tree: expected to differ. */
const TOOL_VERSION_SYMBOLS = new Set([
  "CC_VERSION_TEXT",
  "GCC_VERSION",
  "CLANG_VERSION",
  "AS_VERSION",
  "LD_VERSION",
  "LLD_VERSION",
  "PAHOLE_VERSION",
  "RUSTC_VERSION",
  "RUSTC_VERSION_TEXT",
  "RUSTC_LLVM_VERSION",
  "BINDGEN_VERSION_TEXT",
]);

/** What usually explains a symbol that changed, first match wins. */
const EXPLANATIONS: readonly { symbol: RegExp; cause: string }[] = [
  { symbol: /^(DEBUG_INFO_BTF|PAHOLE_HAS_|MODULE_ALLOW_BTF_MISMATCH)/, cause: "pahole is missing or too old (Debian package dwarves)" },
  { symbol: /^(RUST|HAVE_RUST|BINDGEN)/, cause: "Rust support differs from the image's (it needs the rustc and bindgen that built it)" },
  { symbol: /^(CC_|GCC_|CLANG_|HAVE_GCC_)/, cause: "the compiler differs from the one that built the image" },
  { symbol: /^(AS_|LD_|TOOLS_SUPPORT_|OBJTOOL)/, cause: "binutils differ from the ones that built the image" },
];
const UNEXPLAINED = "the build machine's tools differ from the image's";

export interface ConfigChange {
  symbol: string;
  /** The value in the image's config, null when not set. */
  stock: string | null;
  /** The value after olddefconfig, null when not set. */
  now: string | null;
  cause: string;
}

/**
 * The symbols a config records: `CONFIG_X=value` as X → value, `# CONFIG_X is not set` as
 * X → null. A symbol with neither line is not recorded.
 */
export function parseConfig(text: string): Map<string, string | null> {
  const symbols = new Map<string, string | null>();
  for (const line of text.split("\n")) {
    const set = /^CONFIG_(\w+)=(.*)$/.exec(line);
    const unset = /^# CONFIG_(\w+) is not set$/.exec(line);
    if (set) symbols.set(set[1]!, set[2]!);
    else if (unset) symbols.set(unset[1]!, null);
  }
  return symbols;
}

/**
 * Every symbol the image's config records whose value the tree's config does not keep,
 * sorted. Symbols the image's config leaves out are not compared: Debian strips some from the
 * config it ships (BUILD_SALT, MODULE_SIG_KEY, SYSTEM_TRUSTED_KEYS...), and olddefconfig
 * giving them their defaults is not drift.
 */
export function configDrift(stockText: string, nowText: string): ConfigChange[] {
  const stock = parseConfig(stockText);
  const now = parseConfig(nowText);
  return [...stock.keys()]
    .filter((s) => !TOOL_VERSION_SYMBOLS.has(s) && stock.get(s) !== (now.get(s) ?? null))
    .sort()
    .map((symbol) => ({
      symbol,
      stock: stock.get(symbol) ?? null,
      now: now.get(symbol) ?? null,
      cause: EXPLANATIONS.find((e) => e.symbol.test(symbol))?.cause ?? UNEXPLAINED,
    }));
}

/** "CONFIG_DEBUG_INFO_BTF (y → not set), CONFIG_DEBUG_INFO_BTF_MODULES (y → not set): pahole ..." per cause. */
export function describeDrift(changes: readonly ConfigChange[]): string[] {
  const value = (v: string | null) => v ?? "not set";
  const byCause = new Map<string, ConfigChange[]>();
  for (const c of changes) byCause.set(c.cause, [...(byCause.get(c.cause) ?? []), c]);
  return [...byCause].map(
    ([cause, list]) => `${list.map((c) => `CONFIG_${c.symbol} (${value(c.stock)} → ${value(c.now)})`).join(", ")}: ${cause}`,
  );
}
