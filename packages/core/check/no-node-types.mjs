/**
 * An embedder's TypeScript project need not install `@types/node` to use core: this check
 * typechecks core's BUILT declarations (every entry but `/testing`, whose vitest suites
 * are for Node test runs) under `--strict` with no ambient types (`types: []`, lib ES2022 +
 * DOM), so a Node-only name such as `Buffer` in a public type fails it with TS2580. Run by
 * `pnpm check:packages` after `pnpm build`; exits non-zero listing the diagnostics.
 */
import { fileURLToPath } from "node:url";
import ts from "typescript";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const entries = ["index", "driver-kit", "recipes", "testing/fakes"].flatMap((e) => [
  `${dist}${e}.d.ts`,
  `${dist}${e}.d.cts`,
]);
const program = ts.createProgram(entries, {
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  types: [],
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  target: ts.ScriptTarget.ES2022,
});
const diagnostics = ts.getPreEmitDiagnostics(program);
if (diagnostics.length > 0) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dist, getNewLine: () => "\n" };
  console.error(ts.formatDiagnostics(diagnostics, host));
  console.error(`core's declarations need names outside ES2022 + DOM (${diagnostics.length} diagnostics)`);
  process.exit(1);
}
console.log(`core's declarations typecheck without @types/node (${entries.length} files)`);
