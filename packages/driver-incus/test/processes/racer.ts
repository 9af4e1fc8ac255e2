/**
 * One of the racing processes: for each `go <round>` line on stdin it tries to take the
 * lease on `env`; the winner appends the round's record (seq = round, fenced by its
 * lease) to the run `runId` and answers `won <token>`, a loser answers `lost <owner>`.
 * `release` frees the winner's lease (`released`). Every answer is one stdout line.
 *
 * argv[2]: JSON { socketPath, prefix, env, runId, name }
 */
import type { Lease } from "@backflip/core";
import { createIncusCoordination } from "../../src/create-incus-coordination";
import { nextLine } from "./child-lines";

interface RacerInput {
  readonly socketPath: string;
  readonly prefix: string;
  readonly env: string;
  readonly runId: string;
  readonly name: string;
}

const input = JSON.parse(process.argv[2] ?? "{}") as RacerInput;
const store = createIncusCoordination({ socketPath: input.socketPath, prefix: input.prefix })._unsafeUnwrap();
const say = (line: string) => process.stdout.write(`${line}\n`);
let held: Lease | undefined;

say("ready");
for (let line = await nextLine(); line !== null; line = await nextLine()) {
  if (line.startsWith("go ")) {
    const round = Number(line.slice(3));
    const taken = await store.lock.acquire(input.env, {
      owner: `${input.name} round ${round}`,
      ttlMs: 60_000,
    });
    if (taken.isErr()) {
      say(
        taken.error.reason === "conflict"
          ? `lost ${taken.error.details?.owner}`
          : `error ${taken.error.message}`,
      );
      continue;
    }
    held = taken.value;
    const appended = await store.journal.append(
      input.runId,
      {
        seq: round,
        event: {
          type: "step.log",
          runId: input.runId,
          at: new Date().toISOString(),
          elapsedMs: 0,
          stepId: "race",
          message: JSON.stringify({ round, racer: input.name, token: held.token }),
        },
      },
      { fence: { key: input.env, token: held.token } },
    );
    say(appended.isOk() ? `won ${held.token}` : `error ${appended.error.message}`);
  } else if (line === "release" && held) {
    const released = await store.lock.release(held);
    held = undefined;
    say(released.isOk() ? "released" : `error ${released.error.message}`);
  }
}
await store.close();
