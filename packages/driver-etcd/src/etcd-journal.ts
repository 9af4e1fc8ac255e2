import {
  type AppendOptions,
  type DriverError,
  type Fence,
  type Journal,
  type JournalRecord,
  runIdSchema,
} from "@backflip/core";
import { lazySchema, leaseSchema, parseInput } from "@backflip/core/driver-kit";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { Compare, EtcdClient, TxnOp } from "./etcd-client";
import { DRIVER, etcdError } from "./etcd-error";
import { b64, prefixEnd, unb64 } from "./etcd-keys";
import { etcdLayout } from "./etcd-layout";

/**
 * A fence here is a lease's key and token (positive: a create revision of 0 would match an
 * absent lease key), so the kit's wider `fenceSchema` (token 0, any issuer) does not fit.
 */
const fenceSchema = lazySchema(() => leaseSchema.pick({ key: true, token: true }));

const recordSchema = lazySchema(() =>
  z.object({
    seq: z.number().int().min(0).max(9_999_999_999),
    event: z.looseObject({ type: z.string() }),
  }),
);

/**
 * A {@link Journal} on etcd v3, next to the {@link EtcdLeaseLock} of the same prefix: one
 * key per record (`<prefix>/runs/<runId>/<seq>`), so any machine that reaches the cluster
 * reads, resumes or reverts any run. Each append is one transaction that requires the
 * record's key to be absent (no duplicate seq), the previous record to exist (no gap)
 * and, with `fence`, the lease key's create revision to equal `fence.token`: a holder
 * whose lease was broken, expired in etcd or taken over is refused by etcd itself
 * (`conflict`, `details: { fenced: true }`). A committed append is on a quorum's disks,
 * so `sync: false` changes nothing.
 */
export class EtcdJournal implements Journal {
  readonly name = DRIVER;
  readonly #client: EtcdClient;
  readonly #prefix: string;

  /** A journal over `client`'s cluster under `prefix`. */
  constructor(client: EtcdClient, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  /** Appends one record in a transaction guarded by its absence, its predecessor and the fence. */
  append(runId: string, record: JournalRecord, options: AppendOptions = {}): ResultAsync<void, DriverError> {
    const input = parseInput(runIdSchema, runId, { driver: DRIVER, op: "append" })
      .andThen(() => parseInput(recordSchema, record, { driver: DRIVER, op: "append" }))
      .andThen(() => parseInput(fenceSchema.optional(), options.fence, { driver: DRIVER, op: "append" }));
    if (input.isErr()) return errAsync(input.error);
    let value: string;
    try {
      value = b64(JSON.stringify({ seq: record.seq, event: record.event }));
    } catch (cause) {
      return errAsync(
        etcdError("append", "invalid_input", `record is not JSON-serialisable: ${(cause as Error).message}`),
      );
    }
    const key = b64(etcdLayout.record(this.#prefix, runId, record.seq));
    const previous = record.seq > 0 ? b64(etcdLayout.record(this.#prefix, runId, record.seq - 1)) : undefined;
    const fenceKey = options.fence ? b64(etcdLayout.lease(this.#prefix, options.fence.key)) : undefined;
    const compare: Compare[] = [{ key, target: "CREATE", result: "EQUAL", create_revision: "0" }];
    const failure: TxnOp[] = [{ request_range: { key } }];
    if (previous) {
      compare.push({ key: previous, target: "CREATE", result: "GREATER", create_revision: "0" });
      failure.push({ request_range: { key: previous } });
    }
    if (options.fence && fenceKey) {
      compare.push({
        key: fenceKey,
        target: "CREATE",
        result: "EQUAL",
        create_revision: String(options.fence.token),
      });
      failure.push({ request_range: { key: fenceKey } });
    }
    const success: TxnOp[] = [{ request_put: { key, value } }];
    if (record.seq === 0)
      success.push({ request_put: { key: b64(etcdLayout.runId(this.#prefix, runId)), value: "" } });
    return this.#client.txn("append", { compare, success, failure }).andThen((answer) => {
      if (answer.succeeded) return okAsync(undefined);
      const kvAt = (i: number) => answer.responses?.[i]?.response_range?.kvs?.[0];
      const existing = kvAt(0);
      // A retried request whose first try was applied: the record is ours.
      if (existing?.value === value) return okAsync(undefined);
      if (options.fence) {
        const lease = kvAt(failure.length - 1);
        if (Number(lease?.create_revision ?? 0) !== options.fence.token) {
          return errAsync(fencedError(runId, record.seq, options.fence, lease?.create_revision));
        }
      }
      if (existing) {
        return errAsync(
          etcdError(
            "append",
            "conflict",
            `run ${runId} already has record ${record.seq}: another writer appended it`,
            {
              hint: "stop: another run writes this journal; read it again before going on",
              details: { seq: record.seq },
            },
          ),
        );
      }
      return errAsync(
        etcdError(
          "append",
          "conflict",
          `run ${runId}: record ${record.seq - 1} is missing, got ${record.seq}`,
          {
            details: { seq: record.seq },
          },
        ),
      );
    });
  }

  /** A run's records in seq order; `not_found` for an unknown run. */
  read(runId: string): ResultAsync<JournalRecord[], DriverError> {
    const input = parseInput(runIdSchema, runId, { driver: DRIVER, op: "read" });
    if (input.isErr()) return errAsync(input.error);
    const start = etcdLayout.runRecords(this.#prefix, runId);
    return this.#client.range("read", b64(start), prefixEnd(start)).andThen((answer) => {
      const kvs = answer.kvs ?? [];
      if (kvs.length === 0) return errAsync(etcdError("read", "not_found", `no run ${runId} in the journal`));
      const records: JournalRecord[] = [];
      for (const kv of kvs) {
        const record = parseRecord(unb64(kv.value));
        if (record?.seq !== records.length) {
          return errAsync(
            etcdError("read", "failed", `run ${runId}: record ${records.length} is unreadable or missing`, {
              details: { key: unb64(kv.key) },
            }),
          );
        }
        records.push(record);
      }
      return okAsync(records);
    });
  }

  /** Ids of every run, sorted. */
  list(): ResultAsync<string[], DriverError> {
    const start = etcdLayout.runIds(this.#prefix);
    return this.#client
      .range("list", b64(start), prefixEnd(start), true)
      .map((answer) => (answer.kvs ?? []).map((kv) => unb64(kv.key).slice(start.length)).sort());
  }
}

function parseRecord(text: string): JournalRecord | undefined {
  try {
    const value = JSON.parse(text) as JournalRecord;
    return typeof value?.seq === "number" && typeof value.event?.type === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

function fencedError(runId: string, seq: number, fence: Fence, current: string | undefined): DriverError {
  const now = current ? `token ${current} holds it now` : "nobody holds it now";
  return etcdError(
    "append",
    "conflict",
    `run ${runId}: record ${seq} refused: lease ${fence.token} on ${fence.key} is no longer current (${now})`,
    {
      hint: "stop: this run lost its lease, another run may own the environment; inspect the lease before going on",
      details: {
        fenced: true,
        key: fence.key,
        token: fence.token,
        ...(current ? { current: Number(current) } : {}),
      },
    },
  );
}
