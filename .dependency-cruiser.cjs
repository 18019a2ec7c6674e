/**
 * The layer order of docs/architecture.md, enforced: a module may import only from its own folder or
 * from a layer below it. Folders on one line are siblings and do not import each other. Checked by
 * `npm run check:layers`, which `npm test` runs first, so an upward import fails CI.
 */
const LAYERS = [
  ["cli"],
  ["pipeline", "serve"],
  ["eval"],
  ["train"],
  ["decode"],
  ["latent", "baselines"],
  ["llm"],
  ["nn", "distributed"],
  ["data"],
  ["engine"],
  ["util"],
];

const above = (i) => LAYERS.slice(0, i + 1).flat();

const layerRules = LAYERS.flatMap((folders, i) =>
  folders.map((folder) => ({
    name: `layer-${folder}`,
    comment: `src/${folder}/ may import only its own folder and the layers below it (docs/architecture.md)`,
    severity: "error",
    from: { path: `^src/${folder}/` },
    to: {
      path: `^src/(${above(i)
        .filter((f) => f !== folder)
        .join("|")})/`,
    },
  })),
);

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "no-circular",
      comment: "modules must not import each other in a cycle: split out what both need",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "src-not-from-tests",
      comment: "library code must not import test or benchmark code",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    exclude: { path: "^dist/" },
  },
};
