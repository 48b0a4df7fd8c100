/**
 * Issue 15's finding, as a test: a lock opened by two writes in a row. The per-register
 * vectors never write the two keys in order, so a C hook that is wrong only once the lock
 * is open passes them all; a scenario that opens it catches the hook, and the coverage
 * report shows the open path reached only by the scenario.
 */
import { buildVectors } from "../../src/reference/vectors.js";
import { buildNative, generateInto, readVectors, removeGenerated, runNative, summary, type Generated } from "../helpers/native.js";
import { Scratch } from "../helpers/fixtures.js";

const scratch = new Scratch();
const generated: Generated[] = [];
afterAll(() => {
  generated.forEach(removeGenerated);
  scratch.remove();
});

function deviceTs(scenarios: string): string {
  return `import { defineDevice } from "devgen";

export default defineDevice({
  name: "lck",
  description: "A data register behind a two-key lock",
  pci: { vendorId: 0x1af4, deviceId: 0x10fe },
  bar: { index: 0, space: "mmio", size: 0x10 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "KEY", offset: 0x0, access: "wo", onWrite: [{ hook: "key" }] },
    { name: "STATE", offset: 0x4, access: "ro", fields: [{ name: "ARMED", bits: 0 }, { name: "OPEN", bits: 1 }] },
    { name: "DATA", offset: 0x8, access: "ro", onWrite: [{ hook: "store" }] },
  ],
  hooks: {
    key: {
      description: "0x5a arms the lock, 0xa5 right after opens it; anything else closes it",
      model(dev, value) {
        const armed = dev.get("STATE") & 1n;
        dev.set("STATE", value === 0x5an ? 1n : armed && value === 0xa5n ? 2n : 0n);
      },
    },
    store: {
      description: "Store the value written while the lock is open",
      model(dev, value) {
        if (dev.get("STATE") & 2n) dev.set("DATA", value);
      },
    },
  },
  scenarios: ${scenarios},
});
`;
}

/** The open path stores the value with its low bit flipped. */
const hooksC = (openStores: string): string => `// SPDX-License-Identifier: GPL-2.0-or-later
#include "lck_core.h"

void lck_hook_key(struct lck_core *s, u64 value)
{
	u32 armed = lck_get_state(s) & LCK_STATE_ARMED;

	if (value == 0x5a)
		lck_set_state(s, LCK_STATE_ARMED);
	else if (armed && value == 0xa5)
		lck_set_state(s, LCK_STATE_OPEN);
	else
		lck_set_state(s, 0);
}

void lck_hook_store(struct lck_core *s, u64 value)
{
	if (lck_get_state(s) & LCK_STATE_OPEN)
		lck_set_data(s, ${openStores});
}
`;

const UNLOCK = `[{
    name: "unlock_then_write",
    steps: [{ write: "KEY", value: 0x5a }, { write: "KEY", value: 0xa5 }, { write: "DATA", value: 0x1234 }, { read: "DATA", expect: 0x1234 }],
  }]`;

function nativeRun(scenarios: string, openStores: string) {
  const dir = scratch.dir(`lck ${openStores} ${scenarios.length}`, { "device.ts": deviceTs(scenarios), "hooks.c": hooksC("0") });
  const out = generateInto(dir);
  generated.push(out);
  const run = runNative(buildNative(out, undefined, hooksC(openStores)));
  return { out, total: readVectors(out).length, result: summary(out.name, run.stdout) };
}

test("without a scenario, the vectors never open the lock: a wrong open path passes them all", () => {
  const { total, result, out } = nativeRun("[]", "value ^ 1");
  expect(result).toEqual({ passed: total, failed: 0 });
  const open = buildVectors(out.device).coverage.targets.find((t) => t.label === "hook store reads STATE.OPEN set");
  expect(open).toEqual({
    label: "hook store reads STATE.OPEN set",
    reachedIn: null,
    why: { why: "STATE.OPEN is ro: only the device can make it 0x1, and it never was so in any vector", kind: "unseen" },
  });
}, 60_000);

test("with the unlock scenario, the wrong open path fails natively, the right one passes", () => {
  const wrong = nativeRun(UNLOCK, "value ^ 1");
  expect(wrong.result?.failed).toBeGreaterThan(0);
  const right = nativeRun(UNLOCK, "value");
  expect(right.result).toEqual({ passed: right.total, failed: 0 });
  const open = buildVectors(right.out.device).coverage.targets.find((t) => t.label === "hook store reads STATE.OPEN set");
  expect(open?.reachedIn).toBe("scenarios");
}, 60_000);
