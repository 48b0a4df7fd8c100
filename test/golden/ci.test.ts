/**
 * Golden: `devgen ci --github` and `--gitlab` for the committed devices and examples are
 * exactly test/golden/ci/. After a deliberate change, read the diff, then refresh with
 * `node dist/src/cli/main.js ci --github > test/golden/ci/github.yml` (and `--gitlab` into gitlab.yml).
 */
import * as fs from "node:fs";
import { ciFile, loadMatrix } from "../../src/pipeline/ci.js";

const cells = loadMatrix({});

test.each(["github", "gitlab"] as const)("devgen ci --%s is its file in test/golden/ci/", (engine) => {
  expect(ciFile(engine, cells, {})).toBe(fs.readFileSync(`test/golden/ci/${engine}.yml`, "utf8"));
});
