/**
 * One "laptop" of the two-laptops test: its own process, its own local dir (HOME and
 * TMPDIR point into it), the driver-mock fleet as the environment, and the team's etcd as
 * the only shared thing. Once it reads `go` on stdin (after printing `ready`) it runs a fast flip with a first step that holds the
 * lease for `holdMs`, and prints what happened as one JSON line.
 *
 * argv[2]: JSON { endpoints, prefix, owner, holdMs }
 */
import { createPlan, runPlan, type Step } from "@backflip/core";
import { fastFlip } from "@backflip/core/recipes";
import { createFleet } from "@backflip/driver-mock";
import { ResultAsync } from "neverthrow";
import { createEtcdCoordination } from "../../src/index";

interface LaptopInput {
  readonly endpoints: string[];
  readonly prefix: string;
  readonly owner: string;
  readonly holdMs: number;
}

const input = JSON.parse(process.argv[2] ?? "{}") as LaptopInput;
const store = createEtcdCoordination({ endpoints: input.endpoints, prefix: input.prefix })._unsafeUnwrap();
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
await new Promise((r) => process.stdin.once("data", r));
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
