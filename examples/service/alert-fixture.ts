/**
 * Alertmanager webhook bodies (payload version 4, as Alertmanager 0.2x sends them) for the
 * service's tests: a firing `VezaDeployFailed` for `env`, and variations of it.
 */
export function deployFailedWebhook(
  env: string,
  alert: { status?: "firing" | "resolved"; alertname?: string; fingerprint?: string } = {},
) {
  const status = alert.status ?? "firing";
  const labels = { alertname: alert.alertname ?? "VezaDeployFailed", env, severity: "page" };
  return {
    version: "4",
    groupKey: `{}:{alertname="${labels.alertname}"}`,
    truncatedAlerts: 0,
    status,
    receiver: "backflip",
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: { summary: `The last deploy of ${env} failed` },
    externalURL: "http://alertmanager.example:9093",
    alerts: [
      {
        status,
        labels,
        annotations: { summary: `The last deploy of ${env} failed` },
        startsAt: "2026-12-07T06:40:00.123456789Z",
        endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : "2026-12-07T06:50:00Z",
        generatorURL: "http://prometheus.example:9090/graph?g0.expr=veza_deploy_last_failure_timestamp",
        fingerprint: alert.fingerprint ?? "1f2e3d4c5b6a7980",
      },
    ],
  };
}
