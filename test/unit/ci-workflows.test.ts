/**
 * `devgen ci --github` and `--gitlab` are valid for their engines: the GitHub workflow by
 * GitHub's own parser (@actions/workflow-parser), the GitLab pipeline by GitLab's CI schema
 * (test/fixtures/gitlab-ci/). Each validator is shown a broken file too, so a validator that
 * accepts anything cannot pass the test. And the table a cell adds to its job summary.
 */
import * as fs from "node:fs";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { cellSummaryMarkdown } from "../../src/ci/cell-summary.js";
import { ciMatrix, type CiDevice } from "../../src/ci/matrix.js";
import type { AnyLevelResult } from "../../src/harness/levels.js";
import { ciFile, type CiOptions } from "../../src/pipeline/ci.js";

const DEVICES: CiDevice[] = [
  { name: "xche", dir: "devices/xche", api: "ioctl" },
  { name: "hpet_timer", dir: "examples/hpet_timer", api: "device" },
];

async function githubErrors(content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name: "devgen.yml", content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length || !parsed.value) return errors;
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  return (template.errors ?? []).map((e) => e.Message);
}

const validateGitlab = new Ajv({ allErrors: true, allowUnionTypes: true, validateFormats: false, strictTypes: false, keywords: ["markdownDescription"] }).compile(
  JSON.parse(fs.readFileSync("test/fixtures/gitlab-ci/ci.schema.json", "utf8")),
);

function gitlabErrors(content: string): string[] {
  return validateGitlab(parse(content)) ? [] : (validateGitlab.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const OPTIONS: CiOptions[] = [{}, { devices: ["devices/xche", "examples/hpet_timer"], kernels: ["6.1", "7.2"], qemus: ["7.2"], levels: ["kvm", "fuzz"], fuzzSeconds: 600 }];

describe.each(OPTIONS)("options %j", (options) => {
  const cells = ciMatrix(DEVICES, options);

  test("GitHub's parser takes the workflow without an error", async () => {
    const workflow = ciFile("github", cells, options);
    expect(await githubErrors(workflow)).toEqual([]);
    const jobs = parse(workflow).jobs.cell;
    expect(jobs.strategy.matrix.include.map((e: { cell: string }) => e.cell)).toHaveLength(cells.length);
  });

  test("GitLab's schema takes the pipeline without an error", () => {
    const pipeline = ciFile("gitlab", cells, options);
    expect(gitlabErrors(pipeline)).toEqual([]);
    expect(parse(pipeline)["devgen-cell"].parallel.matrix).toHaveLength(cells.length);
  });
});

test("each validator refuses a broken file", async () => {
  const cells = ciMatrix(DEVICES);
  const github = parse(ciFile("github", cells, {}));
  github.jobs.cell["runs-on-typo"] = "ubuntu-24.04";
  github.jobs.cell.steps[0].uses = 3;
  expect((await githubErrors(JSON.stringify(github))).length).toBeGreaterThan(0);
  const gitlab = parse(ciFile("gitlab", cells, {}));
  gitlab["devgen-cell"].artifacts.when = "sometimes";
  gitlab["devgen-cell"].parallel.matrix = "all";
  expect(gitlabErrors(JSON.stringify(gitlab)).length).toBeGreaterThan(0);
});

test("a cell's job summary: a row per level with its accelerator, counts and time; pipes in names escaped", () => {
  const result = {
    level: "kvm",
    implementation: "kvm.ko | xche",
    ok: false,
    checks: [
      { name: "a", ok: true, detail: "" },
      { name: "b", ok: false, detail: "expected 1" },
    ],
    accel: { name: "tcg", args: [], reason: "PVM" },
    timings: { prepareMs: 0, bootMs: null, testMs: null, totalMs: 41_600 },
  } as unknown as AnyLevelResult;
  expect(cellSummaryMarkdown("xche/6.1/7.2/ioctl/kvm", [result]).split("\n")).toEqual([
    "| cell | result | implementation | accelerator | checks passed | failed | seconds |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    "| `xche/6.1/7.2/ioctl/kvm` | **FAILED** | kvm.ko \\| xche | tcg | 1 | 1 | 42 |",
    "",
  ]);
});
