import { okAsync, type ResultAsync } from "neverthrow";
import { formatDriverError } from "../errors/driver-error";
import type { AlertSource } from "../ports/alert-source";

/** The runbook's alert: fires while the last deploy failure is newer than the last success. */
export const DEPLOY_FAILED_ALERT = "VezaDeployFailed";

/**
 * Whether `VezaDeployFailed` cleared for an env. `unknown` when there is no alert source
 * or it cannot be reached — never reported as cleared without an answer.
 */
export type DeployAlertStatus =
  | { readonly state: "cleared" }
  | { readonly state: "firing" }
  | { readonly state: "unknown"; readonly reason: string };

/**
 * Asks the alert source whether `VezaDeployFailed{env}` cleared, waiting up to `waitMs`
 * (default 0: ask once). Never fails: an unreachable source gives `unknown` with the reason.
 */
export function deployAlertStatus(
  alerts: AlertSource | undefined,
  env: string,
  options: { waitMs?: number; pollMs?: number } = {},
): ResultAsync<DeployAlertStatus, never> {
  if (!alerts) return okAsync({ state: "unknown", reason: "no alert source configured" });
  const query = { name: DEPLOY_FAILED_ALERT, labels: { env } };
  const answer: ResultAsync<DeployAlertStatus, never> = options.waitMs
    ? alerts
        .waitUntilCleared(query, { deadlineMs: options.waitMs, pollMs: options.pollMs ?? 1000 })
        .map((): DeployAlertStatus => ({ state: "cleared" }))
        .orElse((error) =>
          error.reason === "timeout"
            ? okAsync<DeployAlertStatus, never>({ state: "firing" })
            : okAsync<DeployAlertStatus, never>({ state: "unknown", reason: formatDriverError(error) }),
        )
    : alerts
        .isFiring(query)
        .map((firing): DeployAlertStatus => (firing ? { state: "firing" } : { state: "cleared" }))
        .orElse((error) =>
          okAsync<DeployAlertStatus, never>({ state: "unknown", reason: formatDriverError(error) }),
        );
  return answer;
}
