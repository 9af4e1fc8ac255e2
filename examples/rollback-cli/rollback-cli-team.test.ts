import { copyFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createPlan, defineStep, FileJournal, FileLeaseLock, runPlan } from "@backflip/core";
import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { FLEET_FILE } from "../../packages/cli/src/simulated-target";
import { describeEachStore, type SharedStore, stateDir } from "../../packages/cli/test/test-support";
import { runCli, startCli } from "./start-cli";

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

interface Status {
  facts: { activeColor: string; history: { color: string }[] };
  coordination: { kind: string; shared: boolean };
  runsInFlight: { runId: string; env: string; liveness: string }[];
  lock: { lease: { owner: string; acquiredAt: string }; stale: boolean } | null;
  leases: { env: string; lease: { lease: { owner: string }; stale: boolean } | null }[];
}

async function status(dir: string, ...args: string[]): Promise<Status> {
  const ran = await runCli("status", "--state-dir", dir, "--json", ...args);
  expect(ran.code, ran.stderr).toBe(0);
  return JSON.parse(ran.stdout) as Status;
}

/** The CLI arguments of a fast rollback on `env`. */
const fastFlip = (env: string) => ["rollback", "--mode", "fast", "--reason", "x", "--env", env];

/**
 * Starts a fast rollback on `env` with a `ttlS` lease and SIGKILLs it once its progress says
 * the flip started: the run is then cut short in the middle of its changes. Returns its run id.
 */
async function killMidFlip(
  dir: string,
  env: string,
  ttlS: number,
  store: readonly string[],
): Promise<string> {
  const { child, done } = startCli([
    ...fastFlip(env),
    "--lock-ttl",
    String(ttlS),
    "--state-dir",
    dir,
    ...store,
  ]);
  let seen = "";
  child.stdout?.on("data", (d: Buffer) => {
    seen += d.toString();
    if (/▶ Install the blue config/.test(seen)) child.kill("SIGKILL");
  });
  const ran = await done;
  expect(ran.code, ran.stdout + ran.stderr).toBeNull();
  const runs = jsonLines((await runCli("runs", "--env", env, "--state-dir", dir, "--json", ...store)).stdout);
  const runId = String(runs[0]?.runId ?? "");
  expect(runId).not.toBe("");
  return runId;
}

/** Journals a finished one-step run on `env` in the state directory's file store, as any program using the SDK would. */
async function journalRunOn(dir: string, env: string): Promise<void> {
  const step = defineStep({
    id: "note",
    title: "Note it",
    kind: "check",
    describe: () => [{ kind: "note", text: "nothing" }],
    run: () => okAsync({}),
  });
  const plan = createPlan({ path: "custom", env, actor: "dora", reason: "a script" }, [step])._unsafeUnwrap();
  const ran = await runPlan(plan, {
    journal: new FileJournal({ dir: join(dir, "journal") }),
    lock: new FileLeaseLock({ dir: join(dir, "locks") }),
  });
  expect(ran.isOk()).toBe(true);
}

describe("rollback CLI: choosing the coordination store (usage)", { timeout: 300_000 }, () => {
  const cases: [string, string[], RegExp][] = [
    [
      "an unknown store",
      ["status", "--coordination", "zookeeper"],
      /--coordination: expected one of file, incus, etcd/,
    ],
    [
      "etcd without endpoints",
      ["runs", "--coordination", "etcd"],
      /--coordination etcd needs --etcd-endpoints/,
    ],
    [
      "endpoints for another store",
      ["runs", "--etcd-endpoints", "http://127.0.0.1:2379"],
      /only for --coordination etcd/,
    ],
    ["a bad endpoint", ["runs", "--coordination", "etcd", "--etcd-endpoints", "ftp://x"], /--etcd-endpoints/],
    [
      "a bad prefix",
      ["runs", "--coordination", "incus", "--coordination-prefix", "Team_A"],
      /--coordination-prefix/,
    ],
    ["a bad limit", ["runs", "--limit", "0"], /--limit/],
  ];
  for (const [what, args, message] of cases)
    it(`${what}: exit 2 naming the flag, nothing written`, async () => {
      const dir = await stateDir();
      const ran = await runCli(...args, "--state-dir", dir);
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(message);
      expect(await readdir(dir)).toEqual([]);
    });
});

describe("rollback CLI: runs, leases and resume on the file store", { timeout: 300_000 }, () => {
  it("runs lists every environment's runs newest first (--env, --limit, --json); status shows each environment's lease", async () => {
    const dir = await stateDir();
    expect((await runCli("runs", "--state-dir", dir)).stdout).toContain("no runs in the journal");
    const flipped = await runCli("rollback", "--mode", "fast", "--reason", "flip", "--state-dir", dir);
    expect(flipped.code, flipped.stderr).toBe(0);
    await journalRunOn(dir, "prod"); // a script's run on another environment, in the same journal

    const all = jsonLines((await runCli("runs", "--json", "--state-dir", dir)).stdout);
    expect(all.map((r) => r.env)).toEqual(["prod", "staging"]);
    expect(all[0]).toMatchObject({ type: "run", path: "custom", actor: "dora", state: "succeeded" });
    expect(all[1]).toMatchObject({
      type: "run",
      path: "fast-flip",
      actor: "tester",
      reason: "flip",
      state: "succeeded",
      liveness: "finished",
    });
    expect(Date.parse(String(all[0]?.startedAt))).toBeGreaterThanOrEqual(
      Date.parse(String(all[1]?.startedAt)),
    );
    expect(
      jsonLines((await runCli("runs", "--env", "staging", "--json", "--state-dir", dir)).stdout).map(
        (r) => r.env,
      ),
    ).toEqual(["staging"]);
    expect(
      jsonLines((await runCli("runs", "--limit", "1", "--json", "--state-dir", dir)).stdout),
    ).toHaveLength(1);
    const text = await runCli("runs", "--state-dir", dir);
    expect(text.stdout).toMatch(
      new RegExp(
        `${String(all[1]?.runId)}\\s+staging\\s+fast-flip\\s+by tester\\s+started \\S+\\s+succeeded`,
      ),
    );

    // bob holds prod from another terminal; carol's lease on staging was left to expire
    const lock = new FileLeaseLock({ dir: join(dir, "locks") });
    expect((await lock.acquire("prod", { owner: "bob on another terminal", ttlMs: 120_000 })).isOk()).toBe(
      true,
    );
    expect((await lock.acquire("staging", { owner: "carol, gone", ttlMs: 1 })).isOk()).toBe(true);
    await sleep(20);
    const seen = await status(dir);
    expect(seen.coordination).toEqual({ kind: "file", shared: false });
    expect(seen.leases.map((l) => l.env)).toEqual(["prod", "staging"]);
    expect(seen.leases[0]?.lease).toMatchObject({
      lease: { owner: "bob on another terminal" },
      stale: false,
    });
    expect(seen.lock).toMatchObject({ lease: { owner: "carol, gone" }, stale: true });
    const printed = (await runCli("status", "--state-dir", dir)).stdout;
    expect(printed).toMatch(/prod: held by bob on another terminal since \S+ \(\d+s ago\), until \S+/);
    expect(printed).toMatch(/staging: STALE — held by carol, gone since \S+ \(\d+s ago\), expired/);
    (await lock.release((await lock.inspect("prod"))._unsafeUnwrap()!.lease))._unsafeUnwrap();
    const freed = (await runCli("status", "--state-dir", dir)).stdout;
    expect(freed).toContain("prod: free");
  });

  it("resume takes the run's environment from its journal; a contradicting --env is refused", async () => {
    const dir = await stateDir();
    const runId = await killMidFlip(dir, "prod", 2, []);
    const listed = jsonLines((await runCli("runs", "--json", "--state-dir", dir)).stdout);
    expect(listed[0]).toMatchObject({ runId, env: "prod", state: "changing" });
    await sleep(2_200); // the killed run's lease lapses
    expect(jsonLines((await runCli("runs", "--json", "--state-dir", dir)).stdout)[0]).toMatchObject({
      runId,
      liveness: "interrupted",
    });

    const wrong = await runCli("resume", runId, "--env", "staging", "--break-stale-lock", "--state-dir", dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`run ${runId} is on env prod, not staging`);
    const resumed = await runCli("resume", runId, "--break-stale-lock", "--state-dir", dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = await status(dir, "--env", "prod");
    expect(after.facts.activeColor).toBe("blue");
    expect(after.runsInFlight).toEqual([]);
    expect(after.lock).toBeNull();
  });
});

/** Holds `env`'s lease as `owner` through `store`'s own client (as laptop A would); returns how to let go. */
async function hold(store: SharedStore, env: string, owner: string): Promise<() => Promise<void>> {
  const client = store.open();
  const lease = (await client.lock.acquire(env, { owner, ttlMs: 900_000 }))._unsafeUnwrap(); // outlives the test on a loaded machine
  return async () => {
    (await client.lock.release(lease))._unsafeUnwrap();
    await client.close();
  };
}

/** Who broke the stale lease on `env`, as `store` recorded it. */
async function brokenBy(store: SharedStore, env: string): Promise<string | undefined> {
  const client = store.open();
  const breaks = (await client.lock.breaks(env))._unsafeUnwrap();
  await client.close();
  return breaks.at(-1)?.brokenBy;
}

describeEachStore("h5t", "rollback CLI: two laptops", 300_000, (store, newEnv) => {
  it("a lease held on laptop A refuses laptop B's rollback (exit 4 naming the holder); status anywhere shows it", async () => {
    const env = newEnv("lap");
    const release = await hold(store, env, "alice on laptop A");
    try {
      const laptopB = await stateDir();
      const refused = await runCli(...fastFlip(env), "--state-dir", laptopB, ...store.args);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain("alice on laptop A");
      const seen = await status(await stateDir(), "--env", env, ...store.args);
      expect(seen.coordination).toEqual({ kind: store.kind, shared: true });
      expect(seen.lock).toMatchObject({ lease: { owner: "alice on laptop A" }, stale: false });
      expect(seen.facts.activeColor).toBe("green");
    } finally {
      await release();
    }
  });

  it("a run killed on laptop A is listed, shown stale and resumed from laptop B, which has no local journal or lock", async () => {
    const env = newEnv("kill");
    const laptopA = await stateDir();
    const runId = await killMidFlip(laptopA, env, 3, store.args);
    expect(await readdir(laptopA)).toEqual([FLEET_FILE]); // only the simulated world: no journal, no locks

    // laptop B shares the infrastructure (the simulated world) and the store, nothing else
    const laptopB = await stateDir();
    await copyFile(join(laptopA, FLEET_FILE), join(laptopB, FLEET_FILE));
    await sleep(3_300); // the killed run's lease lapses
    const listed = jsonLines(
      (await runCli("runs", "--env", env, "--json", "--state-dir", laptopB, ...store.args)).stdout,
    );
    expect(listed).toEqual([
      expect.objectContaining({ runId, env, actor: "tester", liveness: "interrupted" }),
    ]);
    const seen = await status(laptopB, "--env", env, ...store.args);
    expect(seen.runsInFlight).toEqual([expect.objectContaining({ runId, liveness: "interrupted" })]);
    expect(seen.lock?.stale).toBe(true);
    expect(seen.lock?.lease.owner).toContain(`run ${runId}`);

    const refused = await runCli("resume", runId, "--state-dir", laptopB, ...store.args);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/stale/i);
    const resumed = await runCli(
      "resume",
      runId,
      "--break-stale-lock",
      "--actor",
      "bob",
      "--state-dir",
      laptopB,
      ...store.args,
    );
    expect(resumed.code, resumed.stderr).toBe(0);

    const after = await status(laptopB, "--env", env, ...store.args);
    expect(after.facts.activeColor).toBe("blue");
    expect(after.facts.history[0]?.color).toBe("blue");
    expect(after.runsInFlight).toEqual([]);
    expect(after.lock).toBeNull();
    expect(await readdir(laptopB)).toEqual([FLEET_FILE]);
    expect(await brokenBy(store, env)).toContain("bob via rollback-cli");
    const shown = (await runCli("status", "--env", env, "--state-dir", laptopB, ...store.args)).stdout;
    expect(shown).toMatch(
      new RegExp(
        `${env}: bob via rollback-cli .* broke the stale lease of tester via rollback-cli .* run ${runId}`,
      ),
    );
    const finished = jsonLines(
      (await runCli("runs", "--env", env, "--json", "--state-dir", laptopA, ...store.args)).stdout,
    );
    expect(finished).toEqual([expect.objectContaining({ runId, state: "succeeded", liveness: "finished" })]);
  });
});
