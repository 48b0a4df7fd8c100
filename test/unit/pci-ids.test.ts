/** PCI IDs a device may not take, and the hooks.c licenses QEMU's hw/misc/ takes. */
import { checkHooksLicense } from "../../src/compile/hooks-license.js";
import { EXPERIMENTAL_IDS, takenBy } from "../../src/compile/pci-ids.js";

test("QEMU's own IDs are taken; its experimental range and other vendors' IDs are not", () => {
  expect(takenBy(0x1b36, 0x0100)).toMatch(/QXL/);
  expect(takenBy(0x1b36, 0x0010)).toMatch(/QEMU's own PCI devices/);
  expect(takenBy(0x1af4, 0x1000)).toMatch(/virtio/);
  expect(takenBy(0x1af4, 0x1041)).toMatch(/virtio/);
  expect(takenBy(0x1234, 0x11e8)).toMatch(/edu/);
  for (let id = EXPERIMENTAL_IDS.first; id <= EXPERIMENTAL_IDS.last; id++) expect(takenBy(EXPERIMENTAL_IDS.vendorId, id)).toBeNull();
  expect(takenBy(0x8086, 0x10f0)).toBeNull();
});

describe("hooks.c's license", () => {
  const check = (text: string) => checkHooksLicense({ path: "d/hooks.c", text }).map((d) => `${d.location?.line}:${d.location?.column} ${d.message}`);

  test.each(["GPL-2.0-or-later", "GPL-2.0+", "GPL-2.0-only OR MIT", "(GPL-2.0-only OR BSD-3-Clause)", "MIT"])("%s is taken", (license) => {
    expect(check(`// SPDX-License-Identifier: ${license}\n#include "x_core.h"\n`)).toEqual([]);
    expect(check(`/* SPDX-License-Identifier: ${license} */\n`)).toEqual([]);
  });

  test.each(["GPL-2.0-only", "GPL-2.0", "GPL-2.0-only AND MIT"])("%s is refused, at the expression", (license) => {
    expect(check(`\n// SPDX-License-Identifier: ${license}\n`)).toEqual([`2:29 hooks.c is ${license}, which QEMU does not take in hw/misc/, where devgen copies it`]);
  });

  test("a file without an SPDX line is left to the trees' checkpatch", () => {
    expect(check('#include "x_core.h"\n')).toEqual([]);
  });
});
