import { type DriverError, driverError, type Topology } from "@backflip/core";
import type { IncusHost } from "@backflip/driver-incus";
import { errAsync, ResultAsync } from "neverthrow";
import { LAB_ACTOR } from "./lab-canonical";
import { labTrafficSwitch } from "./lab-drivers";
import { LAB_EDGES, type LabEdge } from "./lab-settings";

/** A run id of the lab's own mode changes (not a flip: nothing but the stamp of the configs). */
const modeRunId = (what: string, edge: LabEdge) => `lab-${what}-${edge.name}-${Date.now()}`;

/**
 * Puts one edge's HAProxy in runtime-map mode, routing to the color its state file
 * records: the map file written with that color, then the map-mode `haproxy.cfg` (which
 * loads it) installed through the reload-mode switch, reloaded and confirmed. A
 * `labTrafficSwitch(…, { mode: "map", edge })` flips it from then on.
 */
export function labEdgeToMapMode(
  host: IncusHost,
  topology: Topology,
  edge: LabEdge = LAB_EDGES[0],
): ResultAsync<void, DriverError> {
  const files = host.shell(edge.container).files;
  if (!files)
    return errAsync(
      driverError({
        driver: "lab",
        op: "mapMode",
        reason: "failed",
        message: `${edge.container}'s shell has no file access: the map file cannot be written`,
        hint: "use driver-incus's shell (its files go over SFTP)",
      }),
    );
  return labTrafficSwitch(host, topology, { edge })
    .andThen((reload) =>
      labTrafficSwitch(host, topology, { edge, mode: "map" }).map((map) => ({ reload, map })),
    )
    .asyncAndThen(({ reload, map }) =>
      reload.readState().andThen((state) => {
        const seed = { color: state.activeColor, runId: modeRunId("map-mode", edge), actor: LAB_ACTOR };
        return map
          .render(seed)
          .andThen((seedMap) => files.writeFileAtomic(map.livePath, seedMap.content))
          .andThen(() => map.renderConfigFile(seed))
          .andThen((config) =>
            reload
              .install(config)
              .andThen(() => reload.reload())
              .andThen(() => reload.confirm(config.revision)),
          );
      }),
    );
}

/**
 * Puts one edge's HAProxy back in reload mode (after {@link labEdgeToMapMode}): the
 * reload-mode `haproxy.cfg` routing to the color its state file records installed,
 * reloaded and confirmed.
 */
export function labEdgeToReloadMode(
  host: IncusHost,
  topology: Topology,
  edge: LabEdge = LAB_EDGES[0],
): ResultAsync<void, DriverError> {
  return labTrafficSwitch(host, topology, { edge }).asyncAndThen((reload) =>
    reload.readState().andThen((state) =>
      reload
        .render({ color: state.activeColor, runId: modeRunId("reload-mode", edge), actor: LAB_ACTOR })
        .andThen((config) =>
          reload
            .install(config)
            .andThen(() => reload.reload())
            .andThen(() => reload.confirm(config.revision)),
        ),
    ),
  );
}

/** {@link labEdgeToMapMode} on every edge of the lab's fleet at once. */
export function labFleetToMapMode(host: IncusHost, topology: Topology): ResultAsync<void, DriverError> {
  return ResultAsync.combine(LAB_EDGES.map((edge) => labEdgeToMapMode(host, topology, edge))).map(
    () => undefined,
  );
}

/** {@link labEdgeToReloadMode} on every edge of the lab's fleet at once. */
export function labFleetToReloadMode(host: IncusHost, topology: Topology): ResultAsync<void, DriverError> {
  return ResultAsync.combine(LAB_EDGES.map((edge) => labEdgeToReloadMode(host, topology, edge))).map(
    () => undefined,
  );
}
