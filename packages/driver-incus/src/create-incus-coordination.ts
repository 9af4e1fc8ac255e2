import { type DriverError, defaultOwner } from "@backflip/core";
import { freeTextSchema, lazySchema, parseInput } from "@backflip/core/driver-kit";
import { type Result, ResultAsync } from "neverthrow";
import * as z from "zod";
import { CoordinationAnchors } from "./coordination-anchors";
import { type IncusHostOptions, incusConnection, incusConnectionSchema } from "./create-incus-host";
import { IncusClient } from "./incus-client";
import { DRIVER } from "./incus-error";
import { IncusJournal } from "./incus-journal";
import { IncusLeaseLock } from "./incus-lease-lock";

/** How to reach Incus (as for {@link createIncusHost}) and how to name the anchors. */
export interface IncusCoordinationOptions
  extends Pick<IncusHostOptions, "socketPath" | "endpoint" | "tls" | "project" | "dispatcher"> {
  /**
   * The first part of every anchor's name: `<prefix>-anchor-<env>` and
   * `<prefix>-archive-<env>`. Lowercase letters, digits and inner '-'. @default "backflip"
   */
  readonly prefix?: string;
  /** Who breaks stale leases, as recorded on the anchor. @default "user@host pid N" */
  readonly actor?: string;
  /** Milliseconds Incus may take to answer one request before it is a `timeout`. @default 10000 */
  readonly requestTimeoutMs?: number;
  /**
   * Finished runs per archive instance: a full one is followed by `<prefix>-archive<n>-<env>`,
   * so no write rewrites more keys than this. @default 50
   */
  readonly archiveRuns?: number;
}

/** A lease lock and a journal on the same Incus anchors, and how to let go of them. */
export interface IncusCoordination {
  readonly lock: IncusLeaseLock;
  readonly journal: IncusJournal;
  /** Waits for the archiving of finished runs, then closes the connection. */
  close(): ResultAsync<void, DriverError>;
}

const optionsSchema = lazySchema(() =>
  incusConnectionSchema
    .extend({
      prefix: z
        .string()
        .max(24)
        .regex(
          /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/,
          "expected lowercase letters, digits and inner '-', e.g. backflip",
        )
        .optional(),
      actor: freeTextSchema(256).optional(),
      requestTimeoutMs: z.number().int().positive().max(300_000).optional(),
      archiveRuns: z.number().int().positive().max(1000).optional(),
    })
    .strict(),
);

/**
 * The team's coordination store on Incus: an {@link IncusLeaseLock} and an
 * {@link IncusJournal} sharing one never-started anchor instance per environment
 * (created on first use in the client's project), so every operator's machine sees the
 * same lease and can read, resume or revert any run. Options are validated first
 * (`invalid_input` names the field); nothing is sent until the first call.
 *
 * @example
 * const { lock, journal, close } = createIncusCoordination({ prefix: "backflip" })._unsafeUnwrap();
 * const result = await runPlan(plan, { lock, journal });
 * await close();
 */
export function createIncusCoordination(
  options: IncusCoordinationOptions = {},
): Result<IncusCoordination, DriverError> {
  return parseInput(optionsSchema, options, { driver: DRIVER, op: "connect" }).andThen((o) =>
    incusConnection(o).map((connection) => {
      const client = new IncusClient({ ...connection, project: o.project ?? "default" });
      const anchors = new CoordinationAnchors(client, o.prefix ?? "backflip", o.requestTimeoutMs ?? 10_000);
      const journal = new IncusJournal(anchors, o.archiveRuns);
      return {
        lock: new IncusLeaseLock(anchors, o.actor ?? defaultOwner()),
        journal,
        close: () => ResultAsync.fromSafePromise(journal.settle()).andThen(() => client.close()),
      };
    }),
  );
}
