import { fileURLToPath } from "node:url";
import { defineConfig, type Options } from "tsup";
import { zodEnglishOnly } from "../core/tsup.config";

/**
 * One ESM bundle with everything in it — core, the drivers, zod, neverthrow — so the
 * packed tarball installs with `npm i -g` and one dependency to fetch (jiti, below), and a cold
 * `backflip --help` loads one file. The workspace packages are bundled from their
 * TypeScript sources (the root tsconfig's paths): no other package needs building first.
 * Code splitting keeps what only some commands need (Incus, etcd, the real drivers) in
 * chunks loaded on demand.
 */
type Plugin = NonNullable<Options["esbuildPlugins"]>[number];

/**
 * The simulated fleet (driver-mock) takes two pure helpers from driver-incus
 * (`incusLocation`, `incusCliActions`); esbuild's code splitting would put the whole of
 * driver-incus — its HTTP client and undici, half a megabyte — in the chunk every
 * simulated command loads. Its imports resolve to the helpers' own module instead.
 */
const mockUsesIncusHelpersOnly: Plugin = {
  name: "mock-uses-incus-helpers-only",
  setup(build) {
    build.onResolve({ filter: /^@backflip\/driver-incus$/ }, (args) =>
      /\/packages\/driver-mock\/src\//.test(args.importer)
        ? { path: fileURLToPath(new URL("../driver-incus/src/incus-cli-actions.ts", import.meta.url)) }
        : undefined,
    );
  },
};

/**
 * Core's probe loads undici on first use (`await import("undici")`, then `request` and
 * `Agent`); in a split bundle that import of a CommonJS package would give only its
 * `default`. It resolves to a small ES module naming the two exports the probe uses.
 */
const undiciNamedExports: Plugin = {
  name: "undici-named-exports",
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: "undici", namespace: "undici-named-exports" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "undici-named-exports" }, () => ({
      contents: 'import undici from "undici"; export const { Agent, request } = undici;',
      resolveDir: fileURLToPath(new URL("../core/", import.meta.url)),
    }));
  },
};

/** What both builds share: one ESM bundle of everything but jiti, split into chunks. */
const shared = {
  format: ["esm"],
  platform: "node",
  target: "node20",
  splitting: true,
  tsconfig: "tsconfig.build.json",
  // everything but jiti, which loads a backflip.config.ts: it reads its own files (its
  // Babel chunk) at run time, so it stays a real dependency, imported only for a .ts config
  noExternal: [/^(?!jiti(\/|$))/],
  external: ["jiti"],
  // smaller to parse on every cold start; zod with only the English messages the schemas use
  minify: true,
  esbuildPlugins: [mockUsesIncusHelpersOnly, undiciNamedExports, zodEnglishOnly],
  // bundled CommonJS (ssh2, for the stack's ZFS over SSH) reads __dirname and __filename
  shims: true,
  // bundled CommonJS (undici, handlebars) calls require() for Node's built-ins
  banner: {
    js: 'import { createRequire as __cliRequire } from "node:module"; const require = __cliRequire(import.meta.url);',
  },
} satisfies Options;

/**
 * Two builds. The `backflip` command (`dist/bin/`) is split only where it imports on
 * demand (each command, each target), so a cold `status` loads 13 files, not the 18 it
 * loaded when the library's entries split the same graph further (each file costs the
 * loader about 1 ms, and the whole start was ~30 ms slower). The library (`dist/`:
 * `@backflip/cli`, `/progress`, `/simulated-fleet`) is built beside it; its clean keeps
 * `bin/`, which the other build writes at the same time.
 */
export default defineConfig([
  { ...shared, entry: { backflip: "src/bin.ts" }, outDir: "dist/bin", clean: true },
  {
    ...shared,
    entry: {
      index: "src/index.ts",
      progress: "src/progress.ts",
      "simulated-fleet": "src/simulated-fleet.ts",
    },
    outDir: "dist",
    clean: ["!bin/**"],
  },
]);
