import { randomUUID } from "node:crypto";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import { b64, prefixEnd } from "../../src/etcd-keys";
import {
  createEtcdCoordination,
  EtcdClient,
  type EtcdCoordination,
  type EtcdCoordinationOptions,
} from "../../src/index";

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

/** A coordination store on the shared cluster (throws on bad options: tests only). */
export function coordination(
  options: Partial<EtcdCoordinationOptions> & { prefix: string },
): EtcdCoordination {
  return createEtcdCoordination({ endpoints: ENDPOINTS, ...options })._unsafeUnwrap();
}

/** Deletes every key under `prefix` (a test's leftovers). */
export async function deletePrefix(prefix: string, endpoints: readonly string[] = ENDPOINTS): Promise<void> {
  const client = new EtcdClient({ endpoints, requestTimeoutMs: 2_000 });
  const start = `${prefix}/`;
  await client.txn("cleanup", {
    compare: [],
    success: [{ request_delete_range: { key: b64(start), range_end: prefixEnd(start) } }],
    failure: [],
  });
  await client.close();
}

/**
 * Two clients of one fresh prefix (two machines' views of the same store), closed and
 * the prefix deleted by `teardown`.
 */
export function twoClients(label: string): {
  readonly prefix: string;
  readonly a: EtcdCoordination;
  readonly b: EtcdCoordination;
  teardown(): Promise<void>;
} {
  const prefix = freshPrefix(label);
  const a = coordination({ prefix });
  const b = coordination({ prefix });
  return {
    prefix,
    a,
    b,
    async teardown() {
      await Promise.all([a.close(), b.close()]);
      await deletePrefix(prefix);
    },
  };
}
