/**
 * The packed `@backflip/cli`, installed with `npm i -g` into a fresh prefix, runs every
 * runbook path on the real lab through a `backflip.config.json` an operator would write
 * for it (the `stack` target: Incus, HAProxy in `veza-lab-haproxy`, the lab's registry,
 * psql in `veza-lab-postgres`, zfs over SSH to the host) — nothing from `lab/src` in the
 * CLI: the config is written from the lab's connection facts, and the lab's own drivers
 * only read what is live afterwards. These change the lab, so this file runs in the root
 * config's `lab` project (one lab file at a time) and leaves the lab reset.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type DriverError, formatDriverError } from "@backflip/core";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import type { Result } from "neverthrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeLabDrivers, type LabPath3Drivers, labPath3Drivers } from "../../../lab/src/lab-data-drivers";
import { labHaproxySettings } from "../../../lab/src/lab-drivers";
import { LAB_INVERSE_SQL, LAB_SCHEMA_VERSION, labContentCheck } from "../../../lab/src/lab-migrations";
import { LAB_POSTGRES, labPgBin, missingPath3Backends } from "../../../lab/src/lab-postgres-settings";
import { labPsql, waitPostgresReady } from "../../../lab/src/lab-postgres-shell";
import { readRegistryState, registryAlive } from "../../../lab/src/lab-registry";
import { LAB_RELEASES, labArtifact } from "../../../lab/src/lab-releases";
import { resetLab } from "../../../lab/src/lab-reset";
import { LAB_ENV, LAB_HAPROXY, labTopology } from "../../../lab/src/lab-settings";
import { installPackedCli, type PackedCli, type Ran, runInstalled } from "./packed-cli";

const TOKEN_ENV = "LAB_FORGEJO_TOKEN";

const labUp =
  backendEnv("incus") !== null &&
  backendEnv("haproxy") !== null &&
  missingPath3Backends().length === 0 &&
  must(await registryAlive(readRegistryState()));

/** The config an operator writes for the lab: every fact from the lab's settings and its state files; the token by name only. */
function labConfig(): Record<string, unknown> {
  const topology = labTopology();
  const sshd = backendEnv("sshd") ?? {};
  return {
    env: LAB_ENV,
    stateDir: ".backflip",
    target: {
      kind: "stack",
      topology: { publicHealthUrl: topology.publicHealthUrl },
      haproxy: { container: LAB_HAPROXY.container, ...labHaproxySettings(topology) },
      forgejo: { baseUrl: readRegistryState()?.baseUrl, tokenEnv: TOKEN_ENV },
      database: { host: LAB_POSTGRES.socketDir, psqlCommand: [`${labPgBin()}/psql`] },
      snapshots: {},
      hostShell: {
        host: sshd.SSH_HOST ?? "127.0.0.1",
        port: Number(sshd.SSH_PORT ?? "22"),
        user: sshd.SSH_ROOT_USER ?? "root",
        privateKeyPath: sshd.SSH_KEY,
        knownHostsFile: sshd.SSH_KNOWN_HOSTS,
      },
    },
  };
}

/** A lab read's value; its error, formatted, fails the test. */
function must<T>(result: Result<T, DriverError>): T {
  if (result.isErr()) throw new Error(formatDriverError(result.error));
  return result.value;
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe.skipIf(
  skipUnlessBackend(
    labUp,
    "the lab with its Path 3 backends",
    "scripts/backends up incus haproxy zfs sshd postgres, then npx -y pnpm@12.4.2 lab up",
  ),
)("the packed backflip, installed with npm i -g, on the lab as a stack config", { timeout: 300_000 }, () => {
  let cli: PackedCli;
  let d: LabPath3Drivers;
  let cwd: string;
  const t = () => d.topology;
  const env = () => ({ [TOKEN_ENV]: readRegistryState()?.token ?? "" });
  const backflip = (...args: string[]): Promise<Ran> => runInstalled(cli, cwd, args, env());
  const ok = async (...args: string[]): Promise<Ran> => {
    const ran = await backflip(...args);
    expect(ran.code, `backflip ${args.join(" ")}\n${ran.stdout}\n${ran.stderr}`).toBe(0);
    return ran;
  };
  /** What the lab itself says is live: the state file's color and the public URL's answer. */
  const live = async () => {
    const state = must(await d.traffic.readState());
    const health = must(await d.probe.check({ url: t().publicHealthUrl, attempts: 1 }));
    const answer = JSON.parse(health.body) as { color: string; sha: string };
    return { color: state.activeColor, served: answer.color, sha: answer.sha };
  };
  const sql = async (query: string) => must(await labPsql(d.host, t(), query));

  beforeAll(async () => {
    cli = await installPackedCli();
    cwd = await mkdtemp(join(cli.dir, "operator-"));
    await writeFile(join(cwd, "backflip.config.json"), JSON.stringify(labConfig(), null, 2));
    d = must(await labPath3Drivers());
    must(await resetLab(d));
  }, 600_000);

  afterAll(async () => {
    if (d) {
      must(await resetLab(d));
      await closeLabDrivers(d);
    }
    if (cli) await rm(cli.dir, { recursive: true, force: true });
  }, 300_000);

  it("status and decide read the lab through the config alone", async () => {
    const status = JSON.parse((await ok("status", "--json")).stdout) as {
      target: string;
      facts: { env: string; activeColor: string; migration: { version: number } | null };
    };
    expect(status.target).toBe("stack");
    expect(status.facts).toMatchObject({ env: LAB_ENV, activeColor: "blue" });
    expect(status.facts.migration).toMatchObject({ version: LAB_SCHEMA_VERSION });
    const decided = JSON.parse(
      (await ok("decide", "--symptom", "public-probe-failing", "--on-call", "--paged", "--json")).stdout,
    ) as { decision: { action: string; path: number; target: { color: string } }; command: string };
    expect(decided.decision).toMatchObject({ action: "rollback", path: 1, target: { color: "green" } });
    expect(decided.command).toContain("backflip rollback --env lab --mode fast --target-color green");
  });

  it("Path 1: rollback --mode fast --yes flips to green, and back to blue with a warning", async () => {
    await ok("rollback", "--mode", "fast", "--reason", "blue 500s since the deploy", "--yes");
    expect(await live()).toMatchObject({ color: "green", served: "green" });
    const back = await ok(
      "rollback",
      "--mode",
      "fast",
      "--target-color",
      "blue",
      "--reason",
      "back",
      "--yes",
    );
    expect(back.stderr).toMatch(/warning: .*blue/);
    expect(await live()).toMatchObject({ color: "blue", served: "blue", sha: LAB_RELEASES.current });
  });

  it("Path 2: rollback --mode full redeploys an older release (a short SHA) into the idle color and flips", async () => {
    const short = LAB_RELEASES.old.slice(0, 12);
    await ok(
      "rollback",
      "--mode",
      "full",
      "--release-sha",
      short,
      "--reason",
      "back to last week's",
      "--yes",
    );
    expect(await live()).toEqual({ color: "green", served: "green", sha: LAB_RELEASES.old });
    must(await resetLab(d));
  });

  it("Path 3: push-artifact, inverse-sql, snapshots, restore-snapshot refused without acknowledgement, then done", async () => {
    const sha = LAB_RELEASES.old;
    for (const component of t().containers.components) must(await d.registry.delete({ component, sha }));
    const artifacts: string[] = [];
    for (const component of t().containers.components) {
      const path = join(cwd, `veza-${component}-${sha}.tar.zst`);
      await writeFile(path, labArtifact(component, sha));
      artifacts.push("--artifact", `${component}=${path}`);
    }
    await ok("push-artifact", "--release-sha", sha, ...artifacts, "--reason", "registry purged");
    for (const component of t().containers.components)
      expect(must(await d.registry.stat({ component, sha }))?.size).toBe(labArtifact(component, sha).length);

    const inverse = join(cwd, "inverse.sql");
    await writeFile(inverse, LAB_INVERSE_SQL);
    await ok("inverse-sql", "--file", inverse, "--expected-version", "3", "--reason", "migration 4 broke it");
    expect(must(await d.database.migrationState())).toEqual({
      managed: true,
      version: 3,
      dirty: false,
    });
    const v3 = labContentCheck(3);
    expect(await sql(v3.sql)).toBe(v3.expected);

    const listed = jsonLines((await ok("snapshots", "--json")).stdout);
    const snapshot = `${t().snapshots.prefix}${LAB_RELEASES.current}`;
    expect(listed.map((s) => s.name)).toContain(snapshot);
    await sql("INSERT INTO playlists (id, name) VALUES (200, 'written by the packed CLI test')");
    await sql("CHECKPOINT");
    const args = ["restore-snapshot", "--container", t().database.container, "--snapshot", snapshot];
    const refused = await backflip(...args, "--yes", "--reason", "host in a bad state");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--acknowledge-data-loss");
    expect(await sql("SELECT count(*) FROM playlists WHERE id = 200")).toBe("1");
    await ok(...args, "--yes", "--acknowledge-data-loss", "--reason", "host in a bad state");
    must(await waitPostgresReady(d.host, t()));
    expect(await sql("SELECT count(*) FROM playlists WHERE id = 200")).toBe("0");
    // the snapshot taken before `current`'s migration 4: version 3's data again
    expect(await sql(v3.sql)).toBe(v3.expected);
    must(await resetLab(d));
  });

  it("resume converges a rollback killed at its flip step; runs lists every run; cleanup is a dry run", async () => {
    const runId = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        cli.bin,
        ["rollback", "--mode", "fast", "--reason", "killed mid-way", "--yes", "--lock-ttl", "1", "--json"],
        { cwd, env: { ...process.env, BACKFLIP_ACTOR: "tester", ...env() } },
      );
      let buffered = "";
      let id = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines)
          if (line.includes('"step.started"') && line.includes('"stepId":"activate"')) {
            id = (JSON.parse(line) as { runId: string }).runId;
            child.kill("SIGKILL");
          }
      });
      child.on("exit", (code, signal) =>
        signal === "SIGKILL" && id ? resolve(id) : reject(new Error(`exited ${code} without a kill`)),
      );
    });
    const seen = JSON.parse((await ok("status", "--json")).stdout) as { runsInFlight: { runId: string }[] };
    expect(seen.runsInFlight).toEqual([expect.objectContaining({ runId, path: "fast-flip" })]);
    await new Promise((r) => setTimeout(r, 1_500)); // the killed run's 1 s lease lapses
    await ok("resume", runId, "--break-stale-lock");
    expect(await live()).toMatchObject({ color: "green", served: "green" });

    const runs = jsonLines((await ok("runs", "--json")).stdout);
    expect(runs.find((r) => r.runId === runId)).toMatchObject({ state: "succeeded", actor: "tester" });
    expect(new Set(runs.map((r) => r.path))).toEqual(
      new Set(["fast-flip", "redeploy", "rebuild-push", "inverse-sql", "restore-snapshot"]),
    );

    const cleanup = await ok("cleanup", "--color", "blue");
    expect(cleanup.stdout).toContain("dry run");
    const blue = t().containers.components.map((c) => `veza-lab-${c}-blue`);
    const listed = must(await d.host.list({ names: blue }));
    expect(listed.map((i) => [i.name, i.running])).toEqual(blue.map((name) => [name, true]));
  });
});
