import {
  type AppendOptions,
  type DriverError,
  driverError,
  type Fence,
  type Journal,
  type JournalRecord,
} from "@backflip/core";
import { invalidInput, parseInput, runIdSchema } from "@backflip/core/driver-kit";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { freedKeys, leaseOf } from "./anchor-lease";
import type { CoordinationAnchors, ListedAnchor } from "./coordination-anchors";
import { DRIVER } from "./incus-error";
import {
  anchorRun,
  anchorRunIds,
  anchorRuns,
  archivedRuns,
  archiveKey,
  decodeRun,
  encodeRun,
  liveKey,
} from "./journal-keys";

/** Finished runs one archive instance holds before the next generation starts. */
const DEFAULT_ARCHIVE_RUNS = 50;

/** The anchor key naming the archive generation finished runs go to now. */
const GENERATION_KEY = "user.backflip.archive-generation";

/** The archive generation an anchor's config names (0 when none). */
function generationOf(config: Readonly<Record<string, string>> | undefined): number {
  const n = Number(config?.[GENERATION_KEY] ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** Records appended without `sync`, waiting for the run's next synced record. */
interface Pending {
  readonly env: string;
  readonly records: JournalRecord[];
  fence?: Fence;
}

/**
 * A {@link Journal} kept on the environment's Incus anchor instance, next to its lease,
 * so any operator's machine can read, resume or revert any run.
 *
 * Layout (see the driver README): a run in flight is one key on `<prefix>-anchor-<env>`,
 * `user.backflip.live.<run>` (its records' events, gzip'd JSON), rewritten whole by each
 * append — a PATCH costs by the keys the instance holds, not the bytes it changes; once a
 * run has finished, the same value is moved to `<prefix>-archive-<env>` in the
 * background, so the anchor stays small. Runs written by the previous layout (one
 * `user.backflip.run.<run>.<seq>` key per record) are still read, and move to the one key
 * with their next append. An archive holds at most `archiveRuns` runs: then the anchor
 * names the next generation (`user.backflip.archive-generation`),
 * `<prefix>-archive<n>-<env>`, so no write ever rewrites more than that many keys. The
 * environment of a run is its fence's key, else its `plan.started` intent's `env`, else
 * found by listing the anchors.
 *
 * Every append is an `If-Match` PATCH of the anchor on the ETag of the state it checked:
 * the seq must be the run's next one (an already-used seq is `conflict`), and with a
 * `fence` the anchor's lease must still carry that token — a holder whose lease was
 * broken or taken over is refused by Incus itself (the lease change changed the ETag),
 * with `conflict` and `details: { fenced: true }`.
 *
 * Records appended with `sync: false` are buffered in this process and written in the
 * same PATCH as the run's next synced record (one ~15 ms write instead of one per
 * record) — the first one too: a run in flight is seen by its lease (which names the
 * run) from its start, and by its records from its first change step on. After a kill,
 * or an OS crash, the anchor therefore keeps a prefix of the run that ends at or after
 * its last synced record (nothing, when it was killed before its first change step: then
 * nothing changed) — the guarantee the runner already tolerates for an OS crash.
 * {@link IncusJournal.read} in the same process sees the buffered records too.
 *
 * A fenced batch holding the run's `plan.finished` record also frees the run's lease in
 * the same PATCH (a finished run releases it next anyway): the lock's `release` that
 * follows then sends nothing.
 */
export class IncusJournal implements Journal {
  readonly name = "incus";
  readonly #anchors: CoordinationAnchors;
  readonly #envOf = new Map<string, string>();
  readonly #stored = new Map<string, number>();
  readonly #pending = new Map<string, Pending>();
  readonly #compactions = new Set<Promise<unknown>>();

  readonly #archiveRuns: number;

  /**
   * A journal on `anchors` (shared with the lease lock) whose archive instances hold at
   * most `archiveRuns` finished runs each.
   */
  constructor(anchors: CoordinationAnchors, archiveRuns = DEFAULT_ARCHIVE_RUNS) {
    this.#anchors = anchors;
    this.#archiveRuns = archiveRuns;
  }

  /** Appends one record (buffered until the run's next synced record when `sync` is false). */
  append(runId: string, record: JournalRecord, options: AppendOptions = {}): ResultAsync<void, DriverError> {
    return new ResultAsync(this.#append(runId, record, options));
  }

  /** A run's records in order, from its anchor or its archive (plus records still buffered here). */
  read(runId: string): ResultAsync<JournalRecord[], DriverError> {
    return new ResultAsync(this.#read(runId));
  }

  /** Ids of every run on every anchor and archive of this prefix, sorted. */
  list(): ResultAsync<string[], DriverError> {
    return this.#anchors.listAll("list").map((listed) => {
      const ids = new Set<string>(this.#pending.keys());
      for (const anchor of listed) {
        const runs = anchor.kind === "anchor" ? anchorRunIds(anchor.config) : archivedRuns(anchor.config);
        for (const id of runs) ids.add(id);
      }
      return [...ids].sort();
    });
  }

  /** Waits for the archiving of finished runs started in the background. */
  async settle(): Promise<void> {
    while (this.#compactions.size > 0) await Promise.all(this.#compactions);
  }

  async #append(
    runId: string,
    record: JournalRecord,
    options: AppendOptions,
  ): Promise<Result<void, DriverError>> {
    const checked = checkRecord(runId, record);
    if (checked.isErr()) return err(checked.error);
    // Buffered records are this process's own: the next seq is exact. What it last stored
    // is only a lower bound (another client may have appended since): the anchor decides.
    const pending = this.#pending.get(runId);
    const stored = this.#stored.get(runId) ?? 0;
    const expected = pending ? pending.records[pending.records.length - 1]!.seq + 1 : stored;
    if (pending ? record.seq !== expected : record.seq < stored) {
      return err(seqError(runId, record.seq, expected));
    }
    const env = await this.#envFor(runId, record, options.fence, pending);
    if (env.isErr()) return err(env.error);
    const batch = pending ?? { env: env.value, records: [] };
    batch.records.push(record);
    if (options.fence) batch.fence = options.fence;
    this.#pending.set(runId, batch);
    if (options.sync === false) return ok(undefined);
    this.#pending.delete(runId);
    return this.#flush(runId, batch);
  }

  /** Writes a run's batch in one compare-and-swap on its anchor. */
  async #flush(runId: string, batch: Pending): Promise<Result<void, DriverError>> {
    const name = this.#anchors.nameOf("append", "anchor", batch.env);
    if (name.isErr()) return err(name.error);
    const { fence, records } = batch;
    const first = records[0]!.seq;
    const finished = records.some((r) => r.event.type === "plan.finished");
    const written = await this.#anchors.update("append", name.value, "anchor", true, (state) => {
      const config = state?.config ?? {};
      if (fence) {
        const held = leaseOf(fence.key, config);
        if (held?.token !== fence.token) return err(fencedError(runId, fence, held?.token));
      }
      const run = anchorRun(config, runId);
      if (run && !run.records) return err(unreadableError("append", runId, name.value));
      const stored = run?.records ?? [];
      const gap = stored.findIndex((r, i) => r.seq !== i);
      if (gap >= 0) return err(gapError("append", runId, gap));
      if (first !== stored.length) return err(seqError(runId, first, stored.length));
      const write: Record<string, string> = fence && finished ? freedKeys() : {};
      // A run of the previous layout (one key per record) moves to its one key here.
      for (const key of run?.keys ?? []) write[key] = "";
      write[liveKey(runId)] = encodeRun([...stored, ...records]);
      return ok({ write, value: stored.length + records.length });
    });
    if (written.isErr()) return err(written.error);
    this.#stored.set(runId, written.value);
    this.#envOf.set(runId, batch.env);
    if (!finished) return ok(undefined);
    if (fence) this.#anchors.noteFreed(fence.key, fence.token);
    this.#archive(batch.env);
    return ok(undefined);
  }

  /** The environment whose anchor holds `runId`. */
  async #envFor(
    runId: string,
    record: JournalRecord,
    fence: Fence | undefined,
    pending: Pending | undefined,
  ): Promise<Result<string, DriverError>> {
    const known = fence?.key ?? pending?.env ?? this.#envOf.get(runId);
    if (known !== undefined) return ok(known);
    if (record.event.type === "plan.started") return ok(record.event.intent.env);
    const found = await this.#locate("append", runId);
    if (found.isErr()) return err(found.error);
    if (found.value) return ok(found.value.env);
    return err(
      invalidInput(
        DRIVER,
        "append",
        `run ${runId} is on no anchor, and record ${record.seq} names no environment`,
        "a run starts with its plan.started record (its intent names the environment), or append with a fence",
      ),
    );
  }

  async #read(runId: string): Promise<Result<JournalRecord[], DriverError>> {
    const checked = parseInput(runIdSchema, runId, { driver: DRIVER, op: "read" });
    if (checked.isErr()) return err(checked.error);
    const stored = await this.#readStored(runId);
    if (stored.isErr()) return err(stored.error);
    const records = [...stored.value, ...(this.#pending.get(runId)?.records ?? [])];
    if (records.length === 0) {
      return err(
        driverError({
          driver: DRIVER,
          op: "read",
          reason: "not_found",
          message: `no run ${runId} on the Incus coordination store ${this.#anchors.where}`,
        }),
      );
    }
    const gap = records.findIndex((r, i) => r.seq !== i);
    if (gap >= 0) return err(gapError("read", runId, gap));
    if (!this.#pending.has(runId)) this.#stored.set(runId, stored.value.length);
    return ok(records);
  }

  /** The stored records of `runId`: from its anchor, else its archive; empty when there are none. */
  async #readStored(runId: string): Promise<Result<JournalRecord[], DriverError>> {
    const env = this.#envOf.get(runId) ?? this.#pending.get(runId)?.env;
    if (env === undefined) {
      const found = await this.#locate("read", runId);
      return found.map((f) => f?.records ?? []);
    }
    const anchor = this.#anchors.nameOf("read", "anchor", env);
    if (anchor.isErr()) return err(anchor.error);
    const state = await this.#anchors.read("read", anchor.value);
    if (state.isErr()) return err(state.error);
    const onAnchor = state.value ? runIn("anchor", state.value, runId) : ok([]);
    if (onAnchor.isErr() || onAnchor.value.length > 0) return onAnchor;
    // Newest archive first: the runs read most are the recent ones.
    for (let generation = generationOf(state.value?.config); generation >= 0; generation--) {
      const name = this.#anchors.archiveName(env, generation);
      if (name === undefined) continue;
      const archive = await this.#anchors.read("read", name);
      if (archive.isErr()) return err(archive.error);
      const records = archive.value ? runIn("archive", archive.value, runId) : ok([]);
      if (records.isErr() || records.value.length > 0) return records;
    }
    return ok([]);
  }

  /** Finds `runId` on any anchor (first) or archive of this prefix. */
  async #locate(
    op: string,
    runId: string,
  ): Promise<Result<{ env: string; records: JournalRecord[] } | undefined, DriverError>> {
    const listed = await this.#anchors.listAll(op);
    if (listed.isErr()) return err(listed.error);
    const order = (a: ListedAnchor) => (a.kind === "anchor" ? 0 : 1);
    for (const anchor of [...listed.value].sort((a, b) => order(a) - order(b))) {
      const records = runIn(anchor.kind, anchor, runId);
      if (records.isErr()) return err(records.error);
      if (records.value.length > 0) {
        this.#envOf.set(runId, anchor.env);
        return ok({ env: anchor.env, records: records.value });
      }
    }
    return ok(undefined);
  }

  /** Moves every finished run on `env`'s anchor to its archive, in the background. */
  #archive(env: string): void {
    const work = this.#archiveNow(env).finally(() => this.#compactions.delete(work));
    this.#compactions.add(work);
  }

  /**
   * Archive first, then delete from the anchor: a run is always on one of them (on both
   * after a kill in between; the next archiving cleans that up). A full archive sends the
   * runs to the next generation, which the anchor then names. Failures are left for the
   * next finished run to retry.
   */
  async #archiveNow(env: string): Promise<void> {
    const anchor = this.#anchors.nameOf("archive", "anchor", env);
    if (anchor.isErr()) return;
    const state = await this.#anchors.read("archive", anchor.value);
    if (state.isErr() || !state.value) return;
    const finished = [...anchorRuns(state.value.config)].flatMap(([runId, run]) =>
      run.records?.some((r) => r.event.type === "plan.finished") ? [{ runId, records: run.records }] : [],
    );
    if (finished.length === 0) return;
    const values: Record<string, string> = {};
    for (const { runId, records } of finished) values[archiveKey(runId)] = encodeRun(records);
    const generation = await this.#store(env, generationOf(state.value.config), values);
    if (generation === undefined) return;
    await this.#anchors.update("archive", anchor.value, "anchor", false, (current) => {
      const write: Record<string, string> = {};
      for (const { runId } of finished) {
        for (const key of anchorRun(current?.config ?? {}, runId)?.keys ?? []) write[key] = "";
      }
      if (generation > generationOf(current?.config)) write[GENERATION_KEY] = String(generation);
      return ok(Object.keys(write).length > 0 ? { write, value: undefined } : { value: undefined });
    });
  }

  /**
   * Writes `values` into `env`'s archive of `generation`, or of a later one when it is full
   * (unless the next one's name would be too long); the generation written, or
   * `undefined` when a write failed.
   */
  async #store(env: string, generation: number, values: Record<string, string>) {
    for (let g = generation; ; g++) {
      const name = this.#anchors.archiveName(env, g);
      if (name === undefined) return undefined;
      const rotates = this.#anchors.archiveName(env, g + 1) !== undefined;
      const stored = await this.#anchors.update("archive", name, "archive", true, (current) => {
        const held = archivedRuns(current?.config ?? {});
        const fresh = Object.keys(values).filter((k) => current?.config[k] === undefined).length;
        if (rotates && held.length > 0 && held.length + fresh > this.#archiveRuns)
          return ok({ value: false });
        return ok({ write: values, value: true });
      });
      if (stored.isErr()) return undefined;
      if (stored.value) return g;
    }
  }
}

/** A run's records in an anchor's or archive's config. */
function runIn(
  kind: "anchor" | "archive",
  instance: { readonly name: string; readonly config: Readonly<Record<string, string>> },
  runId: string,
): Result<JournalRecord[], DriverError> {
  const archived = instance.config[archiveKey(runId)];
  const records =
    kind === "anchor"
      ? (anchorRun(instance.config, runId) ?? { records: [] }).records
      : archived
        ? decodeRun(archived)
        : [];
  return records ? ok(records) : err(unreadableError("read", runId, instance.name));
}

function checkRecord(runId: string, record: JournalRecord): Result<void, DriverError> {
  const bad = (message: string) =>
    err(driverError({ driver: DRIVER, op: "append", reason: "invalid_input", message }));
  return parseInput(runIdSchema, runId, { driver: DRIVER, op: "append" }).andThen(() => {
    if (!Number.isSafeInteger(record?.seq) || record.seq < 0) return bad("record.seq must be an integer ≥ 0");
    if (typeof record.event?.type !== "string") return bad("record.event must be a run event");
    try {
      JSON.stringify(record.event);
    } catch (cause) {
      return bad(`record is not JSON-serialisable: ${(cause as Error).message}`);
    }
    return ok(undefined);
  });
}

function seqError(runId: string, seq: number, expected: number): DriverError {
  return driverError({
    driver: DRIVER,
    op: "append",
    reason: "conflict",
    message:
      seq < expected
        ? `run ${runId}: record ${seq} is already written (next is ${expected}): another writer appended to this run`
        : `run ${runId}: expected record ${expected}, got ${seq}`,
    hint: "stop: only the lease holder writes a run's journal; read it again before resuming",
    details: { seq, expected },
  });
}

/** A run whose key on `instance` holds no journal value. */
function unreadableError(op: string, runId: string, instance: string): DriverError {
  return driverError({
    driver: DRIVER,
    op,
    reason: "failed",
    message: `the journal of run ${runId} on ${instance} is not readable (not the gzip'd JSON events Backflip writes)`,
    hint: "keep the instance for the postmortem (incus config show) and check the environment by hand",
  });
}

/** A run whose stored records skip `seq` (only a previous-layout anchor can hold one). */
function gapError(op: string, runId: string, seq: number): DriverError {
  return driverError({
    driver: DRIVER,
    op,
    reason: "failed",
    message: `the journal of run ${runId} misses record ${seq} on its anchor`,
    hint: "keep the anchor for the postmortem (incus config show) and check the environment by hand",
  });
}

function fencedError(runId: string, fence: Fence, current: number | undefined): DriverError {
  return driverError({
    driver: DRIVER,
    op: "append",
    reason: "conflict",
    message:
      current === undefined
        ? `run ${runId}: the lease ${fence.token} on ${fence.key} is no longer held (released or broken): the append was refused`
        : `run ${runId}: the lease on ${fence.key} is now token ${current}, not ${fence.token}: the append was refused`,
    hint: "stop: another run may own this environment now; do not change anything more",
    details: {
      fenced: true,
      key: fence.key,
      token: fence.token,
      ...(current === undefined ? {} : { current }),
    },
  });
}
