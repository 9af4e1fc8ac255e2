/**
 * Backflip's HAProxy {@link @backflip/core!TrafficSwitch}: Path 1 of the runbook over any Shell —
 * render `haproxy.cfg` from a handlebars template, validate it with `haproxy -c`, swap it
 * atomically (the previous kept as `.prev`), reload, confirm the running process loaded
 * it, record the active color; or the same flip through a runtime map with no reload.
 * @module \@backflip/driver-haproxy
 * @document ../README.md
 */

export type { BackendView, ComponentView, ServerView, TemplateView } from "./config-template";
export { backendName } from "./config-template";
export type { HaproxySwitch } from "./create-haproxy-switch";
export { createHaproxySwitch } from "./create-haproxy-switch";
export { DEFAULT_HAPROXY_TEMPLATE } from "./default-template";
export type { HaproxyMode, HaproxySwitchOptions } from "./haproxy-switch-options";
export { haproxySwitchOptionsSchema } from "./haproxy-switch-options";
export type { ProcessSignals } from "./process-signals";
export { localProcessSignals } from "./process-signals";
export type { ReloadMethod } from "./reload-method";
export { DEFAULT_RELOAD, reloadMethodSchema } from "./reload-method";
export type { RuntimeApi, RuntimeApiFactory, RuntimeSession } from "./runtime-api";
export type { ShellRuntimeApiOptions } from "./shell-runtime-api";
export { shellRuntimeApi } from "./shell-runtime-api";
export type { UnixSocketRuntimeApiOptions } from "./unix-socket-runtime-api";
export { unixSocketRuntimeApi } from "./unix-socket-runtime-api";
