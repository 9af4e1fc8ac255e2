import { join, resolve } from "node:path";
import {
  type DriverError,
  driverError,
  FileJournal,
  FileLeaseLock,
  type Journal,
  type LeaseLock,
} from "@backflip/core";
import type { LeaseBreak } from "@backflip/core/driver-kit";
import { lazySchema } from "@backflip/core/driver-kit";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import * as z from "zod";

/** The coordination stores the CLI can keep the lease and the journal in. */
export const COORDINATION_KINDS = ["file", "incus", "etcd"] as const;

/** One of {@link COORDINATION_KINDS}. */
export type CoordinationKind = (typeof COORDINATION_KINDS)[number];

/** `--coordination`: where the lease and the journal live (default: local files). */
export const coordinationKindSchema = lazySchema(() =>
  z.enum(COORDINATION_KINDS, { error: `expected one of ${COORDINATION_KINDS.join(", ")}` }).default("file"),
);

/** `--etcd-endpoints`: the cluster members' client URLs, comma-separated. */
export const etcdEndpointsSchema = lazySchema(() =>
  z
    .string()
    .transform((s) => s.split(",").map((e) => e.trim()))
    .pipe(
      z
        .array(
          z.url({
            protocol: /^https?$/,
            error: "expected client URLs like http://10.0.0.5:2379, comma-separated",
          }),
        )
        .min(1)
        .max(16),
    ),
);

/** `--coordination-prefix`: the namespace of a shared store (Incus anchor names, etcd keys), e.g. one per team. */
export const coordinationPrefixSchema = lazySchema(() =>
  z
    .string()
    .max(24)
    .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, "expected lowercase letters, digits and inner '-', e.g. team-a")
    .default("backflip"),
);

/** The lease lock and the journal every run of one store goes through, and how to let go of them. */
export interface Coordination {
  readonly kind: CoordinationKind;
  /** One line for a person: which store, and where. */
  readonly description: string;
  /** True when every operator's machine sees the same lease and journal. */
  readonly shared: boolean;
  readonly journal: Journal;
  readonly lock: LeaseLock;
  /** The stale leases broken on `env`, oldest first, with who broke them — for a store that records them (Incus). */
  readonly breaks?: (env: string) => ResultAsync<readonly LeaseBreak[], DriverError>;
  /** Lets go of the store's connections (waiting for its background writes). */
  close(): Promise<void>;
}

/** How to open a coordination store. */
export interface CoordinationOptions {
  readonly kind: CoordinationKind;
  /** The state directory: the file store keeps `journal/` and `locks/` there. */
  readonly stateDir: string;
  /** The etcd members' client URLs (only, and required, for `etcd`). */
  readonly etcdEndpoints?: readonly string[] | undefined;
  /** The shared store's namespace: Incus anchors `<prefix>-anchor-<env>`, etcd keys under `/<prefix>`. */
  readonly prefix: string;
  /** Who acts, recorded by a store that journals who broke a stale lease (Incus). */
  readonly actor: string;
}

const DRIVER = "rollback-cli";

const usage = (message: string, hint: string) =>
  errAsync<never, DriverError>(
    driverError({ driver: DRIVER, op: "coordination", reason: "invalid_input", message, hint }),
  );

/** A driver package loaded on demand (a file-store command never loads undici clients). */
function load<M>(name: string, importer: () => Promise<M>): ResultAsync<M, DriverError> {
  return ResultAsync.fromPromise(importer(), (cause) =>
    driverError({
      driver: DRIVER,
      op: "coordination",
      reason: "unavailable",
      message: `cannot load ${name}: ${(cause as Error).message}`,
      hint: "check the workspace is installed (pnpm install)",
      cause,
    }),
  );
}

/** The local file store: `<state-dir>/journal`, fenced by `<state-dir>/locks`, seen by this machine only. */
function fileCoordination(stateDir: string): Coordination {
  const dir = resolve(stateDir);
  const lock = new FileLeaseLock({ dir: join(dir, "locks") });
  return {
    kind: "file",
    description: `local files under ${dir} (this machine only)`,
    shared: false,
    // fenced by the lock: a run whose lease was broken cannot add to the journal
    journal: new FileJournal({ dir: join(dir, "journal"), fencedBy: lock }),
    lock,
    close: async () => undefined,
  };
}

/**
 * The Incus store: one never-started anchor instance per environment (`<prefix>-anchor-<env>`,
 * created on first use), reached the way the targets reach Incus — the local socket
 * (`$INCUS_SOCKET`, else `/var/lib/incus/unix.socket`).
 */
function incusCoordination(prefix: string, actor: string): ResultAsync<Coordination, DriverError> {
  return load("@backflip/driver-incus", () => import("@backflip/driver-incus")).andThen((incus) => {
    const store = incus.createIncusCoordination({ prefix, actor });
    if (store.isErr()) return errAsync(store.error);
    const { lock, journal, close } = store.value;
    return okAsync<Coordination, DriverError>({
      kind: "incus",
      description: `Incus anchor instances ${prefix}-anchor-<env> on ${incus.incusSocketPath()} (shared)`,
      shared: true,
      journal,
      lock,
      breaks: (env) => lock.breaks(env),
      close: async () => {
        await close();
      },
    });
  });
}

/** The etcd store: lease and journal under `/<prefix>` on the cluster at `endpoints`. */
function etcdCoordination(
  prefix: string,
  endpoints: readonly string[],
  actor: string,
): ResultAsync<Coordination, DriverError> {
  return load("@backflip/driver-etcd", () => import("@backflip/driver-etcd")).andThen((etcd) => {
    const store = etcd.createEtcdCoordination({ endpoints, prefix: `/${prefix}`, actor });
    if (store.isErr()) return errAsync(store.error);
    const { lock, journal, close } = store.value;
    return okAsync<Coordination, DriverError>({
      kind: "etcd",
      description: `etcd at ${endpoints.join(",")}, keys under /${prefix} (shared)`,
      shared: true,
      journal,
      lock,
      breaks: (env) => lock.breaks(env),
      close,
    });
  });
}

/**
 * Opens the coordination store a command's runs go through: `invalid_input` naming the
 * flag when `--etcd-endpoints` is missing for etcd or given for another store (the prefix
 * means nothing to the file store, whose namespace is its state directory). Opening
 * writes nothing and contacts nothing (the file store creates its directories on the
 * first append or lease; Incus and etcd are first asked on the first read).
 */
export function openCoordination(options: CoordinationOptions): ResultAsync<Coordination, DriverError> {
  const { kind, etcdEndpoints } = options;
  if (kind !== "etcd" && etcdEndpoints)
    return usage(
      `--etcd-endpoints is only for --coordination etcd (not ${kind})`,
      "add --coordination etcd, or leave --etcd-endpoints out",
    );
  switch (kind) {
    case "file":
      return okAsync(fileCoordination(options.stateDir));
    case "incus":
      return incusCoordination(options.prefix, options.actor);
    case "etcd":
      return etcdEndpoints
        ? etcdCoordination(options.prefix, etcdEndpoints, options.actor)
        : usage(
            "--coordination etcd needs --etcd-endpoints",
            "pass the members' client URLs: --etcd-endpoints http://10.0.0.5:2379,http://10.0.0.6:2379",
          );
  }
}
