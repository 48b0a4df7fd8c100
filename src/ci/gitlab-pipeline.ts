/**
 * `devgen ci --gitlab`: a GitLab CI pipeline with one job per cell (`parallel: matrix`), in
 * Debian 12. GitLab computes a cache key before the job runs and saves the cache again after
 * every job, so the key is the cell's tree pair (as on GitHub, see cache-key.ts) and its
 * content follows the Debian versions and devgen's patch as they move; the JUnit file is the
 * job's test report.
 */
import type { Cell } from "./cell.js";
import { CELL_TIMEOUT_MINUTES, CI_CACHE_DIR, CI_IMAGE, devgenCiCommand, INSTALL_COMMANDS, JUNIT_FILE, matrixEntry } from "./engine-job.js";

export function gitlabPipeline(cells: readonly Cell[], matrixArgs: readonly string[]): object {
  return {
    stages: ["test"],
    variables: { DEVGEN_CACHE: CI_CACHE_DIR },
    "devgen-cell": {
      stage: "test",
      image: CI_IMAGE,
      timeout: `${CELL_TIMEOUT_MINUTES} minutes`,
      parallel: {
        matrix: cells.map((cell) => {
          const entry = matrixEntry(cell);
          return { CELL: entry.cell, CACHE_KEY: entry["cache-prefix"].replace(/-$/, "") };
        }),
      },
      cache: { key: "$CACHE_KEY", paths: [`${CI_CACHE_DIR}/`], when: "always" },
      before_script: INSTALL_COMMANDS,
      script: [devgenCiCommand("--run-cell", '"$CELL"', matrixArgs, ["--junit", JUNIT_FILE])],
      artifacts: { when: "always", paths: [JUNIT_FILE], reports: { junit: JUNIT_FILE } },
    },
  };
}
