import { describe, expect, it } from "vitest";
import { coordination, deletePrefix, ENDPOINTS, freshPrefix, skipEtcd } from "./support/etcd-backend";
import { gated, spawnChild } from "./support/spawn-child";

describe.skipIf(skipEtcd)("two laptops contend for one environment through etcd (real)", () => {
  it("exactly one runs; the other gets lock_held naming the holder; the run is readable from anywhere", {
    timeout: 180_000,
  }, async () => {
    const prefix = freshPrefix("laptops");
    const laptops = await Promise.all(
      ["alice@laptop-a", "bob@laptop-b"].map(async (owner) =>
        gated(await spawnChild("./laptop.ts", { endpoints: ENDPOINTS, prefix, owner, holdMs: 1_500 })),
      ),
    );
    await Promise.all(laptops.map((l) => l.ready));
    for (const l of laptops) l.go();
    const results = await Promise.all(
      laptops.map(async (l) => JSON.parse(await l.output) as Record<string, unknown>),
    );
    const ran = results.filter((r) => r.ran);
    const refused = results.filter((r) => !r.ran);
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatchObject({ state: "succeeded", live: "blue" });
    expect(refused).toHaveLength(1);
    const winner = results.indexOf(ran[0]!) === 0 ? "alice@laptop-a" : "bob@laptop-b";
    expect(refused[0]).toMatchObject({ kind: "lock_held", owner: `${winner} run ${ran[0]!.runId}` });
    expect(String(refused[0]!.message)).toContain(winner);

    // A third machine sees the winner's run in the shared journal, and a free lease.
    const third = coordination({ prefix });
    expect((await third.journal.list())._unsafeUnwrap()).toEqual([ran[0]!.runId]);
    const records = (await third.journal.read(String(ran[0]!.runId)))._unsafeUnwrap();
    expect(records.at(-1)?.event.type).toBe("plan.finished");
    expect((await third.lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
    await third.close();
    await deletePrefix(prefix);
  });
});
