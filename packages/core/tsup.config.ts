import { dirname, join } from "node:path";
import { defineConfig, type Options } from "tsup";

type Plugin = NonNullable<Options["esbuildPlugins"]>[number];

/**
 * Core's copy of zod keeps only its English messages (the ones core's schemas use): zod's
 * `locales` index, which loads some 40 languages, becomes `{ en }` — another quarter off
 * the cold import. A driver's own zod is untouched.
 */
export const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.c?js$/ }, (args) => ({
      path: join(args.resolveDir, args.path),
      namespace: "zod-english-only",
    }));
    build.onLoad({ filter: /.*/, namespace: "zod-english-only" }, (args) => ({
      contents: `export { default as en } from "./en${args.path.endsWith(".cjs") ? ".cjs" : ".js"}";`,
      resolveDir: dirname(args.path),
    }));
  },
};

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
  esbuildPlugins: [zodEnglishOnly],
});
