/**
 * docs/: the Markdown register map says what devices/xche/device.ts says (values worked out
 * by hand from that file), its tables are well formed, and the guest header compiles on its
 * own with the same names and values as the core's.
 */
import { DEFAULT_TARGETS } from "../../src/gen/index.js";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateCore } from "../../src/gen/core/index.js";
import { abiView } from "../../src/gen/docs/abi.js";
import { generateDocs } from "../../src/gen/docs/index.js";
import { uapiBlock } from "../../src/gen/uapi.js";
import { compileDevice } from "../../src/compile/index.js";

const compiled = compileDevice("devices/xche");
const input = { device: compiled.device, hooks: compiled.hooks, targets: DEFAULT_TARGETS };
const files = generateDocs(input);
const markdown = files.find((f) => f.path === "docs/xche.md")!.contents;
const header = files.find((f) => f.path === "docs/xche_regs.h")!.contents;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "devgen-docs-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Cells of a table row, split on `|` that is not escaped. */
function cells(row: string): string[] {
  return row.replace(/^\|/, "").replace(/\|$/, "").split(/(?<!\\)\|/).map((c) => c.trim());
}

/** Every table: a header, a `---` separator, rows with as many cells, blank lines around. */
function checkTables(text: string): number {
  const lines = text.split("\n");
  let tables = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith("|")) continue;
    expect(lines[i - 1]).toBe("");
    const width = cells(lines[i]!).length;
    expect(cells(lines[i + 1]!)).toEqual(Array(width).fill("---"));
    let j = i + 2;
    for (; j < lines.length && lines[j]!.startsWith("|"); j++) {
      expect({ row: lines[j], cells: cells(lines[j]!).length }).toEqual({ row: lines[j], cells: width });
    }
    expect(lines[j]).toBe("");
    tables++;
    i = j;
  }
  return tables;
}

function gcc(args: string[], source: string, name: string): void {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, source);
  execFileSync("gcc", [...args, file], { cwd: tmp, stdio: "pipe" });
}

describe("xche.md", () => {
  test("one row per register in the map, with offset, width, access and reset", () => {
    const rows: [string, string, number, string, string][] = [
      ["0x00", "ID", 32, "const", "0x58434845"],
      ["0x04", "CTRL", 32, "rw, wo", "0x00000000"],
      ["0x08", "INT_STATUS", 32, "w1c", "0x00000000"],
      ["0x0c", "INT_ENABLE", 32, "rw", "0x00000000"],
      ["0x10", "DATA_IN", 32, "rw", "0x00000000"],
      ["0x14", "DATA_OUT", 32, "ro", "0x00000000"],
      ["0x18", "KEY", 16, "rw", "0x5a5a"],
      ["0x1a", "COUNT", 8, "rc", "0x00"],
      ["0x1c", "SCRATCH", 32, "rw", "0x00000000"],
    ];
    for (const [offset, name, width, access, reset] of rows) {
      expect(markdown).toContain(`| \`${offset}\` | [${name}](#${name.toLowerCase()}-${offset}) | ${width} | ${access} | \`${reset}\` |`);
      expect(markdown).toContain(`\n### ${name} (${offset})\n`);
    }
    // The one byte no register holds, between COUNT and SCRATCH.
    expect(markdown).toContain("| `0x1b` | — | — | reserved | — | No register (1 byte): reads as zero, writes ignored. |");
  });

  test("the device summary", () => {
    expect(markdown).toContain("| PCI vendor:device | `1af4:10f0` |");
    expect(markdown).toContain("| BAR | BAR 1, port I/O, 0x800 bytes |");
    expect(markdown).toContain("`offset & 0x1f`");
    expect(markdown).toContain("the 0x20-byte register window repeats 64 times across the 0x800-byte BAR");
    expect(markdown).toContain("BAR offset `0x24` reaches CTRL");
    expect(markdown).toContain("| Access sizes | 1, 2 and 4 bytes |");
    expect(markdown).toContain("- An **unaligned** access (offset not a multiple of its size) reads as all ones");
  });

  test("bit fields with enumerated values, reserved bits and side effects", () => {
    expect(markdown).toContain("| 2:1 | `MODE` | rw | 0 (PASS) | How DATA_IN is combined with KEY | 0 = PASS, 1 = XOR, 2 = ADD |");
    expect(markdown).toContain("| 31 | `RESET` | wo | 0 | Write 1 to clear COUNT and DATA_OUT |  |");
    expect(markdown).toContain("| 30:3 | — | reserved | 0 | Reserved: read as zero, writes ignored |  |");
    expect(markdown).toContain("| 31:2 | — | reserved | 0 | Reserved: read as zero, writes ignored |  |");
    expect(markdown).toContain("| 0 | `DONE` | rw | 0 | Enables INT_STATUS.DONE |  |");
    expect(markdown).toContain("- Writing CTRL with RESET set calls hook `soft_reset`: Clear COUNT and DATA_OUT.");
    expect(markdown).toContain("- Writing DATA_IN calls hook `exchange`: Combine DATA_IN with KEY");
    expect(markdown).toContain("- Writing 1 to DONE or REJECTED clears that bit; writing 0 leaves it.");
    expect(markdown).toContain("- Reading returns the value, then clears it");
    expect(markdown).toContain("| `exchange` | `xche_hook_exchange()` | writing DATA_IN |");
  });

  test("the interrupt", () => {
    expect(markdown).toContain("asserted while `(INT_STATUS & INT_ENABLE & 0x3) != 0`");
    expect(markdown).toContain("| 1 | `INT_STATUS.REJECTED` | `INT_ENABLE.REJECTED` | `XCHE_INT_STATUS_REJECTED` |");
  });

  test("the KVM ABI: capability, ioctls, structs and errors", () => {
    const abi = markdown.slice(markdown.indexOf("## KVM interface"));
    expect(abi).toContain("```c\n" + uapiBlock(compiled.device).trimEnd() + "\n```");
    expect(abi).toContain("`KVM_CAP_XCHE` (1000)");
    expect(abi).toContain("| `KVM_CREATE_XCHE` | `_IOW(KVMIO, 0xfc, struct kvm_xche_config)` | `0x4020aefc` | userspace → kernel |");
    expect(abi).toContain("| `KVM_CONFIGURE_XCHE` | `_IOW(KVMIO, 0xfd, struct kvm_xche_config)` | `0x4020aefd` |");
    expect(abi).toContain("| `KVM_GET_XCHE_STATE` | `_IOWR(KVMIO, 0xfe, struct kvm_xche_state)` | `0xc020aefe` |");
    expect(abi).toContain("| `KVM_SET_XCHE_STATE` | `_IOWR(KVMIO, 0xff, struct kvm_xche_state)` | `0xc020aeff` |");
    for (const field of ["base", "gsi", "flags", "pad", "nr_regs", "regs", "layout"]) expect(abi).toContain(`| \`${field}\` |`);
    for (const error of ["-EEXIST", "-EINVAL", "-ENOENT", "-EFAULT", "-ENXIO", "-E2BIG"]) expect(abi).toContain(`| \`${error}\` |`);
    expect(abi).toContain("`base` is not a multiple of the BAR size (0x800)");
    expect(abi).toContain("`base + 0x800` is beyond 0x10000");
    expect(abi).toContain("| `-E2BIG` | `nr_regs` is smaller than 9; `nr_regs` is set to 9");
    expect(abi).toContain("| 8 | SCRATCH | `XCHE_REG_SCRATCH` |");
  });

  test("a device-API device documents its type and attribute groups, and no ioctl", () => {
    const hpet = compileDevice("examples/hpet_timer");
    const md = generateDocs({ device: hpet.device, hooks: hpet.hooks, targets: DEFAULT_TARGETS }).find((f) => f.path.endsWith(".md"))!.contents;
    const abi = md.slice(md.indexOf("## KVM interface"));
    expect(abi).toContain("The VMM creates it with `KVM_CREATE_DEVICE`(`KVM_DEV_TYPE_HPET_TIMER`),");
    expect(abi).toContain("### Device type\n\n`KVM_DEV_TYPE_HPET_TIMER` (128) in `enum kvm_device_type`.");
    expect(abi).toContain("| `KVM_DEV_HPET_TIMER_GRP_CONFIG` | 1 | `struct kvm_hpet_timer_config` |");
    expect(abi).toContain("| `KVM_DEV_HPET_TIMER_GRP_STATE` | 2 | `struct kvm_hpet_timer_state` |");
    expect(abi).not.toMatch(/### Ioctls|### Capability|-EEXIST/);
    expect(abi).toContain("| `-ENXIO` | the group is none of the two, or the attribute is not 0 |");
  });

  test("the ioctl values match what the uapi block compiles to", () => {
    const asserts = abiView(compiled.device)
      .ioctl!.ioctls.map((i) => `_Static_assert(${i.name.replace(/`/g, "")} == ${i.value.replace(/`/g, "")}U, "");`)
      .join("\n");
    gcc(["-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-x", "c"], `#include <linux/kvm.h>\n${uapiBlock(compiled.device)}\n${asserts}\n`, "uapi.c");
  });

  test("every table is well formed", () => {
    expect(checkTables(markdown)).toBeGreaterThan(10);
  });

  test("regeneration is byte-identical", () => {
    expect(generateDocs({ device: compileDevice("devices/xche").device, hooks: null, targets: DEFAULT_TARGETS })).toEqual(files);
  });
});

describe("xche_regs.h", () => {
  test("is a standalone, license-compatible header", () => {
    expect(header.split("\n")[0]).toBe("/* SPDX-License-Identifier: GPL-2.0-only OR MIT */");
    expect(header).toContain("Generated by devgen from devices/xche/device.ts; do not edit.");
    expect(header).toMatch(/#ifndef XCHE_REGS_H\n#define XCHE_REGS_H\n/);
    expect(header).toMatch(/#endif \/\* XCHE_REGS_H \*\/\n$/);
    expect(header).not.toMatch(/#include|\bu(8|16|32|64)\b/);
  });

  test("defines every name of the core's register map with the same value", () => {
    const core = generateCore(input).find((f) => f.path === "core/xche_core.h")!.contents;
    // The state layout and size are the VMMs' business (KVM_SET_STATE, migration), not a guest driver's.
    const vmmOnly = ["#define XCHE_CORE_H", "#define XCHE_STATE_LAYOUT", "#define XCHE_NR_STATE"];
    const defines = core.split("\n").filter((l) => l.startsWith("#define XCHE_") && !vmmOnly.some((v) => l.startsWith(v)));
    expect(defines.length).toBeGreaterThan(20);
    for (const line of defines) expect(header).toContain(`${line}\n`);
  });

  test("compiles on its own with the values of device.ts", () => {
    fs.writeFileSync(path.join(tmp, "xche_regs.h"), header);
    const checks = [
      "XCHE_PCI_VENDOR_ID == 0x1af4",
      "XCHE_PCI_DEVICE_ID == 0x10f0",
      "XCHE_PCI_CLASS == 0xff00",
      "XCHE_PCI_REVISION == 1",
      "XCHE_BAR_INDEX == 1",
      "XCHE_BAR_SIZE == 0x800",
      "XCHE_DECODE_MASK == 0x1f",
      "XCHE_ID == 0x0",
      "XCHE_CTRL == 0x4",
      "XCHE_CTRL_ENABLE == 0x1",
      "XCHE_CTRL_MODE == 0x6",
      "XCHE_CTRL_MODE_SHIFT == 1",
      "XCHE_CTRL_MODE_XOR == 1",
      "XCHE_CTRL_MODE_ADD == 2",
      "XCHE_CTRL_RESET == 0x80000000u",
      "XCHE_INT_STATUS == 0x8",
      "XCHE_INT_STATUS_REJECTED == 0x2",
      "XCHE_INT_ENABLE_DONE == 0x1",
      "XCHE_KEY == 0x18",
      "XCHE_COUNT == 0x1a",
      "XCHE_SCRATCH == 0x1c",
    ];
    const source = [
      '#include "xche_regs.h"',
      '#include "xche_regs.h"',
      ...checks.map((c) => `_Static_assert(${c}, "${c}");`),
      "unsigned int xche_mode_bits(unsigned int mode);",
      "unsigned int xche_mode_bits(unsigned int mode)",
      "{",
      "\treturn (mode << XCHE_CTRL_MODE_SHIFT) & XCHE_CTRL_MODE;",
      "}",
      "",
    ].join("\n");
    gcc(["-std=c11", "-nostdinc", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-x", "c"], source, "guest.c");
  });
});

describe("a device with arrays, gaps, MMIO and no interrupt", () => {
  const dir = path.join(tmp, "arrdev");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "device.ts"),
    `import { defineDevice } from "devgen";

export default defineDevice({
  name: "arrdev",
  description: "Arrays | gaps",
  pci: { vendorId: 0x1af4, deviceId: 0x10f0, classCode: 0x0880 },
  bar: { index: 0, space: "mmio", size: 0x100 },
  kvm: { ioctl: { number: 0xe8 }, capability: { number: 1001 } },
  registers: [
    { name: "CFG", offset: 0, width: 64, description: "Config a|b", policy: { narrower: "error" },
      fields: [{ name: "LO", bits: [31, 0], description: "low | word" }, { name: "HI", bits: [63, 32], access: "ro" }],
      onWrite: [{ set: "STATUS.BUSY" }] },
    { name: "STATUS", offset: 8, access: "ro", fields: [{ name: "BUSY", bits: 0 }] },
    { name: "DATA", offset: 0x20, count: 4, stride: 8, description: "Data words",
      fields: [{ name: "V", bits: [15, 0], values: { A: 1, B: 0xff } }] },
  ],
});
`,
  );
  const device = compileDevice(dir).device;
  const md = generateDocs({ device, hooks: null, targets: DEFAULT_TARGETS }).find((f) => f.path === "docs/arrdev.md")!.contents;

  test("an array is one row with its count, stride and element offsets", () => {
    expect(md).toContain(
      "| `0x20` + n × `0x8` | [DATA_n (n = 0..3)](#data_0data_3-0x20) | 32 | rw | `0x00000000` | Data words. 4 elements, stride 0x8: 0x20, 0x28, 0x30, 0x38. The bytes between elements hold no register. |",
    );
    expect(md).toContain("- Offsets `0x20 + n * 0x8` for n = 0..3 (`ARRDEV_DATA(n)`, `ARRDEV_DATA_COUNT` = 4)");
    expect(md).toContain("| 2–5 | DATA_0..DATA_3 | `ARRDEV_REG_DATA_0..ARRDEV_REG_DATA_3` |");
  });

  test("gaps, escaped pipes, a register's own policy, no interrupt", () => {
    expect(md).toContain("| `0x0c`–`0x1f` | — | — | reserved | — | No register (20 bytes)");
    expect(md).toContain("| `0x3c`–`0xff` | — | — | reserved | — | No register (196 bytes)");
    expect(md).toContain("no register holds (`0x0c`–`0x1f`, `0x3c`–`0xff` and between the elements of DATA_n)");
    expect(md).toContain("Config a\\|b.");
    expect(md).toContain("| low \\| word |");
    expect(md).toContain("- Access sizes, unlike the device's other registers:\n  - An access **narrower** than the register reads as all ones");
    expect(md).toContain("| Interrupt | none |");
    expect(md).not.toContain("## Interrupt");
    expect(md).not.toContain("-ENOENT");
    expect(md).toContain("`base + 0x100` is beyond 2^52");
    expect(md).toContain("| `gsi` | `__u32` | 0: arrdev has no interrupt |");
    checkTables(md);
  });
});
