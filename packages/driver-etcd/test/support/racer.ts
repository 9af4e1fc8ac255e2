/**
 * One racer of the eight-processes test, driven line by line on stdin:
 * - `acquire <round>`: tries to take the `prod` lease; prints `{ round, won, token?, holder? }`
 *   and keeps a won lease;
 * - `append <round>`: appends record `<round>` of run `race`, fenced by the lease it holds,
 *   then releases it; prints `{ round, appended, reason? }`;
 * - `exit`: closes the client and exits.
 *
 * argv[2]: JSON { endpoints, prefix, owner }
 */
import { createInterface } from "node:readline";
import type { Lease, RunEvent } from "@backflip/core";
import { createEtcdCoordination } from "../../src/index";

const input = JSON.parse(process.argv[2] ?? "{}") as { endpoints: string[]; prefix: string; owner: string };
const store = createEtcdCoordination({ endpoints: input.endpoints, prefix: input.prefix })._unsafeUnwrap();
const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
let held: Lease | undefined;

process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const [command, arg] = line.split(" ");
  const round = Number(arg);
  if (command === "acquire") {
    const got = await store.lock.acquire("prod", { owner: input.owner, ttlMs: 30_000 });
    held = got.isOk() ? got.value : undefined;
    say(
      got.isOk()
        ? { round, won: true, token: got.value.token }
        : { round, won: false, reason: got.error.reason, holder: got.error.details?.owner },
    );
  } else if (command === "append" && held) {
    const event = {
      type: "step.succeeded",
      runId: "race",
      at: new Date().toISOString(),
      elapsedMs: 0,
      stepId: "round",
      durationMs: 0,
      output: { round, owner: input.owner, token: held.token },
    } as unknown as RunEvent;
    const appended = await store.journal.append(
      "race",
      { seq: round, event },
      { fence: { key: "prod", token: held.token } },
    );
    await store.lock.release(held);
    held = undefined;
    say({
      round,
      appended: appended.isOk(),
      ...(appended.isErr() ? { reason: appended.error.message } : {}),
    });
  } else if (command === "exit") {
    break;
  }
}
await store.close();
