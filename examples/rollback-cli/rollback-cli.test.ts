import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileLeaseLock } from "@backflip/core";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import { type Fleet, snapshotFleet } from "@backflip/driver-mock";
import { describe, expect, it } from "vitest";
import { readRegistryState, registryAlive } from "../../lab/src/lab-registry";
import { COMMANDS } from "../../packages/cli/src/commands";
import { FLEET_FILE, freshIncidentFleet } from "../../packages/cli/src/simulated-target";
import { runCli, startCli } from "./start-cli";

const stateDir = () => mkdtemp(join(tmpdir(), "rollback-cli-test-"));

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** Writes a prepared simulated world where the CLI will find it. */
async function writeWorld(dir: string, fleet: Fleet): Promise<void> {
  const snap = snapshotFleet(fleet);
  if (snap.isErr()) throw new Error(snap.error.message);
  await writeFile(join(dir, FLEET_FILE), JSON.stringify(snap.value));
}

async function status(dir: string): Promise<Record<string, unknown> & { facts: Record<string, unknown> }> {
  const ran = await runCli("status", "--state-dir", dir, "--json");
  expect(ran.code).toBe(0);
  return JSON.parse(ran.stdout) as Record<string, unknown> & { facts: Record<string, unknown> };
}

describe.concurrent("rollback CLI: help", () => {
  it("the top-level help lists every command and the exit codes", async () => {
    const ran = await runCli("--help");
    expect(ran.code).toBe(0);
    for (const c of COMMANDS) expect(ran.stdout).toContain(`  ${c.name}`);
    expect(ran.stdout).toContain("Exit codes:");
    expect(ran.stdout).toContain("4  the environment's lock is held");
  });

  it("every command answers --help with its usage, examples and exit codes, and touches nothing", async () => {
    const dir = await stateDir();
    const all = await Promise.all(COMMANDS.map((c) => runCli(c.name, "--help", "--state-dir", dir)));
    COMMANDS.forEach((c, i) => {
      const ran = all[i];
      expect(ran?.code).toBe(0);
      expect(ran?.stdout).toContain(`Usage: rollback ${c.name}`);
      expect(ran?.stdout).toContain("Examples:");
      expect(ran?.stdout).toContain("Exit codes:");
    });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe.concurrent("rollback CLI: bad usage exits 2 and writes nothing", () => {
  const cases: [string, string[], RegExp][] = [
    ["an unknown command", ["flip"], /unknown command "flip"/],
    ["an unknown option", ["status", "--colour", "blue"], /--colour/],
    [
      "a bad mode",
      ["rollback", "--mode", "quick", "--reason", "x"],
      /--mode: expected fast, full or emergency/,
    ],
    [
      "a SHA shorter than 7",
      ["rollback", "--mode", "full", "--release-sha", "abc123", "--reason", "x"],
      /--release-sha: expected a SHA: 7 to 40 hex digits/,
    ],
    [
      "a SHA prefix nothing known starts with",
      ["rollback", "--mode", "full", "--release-sha", "abc1234", "--reason", "x"],
      /--release-sha abc1234: no SHA in the history or the registry starts with it/,
    ],
    [
      "a color the topology does not have",
      ["rollback", "--mode", "fast", "--target-color", "purple", "--reason", "x"],
      /--target-color: Invalid option/,
    ],
    [
      "a missing --file",
      ["inverse-sql", "--file", "/nonexistent/inverse.sql", "--reason", "x"],
      /--file .*: no such file/,
    ],
    ["mode full without a SHA", ["rollback", "--mode", "full", "--reason", "x"], /required with --mode full/],
    ["no reason for a real run", ["rollback", "--mode", "fast"], /--reason is required/],
    ["a bad env name", ["status", "--env", "Prod!"], /--env/],
    ["an unknown target", ["status", "--target", "prod"], /--target/],
    ["a bad symptom", ["decide", "--symptom", "meh"], /--symptom: expected one of/],
    ["a bad run id", ["resume", "../../etc/passwd"], /<run-id>: /],
    ["an extra positional", ["status", "now"], /Unexpected argument 'now'/],
    ["a bad actor", ["rollback", "--mode", "fast", "--reason", "x", "--actor", "a b"], /--actor/],
    ["a two-line reason", ["rollback", "--mode", "fast", "--reason", "a\nb"], /--reason: one line/],
    [
      "another env on the lab",
      ["status", "--target", "lab", "--env", "staging"],
      /the lab's environment is lab/,
    ],
    ["a bad lock ttl", ["rollback", "--mode", "fast", "--reason", "x", "--lock-ttl", "0"], /--lock-ttl/],
  ];
  for (const [what, args, message] of cases)
    it(`${what}`, async () => {
      const dir = await stateDir();
      const ran = await runCli(...args, "--state-dir", dir);
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(message);
      expect(await readdir(dir)).toEqual([]);
    });

  it("with --json the usage error is a JSON object on stdout too", async () => {
    const ran = await runCli("rollback", "--mode", "quick", "--json");
    expect(ran.code).toBe(2);
    expect(JSON.parse(ran.stdout)).toMatchObject({ type: "error", exitCode: 2, reason: "usage" });
  });
});

describe.concurrent("rollback CLI: plan and dry runs", () => {
  it("plan renders every step with its commands, and changes nothing", async () => {
    const dir = await stateDir();
    const ran = await runCli("plan", "--mode", "fast", "--state-dir", dir);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain("── dry run");
    expect(ran.stdout).toContain(
      "$ incus list --format csv -c n,s '^(veza-staging-backend-blue|veza-staging-stream-blue|veza-staging-web-blue)$'",
    );
    expect(ran.stdout).toContain("dry run: nothing was changed.");
    expect(await readdir(dir)).toEqual([]);
  });

  it("plan --json is one JSON object with the plan's steps", async () => {
    const ran = await runCli("plan", "--mode", "fast", "--json", "--state-dir", await stateDir());
    expect(ran.code).toBe(0);
    const [line, ...more] = jsonLines(ran.stdout);
    expect(more).toEqual([]);
    const plan = (line as { plan: { intent: { path: string; to: string }; steps: { id: string }[] } }).plan;
    expect(plan.intent).toMatchObject({ path: "fast-flip", to: "blue" });
    expect(plan.steps.map((s) => s.id)).toContain("activate");
  });

  it("rollback --dry-run plans Path 2 for --mode full and changes nothing", async () => {
    const dir = await stateDir();
    const fleet = freshIncidentFleet("staging");
    await writeWorld(dir, fleet);
    const sha = fleet.world.release("veza-staging-backend-blue") ?? "";
    const ran = await runCli(
      "rollback",
      "--mode",
      "full",
      "--release-sha",
      sha,
      "--dry-run",
      "--state-dir",
      dir,
    );
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain("Plan redeploy on staging");
    expect(await readdir(dir)).toEqual([FLEET_FILE]);
  });
});

describe("rollback CLI: running", () => {
  it("a fast rollback flips to the prior color, status shows it, metrics are written; flipping back to the bad color reverts (exit 1)", async () => {
    const dir = await stateDir();
    const metrics = join(dir, "metrics", "deploy.prom");
    await mkdir(join(dir, "metrics"));
    const ran = await runCli(
      "rollback",
      "--mode",
      "fast",
      "--reason",
      "green 500s",
      "--state-dir",
      dir,
      "--metrics-file",
      metrics,
    );
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/\[\s*\d+\.\d\ds\]\s+▶ Install the blue config/);
    expect(ran.stdout).toContain("The run succeeded.");

    const after = await status(dir);
    expect(after.facts.activeColor).toBe("blue");
    const history = after.facts.history as { color: string; actor?: string; runId?: string }[];
    expect(history[0]).toMatchObject({ color: "blue", actor: "tester" });
    expect(after.facts.publicHealth).toMatchObject({ healthy: true });
    expect(after.runsInFlight).toEqual([]);
    expect(after.lock).toBeNull();
    const prom = await readFile(metrics, "utf8");
    expect(prom).toMatch(/veza_deploy_last_success_timestamp\{env="staging"\} \d+/);
    expect(prom).toContain(
      'backflip_rollback_runs_total{env="staging",path="fast-flip",state="succeeded"} 1',
    );

    const back = await runCli(
      "rollback",
      "--mode",
      "fast",
      "--reason",
      "oops",
      "--state-dir",
      dir,
      "--metrics-file",
      metrics,
    );
    expect(back.code).toBe(1);
    expect(back.stderr).toContain("public probe failed");
    expect((await status(dir)).facts.activeColor).toBe("blue");
    expect(await readFile(metrics, "utf8")).toContain(
      'backflip_rollback_runs_total{env="staging",path="fast-flip",state="reverted"} 1',
    );
  });

  it("the workflow's invocation, with its empty inputs, runs Path 1", async () => {
    const dir = await stateDir();
    const ran = await runCli(
      "rollback",
      "--env",
      "staging",
      "--target",
      "simulated",
      "--state-dir",
      dir,
      "--mode",
      "fast",
      "--target-color",
      "",
      "--release-sha",
      "",
      "--reason",
      "rollback.yml run 7 (mode=fast)",
    );
    expect(ran.code).toBe(0);
    expect((await status(dir)).facts.activeColor).toBe("blue");
  });

  it("--json streams one JSON event per line and ends with the result", async () => {
    const ran = await runCli(
      "rollback",
      "--mode",
      "fast",
      "--reason",
      "x",
      "--json",
      "--state-dir",
      await stateDir(),
    );
    expect(ran.code).toBe(0);
    const lines = jsonLines(ran.stdout);
    expect(lines[0]).toMatchObject({ type: "plan.started" });
    expect(lines.some((l) => l.type === "step.succeeded" && l.stepId === "activate")).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: "result", exitCode: 0, state: "succeeded" });
  });

  it("refused by the pre-check when a target container is stopped: exit 3, Path 2 named, nothing changed", async () => {
    const dir = await stateDir();
    const fleet = freshIncidentFleet("staging");
    fleet.world.setStatus("veza-staging-web-blue", "Stopped");
    await writeWorld(dir, fleet);
    const ran = await runCli("rollback", "--mode", "fast", "--reason", "x", "--state-dir", dir);
    expect(ran.code).toBe(3);
    expect(ran.stderr).toMatch(/Path 2/);
    expect((await status(dir)).facts.activeColor).toBe("green");
  });

  it("a held lock: exit 4 naming the owner, nothing changed", async () => {
    const dir = await stateDir();
    const lock = new FileLeaseLock({ dir: join(dir, "locks") });
    expect((await lock.acquire("staging", { owner: "bob on another terminal", ttlMs: 120_000 })).isOk()).toBe(
      true,
    );
    const ran = await runCli("rollback", "--mode", "fast", "--reason", "x", "--state-dir", dir);
    expect(ran.code).toBe(4);
    expect(ran.stderr).toContain("bob on another terminal");
    expect(await readdir(dir)).not.toContain(FLEET_FILE); // the refused process wrote no world over the holder's
    const seen = await status(dir);
    expect(seen.facts.activeColor).toBe("green");
    expect(seen.lock).toMatchObject({ lease: { owner: "bob on another terminal" }, stale: false });
  });
});

describe.concurrent("rollback CLI: Path 2 and Path 3", () => {
  for (const via of ["native", "pipeline"])
    it(`--mode full --via ${via} redeploys the prior release into the idle color and flips`, async () => {
      const dir = await stateDir();
      const fleet = freshIncidentFleet("staging");
      await writeWorld(dir, fleet);
      const sha = fleet.world.release("veza-staging-web-blue") ?? "";
      const ran = await runCli(
        "rollback",
        "--mode",
        "full",
        "--via",
        via,
        "--release-sha",
        sha,
        "--reason",
        "x",
        "--state-dir",
        dir,
      );
      expect(ran.code).toBe(0);
      const after = await status(dir);
      expect(after.facts).toMatchObject({
        activeColor: "blue",
        liveSha: sha,
        publicHealth: { healthy: true },
      });
    });

  it("a purged SHA: decide says rebuild-push; --mode full is refused (exit 3); push-artifact, then the pipeline redeploys it", async () => {
    const dir = await stateDir();
    const fleet = freshIncidentFleet("staging");
    const sha = fleet.world.release("veza-staging-web-blue") ?? "";
    fleet.world.destroyColor("blue");
    fleet.world.purgeRelease(sha);
    await writeWorld(dir, fleet);

    const decided = await runCli(
      "decide",
      "--symptom",
      "public-probe-failing",
      "--on-call",
      "--paged",
      "--json",
      "--state-dir",
      dir,
    );
    expect(decided.code).toBe(0);
    const decision = JSON.parse(decided.stdout) as { decision: { recipe: string }; command: string };
    expect(decision.decision.recipe).toBe("rebuild-push");
    expect(decision.command).toContain(`push-artifact --env staging --release-sha ${sha}`);

    const refused = await runCli(
      "rollback",
      "--mode",
      "full",
      "--via",
      "pipeline",
      "--release-sha",
      sha,
      "--reason",
      "x",
      "--state-dir",
      dir,
    );
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/Path 3/);

    const artifacts: string[] = [];
    for (const component of fleet.topology.containers.components) {
      const path = join(dir, `veza-${component}-${sha}.tar.zst`);
      await writeFile(path, `rebuilt ${component} ${sha}\n`);
      artifacts.push("--artifact", `${component}=${path}`);
    }
    const pushed = await runCli(
      "push-artifact",
      "--release-sha",
      sha,
      ...artifacts,
      "--reason",
      "purged",
      "--state-dir",
      dir,
    );
    expect(pushed.code).toBe(0);
    const redeployed = await runCli(
      "rollback",
      "--mode",
      "full",
      "--via",
      "pipeline",
      "--release-sha",
      sha,
      "--reason",
      "x",
      "--state-dir",
      dir,
    );
    expect(redeployed.code).toBe(0);
    expect((await status(dir)).facts).toMatchObject({ activeColor: "blue", liveSha: sha });
  });

  it("inverse-sql applies a file in one transaction; a failing script changes nothing (exit 1)", async () => {
    const dir = await stateDir();
    await writeFile(join(dir, "inverse.sql"), "DELETE FROM users WHERE id = 2;\n");
    await writeFile(join(dir, "broken.sql"), "DELETE FROM users WHERE id = 1;\nFAIL;\n");
    const broken = await runCli(
      "inverse-sql",
      "--file",
      join(dir, "broken.sql"),
      "--reason",
      "x",
      "--state-dir",
      dir,
    );
    expect(broken.code).toBe(1);
    const ran = await runCli(
      "inverse-sql",
      "--file",
      join(dir, "inverse.sql"),
      "--reason",
      "x",
      "--json",
      "--state-dir",
      dir,
    );
    expect(ran.code).toBe(0);
    expect(jsonLines(ran.stdout).at(-1)).toMatchObject({ type: "result", state: "succeeded" });
  });
});

describe("rollback CLI: destructive commands", () => {
  it("cleanup is a dry run without --yes; with --yes it destroys the failed color; never the live one", async () => {
    const dir = await stateDir();
    const fleet = freshIncidentFleet("staging");
    await writeWorld(dir, fleet);
    const live = await runCli("cleanup", "--color", "green", "--state-dir", dir);
    expect(live.code).toBe(3);

    expect((await runCli("rollback", "--mode", "fast", "--reason", "x", "--state-dir", dir)).code).toBe(0);
    const dry = await runCli("cleanup", "--color", "green", "--state-dir", dir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("re-run with --yes");
    const colors = (await status(dir)).facts.colors as Record<string, { anyMissing: boolean }>;
    expect(colors.green?.anyMissing).toBe(false);

    const done = await runCli(
      "cleanup",
      "--color",
      "green",
      "--yes",
      "--reason",
      "forensics done",
      "--state-dir",
      dir,
    );
    expect(done.code).toBe(0);
    const gone = (await status(dir)).facts.colors as Record<string, { anyMissing: boolean }>;
    expect(gone.green?.anyMissing).toBe(true);
  });

  it("restore-snapshot shows the data-loss report; does it only with --yes and --acknowledge-data-loss", async () => {
    const dir = await stateDir();
    const fleet = freshIncidentFleet("staging");
    await writeWorld(dir, fleet);
    const snapshot = `pre-deploy-${fleet.world.release("veza-staging-backend-green")}`;
    const args = ["restore-snapshot", "--container", "veza-staging-postgres", "--snapshot", snapshot];
    const dry = await runCli(...args, "--state-dir", dir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("DATA LOSS:");
    expect(dry.stdout).toContain("re-run with --yes --acknowledge-data-loss");
    const unacknowledged = await runCli(...args, "--yes", "--reason", "host broken", "--state-dir", dir);
    expect(unacknowledged.code).toBe(2);
    expect(unacknowledged.stderr).toContain("--acknowledge-data-loss");
    expect(await readdir(dir)).toEqual([FLEET_FILE]);
    const done = await runCli(
      ...args,
      "--yes",
      "--acknowledge-data-loss",
      "--reason",
      "host broken",
      "--json",
      "--state-dir",
      dir,
    );
    expect(done.code).toBe(0);
    expect(jsonLines(done.stdout).at(-1)).toMatchObject({ type: "result", state: "succeeded" });
  });
});

describe("rollback CLI: resume after the process was killed", () => {
  /** Runs a fast rollback and SIGKILLs it as soon as its journal holds a record matching `at`. */
  async function killAt(dir: string, at: (line: string) => boolean): Promise<string> {
    const { child, done } = startCli([
      "rollback",
      "--mode",
      "fast",
      "--reason",
      "x",
      "--lock-ttl",
      "1",
      "--state-dir",
      dir,
    ]);
    const journalDir = join(dir, "journal");
    let runId = "";
    const watcher = setInterval(async () => {
      const files = await readdir(journalDir).catch(() => [] as string[]);
      const file = files.find((f) => f.endsWith(".jsonl"));
      if (!file) return;
      const text = await readFile(join(journalDir, file), "utf8").catch(() => "");
      if (text.split("\n").some(at)) {
        runId = file.slice(0, -".jsonl".length);
        child.kill("SIGKILL");
      }
    }, 2);
    const ran = await done;
    clearInterval(watcher);
    expect(ran.code).toBeNull();
    expect(runId).not.toBe("");
    return runId;
  }

  const points: [string, (line: string) => boolean][] = [
    ["when the flip starts", (l) => l.includes('"step.started"') && l.includes('"stepId":"activate"')],
    ["when the record starts", (l) => l.includes('"step.started"') && l.includes('"stepId":"record"')],
    ["when the checks run", (l) => l.includes('"to":"checking"')],
  ];
  for (const [when, at] of points)
    it(`killed ${when}: status shows it in flight; resume waits for the stale lock, then converges`, async () => {
      const dir = await stateDir();
      const runId = await killAt(dir, at);
      const seen = await status(dir);
      expect(seen.runsInFlight).toEqual([expect.objectContaining({ runId, path: "fast-flip" })]);
      expect(seen.lock).not.toBeNull();

      await new Promise((r) => setTimeout(r, 1_200)); // the killed run's 1 s lease lapses
      const refused = await runCli("resume", runId, "--state-dir", dir);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(/stale/i);

      const resumed = await runCli("resume", runId, "--break-stale-lock", "--state-dir", dir);
      expect(resumed.code).toBe(0);
      const after = await status(dir);
      expect(after.facts.activeColor).toBe("blue");
      expect((after.facts.history as { color: string }[])[0]?.color).toBe("blue");
      expect(after.facts.publicHealth).toMatchObject({ healthy: true });
      expect(after.runsInFlight).toEqual([]);
      expect(after.lock).toBeNull();

      const again = await runCli("resume", runId, "--state-dir", dir);
      expect(again.code).toBe(0);
    });

  it("resume --revert undoes a killed run's completed changes", async () => {
    const dir = await stateDir();
    const runId = await killAt(dir, (l) => l.includes('"step.started"') && l.includes('"stepId":"record"'));
    await new Promise((r) => setTimeout(r, 1_200));
    const reverted = await runCli("resume", runId, "--revert", "--break-stale-lock", "--state-dir", dir);
    expect(reverted.code).toBe(1);
    const after = await status(dir);
    expect(after.facts.activeColor).toBe("green");
    expect(after.runsInFlight).toEqual([]);
    expect(after.lock).toBeNull();
  });
});

/** The lab is up: its backends, and its registry's connection facts in `$BACKFLIP_BACKENDS_DIR/lab/` with the process alive. */
const labUp =
  backendEnv("incus") !== null &&
  backendEnv("haproxy") !== null &&
  (await registryAlive(readRegistryState()))._unsafeUnwrap();

// Read-only on purpose: the lab's own end-to-end tests flip it, and test files run in parallel.
describe.skipIf(skipUnlessBackend(labUp, "the lab", "pnpm lab up"))(
  "rollback CLI: --target lab (read-only)",
  () => {
    it("status reads the real lab: env lab, every color's containers, the lock", async () => {
      const ran = await runCli("status", "--target", "lab", "--json", "--state-dir", await stateDir());
      expect(ran.code).toBe(0);
      const seen = JSON.parse(ran.stdout) as {
        target: string;
        facts: { env: string; colors: Record<string, unknown> };
      };
      expect(seen.target).toBe("lab");
      expect(seen.facts.env).toBe("lab");
      expect(Object.keys(seen.facts.colors).sort()).toEqual(["blue", "green"]);
    });

    it("plan --mode full on the lab renders Path 2 with the real container names, changing nothing", async () => {
      const dir = await stateDir();
      const seen = JSON.parse(
        (await runCli("status", "--target", "lab", "--json", "--state-dir", dir)).stdout,
      ) as {
        facts: { priorSha: string | null };
      };
      const sha = seen.facts.priorSha ?? "";
      const ran = await runCli(
        "plan",
        "--target",
        "lab",
        "--mode",
        "full",
        "--release-sha",
        sha,
        "--state-dir",
        dir,
      );
      expect(ran.code).toBe(0);
      expect(ran.stdout).toContain("Plan redeploy on lab");
      expect(ran.stdout).toContain("veza-lab-");
      expect(await readdir(dir)).toEqual([]);
    });
  },
);
