/**
 * One "laptop" of the two-laptops test: its own process with its own local dir (HOME and
 * TMPDIR), the driver-mock fleet as the environment, and the team's Incus anchor as the
 * only shared thing. It prints `ready`, waits for a line on stdin, then runs a fast flip
 * whose first step holds the lease `holdMs`, and prints what happened as one JSON line.
 *
 * argv[2]: JSON { socketPath, prefix, owner, holdMs }
 */
import { createPlan, runPlan, type Step } from "@backflip/core";
import { fastFlip } from "@backflip/core/recipes";
import { createFleet } from "@backflip/driver-mock";
import { ResultAsync } from "neverthrow";
import { createIncusCoordination } from "../../src/create-incus-coordination";
import { nextLine } from "./child-lines";

interface LaptopInput {
  readonly socketPath: string;
  readonly prefix: string;
  readonly owner: string;
  readonly holdMs: number;
}

const input = JSON.parse(process.argv[2] ?? "{}") as LaptopInput;
const store = createIncusCoordination({
  socketPath: input.socketPath,
  prefix: input.prefix,
  actor: input.owner,
})._unsafeUnwrap();
const fleet = createFleet({ clock: "realtime" });
fleet.world.setColor("green", { healthy: false });
const flip = (
  await fastFlip(fleet.topology, fleet.drivers, { actor: input.owner, reason: "two laptops" })
)._unsafeUnwrap();
const hold: Step = {
  id: "hold",
  title: `holds the lease ${input.holdMs} ms`,
  kind: "check",
  describe: () => [],
  run: () => ResultAsync.fromSafePromise(new Promise((r) => setTimeout(r, input.holdMs))).map(() => null),
};
const plan = createPlan(flip.intent, [hold, ...flip.steps])._unsafeUnwrap();
process.stdout.write("ready\n");
await nextLine();
const result = await runPlan(plan, {
  journal: store.journal,
  lock: store.lock,
  owner: input.owner,
  lockTtlMs: 10_000,
});
process.stdout.write(
  `${JSON.stringify(
    result.isOk()
      ? {
          ran: true,
          state: result.value.state,
          runId: result.value.runId,
          live: fleet.world.traffic().liveColor,
        }
      : { ran: false, kind: result.error.kind, owner: result.error.owner, message: result.error.message },
  )}\n`,
);
await store.close();
process.stdin.destroy();
