/**
 * Backflip's TrafficSwitch for nginx: the live color's upstreams in an include file,
 * `nginx -t` on a candidate, `nginx -s reload`, and a confirm that asks nginx itself.
 * @module \@backflip/driver-nginx
 * @document ../README.md
 */

export { createNginxSwitch } from "./create-nginx-switch";
export type { NginxTemplate, NginxTemplateView, NginxUpstreamView } from "./default-nginx-template";
export { defaultNginxTemplate } from "./default-nginx-template";
export type { NginxSwitchOptions } from "./nginx-switch-options";
