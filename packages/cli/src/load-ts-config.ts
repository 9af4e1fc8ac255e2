/**
 * A TypeScript config's default export, loaded with jiti: loaded by `config.ts` on demand,
 * only for a `.ts`/`.mts` config, so `--help` and a JSON config never load jiti.
 *
 * Why jiti (not amaro or Node's type stripping): it runs on Node 20, is pure JavaScript
 * with no dependency of its own (it stays external to the bundle: a real `dependencies`
 * entry), follows the config's own relative imports, and drops `import type` lines —
 * `import type { BackflipConfig } from "@backflip/cli"` loads even where the CLI is only
 * installed globally. It is what ESLint uses for `eslint.config.ts`.
 */
import { createJiti } from "jiti";
import { err, ok, ResultAsync } from "neverthrow";

/** Why a TypeScript config gave no value: it failed to load (a syntax error, a throw, a missing import), or has no default export. */
export type TsConfigError =
  | { readonly reason: "import-failed"; readonly message: string }
  | { readonly reason: "no-default-export"; readonly exports: readonly string[] };

/** The longest part of a load error's message that is kept: its first lines, never its stack. */
const MAX_MESSAGE = 300;

/** A load error's message on one line (jiti puts a syntax error's location on a line of its own). */
function oneLine(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  const line = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("Require stack") && !l.startsWith("- "))
    .join(" ");
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
}

/**
 * Imports the TypeScript module at `path` (transpiled in memory: no cache written, a fresh
 * load each call) and returns its default export, not yet validated.
 */
export function loadTsConfig(path: string): ResultAsync<unknown, TsConfigError> {
  const jiti = createJiti(import.meta.url, { fsCache: false, moduleCache: false, interopDefault: false });
  return ResultAsync.fromPromise(
    jiti.import<Record<string, unknown>>(path),
    (cause): TsConfigError => ({ reason: "import-failed", message: oneLine(cause) }),
  ).andThen((module) =>
    "default" in module && module.default !== undefined
      ? ok(module.default)
      : err<unknown, TsConfigError>({ reason: "no-default-export", exports: Object.keys(module) }),
  );
}
