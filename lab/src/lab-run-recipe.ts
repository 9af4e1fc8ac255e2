/**
 * Runs ONE recipe on the lab, as its own process, with a {@link FileJournal} and a
 * {@link FileLeaseLock} under a given directory: what the lab's fault tests run as a
 * child process and kill from outside (SIGKILL). There is no kill switch in here.
 *
 * ```
 * tsx lab/src/lab-run-recipe.ts <fast-flip|redeploy|fleet-flip> <dir> <run-id> [options]
 *   --sha <sha>      redeploy: the SHA to roll back to (default: the lab's `old` release)
 *   --ttl-ms <n>     the lease's time-to-live (default: the runner's)
 *   --owner <name>   the lease owner (default: lab-child pid N)
 *   --incus-prefix <p>  journal and lease on the team's Incus anchors under prefix <p>
 *                    (`createIncusCoordination`) instead of files under <dir>
 *   --gate           after each journaled record, print `record <event type> [<step id>]` and wait for
 *                    one byte on stdin before going on: the watcher decides, between two
 *                    records, whether to let the run go on or to kill it
 * ```
 *
 * `fleet-flip` is Path 1 over the lab's three edges (`labFleetDrivers`, its degraded
 * marker in `<dir>/fleet.degraded`).
 * Journal: `<dir>/journal/<run-id>.jsonl`; locks: `<dir>/locks`. The last stdout line is
 * `result {"runId":…,"state":…}` (or `"kind"` when the run failed). Exit 0 when the run
 * succeeded, 1 when it did not, 2 on bad usage.
 * @module
 */
import { readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  FileJournal,
  FileLeaseLock,
  formatDriverError,
  type RollbackPlan,
  type RunEvent,
  runPlan,
} from "@backflip/core";
import { fastFlip, fleetFlip, redeploy } from "@backflip/core/recipes";
import { createIncusCoordination } from "@backflip/driver-incus";
import { labDrivers } from "./lab-drivers";
import { labFleetDrivers } from "./lab-fleet";
import { LAB_RELEASES } from "./lab-releases";

/** The recipes this runner runs: Path 1, Path 2 (native) and Path 1 over the lab's fleet. */
export const CHILD_RECIPES = ["fast-flip", "redeploy", "fleet-flip"] as const;

/** The public probe the child's Path 2 uses: restarted servers need a moment. */
export const CHILD_REDEPLOY_PROBE = { attempts: 30, deadlineMs: 30_000, intervalMs: 300 } as const;

const USAGE =
  "usage: lab-run-recipe <fast-flip|redeploy|fleet-flip> <dir> <run-id> [--sha SHA] [--ttl-ms N] [--owner NAME] [--incus-prefix P] [--gate]";

const say = (line: string) => writeSync(1, `${line}\n`);

/** Blocks the whole process until one byte arrives on stdin (the watcher's "go on"). */
function waitForGo(): void {
  const byte = Buffer.alloc(1);
  for (;;) {
    try {
      if (readSync(0, byte, 0, 1, null) === 1) return;
      process.exit(3); // the watcher went away
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      sha: { type: "string" },
      "ttl-ms": { type: "string" },
      owner: { type: "string" },
      "incus-prefix": { type: "string" },
      gate: { type: "boolean", default: false },
    },
  });
  const [recipe, dir, runId] = positionals;
  if (!recipe || !dir || !runId || !(CHILD_RECIPES as readonly string[]).includes(recipe)) {
    console.error(USAGE);
    return 2;
  }
  const fleet = recipe === "fleet-flip" ? labFleetDrivers({ markerPath: join(dir, "fleet.degraded") }) : null;
  const built = fleet ?? labDrivers();
  if (built.isErr()) {
    console.error(formatDriverError(built.error));
    return 2;
  }
  const d = built.value;
  const who = { actor: "lab-child", reason: "a lab fault test's child run" };
  const planned =
    fleet?.isOk() === true
      ? await fleetFlip(fleet.value.topology, fleet.value, who)
      : recipe === "fast-flip"
        ? await fastFlip(d.topology, d, who)
        : await redeploy(d.topology, d, {
            ...who,
            sha: values.sha ?? LAB_RELEASES.old,
            probe: CHILD_REDEPLOY_PROBE,
          });
  if (planned.isErr()) {
    say(`result ${JSON.stringify({ runId, kind: "planning", message: formatDriverError(planned.error) })}`);
    await d.host.close();
    return 1;
  }
  const plan: RollbackPlan = planned.value;
  const ttl = values["ttl-ms"] === undefined ? undefined : Number(values["ttl-ms"]);
  const prefix = values["incus-prefix"];
  const store = prefix === undefined ? undefined : createIncusCoordination({ prefix });
  if (store?.isErr()) {
    console.error(formatDriverError(store.error));
    return 2;
  }
  const team = store?._unsafeUnwrap();
  const result = await runPlan(plan, {
    journal: team?.journal ?? new FileJournal({ dir: join(dir, "journal") }),
    lock: team?.lock ?? new FileLeaseLock({ dir: join(dir, "locks") }),
    runId,
    owner: values.owner ?? `lab-child pid ${process.pid}`,
    ...(ttl === undefined ? {} : { lockTtlMs: ttl }),
    onEvent: values.gate
      ? (event: RunEvent) => {
          say(`record ${event.type}${"stepId" in event ? ` ${event.stepId}` : ""}`);
          waitForGo();
        }
      : undefined,
  });
  say(
    `result ${JSON.stringify(
      result.isOk()
        ? { runId, state: result.value.state }
        : {
            runId,
            kind: result.error.kind,
            owner: result.error.owner,
            stale: result.error.stale,
            message: result.error.message,
          },
    )}`,
  );
  await team?.close();
  await d.host.close();
  return result.isOk() ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (cause: unknown) => {
    console.error(cause);
    process.exitCode = 1;
  },
);
