import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { coordination, deletePrefix, ENDPOINTS, freshPrefix, skipEtcd } from "./support/etcd-backend";
import { spawnChild } from "./support/spawn-child";

const PROCESSES = 8;
const ROUNDS = 100;

interface Reply {
  readonly round: number;
  readonly won?: boolean;
  readonly token?: number;
  readonly holder?: string;
  readonly reason?: string;
  readonly appended?: boolean;
}

/** A racer process and a way to send it a line and await its one-line JSON answer. */
async function startRacer(prefix: string, owner: string) {
  const child = await spawnChild("./racer.ts", { endpoints: ENDPOINTS, prefix, owner });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let errors = "";
  child.stderr.on("data", (c: Buffer) => {
    errors += c.toString();
  });
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`racer ${owner} exited: ${errors}`);
    return line.value;
  };
  expect(await next()).toBe("ready");
  return {
    owner,
    ask: async (line: string): Promise<Reply> => {
      child.stdin.write(`${line}\n`);
      return JSON.parse(await next()) as Reply;
    },
    exit: () =>
      new Promise<void>((resolve) => {
        child.once("close", () => resolve());
        child.stdin.end("exit\n");
      }),
  };
}

describe.skipIf(skipEtcd)("eight processes race for one environment through etcd (real)", () => {
  it(`${ROUNDS} rounds: exactly one holder per round, tokens strictly increasing, no journal record lost or duplicated`, {
    timeout: 600_000,
  }, async () => {
    const prefix = freshPrefix("race");
    const racers = await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) => startRacer(prefix, `racer ${i}`)),
    );
    const winners: { owner: string; token: number }[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const replies = await Promise.all(racers.map((r) => r.ask(`acquire ${round}`)));
        const won = replies.flatMap((reply, i) => (reply.won ? [{ reply, racer: racers[i]! }] : []));
        expect(won, `round ${round}`).toHaveLength(1);
        const winner = won[0]!;
        for (const reply of replies.filter((r) => !r.won)) {
          expect(reply).toMatchObject({ reason: "conflict", holder: winner.racer.owner });
        }
        winners.push({ owner: winner.racer.owner, token: winner.reply.token! });
        expect(await winner.racer.ask(`append ${round}`)).toEqual({ round, appended: true });
      }
    } finally {
      await Promise.all(racers.map((r) => r.exit()));
    }
    for (let i = 1; i < winners.length; i++) expect(winners[i]!.token).toBeGreaterThan(winners[i - 1]!.token);
    const store = coordination({ prefix });
    const records = (await store.journal.read("race"))._unsafeUnwrap();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i));
    expect(records.map((r) => (r.event as unknown as { output: unknown }).output)).toEqual(
      winners.map((w, round) => ({ round, ...w })),
    );
    await store.close();
    await deletePrefix(prefix);
  });
});
