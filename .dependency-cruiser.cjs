/**
 * devgen's stages, lowest first: a module may import from its own stage and those before it,
 * never from a later one, and no import cycle. `npm run deps` checks it (and so does `npm test`).
 */
const STAGES = ["util", "dsl", "ir", "compile", "reference", "gen", "integrate", "toolchain", "harness", "ci", "pipeline", "cli"];

const againstTheDirection = STAGES.slice(0, -1).map((stage, i) => ({
  name: `${stage}-imports-a-later-stage`,
  comment: `src/${stage} comes before ${STAGES.slice(i + 1).join(", ")}: data flows one way (README, Architecture)`,
  severity: "error",
  from: { path: `^src/${stage}/` },
  to: { path: `^src/(${STAGES.slice(i + 1).join("|")})/` },
}));

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    {
      name: "stage-unknown",
      comment: "every source file belongs to a stage listed in .dependency-cruiser.cjs",
      severity: "error",
      from: { path: "^src/", pathNot: `^src/(${STAGES.join("|")})/` },
      to: {},
    },
    ...againstTheDirection,
    { name: "src-imports-tests", severity: "error", from: { path: "^src/" }, to: { path: "^(test|bench)/" } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
