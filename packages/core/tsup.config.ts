import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    testing: "src/testing/index.ts",
    "testing/fakes": "src/testing/fakes.ts",
    "driver-kit": "src/driver-kit/index.ts",
    recipes: "src/recipes/index.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  tsconfig: "tsconfig.build.json",
  // zod goes into core's own files: Node then loads one file instead of zod's ~100
  // modules, which cuts ~40% off the cold import (`pnpm bench:core`); its schemas compose
  // with a driver's own zod (check/zod-interop.mjs, run by check:package).
  noExternal: ["zod"],
});
