import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { acceptableAs, type FieldKind, type HostileEnv, markerExists } from "./hostile-strings";

/**
 * How an entry point's fields are declared for the property tests: every key of its input
 * type (optional ones too, so a new field fails typecheck until it is classified).
 * `number`, `boolean` and `enum` fields get hostile strings too and must refuse all of them;
 * `structure` fields (functions, drivers, nested data of numbers) are listed, not fuzzed.
 */
export type FieldSpec = FieldKind | "number" | "boolean" | "enum" | "structure";

/** The fields of `T`, each classified: a key missing here is a type error. */
export type Fields<T> = {
  readonly [K in keyof Required<T>]: FieldSpec | Readonly<Record<string, FieldSpec>>;
};

/** One fuzzed field: its dotted path in the input and what it holds. */
export interface Field {
  readonly path: string;
  readonly spec: FieldSpec;
}

/** The fields of a declaration as dotted paths (`state.stateFile`), nested records flattened. */
export function flattenFields(
  fields: Readonly<Record<string, FieldSpec | Readonly<Record<string, FieldSpec>>>>,
) {
  const out: Field[] = [];
  for (const [key, spec] of Object.entries(fields)) {
    if (typeof spec === "string") out.push({ path: key, spec });
    else for (const [sub, s] of Object.entries(spec)) out.push({ path: `${key}.${sub}`, spec: s });
  }
  return out;
}

/** The fuzzed fields only (not `structure`). */
export const fuzzed = (fields: readonly Field[]) => fields.filter((f) => f.spec !== "structure");

/** A deep copy of `base` with the dotted `path` set to `value` (`a.0.b` indexes arrays). */
export function withField<T>(base: T, path: string, value: unknown): T {
  const copy = structuredCloneLoose(base) as Record<string, unknown>;
  const keys = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node[key] = Array.isArray(next) ? [...next] : { ...(next as object) };
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
  return copy as T;
}

/** A shallow-per-level copy that keeps functions and class instances (drivers, shells) as they are. */
function structuredCloneLoose(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(structuredCloneLoose);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCloneLoose(x)]));
  }
  return v;
}

/** What one call did with a hostile value. */
export interface Outcome {
  /** A typed refusal: `invalid_input` (or the CLI's exit 2). */
  readonly refused: boolean;
  /** What the refusal or the result said, for the report. */
  readonly detail: string;
}

/**
 * The property for one value: refused, or accepted only when it is inert for its kind
 * (a `number`/`boolean`/`enum` field accepts no hostile string); and no payload ran.
 */
export function expectInert(env: HostileEnv, field: Field, value: string, outcome: Outcome): void {
  expect(markerExists(env), `a payload ran: ${env.marker} exists`).toBe(false);
  if (outcome.refused) return;
  const ok =
    field.spec === "number" || field.spec === "boolean" || field.spec === "enum" || field.spec === "structure"
      ? false
      : acceptableAs(field.spec, value);
  expect(
    ok,
    `${field.path} (${field.spec}) accepted ${JSON.stringify(value.slice(0, 80))}: ${outcome.detail}`,
  ).toBe(true);
}

/** Every file and directory under `dir` (path → size and mode), skipping `skip` sub-trees. */
export function treeSnapshot(dir: string, skip: readonly string[] = []): string {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (skip.includes(p)) continue;
      const st = lstatSync(p);
      lines.push(`${p} ${st.mode.toString(8)} ${st.isFile() ? readFileSync(p, "utf8") : ""}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return lines.join("\n");
}

/**
 * Fields whose property is known to fail until another helper's fix lands, by
 * `<entry>.<field>` → the finding of issue 17 that fixes it. Their tests run as
 * `it.fails`: remove an entry when its fix lands (the test then fails as a reminder).
 */
export type OpenFindings = Readonly<Record<string, string>>;

/**
 * `it`, or `it.fails` for a field listed in `open` — unless `BACKFLIP_PROPERTY_OPEN=strict`,
 * which runs every field as a plain test (to see what the open findings still let through).
 */
export function itFor(open: OpenFindings, key: string): (name: string, fn: () => unknown) => void {
  const test = open[key] === undefined || process.env.BACKFLIP_PROPERTY_OPEN === "strict" ? it : it.fails;
  return (name, fn) =>
    test(name, async () => {
      await fn();
    });
}
