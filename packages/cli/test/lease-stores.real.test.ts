import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { EXIT } from "../src/exit-codes";
import { backflipIn, describeEachStore, stateDir } from "./test-support";

describeEachStore("h24l", "backflip lease and postmortem", 120_000, (store, newEnv) => {
  it("lease break records who broke the stale lease and why; lease show lists the break", async () => {
    const env = newEnv("lb");
    const client = store.open();
    const owner = "bob via backflip (bob@laptop-b pid 4242) run 20261207T041434Z-daecda";
    const lease = (await client.lock.acquire(env, { owner, ttlMs: 1000 }))._unsafeUnwrap();
    await client.close();
    const dir = await stateDir();
    const breakIt = ["lease", "break", "--env", env, "--yes", ...store.args];
    const live = await backflipIn(dir, [...breakIt, "--reason", "x"]);
    expect(live.code).toBe(EXIT.locked);
    await sleep(2500); // stale on the store's clock too
    const broke = await backflipIn(dir, [
      ...breakIt,
      "--reason",
      "bob's laptop died mid-run",
      "--actor",
      "carol",
      "--json",
    ]);
    expect(broke.code, broke.stderr).toBe(EXIT.ok);
    const record = JSON.parse(broke.stdout);
    expect(record).toMatchObject({ type: "lease-break", broken: true, lease: { token: lease.token } });
    expect(record.brokenBy).toMatch(/^carol via backflip \(.+\), because: bob's laptop died mid-run$/);
    const shown = await backflipIn(dir, ["lease", "show", "--env", env, ...store.args]);
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout).toContain(`  ${env}: free`);
    expect(shown.stdout).toMatch(
      new RegExp(
        `^  ${env}: carol via backflip .*, because: bob's laptop died mid-run broke the stale lease of ${owner.replace(/[()]/g, "\\$&")} \\(token ${lease.token},`,
        "m",
      ),
    );
  });

  it("postmortem reads a run from the shared journal", async () => {
    const env = newEnv("pm");
    const dir = await stateDir();
    const ran = await backflipIn(dir, [
      "rollback",
      "--mode",
      "fast",
      "--env",
      env,
      "--reason",
      "green 500s",
      ...store.args,
    ]);
    expect(ran.code, ran.stderr).toBe(EXIT.ok);
    const runs = await backflipIn(dir, ["runs", "--env", env, "--json", ...store.args]);
    const runId = (JSON.parse(runs.stdout) as { runId: string }).runId;
    // from another machine: no local state, only the shared store
    const pm = await backflipIn(await stateDir(), ["postmortem", runId, "--json", ...store.args]);
    expect(pm.code, pm.stderr).toBe(EXIT.ok);
    expect(JSON.parse(pm.stdout)).toMatchObject({ runId, env, state: "succeeded", reason: "green 500s" });
  });
});
