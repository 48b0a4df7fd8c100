/**
 * Three groups of tests, one jest project each (README, Tests): `npm run test:unit`,
 * `test:golden` and `test:real` run one (jest --selectProjects), `npm test` all three.
 */
const GROUPS = ["unit", "golden", "real"];

/** @type {import('jest').Config} */
export default {
  projects: GROUPS.map((group) => ({
    displayName: group,
    preset: "ts-jest/presets/default-esm",
    testEnvironment: "node",
    roots: [`<rootDir>/test/${group}`],
    moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
    transform: {
      "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.test.json" }],
    },
  })),
  testTimeout: 60000,
  // The real-tree tests patch and build shared trees in the cache: one at a time.
  maxWorkers: process.env.DEVGEN_REAL === "1" ? 1 : "50%",
};
