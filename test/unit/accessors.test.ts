/**
 * Typed register accessors (issue 14, item 6): core.h gives hooks one getter and setter per
 * register, typed by its width, and per array element accessors whose element number is
 * bounded. Checked on the C itself: compiled on the host, run against a guard around the
 * state so that a write past it shows, and compared with a hand-indexed hooks.c.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { arrayAccessors, registerAccessors } from "../../src/gen/core/accessors.js";
import { scaffoldFiles } from "../../src/pipeline/new.js";
import { withoutComments } from "../../src/compile/hooks-file.js";
import { deviceSource, Scratch } from "../helpers/fixtures.js";
import { generateInto, HOOK_CFLAGS, removeGenerated, type Generated } from "../helpers/native.js";

const scratch = new Scratch();

const generated: Generated[] = [];
afterAll(() => {
  generated.forEach(removeGenerated);
  scratch.remove();
});

function generate(dir: string): Generated {
  const g = generateInto(dir);
  generated.push(g);
  return g;
}

/** Compiles `main` against the device's core.h and runs it; returns its output. */
function runProbe(g: Generated, main: string, sources: string[] = []): string {
  fs.writeFileSync(path.join(g.dir, "probe.c"), `#include <stdio.h>\n#include "${g.name}_core.h"\n\n${main}`);
  execFileSync("gcc", [...HOOK_CFLAGS, "-I", "core", "probe.c", ...sources, "-o", "probe"], { cwd: g.dir, stdio: "pipe" });
  return execFileSync(path.join(g.dir, "probe"), { encoding: "utf8" });
}

test("every register of a device with hooks has a getter and a setter of its width's type", () => {
  const { device } = generate("examples/dma_engine");
  const accessors = registerAccessors(device);
  const arrays = arrayAccessors(device);
  const plain = device.registers.filter((r) => r.arrayName === null);
  expect(accessors.map((a) => a.get)).toEqual(plain.map((r) => `dma_engine_get_${r.name.toLowerCase()}`));
  expect(accessors.map((a) => a.type)).toEqual(plain.map((r) => `u${r.width}`));
  expect(arrays.map((a) => a.set)).toEqual(["dma_engine_set_desc_addr", "dma_engine_set_desc_len", "dma_engine_set_desc_ctrl"]);
  expect(arrays.map((a) => a.type)).toEqual(["u64", "u32", "u32"]);
});

test("a hookless device's core.h has no accessors (nothing would use them)", () => {
  const g = generate("devices/xche");
  const hookless = { ...g.device, hooks: [] };
  expect(registerAccessors(hookless)).toEqual([]);
  expect(arrayAccessors(hookless)).toEqual([]);
});

test("a setter keeps the register to its width; a getter returns the register's own type", () => {
  const g = generate("devices/xche");
  const out = runProbe(
    g,
    `int main(void)
{
	struct xche_core s = { 0 };
	u32 wide = 0x12345;

	xche_set_key(&s, wide);
	xche_set_count(&s, wide);
	printf("%llx %llx %zu %zu\\n", (unsigned long long)s.regs[XCHE_REG_KEY],
	       (unsigned long long)s.regs[XCHE_REG_COUNT], sizeof(xche_get_key(&s)), sizeof(xche_get_count(&s)));
	return 0;
}
`,
  );
  expect(out).toBe("2345 45 2 1\n");
});

test("an element number past its array reaches element 0, never the registers after the array", () => {
  const g = generate("examples/dma_engine");
  const count = g.device.registers.filter((r) => r.arrayName === "DESC_CTRL").length;
  const out = runProbe(
    g,
    `int main(void)
{
	struct {
		struct dma_engine_core core;
		u64 guard[64];
	} s = { 0 };
	unsigned int n, i;
	u64 sum = 0;

	for (n = ${count}; n < 4096; n++)
		dma_engine_set_desc_ctrl(&s.core, n, n);
	dma_engine_set_desc_addr(&s.core, ~0U, 7);
	for (i = 0; i < 64; i++)
		sum |= s.guard[i];
	printf("%llx %llx %llx %x\\n", (unsigned long long)sum,
	       (unsigned long long)s.core.regs[DMA_ENGINE_REG_DESC_CTRL_0],
	       (unsigned long long)s.core.regs[DMA_ENGINE_REG_DESC_ADDR_0],
	       dma_engine_get_desc_ctrl(&s.core, 5000));
	return 0;
}
`,
  );
  expect(out).toBe("0 fff 7 fff\n");
});

test("unevenly spaced array elements are found through a table of their indexes", () => {
  // SLOT_0..2 at 0x0, 0x8, 0x10 and LONE at 0xc between two of them: indexes 0, 1, 3.
  const dir = scratch.dir("uneven", {
    "device.ts": deviceSource({
      registers: `[{ name: "SLOT", offset: 0x0, count: 3, stride: 8 }, { name: "LONE", offset: 0xc, onWrite: [{ hook: "kick" }] }]`,
      hooks: `{ kick: { description: "Copies LONE into SLOT_2", model(dev) { dev.set("SLOT_2", dev.get("LONE")); } } }`,
    }),
    "hooks.c": `// SPDX-License-Identifier: GPL-2.0-or-later
#include "foo_core.h"

void foo_hook_kick(struct foo_core *s, u64 value)
{
	foo_set_slot(s, 2, foo_get_lone(s));
}
`,
  });
  const g = generate(dir);
  expect(arrayAccessors(g.device)[0]).toMatchObject({ first: null, table: "FOO_REG_SLOT_0, FOO_REG_SLOT_1, FOO_REG_SLOT_2," });
  const out = runProbe(
    g,
    `int main(void)
{
	struct foo_core s = { 0 };

	foo_set_lone(&s, 0x1234);
	foo_hook_kick(&s, 0);
	foo_set_slot(&s, 3, 0x55);
	printf("%x %x %x\\n", foo_get_slot(&s, 2), foo_get_slot(&s, 0), foo_get_lone(&s));
	return 0;
}
`,
    ["core/foo_hooks.c"],
  );
  expect(out).toBe("1234 55 1234\n");
});

test("the scaffold's hooks.c states the hooks' contract and reaches registers only through accessors", () => {
  const hooks = scaffoldFiles("xche").find((f) => f.path === "hooks.c")!.contents;
  const header = hooks.slice(0, hooks.indexOf("#include"));
  for (const rule of [/come from the guest/, /VMM/, /vCPU thread/, /device's mutex/, /no sleeping/, /no allocation/, /unbounded loops/, /floating point/, /division/]) {
    expect(header).toMatch(rule);
  }
  expect(withoutComments(hooks)).not.toMatch(/regs\[/);
  expect(hooks).toMatch(/xche_set_data_out\(s, out\);/);
});
