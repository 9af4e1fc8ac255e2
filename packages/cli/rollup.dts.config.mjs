import { dts } from "rollup-plugin-dts";

/**
 * The declarations of the library entries (`@backflip/cli`, `/progress`, `/simulated-fleet`),
 * built after tsup's bundle into the same `dist/`: self-contained like the bundle. Core and the
 * drivers come from their TypeScript sources (the root tsconfig's paths), and the types of zod
 * and neverthrow are inlined (`respectExternal`), so a project with only `@backflip/cli`
 * installed — no `@backflip/*` package, no zod, no `@types/node` — type-checks a
 * `backflip.config.ts` or an embedding program. Entries share chunks, as the bundle's do, so a
 * type reaches every entry as one declaration.
 *
 * @type {import("rollup").RollupOptions}
 */
export default {
  input: {
    index: "src/index.ts",
    progress: "src/progress.ts",
    "simulated-fleet": "src/simulated-fleet.ts",
  },
  output: { dir: "dist", format: "es" },
  plugins: [dts({ tsconfig: "tsconfig.build.json", respectExternal: true })],
  // an import left unresolved would make the declarations need a package the user has not installed
  onwarn(warning, warn) {
    if (warning.code === "UNRESOLVED_IMPORT") throw new Error(`declarations: ${warning.message}`);
    warn(warning);
  },
};
