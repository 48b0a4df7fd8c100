/**
 * The QEMU probes on Debian's real 7.2, 10.0 and 10.2 trees (DEVGEN_REAL=1), fetched into
 * devgen's cache and only read: every probe decides what the excerpts say it should, and
 * devgen's edits find their anchors. On excerpts and small fake files:
 * test/unit/qemu-probes.test.ts.
 */
import { detectQemuTarget, integrateQemu } from "../../src/integrate/qemu-tree.js";
import { QEMU_PROBES } from "../../src/integrate/qemu-probes.js";
import { pristineReader as treeReader, runProbe, type Probe } from "../../src/integrate/tree-probe.js";
import { compileDevice } from "../../src/compile/index.js";
import { planPatch } from "../../src/integrate/patch.js";
import { fetchQemu } from "../../src/toolchain/qemu-fetch.js";
import { createProgress } from "../../src/util/progress.js";
import { EXPECTED, FIELDS, RELEASES } from "../helpers/qemu-targets.js";

const real = process.env.DEVGEN_REAL === "1" ? describe : describe.skip;
const xche = compileDevice("devices/xche");
for (const release of RELEASES) {
  real(`the real QEMU ${release} tree, read only`, () => {
    let tree: string;
    beforeAll(async () => {
      tree = (await fetchQemu({ version: release, progress: createProgress({ mode: "plain" }) })).srcDir;
    }, 30 * 60_000);

    test.each(FIELDS)("%s", (field) => {
      const result = runProbe(QEMU_PROBES[field] as Probe<unknown>, treeReader(tree));
      expect(result).toMatchObject({ decided: true, outcome: { value: EXPECTED[release][field] } });
    });

    test("the whole target", () => {
      expect(detectQemuTarget(tree)).toEqual({ version: expect.stringMatching(new RegExp(`^${release.replace(".", "\\.")}\\.`)), ...EXPECTED[release] });
    });

    test("devgen's edits find their anchors (planned, not applied)", () => {
      // planPatch refuses a missing or repeated anchor, also in a tree that already has xche.
      expect(() => planPatch(tree, "xche", integrateQemu(tree, [xche]).edits.get("xche")!)).not.toThrow();
    });
  });
}
