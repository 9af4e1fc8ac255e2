import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fleetSha } from "@backflip/driver-mock";
import fc from "fast-check";
import { beforeAll, describe, expect } from "vitest";
import { GLOBAL_OPTIONS } from "../../packages/cli/src/cli-args";
import { COMMANDS } from "../../packages/cli/src/commands";
import { EXIT } from "../../packages/cli/src/exit-codes";
import {
  acceptableAs,
  hasRawTerminalControl,
  hostileExamples,
  hostileFor,
  propertyParams,
} from "../../packages/core/test/property/hostile-strings";
import { useSandbox, VICTIM_CONTENT } from "../../packages/core/test/property/sandbox";
import {
  type FieldSpec,
  itFor,
  type OpenFindings,
  treeSnapshot,
} from "../../packages/core/test/property/surface-fields";
import { main } from "./main";

/**
 * Every string flag and positional of every rollback-cli command, run in-process on the
 * simulated target with a state directory in the sandbox: each hostile value exits 2
 * (usage, nothing read or changed) with the simulated world and every file outside the
 * state directory as they were, or is accepted only when inert for its kind; no payload
 * runs, the victim file keeps its content, and nothing printed holds a raw control or
 * bidi character.
 */

const box = useSandbox();
const RUNS = 3;
const SHA = fleetSha("blue");

/** What each string flag holds, by flag name (globals included); `@positional` is resume's run id. */
const FLAG_KINDS: Readonly<Record<string, FieldSpec>> = {
  config: "file",
  env: "name",
  target: "enum",
  "state-dir": "file",
  coordination: "enum",
  "etcd-endpoints": "url-list",
  "coordination-prefix": "name",
  actor: "name",
  reason: "text",
  "metrics-file": "file",
  "lock-ttl": "number",
  limit: "number",
  symptom: "enum",
  "new-color-came-up": "enum",
  "bad-sha": "name",
  "target-sha": "name",
  mode: "enum",
  action: "enum",
  "target-color": "name",
  "release-sha": "name",
  via: "enum",
  color: "name",
  artifact: "file",
  file: "file",
  "expected-version": "number",
  container: "name",
  snapshot: "name",
  trigger: "text",
  "why-failed": "text",
  "@positional": "name",
};

/** Fields another helper's open fix of issue 17 covers, by `<command> --<flag>` (see {@link OpenFindings}). */
const OPEN: OpenFindings = {};

const GLOBAL_FLAGS = new Set(Object.keys(GLOBAL_OPTIONS));

/**
 * A valid invocation of each command on the simulated target (the flags under test replace
 * or extend it): dry runs, except `rollback --metrics-file`, which runs so the file is written.
 */
function baseArgs(command: string, flag: string): string[] {
  switch (command) {
    case "decide":
      return ["--symptom", "public-probe-failing", "--on-call", "--paged"];
    case "plan":
      return ["--mode", "fast", "--reason", "green 500s"];
    case "rollback":
      return ["--mode", "fast", "--reason", "green 500s", ...(flag === "metrics-file" ? [] : ["--dry-run"])];
    case "resume":
    case "postmortem":
      return ["20261126T053300Z-3fa9c1"];
    case "lease":
      return ["break", "--env", "staging", "--reason", "holder died"];
    case "cleanup":
      return ["--color", "blue", "--reason", "tidy"];
    case "push-artifact":
      return ["--release-sha", SHA, "--artifact", `backend=${box.path("backend.tar.zst")}`, "--dry-run"];
    case "inverse-sql":
      return ["--file", box.path("inverse.sql"), "--reason", "schema", "--dry-run"];
    case "restore-snapshot":
      return ["--container", "veza-staging-postgres", "--reason", "host broken"];
    default:
      return [];
  }
}

/** A valid value of each flag, to make nearly-valid hostile ones from. */
const SAMPLES: Readonly<Record<string, string>> = {
  env: "staging",
  actor: "alice",
  reason: "green 500s",
  "release-sha": SHA,
  "bad-sha": SHA,
  "target-sha": SHA,
  color: "blue",
  "target-color": "blue",
  container: "veza-staging-postgres",
  snapshot: `pre-deploy-${SHA}`,
  "@positional": "20261126T053300Z-3fa9c1",
};

/** Every (command, flag) pair under test: a command's own string flags, and the global ones on `status`. */
const PAIRS = COMMANDS.flatMap((c) => {
  const flags = Object.entries({ ...GLOBAL_OPTIONS, ...c.options })
    .filter(([name, o]) => o.type === "string" && (c.name === "status" || !GLOBAL_FLAGS.has(name)))
    .map(([name]) => name);
  return [...flags, ...(c.positionals > 0 ? ["@positional"] : [])].map((flag) => ({ command: c.name, flag }));
});

/** The args of `command` with `flag` set to `value` (a flag the base args give is replaced). */
function argsWith(command: string, flag: string, value: string, stateDir: string): string[] {
  const base = baseArgs(command, flag);
  if (flag === "@positional") return [command, ...base.slice(1), "--state-dir", stateDir, "--", value];
  const at = base.indexOf(`--${flag}`);
  const rest = at >= 0 ? [...base.slice(0, at), ...base.slice(at + 2)] : base;
  const state = flag === "state-dir" ? [] : ["--state-dir", stateDir];
  return [command, ...rest, ...state, `--${flag}`, value];
}

/** Runs the CLI in-process; every line it printed, and its exit code. */
async function cli(argv: readonly string[]) {
  const lines: string[] = [];
  const code = await main(
    argv,
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { code, lines };
}

const stateDir = () => box.path("state");

/** The simulated world as the state directory keeps it (absent until a command changes it). */
const worldText = () => {
  const path = join(stateDir(), "fleet.json");
  return existsSync(path) ? readFileSync(path, "utf8") : "(absent)";
};

beforeAll(async () => {
  process.env.BACKFLIP_ACTOR = "tester";
  writeFileSync(box.path("backend.tar.zst"), "rebuilt backend\n");
  writeFileSync(box.path("inverse.sql"), "ALTER TABLE t DROP COLUMN c;\n", { mode: 0o600 });
  mkdirSync(stateDir(), { recursive: true });
  expect((await cli(["status", "--state-dir", stateDir()])).code).toBe(EXIT.ok);
});

describe("rollback CLI: every string flag and positional of every command", () => {
  itFor({}, "")(
    "classifies every string flag of every command (a new flag fails here until classified)",
    () => {
      const flags = new Set(PAIRS.map((p) => p.flag));
      expect([...flags].filter((f) => FLAG_KINDS[f] === undefined)).toEqual([]);
    },
  );
  for (const { command, flag } of PAIRS)
    itFor(OPEN, `${command} --${flag}`)(
      `${command} ${flag === "@positional" ? "<run id>" : `--${flag}`}`,
      async () => {
        const spec = FLAG_KINDS[flag] ?? "payload";
        // a run (not a dry run) takes a while: `rollback --metrics-file` gets every sixth example
        const examples = hostileExamples(box).filter(
          (_, i) => command !== "rollback" || flag !== "metrics-file" || i % 6 === 0,
        );
        await fc.assert(
          fc.asyncProperty(hostileFor(SAMPLES[flag] ?? "x", box), async (value) => {
            fc.pre(value !== "lab" && value !== "simulated"); // never reach the shared lab
            const before = worldText();
            const files = treeSnapshot(box.root, [stateDir()]);
            const { code, lines } = await cli(argsWith(command, flag, value, stateDir()));
            expect(existsSync(box.marker), "a payload ran").toBe(false);
            expect(readFileSync(box.victim, "utf8"), "the victim file changed").toBe(VICTIM_CONTENT);
            expect(lines.filter(hasRawTerminalControl), "printed lines with raw control characters").toEqual(
              [],
            );
            if (code === EXIT.usage) {
              expect(worldText(), "a usage error changed the simulated world").toBe(before);
              if (flag !== "state-dir")
                expect(treeSnapshot(box.root, [stateDir()]), "a usage error changed files").toBe(files);
              return;
            }
            // an empty value is an absent one (a workflow's empty input), by design
            const ok =
              value === "" ||
              (spec !== "number" &&
                spec !== "enum" &&
                spec !== "boolean" &&
                spec !== "structure" &&
                acceptableAs(spec, value));
            expect(
              ok,
              `accepted ${JSON.stringify(value.slice(0, 80))}: exit ${code}: ${lines.at(-1) ?? ""}`,
            ).toBe(true);
          }),
          propertyParams(RUNS, examples),
        );
      },
    );
});
