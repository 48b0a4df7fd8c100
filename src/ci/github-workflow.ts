/**
 * `devgen ci --github`: a GitHub Actions workflow with one job per cell (a matrix strategy).
 * Each job runs in Debian 12 with the host's /dev/kvm passed in (hosted runners have hardware
 * virtualization: the harness's probe then picks `-accel kvm`), restores its tree pair's
 * trees and builds with actions/cache, runs `devgen ci --run-cell`, saves the cache under a key
 * of the pair, the resolved Debian versions and devgen's patch hash, uploads the JUnit file and writes a
 * summary table to the job summary.
 */
import type { Cell } from "./cell.js";
import {
  CELL_TIMEOUT_MINUTES,
  CI_CACHE_DIR,
  CI_IMAGE,
  devgenCiCommand,
  INSTALL_COMMANDS,
  JUNIT_FILE,
  matrixEntry,
} from "./engine-job.js";

/** `${{ expr }}`: GitHub's expression syntax, kept out of template literals' way. */
const gh = (expression: string) => `\${{ ${expression} }}`;

export function githubWorkflow(cells: readonly Cell[], matrixArgs: readonly string[]): object {
  const cell = gh("matrix.cell");
  return {
    name: "devgen",
    on: ["push", "pull_request", "workflow_dispatch"],
    permissions: { contents: "read" },
    jobs: {
      cell: {
        name: cell,
        "runs-on": "ubuntu-24.04",
        "timeout-minutes": CELL_TIMEOUT_MINUTES,
        container: { image: CI_IMAGE, options: "--device /dev/kvm" },
        env: { DEVGEN_CACHE: CI_CACHE_DIR },
        strategy: { "fail-fast": false, matrix: { include: cells.map(matrixEntry) } },
        steps: [
          { uses: "actions/checkout@v4" },
          { name: "Install devgen and the Debian packages its steps need", run: INSTALL_COMMANDS.join("\n") },
          {
            name: "Restore the trees and builds of the cell's kernel and QEMU",
            uses: "actions/cache/restore@v4",
            with: { path: CI_CACHE_DIR, key: gh("matrix.cache-prefix"), "restore-keys": gh("matrix.cache-prefix") },
          },
          {
            name: "Run the cell",
            run: devgenCiCommand("--run-cell", `'${cell}'`, matrixArgs, ["--junit", JUNIT_FILE, "--summary", '"$GITHUB_STEP_SUMMARY"']),
          },
          {
            name: "Name the cache entry by the resolved Debian versions and devgen's patch hash",
            id: "key",
            if: "always()",
            run: `echo "key=$(${devgenCiCommand("--cache-key", `'${cell}'`, matrixArgs)})" >> "$GITHUB_OUTPUT"`,
          },
          {
            name: "Save the trees and builds (the first cell of the pair to finish does)",
            if: "always() && steps.key.outputs.key != ''",
            uses: "actions/cache/save@v4",
            with: { path: CI_CACHE_DIR, key: gh("steps.key.outputs.key") },
          },
          {
            name: "Upload the JUnit report",
            if: "always()",
            uses: "actions/upload-artifact@v4",
            with: { name: `junit-${gh("matrix.slug")}`, path: JUNIT_FILE, "if-no-files-found": "warn" },
          },
        ],
      },
    },
  };
}
