/**
 * Backflip's `AlertSource` for Prometheus, for the runbook's post-incident check that
 * `VezaDeployFailed` cleared. The alert rule ships in `rules/veza-deploy.rules.yml`.
 * @module \@backflip/driver-prometheus
 * @document ../README.md
 */
export type { PrometheusAlert, PrometheusOptions, Sample } from "./prometheus-alert-source";
export { PrometheusAlertSource } from "./prometheus-alert-source";
