/**
 * One "laptop" of the two-laptops test: its own process, its own local dir (HOME and
 * TMPDIR point into it), the driver-mock fleet as the environment, and the team's etcd as
 * the only shared thing. Once it reads `go` on stdin (after printing `ready`) it runs a fast flip with a first step that holds the
 * lease for `holdMs`, and prints what happened as one JSON line.
 *
 * argv[2]: JSON { endpoints, prefix, owner, holdMs }
 */
import { runPlan } from "@backflip/core";
import { createEtcdCoordination } from "../../src/index";
import { holdingFlip } from "./holding-flip";

interface LaptopInput {
  readonly endpoints: string[];
  readonly prefix: string;
  readonly owner: string;
  readonly holdMs: number;
}

const input = JSON.parse(process.argv[2] ?? "{}") as LaptopInput;
const store = createEtcdCoordination({ endpoints: input.endpoints, prefix: input.prefix })._unsafeUnwrap();
const { fleet, plan } = await holdingFlip(input.owner, input.holdMs);
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
