import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createPlan, defineStep, FileJournal, FileLeaseLock, runPlan } from "@backflip/core";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import { createEtcdCoordination } from "@backflip/driver-etcd";
import { createIncusCoordination, createIncusHost, incusSocketPath } from "@backflip/driver-incus";
import { okAsync } from "neverthrow";
import { afterAll, describe, expect, it } from "vitest";
import { FLEET_FILE } from "../../packages/cli/src/simulated-target";
import { runCli, startCli } from "./start-cli";

const stateDir = () => mkdtemp(join(tmpdir(), "rollback-cli-team-"));
const unique = (stem: string) => `${stem}-${randomBytes(3).toString("hex")}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    "rollback",
    "--mode",
    "fast",
    "--reason",
    "x",
    "--env",
    env,
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

/** A shared store the CLI can be pointed at, with how to clean up what a test left in it. */
interface SharedStore {
  readonly kind: "incus" | "etcd";
  readonly available: boolean;
  readonly setup: string;
  /** The CLI options that choose it. */
  readonly args: readonly string[];
  /** Holds `env`'s lease as `owner` through the store's own client; returns how to let go. */
  hold(env: string, owner: string): Promise<() => Promise<void>>;
  /** Who broke the stale lease on `env`, as the store recorded it. */
  brokenBy(env: string): Promise<string | undefined>;
  /** Removes everything the tests wrote under the prefix. */
  clean(envs: readonly string[]): Promise<void>;
}

const prefix = unique("h5t");
const etcd = backendEnv("etcd");
const incus = backendEnv("incus");

const stores: SharedStore[] = [
  {
    kind: "incus",
    available: incus !== null && existsSync(incusSocketPath()),
    setup: "scripts/backends up incus",
    args: ["--coordination", "incus", "--coordination-prefix", prefix],
    async hold(env, owner) {
      const store = createIncusCoordination({ prefix })._unsafeUnwrap();
      const lease = (await store.lock.acquire(env, { owner, ttlMs: 900_000 }))._unsafeUnwrap(); // outlives the test on a loaded machine
      return async () => {
        (await store.lock.release(lease))._unsafeUnwrap();
        await store.close();
      };
    },
    async brokenBy(env) {
      const store = createIncusCoordination({ prefix })._unsafeUnwrap();
      const breaks = (await store.lock.breaks(env))._unsafeUnwrap();
      await store.close();
      return breaks.at(-1)?.brokenBy;
    },
    async clean(envs) {
      const host = createIncusHost()._unsafeUnwrap();
      for (const env of envs)
        for (const kind of ["anchor", "archive"])
          await host.delete(`${prefix}-${kind}-${env}`, { stopFirst: true });
      await host.close();
    },
  },
  {
    kind: "etcd",
    available: etcd !== null,
    setup: "scripts/backends up etcd",
    args: [
      "--coordination",
      "etcd",
      "--etcd-endpoints",
      etcd?.ETCD_ENDPOINTS ?? "",
      "--coordination-prefix",
      prefix,
    ],
    async hold(env, owner) {
      const store = createEtcdCoordination({
        endpoints: (etcd?.ETCD_ENDPOINTS ?? "").split(","),
        prefix: `/${prefix}`,
      })._unsafeUnwrap();
      const lease = (await store.lock.acquire(env, { owner, ttlMs: 900_000 }))._unsafeUnwrap(); // outlives the test on a loaded machine
      return async () => {
        (await store.lock.release(lease))._unsafeUnwrap();
        await store.close();
      };
    },
    async brokenBy(env) {
      const store = createEtcdCoordination({
        endpoints: (etcd?.ETCD_ENDPOINTS ?? "").split(","),
        prefix: `/${prefix}`,
      })._unsafeUnwrap();
      const breaks = (await store.lock.breaks(env))._unsafeUnwrap();
      await store.close();
      return breaks.at(-1)?.brokenBy;
    },
    async clean() {
      await promisify(execFile)(etcd?.ETCDCTL_BIN ?? "etcdctl", [
        `--endpoints=${etcd?.ETCD_ENDPOINTS ?? ""}`,
        "del",
        "--prefix",
        `/${prefix}/`,
      ]);
    },
  },
];

for (const store of stores) {
  const envs: string[] = [];
  describe.skipIf(skipUnlessBackend(store.available, store.kind, store.setup))(
    `rollback CLI: two laptops through ${store.kind} (real)`,
    { timeout: 300_000 },
    () => {
      afterAll(() => store.clean(envs));

      it("a lease held on laptop A refuses laptop B's rollback (exit 4 naming the holder); status anywhere shows it", async () => {
        const env = unique("lap");
        envs.push(env);
        const release = await store.hold(env, "alice on laptop A");
        try {
          const laptopB = await stateDir();
          const refused = await runCli(
            "rollback",
            "--mode",
            "fast",
            "--reason",
            "x",
            "--env",
            env,
            "--state-dir",
            laptopB,
            ...store.args,
          );
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
        const env = unique("kill");
        envs.push(env);
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
        expect(await store.brokenBy(env)).toContain("bob via rollback-cli");
        const shown = (await runCli("status", "--env", env, "--state-dir", laptopB, ...store.args)).stdout;
        expect(shown).toMatch(
          new RegExp(
            `${env}: bob via rollback-cli .* broke the stale lease of tester via rollback-cli .* run ${runId}`,
          ),
        );
        const finished = jsonLines(
          (await runCli("runs", "--env", env, "--json", "--state-dir", laptopA, ...store.args)).stdout,
        );
        expect(finished).toEqual([
          expect.objectContaining({ runId, state: "succeeded", liveness: "finished" }),
        ]);
      });
    },
  );
}
