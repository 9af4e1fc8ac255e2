import { type DriverError, defaultOwner } from "@backflip/core";
import { freeTextSchema, lazySchema, parseInput } from "@backflip/core/driver-kit";
import type { Result } from "neverthrow";
import * as z from "zod";
import { EtcdClient } from "./etcd-client";
import { DRIVER } from "./etcd-error";
import { EtcdJournal } from "./etcd-journal";
import { EtcdLeaseLock } from "./etcd-lease-lock";

/** Options of {@link createEtcdCoordination}. */
export interface EtcdCoordinationOptions {
  /** Client URLs of the cluster's members (`http://host:2379`); tried in turn when one fails. */
  readonly endpoints: readonly string[];
  /** Key prefix shared by the lease lock and the journal (default `/backflip`). */
  readonly prefix?: string;
  /** Budget of one request to one member in milliseconds (default 2000). */
  readonly requestTimeoutMs?: number;
  /**
   * How long etcd keeps an expired, unbroken lease before its server-side TTL deletes it
   * (default 60000 ms, rounded up to seconds).
   */
  readonly staleGraceMs?: number;
  /** Who breaks stale leases, as recorded beside them. @default "user@host pid N" */
  readonly actor?: string;
}

/** The lease lock and journal on one etcd cluster and prefix, sharing one client. */
export interface EtcdCoordination {
  readonly lock: EtcdLeaseLock;
  readonly journal: EtcdJournal;
  /** Closes the client's connections (keys and leases stay in etcd). */
  close(): Promise<void>;
}

const endpointSchema = lazySchema(() =>
  z
    .url({ protocol: /^https?$/ })
    .refine(
      (u) => !URL.canParse(u) || (new URL(u).pathname === "/" && !new URL(u).search && !new URL(u).hash),
      {
        message: "expected a client URL without path, query or fragment, e.g. http://127.0.0.1:2379",
      },
    )
    .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), {
      message: "put no credentials in the URL",
    }),
);

const optionsSchema = lazySchema(() =>
  z.object({
    endpoints: z.array(endpointSchema).min(1).max(16),
    prefix: z
      .string()
      .regex(
        /^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/,
        "expected a key prefix like /backflip or /backflip/team-a: segments of letters, digits, '.', '_' or '-', none starting with '.', no trailing '/'",
      )
      .default("/backflip"),
    requestTimeoutMs: z.number().int().min(50).max(120_000).default(2_000),
    staleGraceMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600 * 1000)
      .default(60_000),
    actor: freeTextSchema(256).optional(),
  }),
);

/**
 * The team's coordination store on etcd: an {@link EtcdLeaseLock} and the
 * {@link EtcdJournal} it fences, under one prefix. Options are validated here
 * (`invalid_input` names the field); nothing is contacted until the first call.
 */
export function createEtcdCoordination(
  options: EtcdCoordinationOptions,
): Result<EtcdCoordination, DriverError> {
  return parseInput(optionsSchema, options, { driver: DRIVER, op: "create" }).map((o) => {
    const client = new EtcdClient({ endpoints: o.endpoints, requestTimeoutMs: o.requestTimeoutMs });
    return {
      lock: new EtcdLeaseLock(client, {
        prefix: o.prefix,
        staleGraceMs: o.staleGraceMs,
        actor: o.actor ?? defaultOwner(),
      }),
      journal: new EtcdJournal(client, o.prefix),
      close: () => client.close(),
    };
  });
}
