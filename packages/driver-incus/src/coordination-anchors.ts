import { setTimeout as sleep } from "node:timers/promises";
import { type DriverError, driverError } from "@backflip/core";
import { invalidInput } from "@backflip/core/driver-kit";
import { err, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import type { IncusClient } from "./incus-client";
import { DRIVER } from "./incus-error";
import { type EtagShape, etagShape, instanceEtag, type RawProfile } from "./instance-etag";
import { monotonicNow, ServerClock } from "./server-clock";

/** The config key that marks an instance as Backflip's: `anchor` (lease + live runs) or `archive`. */
export const MARKER_KEY = "user.backflip.anchor";

/** What an anchor instance holds. */
export type AnchorKind = "anchor" | "archive";

/** One read of an anchor (or archive) instance. */
export interface AnchorState {
  readonly name: string;
  /** Its `user.*` and other config keys, as Incus returned them. */
  readonly config: Readonly<Record<string, string>>;
  /** The ETag to send as `If-Match` with the next write. */
  readonly etag: string;
  /** The server's time (epoch ms) right after the read: see {@link ServerClock}. */
  readonly now: number;
}

/** What {@link CoordinationAnchors.update} should do with a state it read: write keys (`""` deletes one), or only answer. */
export interface AnchorDecision<T> {
  /** Config keys to set in one If-Match PATCH; absent: nothing is written. */
  readonly write?: Readonly<Record<string, string>>;
  readonly value: T;
}

/** A Backflip instance found by {@link CoordinationAnchors.listAll}. */
export interface ListedAnchor {
  readonly name: string;
  readonly kind: AnchorKind;
  readonly env: string;
  readonly config: Readonly<Record<string, string>>;
}

const ENV = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
/** Incus instance names are at most 63 characters. */
const MAX_NAME = 63;
/** Attempts of one compare-and-swap before giving up as `unavailable`. */
const MAX_ATTEMPTS = 40;
/** Writes in a row on a predicted ETag that Incus refused before predicting stops for this process. */
const MAX_MISPREDICTIONS = 3;

interface RawInstance {
  readonly name?: string;
  readonly config?: Record<string, string>;
  readonly architecture?: string;
  readonly ephemeral?: boolean;
  readonly devices?: Record<string, unknown> | null;
  readonly profiles?: string[];
}

/**
 * The never-started instances Backflip coordinates through, one pair per environment:
 * `<prefix>-anchor-<env>` (the lease and the journal of runs in flight) and
 * `<prefix>-archive-<env>` (finished runs, one compressed key each). Every write is a
 * `PATCH /1.0/instances/{name}` with `If-Match` — Incus holds the instance's lock from
 * the ETag check through the write, so it is a true compare-and-swap — retried after a
 * 412 from a fresh read. Writes of one process to one instance go one at a time.
 *
 * After its own write, an anchor's next state is known here, and so is its ETag: Incus
 * hashes what the instance holds (see {@link instanceEtag}), checked once against a real
 * ETag. The next write then sends `If-Match` on that prediction without reading first —
 * still a compare-and-swap: Incus takes it only if the anchor is exactly the predicted
 * state. A 412 (someone else wrote) starts over from a fresh read; predictions stop
 * after {@link MAX_MISPREDICTIONS} such misses in a row.
 */
export class CoordinationAnchors {
  readonly #client: IncusClient;
  readonly #prefix: string;
  readonly #clock = new ServerClock();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #freed = new Set<string>();
  /** Each instance's state after this process's last read or write of it, with its predicted ETag. */
  readonly #known = new Map<string, { state: AnchorState; shape: EtagShape }>();
  readonly #profiles = new Map<string, RawProfile>();
  #mispredictions = 0;

  readonly #timeoutMs: number;

  /**
   * Anchors named `<prefix>-anchor-<env>` and `<prefix>-archive-<env>`, reached through
   * `client`; a request Incus has not answered after `timeoutMs` is a `timeout`.
   */
  constructor(client: IncusClient, prefix: string, timeoutMs: number) {
    this.#client = client;
    this.#prefix = prefix;
    this.#timeoutMs = timeoutMs;
  }

  /** The token space of these anchors: the same for every client of the project and prefix. */
  get issuer(): string {
    return `incus:${this.#client.project}/${this.#prefix}`;
  }

  /** The client's endpoint and project, for messages. */
  get where(): string {
    return `${this.#client.endpoint} (project ${this.#client.project})`;
  }

  /** Notes that this process's own write freed the lease `token` on `env` (a finished run's last record). */
  noteFreed(env: string, token: number): void {
    this.#freed.add(`${env}\n${token}`);
  }

  /** Whether {@link noteFreed} was called for this lease (once: the note is consumed). */
  takeFreed(env: string, token: number): boolean {
    return this.#freed.delete(`${env}\n${token}`);
  }

  /** The name of `env`'s instance of `kind`, or `invalid_input` when `env` cannot be part of an Incus name. */
  nameOf(op: string, kind: AnchorKind, env: string): Result<string, DriverError> {
    const name = `${this.#prefix}-${kind}-${env}`;
    if (typeof env !== "string" || !ENV.test(env) || name.length > MAX_NAME) {
      return err(
        invalidInput(
          DRIVER,
          op,
          `environment ${JSON.stringify(env)} cannot name an Incus anchor instance (${this.#prefix}-${kind}-<env>)`,
          `use letters, digits and inner '-', at most ${MAX_NAME - this.#prefix.length - kind.length - 2} characters`,
        ),
      );
    }
    return ok(name);
  }

  /**
   * The name of `env`'s archive of `generation`: `<prefix>-archive-<env>` for 0, then
   * `<prefix>-archive<generation>-<env>`; `undefined` when that name would be too long.
   */
  archiveName(env: string, generation: number): string | undefined {
    const name = `${this.#prefix}-archive${generation === 0 ? "" : generation}-${env}`;
    return ENV.test(env) && name.length <= MAX_NAME ? name : undefined;
  }

  /** The environment an instance name belongs to, when it is one of this prefix's. */
  parseName(name: string): { kind: AnchorKind; env: string } | undefined {
    const match = new RegExp(`^${this.#prefix}-(anchor|archive)(\\d*)-(.+)$`).exec(name);
    if (!match || !ENV.test(match[3]!) || (match[1] === "anchor" && match[2] !== "")) return undefined;
    return { kind: match[1] as AnchorKind, env: match[3]! };
  }

  /** Reads instance `name`; `null` when it does not exist, `conflict` when it is not Backflip's. */
  read(op: string, name: string): ResultAsync<AnchorState | null, DriverError> {
    const sentAt = monotonicNow();
    return this.#timed(op, `GET ${instancePath(name)}`, (signal) =>
      this.#client.send(op, { method: "GET", path: instancePath(name), signal }),
    )
      .map((res) => {
        this.#clock.observe(res.headers.date, sentAt, monotonicNow());
        return res;
      })
      .andThen((res) => {
        const instance = (res.envelope?.metadata as RawInstance | undefined) ?? {};
        const config = instance.config ?? {};
        const etag = res.headers.etag;
        if (!config[MARKER_KEY]) return err(notOurs(op, name));
        if (typeof etag !== "string") return err(failed(op, `Incus sent no ETag for ${name}`));
        const now = this.#clock.now();
        if (now === undefined) return err(failed(op, `Incus sent no Date header for ${name}`));
        const state: AnchorState = { name, config, etag, now };
        return new ResultAsync(
          this.#learn(op, state, instance).then(() => ok<AnchorState | null, DriverError>(state)),
        );
      })
      .orElse((e) => {
        if (e.reason !== "not_found") return err(e);
        this.#known.delete(name);
        return ok(null);
      });
  }

  /**
   * Keeps `state` as the instance's known state when its ETag is the one
   * {@link instanceEtag} computes (its profiles read once per process, again when they
   * no longer match); forgets it otherwise.
   */
  async #learn(op: string, state: AnchorState, instance: RawInstance): Promise<void> {
    this.#known.delete(state.name);
    if (this.#mispredictions >= MAX_MISPREDICTIONS) return;
    const etag = state.etag.replace(/^"|"$/g, "");
    for (const fresh of [false, true]) {
      const profiles = await this.#profilesOf(op, instance.profiles ?? [], fresh);
      if (!profiles) return;
      const shape = etagShape(instance, profiles);
      if (!shape) return;
      if (instanceEtag(shape, state.config) === etag) {
        this.#known.set(state.name, { state, shape });
        return;
      }
    }
  }

  /** The bodies of profiles `names` (cached; read again when `fresh`), `undefined` when one cannot be read. */
  async #profilesOf(op: string, names: readonly string[], fresh: boolean): Promise<RawProfile[] | undefined> {
    const bodies: RawProfile[] = [];
    for (const profile of names) {
      let body = fresh ? undefined : this.#profiles.get(profile);
      if (!body) {
        const path = `/1.0/profiles/${encodeURIComponent(profile)}`;
        const read = await this.#timed(op, `GET ${path}`, (signal) =>
          this.#client.sync<RawProfile>(op, { method: "GET", path, signal }),
        );
        if (read.isErr()) return undefined;
        body = read.value.metadata;
        this.#profiles.set(profile, body);
      }
      bodies.push(body);
    }
    return bodies;
  }

  /** The state `name` is in after this process wrote `write` on `known` (its ETag predicted). */
  #predict(known: { state: AnchorState; shape: EtagShape }, write: Readonly<Record<string, string>>) {
    const config: Record<string, string> = { ...known.state.config };
    for (const [k, v] of Object.entries(write)) {
      if (v === "") delete config[k];
      else config[k] = v;
    }
    const etag = `"${instanceEtag(known.shape, config)}"`;
    this.#known.set(known.state.name, { state: { ...known.state, config, etag }, shape: known.shape });
  }

  /** Reads instance `name` of `kind`, creating it (empty, never started) when it does not exist yet. */
  ensure(op: string, name: string, kind: AnchorKind): ResultAsync<AnchorState, DriverError> {
    return this.read(op, name).andThen((state) =>
      state ? okAsync(state) : new ResultAsync(this.#createAndRead(op, name, kind)),
    );
  }

  /**
   * Creates the instance and reads it. A concurrent creator may win: Incus then fails
   * ours (busy, exists, or a unique constraint) while the other creation may still be
   * running, so the instance is looked for a while before ours counts as failed.
   */
  async #createAndRead(
    op: string,
    name: string,
    kind: AnchorKind,
  ): Promise<Result<AnchorState, DriverError>> {
    const created = await this.#create(op, name, kind);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const state = await this.read(op, name);
      if (state.isErr()) return err(state.error);
      if (state.value) return ok(state.value);
      if (created.isErr() && attempt >= 10) return err(created.error);
      await sleep(25);
    }
    return err(failed(op, `${name} was not there after it was created`));
  }

  /**
   * A compare-and-swap on instance `name`: reads it (creating it first when `create` is
   * set; otherwise `decide` gets `null` for a missing instance), lets `decide` answer or
   * name the keys to write, and writes them with `If-Match` on the ETag it read. A 412
   * (someone wrote in between) starts over from a fresh read, so `decide` always judges
   * the state its write replaces.
   */
  update<T>(
    op: string,
    name: string,
    kind: AnchorKind,
    create: boolean,
    decide: (state: AnchorState | null) => Result<AnchorDecision<T>, DriverError>,
  ): ResultAsync<T, DriverError> {
    return this.#serialized(name, async (): Promise<Result<T, DriverError>> => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const known = this.#known.get(name);
        const now = this.#clock.now();
        const state =
          known && now !== undefined
            ? ok({ ...known.state, now })
            : await (create ? this.ensure(op, name, kind) : this.read(op, name));
        if (state.isErr()) return err(state.error);
        const decision = decide(state.value);
        // Only a write checks a predicted state: an answer judges a state read just now.
        if (known && (decision.isErr() || !decision.value.write)) {
          this.#known.delete(name);
          continue;
        }
        if (decision.isErr()) return err(decision.error);
        const { write, value } = decision.value;
        if (!write || !state.value) return ok(value);
        const written = await this.#patch(op, name, kind, state.value.etag, write);
        const current = this.#known.get(name);
        this.#known.delete(name);
        if (written.isErr()) {
          if (known && written.error.reason === "not_found") continue;
          return err(written.error);
        }
        if (written.value) {
          if (known) this.#mispredictions = 0;
          if (current) this.#predict(current, write);
          return ok(value);
        }
        if (known) {
          this.#mispredictions++;
          continue;
        }
        await sleep(Math.random() * 4 * attempt);
      }
      return err(
        driverError({
          driver: DRIVER,
          op,
          reason: "unavailable",
          message: `${name} changed under every one of ${MAX_ATTEMPTS} compare-and-swap attempts`,
          hint: "too many writers on one environment at once: retry shortly",
        }),
      );
    });
  }

  /**
   * Every anchor and archive (of every generation) of this prefix, with their config: one `GET
   * /1.0/instances?recursion=1` filtered by Incus on the name (and again here).
   */
  listAll(op: string): ResultAsync<ListedAnchor[], DriverError> {
    const filter = `name eq ^${this.#prefix}-(anchor|archive[0-9]*)-`;
    return this.#timed(op, "GET /1.0/instances", (signal) =>
      this.#client.sync<RawInstance[]>(op, {
        method: "GET",
        path: "/1.0/instances",
        query: { recursion: "1", filter },
        signal,
      }),
    ).map(({ metadata }) =>
      (metadata ?? []).flatMap((instance) => {
        const parsed = instance.name ? this.parseName(instance.name) : undefined;
        const config = instance.config ?? {};
        if (!parsed || !instance.name || config[MARKER_KEY] !== parsed.kind) return [];
        return [{ name: instance.name, ...parsed, config }];
      }),
    );
  }

  /**
   * `true` when the write landed, `false` on 412 (the instance changed since `etag`). The
   * description goes with it: Incus 6.0's PATCH sets the one of its body, empty when absent.
   */
  #patch(op: string, name: string, kind: AnchorKind, etag: string, config: Readonly<Record<string, string>>) {
    const sentAt = monotonicNow();
    return this.#timed(op, `PATCH ${instancePath(name)}`, (signal) =>
      this.#client
        .send(op, {
          method: "PATCH",
          path: instancePath(name),
          json: { config, description: descriptionOf(kind) },
          headers: { "if-match": etag },
          signal,
        })
        .andThen((res) => {
          this.#clock.observe(res.headers.date, sentAt, monotonicNow());
          const id = (res.envelope?.metadata as { id?: unknown } | undefined)?.id;
          if (res.envelope?.type !== "async" || typeof id !== "string") return okAsync(true);
          return this.#client.wait(op, id, 60, undefined, signal).map(() => true);
        }),
    ).orElse((e) => (e.details?.status === 412 || busy(e) ? ok(false) : err(e)));
  }

  #create(op: string, name: string, kind: AnchorKind): ResultAsync<void, DriverError> {
    return this.#timed(op, "POST /1.0/instances", (signal) =>
      this.#client.operation(
        op,
        {
          method: "POST",
          path: "/1.0/instances",
          json: {
            name,
            type: "container",
            source: { type: "none" },
            description: descriptionOf(kind),
            config: { [MARKER_KEY]: kind },
          },
          signal,
        },
        60,
      ),
    ).map(() => undefined);
  }

  /** `send` under a deadline: a request Incus has not answered in time is a `timeout`, not a hang. */
  #timed<T>(
    op: string,
    request: string,
    send: (signal: AbortSignal) => ResultAsync<T, DriverError>,
  ): ResultAsync<T, DriverError> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    return send(signal).mapErr((e) =>
      e.reason === "aborted" && signal.aborted
        ? driverError({
            driver: DRIVER,
            op,
            reason: "timeout",
            message: `Incus did not answer ${request} within ${this.#timeoutMs} ms`,
            hint: "the Incus server is slow or unreachable: check it (incus info), then retry",
            details: { request, timeoutMs: this.#timeoutMs },
          })
        : e,
    );
  }

  #serialized<T>(name: string, work: () => Promise<Result<T, DriverError>>): ResultAsync<T, DriverError> {
    const previous = this.#queues.get(name) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(name, tail);
    void tail.then(() => {
      if (this.#queues.get(name) === tail) this.#queues.delete(name);
    });
    return new ResultAsync(next);
  }
}

/** What an anchor of `kind` says it is, in `incus list`. */
function descriptionOf(kind: AnchorKind): string {
  const what = kind === "anchor" ? "lease and journal of runs in flight" : "journal of finished runs";
  return `Backflip coordination (${what}): never start it`;
}

function instancePath(name: string): string {
  return `/1.0/instances/${encodeURIComponent(name)}`;
}

function notOurs(op: string, name: string): DriverError {
  return driverError({
    driver: DRIVER,
    op,
    reason: "conflict",
    message: `the Incus instance ${name} exists but is not a Backflip anchor (no ${MARKER_KEY} key)`,
    hint: "another instance already has this name: pick another prefix for the coordination store",
  });
}

/** Incus refused because another operation on the instance (e.g. its creation) is running: retry. */
function busy(e: DriverError): boolean {
  return /\bbusy\b/i.test(String(e.details?.incusError ?? ""));
}

function failed(op: string, message: string): DriverError {
  return driverError({ driver: DRIVER, op, reason: "failed", message });
}
