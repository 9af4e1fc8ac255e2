import { rm } from "node:fs/promises";
import { type DriverError, driverError } from "@backflip/core";
import { createIncusHost } from "@backflip/driver-incus";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { inOrder } from "./in-order";
import { teardownLabPool } from "./lab-pool-teardown";
import { stopLabRegistry } from "./lab-registry";
import { LAB_EDGES, labApps, labStateDir, labTopology } from "./lab-settings";
import { LAB_SITE, labIncusOptions } from "./lab-site";

/**
 * `pnpm lab down`: removes everything `lab up` made — every lab container, the fleet's
 * three edges included (force-stopped first, through driver-incus), the fake registry process, the ZFS pool `rpool` with
 * `veza-lab-postgres`'s dataset and snapshots (over SSH), and the lab state dir (the
 * pool's file with it).
 * Idempotent: what is already gone is skipped.
 */
export function labDown(log: (line: string) => void = () => {}): ResultAsync<void, DriverError> {
  const topology = labTopology();
  const names = [
    ...labApps(topology).map((a) => a.name),
    ...LAB_EDGES.map((e) => e.container),
    ...(LAB_SITE.full ? [topology.database.container] : []),
  ];
  const host = labIncusOptions().andThen((options) => createIncusHost(options));
  if (host.isErr()) return errAsync(host.error);
  const h = host.value;
  return (
    stopLabRegistry()
      .map((stopped) => log(stopped ? "registry: stopped" : "registry: not running"))
      .andThen(() =>
        inOrder(names, (name) =>
          h
            .delete(name, { stopFirst: true })
            .map(() => log(`${name}: deleted`))
            .orElse((e) => (e.reason === "not_found" ? okAsync(log(`${name}: absent`)) : errAsync(e))),
        ),
      )
      // The pool is the host lab's alone: the cluster lab has no veza-lab-postgres.
      .andThen(() => (LAB_SITE.full ? teardownLabPool(topology, log) : okAsync(undefined)))
      .andThen(() =>
        ResultAsync.fromPromise(rm(labStateDir(), { recursive: true, force: true }), (cause) =>
          driverError({
            driver: "lab",
            op: "down",
            reason: "failed",
            message: `could not remove ${labStateDir()}: ${cause instanceof Error ? cause.message : String(cause)}`,
          }),
        ),
      )
      .map(() => log(`state: removed ${labStateDir()}`))
      .andThen(() => h.close())
  );
}
