import { type DriverError, driverError } from "@backflip/core";
import { parseInput } from "@backflip/core/driver-kit";
import { DEPLOY_FAILED_ALERT } from "@backflip/core/recipes";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";

/** The service's name in its errors (`driver` of a DriverError). */
export const SERVICE = "example-service";

const labelsSchema = z.record(z.string().max(1024), z.string().max(4096));

/** One alert of an Alertmanager webhook (payload version 4). */
const alertSchema = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: labelsSchema,
  annotations: labelsSchema,
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  generatorURL: z.string().max(4096),
  fingerprint: z.string().regex(/^[0-9a-f]{1,64}$/, "expected Alertmanager's hex fingerprint"),
});

/** Alertmanager's webhook body, version 4 (the only one it sends); fields it may add later are ignored. */
export const alertmanagerWebhookSchema = z.object({
  version: z.literal("4"),
  groupKey: z.string().max(4096),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string().max(1024),
  groupLabels: labelsSchema,
  commonLabels: labelsSchema,
  commonAnnotations: labelsSchema,
  externalURL: z.string().max(4096),
  alerts: z.array(alertSchema).min(1).max(1000),
});

/** Alertmanager's webhook body, as validated. */
export type AlertmanagerWebhook = z.infer<typeof alertmanagerWebhookSchema>;

/** A firing `VezaDeployFailed` for the service's environment: what an offer is made for. */
export interface DeployFailedAlert {
  readonly env: string;
  /** Alertmanager's fingerprint of the alert (its label set). */
  readonly fingerprint: string;
  /** When it started firing (ISO-8601, as Alertmanager sent it). */
  readonly startsAt: string;
  /** Alertmanager's `summary` annotation, when there is one (shown, never run). */
  readonly summary?: string;
}

/** What a webhook asks of the service: an alert to act on, or why it is ignored. */
export type WebhookVerdict =
  | { readonly kind: "alert"; readonly alert: DeployFailedAlert }
  | { readonly kind: "ignored"; readonly reason: string };

function ignoredReason(hook: AlertmanagerWebhook, env: string): string {
  const seen = hook.alerts
    .map(
      (a) =>
        `${a.labels.alertname ?? "(no alertname)"}${a.labels.env ? `{env=${a.labels.env}}` : ""} ${a.status}`,
    )
    .join(", ");
  return `no firing ${DEPLOY_FAILED_ALERT} alert for env ${env} (got: ${seen})`;
}

/**
 * Reads an Alertmanager webhook body: `invalid_input` naming the field when it is not a
 * version-4 payload; else the first firing `VezaDeployFailed` whose `env` label is `env`,
 * or the reason it is ignored (other alerts, resolved ones, other environments).
 */
export function readDeployFailedWebhook(body: unknown, env: string): Result<WebhookVerdict, DriverError> {
  const parsed = parseInput(alertmanagerWebhookSchema, body, {
    driver: SERVICE,
    op: "webhook",
    hint: "send Alertmanager's webhook payload (version 4) as JSON",
  });
  if (parsed.isErr()) return err(parsed.error);
  const hook = parsed.value;
  const alert = hook.alerts.find(
    (a) => a.status === "firing" && a.labels.alertname === DEPLOY_FAILED_ALERT && a.labels.env === env,
  );
  if (!alert) return ok({ kind: "ignored", reason: ignoredReason(hook, env) });
  const summary = alert.annotations.summary;
  return ok({
    kind: "alert",
    alert: {
      env,
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      ...(summary ? { summary } : {}),
    },
  });
}

/** A body that is not JSON, as the webhook's `invalid_input`. */
export function notJsonError(): DriverError {
  return driverError({
    driver: SERVICE,
    op: "webhook",
    reason: "invalid_input",
    message: "the body is not JSON",
    hint: "send Alertmanager's webhook payload (version 4) as JSON",
  });
}
