import { randomUUID } from "node:crypto";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import { createEtcdCoordination, type EtcdCoordination, type EtcdCoordinationOptions } from "../../src/index";

/** The shared 3-member cluster of `scripts/backends up etcd`, or `undefined`. */
export const etcdEnv = backendEnv("etcd");

/** Its client URLs. */
export const ENDPOINTS = (etcdEnv?.ETCD_ENDPOINTS ?? "").split(",").filter(Boolean);

/** Skip message unless the cluster is up (throws under BACKFLIP_REQUIRE_REAL=1). */
export const skipEtcd = skipUnlessBackend(ENDPOINTS.length === 3, "etcd", "bash scripts/backends up etcd");

/** A prefix no other test uses, so tests share the cluster without seeing each other. */
export function freshPrefix(label: string): string {
  return `/backflip-test/${label}-${randomUUID().slice(0, 8)}`;
}

/** The coordination store on `endpoints` under a fresh prefix (throws on bad options: tests only). */
export function coordination(
  options: Partial<EtcdCoordinationOptions> & { label?: string } = {},
): EtcdCoordination & { prefix: string } {
  const prefix = options.prefix ?? freshPrefix(options.label ?? "t");
  const made = createEtcdCoordination({ endpoints: ENDPOINTS, ...options, prefix });
  return { ...made._unsafeUnwrap(), prefix };
}
