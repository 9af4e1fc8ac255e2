import { errAsync, okAsync } from "neverthrow";
import { fromDriverError, stepError } from "../errors/step-error";
import { defineStep, type Step } from "../plan/step";
import type { ContainerHost, InstanceInfo } from "../ports/container-host";
import { HINTS } from "../presets/veza-runbook";
import { colorContainers, type Topology } from "../topology/topology";
import { hostActions } from "./port-actions";

/** The step id of {@link colorRunningCheck}. */
export const COLOR_RUNNING_STEP_ID = "precheck-containers";

/**
 * Path 1's pre-check: every container of `color` exists and is RUNNING, like
 * `incus list 'veza-staging-{backend,stream,web}-blue' --format csv -c n,s`. Fails loud,
 * naming each container that is not, with the hint "use Path 2".
 */
export function colorRunningCheck(
  host: ContainerHost,
  topology: Topology,
  color: string,
): Step<InstanceInfo[]> {
  const names = colorContainers(topology, color);
  return defineStep({
    id: COLOR_RUNNING_STEP_ID,
    title: `Verify all ${names.length} ${color} containers are RUNNING`,
    kind: "check",
    idempotent: true,
    describe: () => hostActions(host, { op: "list", names }),
    run: () =>
      host
        .list({ names })
        .mapErr((e) => fromDriverError(COLOR_RUNNING_STEP_ID, e, HINTS.usePath2))
        .andThen((instances) => {
          const problems = names.flatMap((name) => {
            const info = instances.find((i) => i.name === name);
            if (!info) return [`${name} does not exist`];
            return info.running ? [] : [`${name} is ${info.status}`];
          });
          if (problems.length === 0) return okAsync(names.map((n) => instances.find((i) => i.name === n)!));
          return errAsync(
            stepError(
              COLOR_RUNNING_STEP_ID,
              "failed",
              `target color ${color} is not RUNNING: ${problems.join("; ")}`,
              { hint: HINTS.usePath2 },
            ),
          );
        }),
  });
}
