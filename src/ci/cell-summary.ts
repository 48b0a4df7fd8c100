/**
 * The Markdown table a cell appends to its job summary (GitHub's $GITHUB_STEP_SUMMARY): one
 * row per level run, with the accelerator the outer VM got, so a run page shows at a glance
 * which cells ran at hardware speed.
 */
import type { AnyLevelResult } from "../harness/levels.js";

function cellText(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

export function cellSummaryMarkdown(cell: string, results: readonly AnyLevelResult[]): string {
  const rows = results.map((r) => {
    const failed = r.checks.filter((c) => !c.ok).length;
    return `| \`${cell}\` | ${r.ok ? "passed" : "**FAILED**"} | ${cellText(r.implementation)} | ${r.accel.name} | ${r.checks.length - failed} | ${failed} | ${(r.timings.totalMs / 1000).toFixed(0)} |`;
  });
  return ["| cell | result | implementation | accelerator | checks passed | failed | seconds |", "| --- | --- | --- | --- | --- | --- | --- |", ...rows, ""].join("\n");
}
