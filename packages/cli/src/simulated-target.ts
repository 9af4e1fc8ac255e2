import { mkdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import {
  type AppendOptions,
  type DriverError,
  driverError,
  type Journal,
  type JournalRecord,
} from "@backflip/core";
import { LocalShellFiles } from "@backflip/core/driver-kit";
import { createFleet, type Fleet, restoreFleet, snapshotFleet } from "@backflip/driver-mock";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { Coordination } from "./coordination";
import { addLatencies, simulatedTopology } from "./simulated-fleet";
import type { Target } from "./target";

/** The file holding the simulated world between CLI invocations. */
export const FLEET_FILE = "fleet.json";

const DRIVER = "rollback-cli";

/**
 * The journal of the simulated target: saves the world to `fleet.json` before every
 * record is appended. The world on disk is therefore never behind the journal — like a
 * real fleet, whose changes are made before the step that made them is recorded — so a
 * process killed at any point leaves a state `resume` can reconcile. `startsRun` is called
 * before the first record: this process runs something.
 */
class WorldSavingJournal implements Journal {
  readonly name: string;
  /** True once a record was appended through this journal: this process ran something. */
  appended = false;

  constructor(
    readonly inner: Journal,
    readonly saveWorld: () => ResultAsync<void, DriverError>,
    readonly startsRun: () => void,
  ) {
    this.name = `${inner.name} (world saved before each record)`;
  }

  append(runId: string, record: JournalRecord, options?: AppendOptions): ResultAsync<void, DriverError> {
    if (!this.appended) this.startsRun();
    this.appended = true;
    return this.saveWorld().andThen(() => this.inner.append(runId, record, options));
  }

  read(runId: string): ResultAsync<JournalRecord[], DriverError> {
    return this.inner.read(runId);
  }

  list(): ResultAsync<string[], DriverError> {
    return this.inner.list();
  }
}

/**
 * A fresh simulated world for `env`: blue and green running, green active — and green's
 * deploy is bad (its containers answer unhealthy, so the public probe fails), which is
 * the incident the runbook starts from.
 */
export function freshIncidentFleet(env: string): Fleet {
  const fleet = createFleet({ topology: simulatedTopology(env), now: new Date(), clock: "realtime" });
  fleet.world.setColor("green", { healthy: false });
  return fleet;
}

function readFleet(path: string, env: string): ResultAsync<{ fleet: Fleet; fresh: boolean }, DriverError> {
  return ResultAsync.fromPromise(readFile(path, "utf8"), (cause) => cause as NodeJS.ErrnoException)
    .map((text): string | null => text)
    .orElse((cause) =>
      cause.code === "ENOENT"
        ? okAsync<string | null, DriverError>(null)
        : errAsync(
            driverError({
              driver: DRIVER,
              op: "open",
              reason: "unavailable",
              message: `cannot read ${path}: ${cause.message}`,
              cause,
            }),
          ),
    )
    .andThen((text) => {
      if (text === null) return okAsync({ fleet: freshIncidentFleet(env), fresh: true });
      const bad = (message: string) =>
        errAsync(
          driverError({
            driver: DRIVER,
            op: "open",
            reason: "invalid_input",
            message: `${path}: ${message}`,
            hint: "use another --state-dir, or delete the file to start from a fresh simulated world",
          }),
        );
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (cause) {
        return bad(`not JSON (${(cause as Error).message})`);
      }
      const fleet = restoreFleet(json, { now: new Date(), clock: "realtime" });
      if (fleet.isErr()) return bad(fleet.error.message);
      if (fleet.value.topology.env !== env)
        return bad(`the simulated fleet there is for env ${fleet.value.topology.env}, not ${env}`);
      return okAsync({ fleet: fleet.value, fresh: false });
    });
}

/**
 * The simulated target: the fleet of `@backflip/driver-mock`, kept in
 * `<state-dir>/fleet.json` between invocations (a fresh incident world when missing),
 * with real-world-ish latencies once a run starts, so its progress shows time passing (a
 * read — status, decide, a dry run — answers at once). Journal and lock are the
 * coordination store's, as for a real target.
 */
export function openSimulatedTarget(
  env: string,
  stateDir: string,
  stores: Coordination,
): ResultAsync<Target, DriverError> {
  const path = join(resolve(stateDir), FLEET_FILE);
  return readFleet(path, env).map(({ fleet, fresh }) => {
    const saveWorld = () => {
      const snap = snapshotFleet(fleet);
      return snap.isErr()
        ? errAsync(snap.error)
        : ResultAsync.fromPromise(mkdir(dirname(path), { recursive: true }), (cause) =>
            driverError({
              driver: "rollback-cli",
              op: "write",
              reason: "unavailable",
              message: `cannot create ${dirname(path)}: ${(cause as Error).message}`,
              hint: "check the state directory (permissions, disk full)",
            }),
          ).andThen(() =>
            new LocalShellFiles().writeFileAtomic(resolve(path), `${JSON.stringify(snap.value)}\n`, {
              mode: 0o600,
            }),
          );
    };
    const journal = new WorldSavingJournal(stores.journal, saveWorld, () => addLatencies(fleet));
    return {
      kind: "simulated" as const,
      description: `simulated fleet (${fresh ? "fresh incident world, not saved yet" : path})`,
      topology: fleet.topology,
      drivers: fleet.drivers,
      journal,
      lock: stores.lock,
      coordination: stores,
      // only a process that ran something saves: one refused by the lock must not write
      // its stale copy over the world the lock holder is changing
      save: () => (journal.appended ? saveWorld() : okAsync(undefined)),
      close: async () => undefined,
    };
  });
}
