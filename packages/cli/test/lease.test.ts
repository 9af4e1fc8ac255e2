import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { FileLeaseLock } from "@backflip/core";
import { describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes";
import { backflipIn, stateDir } from "./test-support";

const RUN = "20261207T041434Z-daecda";

/** `dir`'s file lock, holding `env` as a killed CLI run would have: live for `ttlMs`, then stale. */
async function hold(dir: string, env: string, ttlMs: number) {
  const lock = new FileLeaseLock({ dir: join(dir, "locks") });
  const owner = `bob via backflip (bob@laptop-b pid 4242) run ${RUN}`;
  const lease = (await lock.acquire(env, { owner, ttlMs }))._unsafeUnwrap();
  if (ttlMs < 1000) await sleep(ttlMs + 20);
  return { lock, lease };
}

describe("backflip lease show", () => {
  it("names the holder, its run, since when, until when and the token; breaks: none kept by the file store", async () => {
    const dir = await stateDir();
    const { lease } = await hold(dir, "prod", 120_000);
    const shown = await backflipIn(dir, ["lease", "show", "--env", "prod"]);
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout).toMatch(
      new RegExp(
        `^  prod: held by bob via backflip .* run ${RUN} since ${lease.acquiredAt} \\(\\d+s ago\\), until ${lease.expiresAt} \\(token ${lease.token}\\)$`,
        "m",
      ),
    );
    expect(shown.stdout).toContain(`backflip resume ${RUN}`);
    expect(shown.stdout).toContain("breaks: this store (file) keeps no record of broken leases");
  });

  it("--json: one object with every lease (staging by default, free or not)", async () => {
    const dir = await stateDir();
    await hold(dir, "staging", 10);
    const shown = await backflipIn(dir, ["lease", "show", "--json"]);
    const lines = shown.stdout.split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({
      type: "leases",
      coordination: { kind: "file", shared: false, recordsBreaks: false },
      leases: [{ env: "staging", held: true, runId: RUN, stale: true }],
      breaks: null,
    });
  });

  it("bad usage: no action, an unknown one, a break-only flag", async () => {
    const dir = await stateDir();
    for (const argv of [["lease"], ["lease", "steal"], ["lease", "show", "--yes"]])
      expect((await backflipIn(dir, argv)).code).toBe(EXIT.usage);
  });
});

describe("backflip lease break", () => {
  it("refuses a live lease: exit 4 naming the holder and since when; the lease stays", async () => {
    const dir = await stateDir();
    const { lock, lease } = await hold(dir, "staging", 120_000);
    const refused = await backflipIn(dir, ["lease", "break", "--env", "staging", "--reason", "x", "--yes"]);
    expect(refused.code).toBe(EXIT.locked);
    expect(refused.stderr).toContain(`held by ${lease.owner} since ${lease.acquiredAt}`);
    expect((await lock.inspect("staging"))._unsafeUnwrap()?.lease.token).toBe(lease.token);
  });

  it("without --yes and no terminal: a dry run that says who holds it and since when; nothing changes", async () => {
    const dir = await stateDir();
    const { lock, lease } = await hold(dir, "staging", 10);
    const dry = await backflipIn(dir, [
      "lease",
      "break",
      "--env",
      "staging",
      "--reason",
      "bob's laptop died",
    ]);
    expect(dry.code).toBe(EXIT.ok);
    expect(dry.stdout).toContain(`staging: STALE — held by ${lease.owner} since ${lease.acquiredAt}`);
    expect(dry.stdout).toContain("re-run with --yes");
    expect((await lock.inspect("staging"))._unsafeUnwrap()?.stale).toBe(true);
  });

  it("on a terminal it asks; a no changes nothing, a yes breaks it and names the run to resume", async () => {
    const dir = await stateDir();
    const { lock } = await hold(dir, "staging", 10);
    const argv = ["lease", "break", "--env", "staging", "--reason", "bob's laptop died"];
    const asked: string[] = [];
    const answer = (yes: boolean) => async (question: string) => {
      asked.push(question);
      return yes;
    };
    const no = await backflipIn(dir, argv, answer(false));
    expect(no.stdout).toContain("nothing was changed.");
    expect((await lock.inspect("staging"))._unsafeUnwrap()).not.toBeNull();
    const yes = await backflipIn(dir, argv, answer(true));
    expect(asked).toEqual(["Break staging's stale lease?", "Break staging's stale lease?"]);
    expect(yes.code).toBe(EXIT.ok);
    expect(yes.stdout).toMatch(/^broke staging's stale lease of bob via backflip .* \(token \d+\)$/m);
    expect(yes.stdout).toContain(`backflip resume ${RUN}`);
    expect(yes.stderr).toContain("this store (file) keeps no record of the break");
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });

  it("--yes --json: one object for the break; a free lease has nothing to break", async () => {
    const dir = await stateDir();
    const { lease } = await hold(dir, "staging", 10);
    const argv = ["lease", "break", "--env", "staging", "--reason", "bob's laptop died", "--yes", "--json"];
    const broke = await backflipIn(dir, argv);
    expect(broke.code).toBe(EXIT.ok);
    expect(JSON.parse(broke.stdout)).toMatchObject({
      type: "lease-break",
      env: "staging",
      broken: true,
      lease: { token: lease.token, owner: lease.owner },
      runId: RUN,
      reason: "bob's laptop died",
    });
    const again = await backflipIn(dir, argv);
    expect(again.code).toBe(EXIT.ok);
    expect(JSON.parse(again.stdout)).toMatchObject({ broken: false, lease: null });
  });

  it("names the missing flags: --env and --reason are required", async () => {
    const missing = await backflipIn(await stateDir(), ["lease", "break"]);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toMatch(/--env: required.*--reason: required/);
  });
});
