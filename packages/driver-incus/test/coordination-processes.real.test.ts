import { skipUnlessBackend } from "@backflip/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { coordination, removeAnchors, uniquePrefix } from "./coordination-lab";
import { incusAvailable, incusSocket } from "./incus-lab";
import { LineChild } from "./processes/line-child";

const skip = skipUnlessBackend(await incusAvailable(), "incus", "scripts/backends up incus");
const prefixes: string[] = [];

async function expectLine(child: LineChild, start: string): Promise<string> {
  const line = await child.next();
  if (line === null) throw new Error(`child exited before printing ${start}: ${(await child.end()).stderr}`);
  expect(line.startsWith(start), line).toBe(true);
  return line;
}

describe.skipIf(skip)(
  "separate processes contend through the Incus anchor (real)",
  { timeout: 180_000 },
  () => {
    afterEach(async () => {
      for (const prefix of prefixes.splice(0)) await removeAnchors(prefix);
    });

    it("two laptops: exactly one runs, the other gets lock_held naming the holder; any machine reads the run", async () => {
      const prefix = uniquePrefix("lap");
      prefixes.push(prefix);
      const laptops = ["alice@laptop-a", "bob@laptop-b"].map(
        (owner) => new LineChild("./laptop.ts", { socketPath: incusSocket, prefix, owner, holdMs: 1_500 }),
      );
      for (const l of laptops) await expectLine(l, "ready");
      for (const l of laptops) l.send("go");
      const results = await Promise.all(
        laptops.map(async (l) => {
          const line = await l.next();
          const exit = await l.end();
          expect(exit.code, exit.stderr).toBe(0);
          return JSON.parse(line ?? "{}") as Record<string, unknown>;
        }),
      );
      const ran = results.filter((r) => r.ran);
      const refused = results.filter((r) => !r.ran);
      expect(ran).toHaveLength(1);
      expect(ran[0]).toMatchObject({ state: "succeeded", live: "blue" });
      expect(refused).toHaveLength(1);
      const winner = results.indexOf(ran[0]!) === 0 ? "alice@laptop-a" : "bob@laptop-b";
      expect(refused[0]).toMatchObject({ kind: "lock_held", owner: `${winner} run ${ran[0]!.runId}` });
      expect(String(refused[0]!.message)).toContain(winner);

      // A third machine (this process) sees the winner's whole run, and a free lease.
      const third = coordination(prefix);
      expect((await third.journal.list())._unsafeUnwrap()).toEqual([ran[0]!.runId]);
      const records = (await third.journal.read(String(ran[0]!.runId)))._unsafeUnwrap();
      expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
      expect(records.at(-1)?.event).toMatchObject({ type: "plan.finished", state: "succeeded" });
      expect((await third.lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
      await third.close();
    });

    it("eight processes racing 100 rounds: one holder a round, epochs increasing, every record once", async () => {
      const prefix = uniquePrefix("race");
      prefixes.push(prefix);
      const env = "race";
      const runId = `race-${prefix}`;
      const racers = Array.from(
        { length: 8 },
        (_, i) =>
          new LineChild("./racer.ts", { socketPath: incusSocket, prefix, env, runId, name: `racer-${i}` }),
      );
      for (const r of racers) await expectLine(r, "ready");
      const winners: Array<{ racer: string; token: number }> = [];
      for (let round = 0; round < 100; round++) {
        for (const r of racers) r.send(`go ${round}`);
        const answers = await Promise.all(racers.map((r) => r.next()));
        const won = answers.flatMap((a, i) => (a?.startsWith("won ") ? [i] : []));
        expect(won, answers.join(" | ")).toHaveLength(1);
        const index = won[0]!;
        const token = Number(answers[index]!.slice(4));
        for (const [i, a] of answers.entries()) {
          if (i !== index) expect(a).toBe(`lost racer-${index} round ${round}`);
        }
        expect(token).toBeGreaterThan(winners.at(-1)?.token ?? 0);
        winners.push({ racer: `racer-${index}`, token });
        racers[index]!.send("release");
        expect(await racers[index]!.next()).toBe("released");
      }
      for (const r of racers) expect((await r.end()).code).toBe(0);

      const reader = coordination(prefix);
      const records = (await reader.journal.read(runId))._unsafeUnwrap();
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      const logged = records.map((r) => JSON.parse((r.event as { message: string }).message));
      expect(logged).toEqual(winners.map((w, round) => ({ round, ...w })));
      await reader.close();
    });
  },
);
