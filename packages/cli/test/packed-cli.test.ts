import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installPackedCli, installPackedCliInto, type PackedCli, runInstalled } from "./packed-cli";

/** Runs the installed `backflip` in `cwd`. */
const backflip = (cli: PackedCli, cwd: string, ...args: string[]) => runInstalled(cli, cwd, args);

/** How a user's strict Node project type-checks: no tsconfig, no `@types/node`. */
const TSC_FLAGS = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"];

/** The same project emitting its own declarations (into `types/`), as a library built on the CLI does. */
const DECLARATION_FLAGS = [
  ...TSC_FLAGS.filter((f) => f !== "--noEmit"),
  "--declaration",
  "--emitDeclarationOnly",
  "--outDir",
  "types",
];

/** The repository's `tsc` run with `flags` on `files` in `cwd`: its diagnostics, one a line. */
async function typecheck(cwd: string, files: readonly string[], flags = TSC_FLAGS): Promise<string[]> {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const output = await promisify(execFile)(process.execPath, [tsc, ...flags, ...files], { cwd }).then(
    ({ stdout }) => stdout,
    (failed: { stdout: string }) => failed.stdout,
  );
  return output.split("\n").filter((line) => /error TS\d+/.test(line));
}

describe("the packed @backflip/cli, installed with npm i -g into a fresh prefix", {
  timeout: 300_000,
}, () => {
  let cli: PackedCli;
  beforeAll(async () => {
    cli = await installPackedCli();
  }, 300_000);
  afterAll(() => rm(cli.dir, { recursive: true, force: true }));

  it("answers --help", async () => {
    const help = await backflip(cli, cli.dir, "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: backflip <command>");
    for (const command of [
      "status",
      "runs",
      "decide",
      "rollback",
      "resume",
      "postmortem",
      "lease",
      "snapshots",
      "init",
    ])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
  });

  it("shows the simulated fleet's status, rolls back and shows the flip, outside any workspace", async () => {
    const cwd = await mkdtemp(join(cli.dir, "operator-"));
    const before = await backflip(cli, cwd, "status");
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/active color green/);
    const flip = await backflip(cli, cwd, "rollback", "--mode", "fast", "--reason", "green 500s", "--yes");
    expect(flip.code).toBe(0);
    const after = await backflip(cli, cwd, "status", "--json");
    expect(JSON.parse(after.stdout).facts.activeColor).toBe("blue");
    const runs = await backflip(cli, cwd, "runs");
    expect(runs.stdout).toMatch(/fast-flip {2}by tester .* succeeded/);
    const runId = /^ {2}(\S+) {2}staging {2}fast-flip/m.exec(runs.stdout)?.[1] ?? "";
    const postmortem = await backflip(cli, cwd, "postmortem", runId);
    expect(postmortem.code, postmortem.stderr).toBe(0);
    expect(postmortem.stdout).toMatch(/### What changed\n\ngreen \([0-9a-f]{12}\) → blue \([0-9a-f]{12}\)/);
    const lease = await backflip(cli, cwd, "lease", "show");
    expect(lease.stdout).toContain("  staging: free");
  });

  it("runs Path 2 by a short SHA, then Path 3 (inverse SQL, a snapshot restore only when acknowledged) and a cleanup dry run", async () => {
    const cwd = await mkdtemp(join(cli.dir, "operator-"));
    const status = await backflip(cli, cwd, "status", "--json");
    const prior = JSON.parse(status.stdout).facts.history[1].sha as string;
    const full = await backflip(
      cli,
      cwd,
      "rollback",
      "--mode",
      "full",
      "--release-sha",
      prior.slice(0, 7),
      "--reason",
      "green 500s",
      "--yes",
    );
    expect(full.code, full.stderr).toBe(0);
    const after = JSON.parse((await backflip(cli, cwd, "status", "--json")).stdout).facts;
    expect([after.activeColor, after.history[0].sha]).toEqual(["blue", prior]);
    await writeFile(join(cwd, "inverse.sql"), "SELECT 1;\n");
    const inverse = await backflip(cli, cwd, "inverse-sql", "--file", "inverse.sql", "--reason", "m2");
    expect(inverse.code, inverse.stderr).toBe(0);
    const snapshot = /pre-deploy-[0-9a-f]+/.exec((await backflip(cli, cwd, "snapshots")).stdout)?.[0] ?? "";
    const restore = ["restore-snapshot", "--container", "veza-staging-postgres", "--snapshot", snapshot];
    const dry = await backflip(cli, cwd, ...restore);
    expect([dry.code, dry.stdout]).toEqual([0, expect.stringContaining("nothing was changed")]);
    const done = await backflip(
      cli,
      cwd,
      ...restore,
      "--yes",
      "--acknowledge-data-loss",
      "--reason",
      "host broken",
    );
    expect(done.code, done.stderr).toBe(0);
    const cleanup = await backflip(cli, cwd, "cleanup", "--color", "green");
    expect([cleanup.code, cleanup.stdout]).toEqual([0, expect.stringContaining("nothing was changed")]);
    const runs = (await backflip(cli, cwd, "runs")).stdout;
    for (const path of ["redeploy", "inverse-sql", "restore-snapshot"])
      expect(runs).toMatch(new RegExp(`staging {2}${path} {2}by tester .* succeeded`));
  });

  it("reads a backflip.config.ts in the working directory: jiti resolves in the installed CLI, loaded only for a .ts config", async () => {
    const cwd = await mkdtemp(join(cli.dir, "operator-"));
    // Node names on stderr each CommonJS file it loads: jiti's own among them once it loads
    const debug = { NODE_DEBUG: "module" };
    const help = await runInstalled(cli, cwd, ["--help"], debug);
    await writeFile(join(cwd, "backflip.config.json"), '{ "env": "qa" }\n');
    const json = await runInstalled(cli, cwd, ["status", "--json"], debug);
    expect([help.code, json.code, JSON.parse(json.stdout).facts.env]).toEqual([0, 0, "qa"]);
    expect(`${help.stderr}${json.stderr}`).not.toContain("jiti");
    await rm(join(cwd, "backflip.config.json"));
    const init = await backflip(cli, cwd, "init", "--ts", "--env", "prod");
    expect(init.code, init.stderr).toBe(0);
    const status = await runInstalled(cli, cwd, ["status", "--json"], debug);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).facts.env).toBe("prod");
    expect(status.stderr).toMatch(/node_modules\/jiti\//);
    await writeFile(join(cwd, "backflip.config.ts"), 'export default { env: "prod", colour: "blue" };\n');
    const bad = await backflip(cli, cwd, "status");
    expect([bad.code, bad.stderr]).toEqual([
      2,
      expect.stringContaining('backflip.config.ts: Unrecognized key: "colour"'),
    ]);
  });

  it("ships declarations: with only the tarball installed, `init --ts`'s config and an embedding program type-check, a wrong key does not", async () => {
    const project = await mkdtemp(join(cli.dir, "project-"));
    await writeFile(join(project, "package.json"), '{ "private": true, "type": "module" }\n');
    await installPackedCliInto(cli, project);
    const init = await backflip(cli, project, "init", "--ts", "--env", "prod");
    expect(init.code, init.stderr).toBe(0);
    await writeFile(
      join(project, "embed.ts"),
      [
        'import { EXIT, type ExitCode, main, runMain } from "@backflip/cli";',
        'import { type Out, printFacts } from "@backflip/cli/progress";',
        'import { simulatedTopology } from "@backflip/cli/simulated-fleet";',
        "const lines: string[] = [];",
        "const out: Out = (line) => lines.push(line);",
        'const code: ExitCode = await main(["status"], out, out);',
        "if (code !== EXIT.ok) runMain();",
        'export const shown = [printFacts, simulatedTopology("prod").env, lines];',
        "",
      ].join("\n"),
    );
    await writeFile(
      join(project, "wrong-key.ts"),
      'import type { BackflipConfig } from "@backflip/cli";\nexport default { env: "prod", colour: "blue" } satisfies BackflipConfig;\n',
    );
    const errors = await typecheck(project, ["backflip.config.ts", "embed.ts", "wrong-key.ts"]);
    expect(errors).toEqual([
      expect.stringMatching(/^wrong-key\.ts\(2,\d+\): error TS2353: .*'colour' does not exist/),
    ]);
  });

  it("ships declarations a program's own declarations can name: inferred exports built on the CLI's types emit without TS2742", async () => {
    const project = await mkdtemp(join(cli.dir, "library-"));
    await writeFile(join(project, "package.json"), '{ "private": true, "type": "module" }\n');
    await installPackedCliInto(cli, project);
    await writeFile(
      join(project, "library.ts"),
      [
        'import { openCoordination } from "@backflip/cli";',
        'import { addLatencies, simulatedTopology } from "@backflip/cli/simulated-fleet";',
        "// Each export's type is inferred: tsc must name the CLI's types (Topology, Fleet, ResultAsync, …) in types/library.d.ts.",
        'export const topology = simulatedTopology("prod");',
        "export const slowed = addLatencies;",
        'export const coordination = () => openCoordination({ kind: "file", stateDir: "/tmp/x", prefix: "backflip", actor: "me" });',
        "",
      ].join("\n"),
    );
    expect(await typecheck(project, ["library.ts"], DECLARATION_FLAGS)).toEqual([]);
  });

  it("exits 2 on bad usage, naming the flag", async () => {
    const bad = await backflip(cli, cli.dir, "rollback", "--mode", "sideways");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--mode");
  });
});
