/**
 * `@backflip/driver-etcd`: a team-wide {@link @backflip/core!LeaseLock} and {@link @backflip/core!Journal} on etcd v3,
 * through its JSON gateway over undici. The lease's fencing token is its key's create
 * revision; every journal append is a transaction guarded by it.
 * @module \@backflip/driver-etcd
 * @document ../README.md
 */

export type { EtcdCoordination, EtcdCoordinationOptions } from "./create-etcd-coordination";
export { createEtcdCoordination } from "./create-etcd-coordination";
export type { EtcdClientOptions } from "./etcd-client";
export { EtcdClient } from "./etcd-client";
export { EtcdJournal } from "./etcd-journal";
export type { EtcdLeaseLockOptions } from "./etcd-lease-lock";
export { EtcdLeaseLock } from "./etcd-lease-lock";
