/**
 * Backflip's `ContainerHost` for Incus over its REST API — the local unix socket or a
 * remote over HTTPS with a client certificate — serving the runbook's `incus list … -c n,s`
 * pre-check, every `incus exec … --` (as a `Shell`), `incus stop/start`, file pushes,
 * snapshots and the cleanup workflow (on a cluster: `create`/`copy` with a `target` member,
 * each instance's `location`, a down member reported `unavailable` by name); and the
 * team's coordination store (`createIncusCoordination`: a lease lock and a journal on a
 * never-started anchor instance per environment, every write an If-Match compare-and-swap).
 * @module \@backflip/driver-incus
 * @document ../README.md
 */
export type { IncusHostOptions } from "./create-incus-host";
export { createIncusHost } from "./create-incus-host";
export { incusCliActions, incusLocation } from "./incus-cli-actions";
export { classifyIncusError } from "./incus-error";
export type { CreateInstanceOptions, InstanceConfig } from "./incus-host";
export { IncusHost } from "./incus-host";
export { IncusShell } from "./incus-shell";
export type { IncusTlsOptions } from "./incus-tls";
export { incusSocketPath } from "./socket-path";
export type { IncusCoordination, IncusCoordinationOptions } from "./create-incus-coordination";
export { createIncusCoordination } from "./create-incus-coordination";
export { IncusJournal } from "./incus-journal";
export type { LeaseBreak } from "@backflip/core/driver-kit";
export { IncusLeaseLock } from "./incus-lease-lock";
