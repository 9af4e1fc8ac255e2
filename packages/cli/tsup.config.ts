import { defineConfig } from "tsup";
import { zodEnglishOnly } from "../core/tsup.config";

/**
 * One ESM bundle with everything in it — core, the drivers, zod, neverthrow — so the
 * packed tarball installs with `npm i -g` and no dependency to fetch, and a cold
 * `backflip --help` loads one file. The workspace packages are bundled from their
 * TypeScript sources (the root tsconfig's paths): no other package needs building first.
 * Code splitting keeps what only some commands need (Incus, etcd, the real drivers) in
 * chunks loaded on demand.
 */
export default defineConfig({
  entry: {
    backflip: "src/bin.ts",
    index: "src/index.ts",
    progress: "src/progress.ts",
    "simulated-fleet": "src/simulated-fleet.ts",
  },
  format: ["esm"],
  platform: "node",
  target: "node20",
  splitting: true,
  clean: true,
  tsconfig: "tsconfig.build.json",
  noExternal: [/.*/],
  // smaller to parse on every cold start; zod with only the English messages the schemas use
  minify: true,
  esbuildPlugins: [zodEnglishOnly],
  // bundled CommonJS (undici, handlebars) calls require() for Node's built-ins
  banner: {
    js: 'import { createRequire as __cliRequire } from "node:module"; const require = __cliRequire(import.meta.url);',
  },
});
