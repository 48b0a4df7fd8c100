/** Config drift after olddefconfig: what differs from the image's config, and what explains it. */
import { configDrift, describeDrift, parseConfig } from "../../src/toolchain/config-drift.js";

const STOCK = `#
# Automatically generated file; DO NOT EDIT.
CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14) 12.2.0"
CONFIG_GCC_VERSION=120200
CONFIG_PAHOLE_VERSION=124
CONFIG_CC_HAS_ASM_GOTO_OUTPUT=y
CONFIG_KVM=m
CONFIG_DEBUG_INFO_BTF=y
CONFIG_DEBUG_INFO_BTF_MODULES=y
CONFIG_MODULE_ALLOW_BTF_MISMATCH=y
CONFIG_LOCALVERSION=""
# CONFIG_KVM_WERROR is not set
`;

test("parses set symbols and recorded 'is not set' ones; others are not recorded", () => {
  const symbols = parseConfig(STOCK);
  expect(symbols.get("KVM")).toBe("m");
  expect(symbols.get("LOCALVERSION")).toBe('""');
  expect(symbols.get("KVM_WERROR")).toBeNull();
  expect(symbols.has("BUILD_SALT")).toBe(false);
});

test("symbols Debian strips from the shipped config get their defaults: no drift", () => {
  const now = `${STOCK}CONFIG_BUILD_SALT=""\nCONFIG_MODULE_SIG_ALL=y\nCONFIG_MODULE_SIG_KEY="certs/signing_key.pem"\nCONFIG_SYSTEM_TRUSTED_KEYS=""\n`;
  expect(configDrift(STOCK, now)).toEqual([]);
});

test("the same config, or only other tool versions: no drift", () => {
  expect(configDrift(STOCK, STOCK)).toEqual([]);
  const otherTools = STOCK.replace("12.2.0-14) 12.2.0", "12.2.0-15) 12.2.0").replace("PAHOLE_VERSION=124", "PAHOLE_VERSION=0").replace("GCC_VERSION=120200", "GCC_VERSION=120300");
  expect(configDrift(STOCK, otherTools)).toEqual([]);
});

test("no pahole: the BTF symbols dropped, named with dwarves", () => {
  const now = STOCK.replace("CONFIG_DEBUG_INFO_BTF=y\nCONFIG_DEBUG_INFO_BTF_MODULES=y\nCONFIG_MODULE_ALLOW_BTF_MISMATCH=y\n", "# CONFIG_DEBUG_INFO_BTF is not set\n");
  const drift = configDrift(STOCK, now);
  expect(drift.map((c) => [c.symbol, c.stock, c.now])).toEqual([
    ["DEBUG_INFO_BTF", "y", null],
    ["DEBUG_INFO_BTF_MODULES", "y", null],
    ["MODULE_ALLOW_BTF_MISMATCH", "y", null],
  ]);
  expect(describeDrift(drift)).toEqual([
    "CONFIG_DEBUG_INFO_BTF (y → not set), CONFIG_DEBUG_INFO_BTF_MODULES (y → not set), CONFIG_MODULE_ALLOW_BTF_MISMATCH (y → not set): pahole is missing or too old (Debian package dwarves)",
  ]);
});

test("a compiler answer and an unexplained symbol are each named with their cause", () => {
  const stock = `${STOCK}# CONFIG_RUST is not set\n`;
  const now = `${STOCK.replace("CONFIG_CC_HAS_ASM_GOTO_OUTPUT=y\n", "").replace("CONFIG_KVM=m", "CONFIG_KVM=y")}CONFIG_RUST=y\n`;
  expect(describeDrift(configDrift(stock, now))).toEqual([
    "CONFIG_CC_HAS_ASM_GOTO_OUTPUT (y → not set): the compiler differs from the one that built the image",
    "CONFIG_KVM (m → y): the build machine's tools differ from the image's",
    "CONFIG_RUST (not set → y): Rust support differs from the image's (it needs the rustc and bindgen that built it)",
  ]);
});
