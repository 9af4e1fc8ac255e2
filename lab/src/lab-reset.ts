import type { DriverError, TrafficState, TrafficSwitch } from "@backflip/core";
import { okAsync, type ResultAsync } from "neverthrow";
import { inOrder } from "./in-order";
import { CANONICAL_RELEASE, canonicalTrafficState, LAB_ACTOR } from "./lab-canonical";
import { resetLabDatabase } from "./lab-database-reset";
import type { LabDrivers } from "./lab-drivers";
import { seedLabRegistry } from "./lab-registry-seed";
import { LAB_APP, labApps } from "./lab-settings";
import { waitHealthy } from "./lab-up";

/**
 * Puts one HAProxy of the lab back on the canonical color (a config rendered, installed,
 * reloaded and confirmed only when another color is live) and writes the canonical state
 * file and history. {@link resetLab} does it for edge 1; the fleet's reset for every edge.
 */
export function resetLabTraffic(
  traffic: TrafficSwitch,
  canonical: TrafficState = canonicalTrafficState(),
): ResultAsync<void, DriverError> {
  return traffic
    .liveRevision()
    .andThen((revision) => {
      if (revision?.startsWith(`${canonical.activeColor}:`)) return okAsync(undefined);
      return traffic
        .render({
          color: canonical.activeColor,
          sha: CANONICAL_RELEASE[canonical.activeColor] ?? "",
          runId: `lab-reset-${Date.now()}`,
          actor: LAB_ACTOR,
        })
        .andThen((cfg) =>
          traffic
            .install(cfg)
            .andThen(() => traffic.reload())
            .andThen(() => traffic.confirm(cfg.revision)),
        );
    })
    .andThen(() => traffic.writeState(canonical));
}

/**
 * Puts a provisioned lab back in the state `lab up` leaves it in, through the drivers:
 * every lab artifact in the registry, every app container RUNNING with its canonical
 * release (blue `current`, green `prior`), HAProxy routing to blue, the canonical state
 * file and history, and the public URL answering from blue; and `veza-lab-postgres`
 * running with its snapshots and data as `lab up` leaves them ({@link resetLabDatabase}).
 * Tests call it so that they run in any order, and twice in a row.
 */
export function resetLab(d: LabDrivers): ResultAsync<void, DriverError> {
  const { host, traffic, topology } = d;
  const canonical = canonicalTrafficState();
  const apps = labApps(topology);
  return seedLabRegistry(d.registry, topology)
    .andThen(() =>
      inOrder(apps, (app) =>
        host.start(app.name, { timeoutS: 60 }).andThen(() =>
          host.pushFile(app.name, LAB_APP.releaseFile, `${CANONICAL_RELEASE[app.color] ?? ""}\n`, {
            mode: 0o644,
          }),
        ),
      ),
    )
    .andThen(() => resetLabTraffic(traffic, canonical))
    .andThen(() =>
      inOrder(apps, (app) =>
        waitHealthy(
          d.probe,
          `http://127.0.0.1:${app.port}${topology.containers.healthPath}`,
          `"status":"ok"`,
        ),
      ),
    )
    .andThen(() => waitHealthy(d.probe, topology.publicHealthUrl, `"color":"${canonical.activeColor}"`))
    .andThen(() => resetLabDatabase(d));
}
