import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import {
  type Action,
  type ContainerHost,
  type ContainerOperation,
  type DriverError,
  driverError,
  type FileEntry,
  type FileMeta,
  type InstanceFilter,
  type InstanceInfo,
  type InstanceSnapshot,
  type Shell,
} from "@backflip/core";
import {
  absolutePathSchema,
  instanceNameSchema,
  invalidInput,
  lazySchema,
  parseInput,
  snapshotNameSchema,
} from "@backflip/core/driver-kit";
import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import * as z from "zod";
import { incusCliActions } from "./incus-cli-actions";
import type { IncusClient, IncusResponse } from "./incus-client";
import { DRIVER } from "./incus-error";
import { IncusShell } from "./incus-shell";
import { InstanceSftp } from "./instance-sftp";
import { memberUnavailable } from "./member-unavailable";
import { compileNamePattern } from "./name-pattern";
import { SftpFailure } from "./sftp-session";

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/** Incus status codes this driver branches on. */
const STOPPED = 102;
const RUNNING = 103;
const READY = 113;
const ERROR = 112;

/** Tunables of an {@link IncusHost}, already validated by `createIncusHost`. */
export interface IncusHostSettings {
  /** Default seconds to wait for start, snapshot, restore and delete operations. */
  readonly timeoutS: number;
  /** Default seconds a graceful stop may take before Incus gives up. */
  readonly stopTimeoutS: number;
  /** After a shell timeout or abort, milliseconds between SIGTERM and SIGKILL. */
  readonly killGraceMs: number;
}

/** An instance's local configuration with its ETag, for a later conditional write. */
export interface InstanceConfig {
  /** The instance's own `config` keys (not the profiles'). */
  readonly config: Readonly<Record<string, string>>;
  /** The ETag of the instance as read; pass it to {@link IncusHost.patchConfig}. */
  readonly etag: string;
}

/** The instance fields of `/1.0/instances?recursion=1` this driver reads. */
interface RawInstance {
  readonly name: string;
  readonly status: string;
  readonly status_code: number;
  readonly config?: Record<string, string>;
  /** The cluster member holding the instance; `none` on a server that is not clustered. */
  readonly location?: string;
}

/** The writable fields of an instance that `copy` carries over. */
interface WritableInstance {
  readonly architecture?: string;
  readonly config?: Record<string, string>;
  readonly devices?: Record<string, Record<string, string>>;
  readonly profiles?: string[];
  readonly ephemeral?: boolean;
  readonly description?: string;
}

/** Where a new instance comes from and which cluster member gets it. */
export interface CreateInstanceOptions {
  /** An image alias to create from (e.g. `busybox`); without it the instance is empty (`incus create --empty`). */
  readonly image?: string;
  /** The cluster member to place it on (`?target=`); without it the cluster picks one. */
  readonly target?: string;
}

const filterSchema = lazySchema(() =>
  z
    .object({
      names: z.array(instanceNameSchema).optional(),
      pattern: z.string().optional(),
    })
    .strict(),
);

const fileMetaSchema = lazySchema(() =>
  z
    .object({
      mode: z.number().int().min(0).max(0o7777).optional(),
      uid: z.number().int().min(0).max(0xfffffffe).optional(),
      gid: z.number().int().min(0).max(0xfffffffe).optional(),
    })
    .strict(),
);

/** A cluster member name (Incus server names follow the same rule as instance names). */
const targetSchema = lazySchema(() => instanceNameSchema.optional());

const createSchema = lazySchema(() =>
  z
    .object({
      image: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/, "expected an image alias like busybox")
        .optional(),
      target: targetSchema,
    })
    .strict(),
);

const timeoutSchema = lazySchema(() => z.number().int().positive().max(86_400).optional());

const configSchema = lazySchema(() =>
  z.record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "expected a config key like user.note or limits.cpu"),
    z.string(),
  ),
);

const filePathSchema = lazySchema(() =>
  absolutePathSchema.refine((p) => p !== "/" && !p.endsWith("/"), "expected a file path, not a directory"),
);

/**
 * The {@link ContainerHost} over the Incus REST API (unix socket or HTTPS), in one
 * project. Every method validates its input first (`invalid_input`, nothing sent), waits
 * on Incus operations and checks their own status, and maps Incus's error envelope to
 * {@link DriverError} reasons with Incus's message kept. Build it with `createIncusHost`.
 */
export class IncusHost implements ContainerHost {
  /** `incus`. */
  readonly name = DRIVER;
  readonly #client: IncusClient;
  readonly #settings: IncusHostSettings;
  readonly #sftp: InstanceSftp;

  /** A host over `client`; prefer `createIncusHost`, which validates options. */
  constructor(client: IncusClient, settings: IncusHostSettings) {
    this.#client = client;
    this.#settings = settings;
    this.#sftp = new InstanceSftp(client);
  }

  /** The Incus project every request targets. */
  get project(): string {
    return this.#client.project;
  }

  /** How many requests this host has sent so far (tests use it to prove bad input sends none). */
  get requestsSent(): number {
    return this.#client.sent;
  }

  /** Instances matching the filter (all when none), sorted by name; `names` and `pattern` must both match. */
  list(filter: InstanceFilter = {}): ResultAsync<InstanceInfo[], DriverError> {
    const checked = parseInput(filterSchema, filter, { driver: DRIVER, op: "list" }).andThen((f) =>
      f.pattern === undefined
        ? ok({ names: f.names, match: undefined })
        : compileNamePattern(DRIVER, f.pattern).map((match) => ({ names: f.names, match })),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { names, match } = checked.value;
    const wanted = names === undefined ? undefined : new Set(names);
    const infos = (raw: readonly RawInstance[]) =>
      raw
        .filter((i) => (wanted === undefined || wanted.has(i.name)) && (match === undefined || match(i.name)))
        .map(toInfo)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const all = () =>
      this.#client
        .sync<RawInstance[]>("list", { method: "GET", path: "/1.0/instances", query: { recursion: "1" } })
        .map(({ metadata }) => infos(metadata ?? []));
    if (wanted === undefined || wanted.size > NAMED_GETS_MAX) return all();
    // A few names: one GET each, together. Incus renders every instance's state for the
    // whole list (36–110 ms for a dozen on the lab, against 5–30 ms for three GETs). A
    // missing instance is absent; any other failure (a cluster member down, which the
    // list still reports the instance of) falls back to the whole list.
    return ResultAsync.combine(
      [...wanted].map((n) =>
        this.#client
          .sync<RawInstance>("list", { method: "GET", path: instancePath(n) })
          .map(({ metadata }): RawInstance | null => metadata)
          .orElse((e) => (e.reason === "not_found" ? okAsync(null) : errAsync(e))),
      ),
    )
      .map((found) => infos(found.filter((i): i is RawInstance => i !== null)))
      .orElse(all);
  }

  /** One instance's status; `not_found` when it does not exist. */
  state(name: string): ResultAsync<InstanceInfo, DriverError> {
    return this.#name("state", name).asyncAndThen((n) => this.#instance("state", n).map(toInfo));
  }

  /**
   * Creates a (stopped) container from `image`, or empty without one, on cluster member
   * `target` when given (`incus create IMAGE NAME --target MEMBER`); `conflict` when the
   * name is taken.
   */
  create(name: string, options: CreateInstanceOptions = {}): ResultAsync<void, DriverError> {
    const checked = this.#name("create", name).andThen((n) =>
      parseInput(createSchema, options, { driver: DRIVER, op: "create" }).map((o) => ({ n, o })),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { n, o } = checked.value;
    const source = o.image === undefined ? { type: "none" } : { type: "image", alias: o.image };
    return this.#post("create", n, source, o.target);
  }

  /**
   * Copies instance `from` (stopped, or its state as is) to a new container `to`, on
   * cluster member `target` when given (`incus copy FROM TO --target MEMBER`).
   */
  copy(from: string, to: string, options: { target?: string } = {}): ResultAsync<void, DriverError> {
    const checked = this.#name("copy", from).andThen((f) =>
      this.#name("copy", to).andThen((t) =>
        parseInput(targetSchema, options.target, { driver: DRIVER, op: "copy" }).map((target) => ({
          f,
          t,
          target,
        })),
      ),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { f, t, target } = checked.value;
    // Like `incus copy`: the source's writable fields travel with the request (a copy onto
    // another member is refused without its architecture), its volatile keys do not.
    return this.#client
      .sync<WritableInstance>("copy", { method: "GET", path: instancePath(f) })
      .orElse((e) => memberUnavailable(this.#client, "copy", f, e).andThen((named) => errAsync(named)))
      .andThen(({ metadata: src }) =>
        this.#post("copy", t, { type: "copy", source: f }, target, {
          architecture: src.architecture,
          config: Object.fromEntries(
            Object.entries(src.config ?? {}).filter(([k]) => !k.startsWith("volatile.")),
          ),
          devices: src.devices ?? {},
          profiles: src.profiles ?? [],
          ephemeral: src.ephemeral ?? false,
          description: src.description ?? "",
        }),
      );
  }

  /** Starts the instance and waits for the operation; a running instance is left as is. */
  start(name: string, options: { timeoutS?: number } = {}): ResultAsync<void, DriverError> {
    const checked = this.#name("start", name).andThen((n) =>
      parseInput(timeoutSchema, options.timeoutS, { driver: DRIVER, op: "start" }).map((t) => ({ n, t })),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { n, t } = checked.value;
    // An open file session keeps a process in the instance: end it before its state changes.
    this.#sftp.drop(n);
    const timeoutS = t ?? this.#settings.timeoutS;
    return this.#instance("start", n).andThen((inst) =>
      isUp(inst.status_code)
        ? okAsync(undefined)
        : this.#client
            .operation(
              "start",
              { method: "PUT", path: `${instancePath(n)}/state`, json: { action: "start" } },
              timeoutS,
            )
            .map(() => undefined)
            .orElse((e) => this.#settled("start", n, e, (code) => isUp(code))),
    );
  }

  /** Stops the instance and waits (`force` kills it); a stopped instance is left as is. */
  stop(name: string, options: { timeoutS?: number; force?: boolean } = {}): ResultAsync<void, DriverError> {
    const checked = this.#name("stop", name).andThen((n) =>
      parseInput(timeoutSchema, options.timeoutS, { driver: DRIVER, op: "stop" }).andThen((t) =>
        parseInput(z.boolean().optional(), options.force, { driver: DRIVER, op: "stop" }).map((force) => ({
          n,
          t,
          force: force ?? false,
        })),
      ),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { n, t, force } = checked.value;
    // An open file session keeps a process in the instance: end it before its state changes.
    this.#sftp.drop(n);
    const graceS = t ?? this.#settings.stopTimeoutS;
    const hint = force
      ? undefined
      : `the instance did not shut down within ${graceS} s: retry with force: true (\`incus stop --force ${n}\`)`;
    return this.#instance("stop", n).andThen((inst) =>
      inst.status_code === STOPPED
        ? okAsync(undefined)
        : this.#client
            .operation(
              "stop",
              {
                method: "PUT",
                path: `${instancePath(n)}/state`,
                json: { action: "stop", force, timeout: force ? -1 : graceS },
              },
              graceS + this.#settings.timeoutS,
              hint,
            )
            .map(() => undefined)
            .orElse((e) => this.#settled("stop", n, e, (code) => code === STOPPED)),
    );
  }

  /** Deletes the instance (and its snapshots); a running one is `conflict` unless `stopFirst` (then force-stopped). */
  delete(name: string, options: { stopFirst?: boolean } = {}): ResultAsync<void, DriverError> {
    const checked = this.#name("delete", name).andThen((n) =>
      parseInput(z.boolean().optional(), options.stopFirst, { driver: DRIVER, op: "delete" }).map(
        (stopFirst) => ({
          n,
          stopFirst: stopFirst ?? false,
        }),
      ),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { n, stopFirst } = checked.value;
    this.#sftp.drop(n);
    return this.#instance("delete", n)
      .andThen((inst) => {
        if (inst.status_code === STOPPED || inst.status_code === ERROR) return okAsync(undefined);
        if (!stopFirst) {
          return errAsync(
            driverError({
              driver: DRIVER,
              op: "delete",
              reason: "conflict",
              message: `instance ${n} is ${inst.status}: refusing to delete a running instance`,
              hint: `stop it first (\`incus stop ${n}\`) or pass stopFirst: true`,
              details: { instance: n, status: inst.status, statusCode: inst.status_code },
            }),
          );
        }
        return this.stop(n, { force: true });
      })
      .andThen(() =>
        this.#client.operation(
          "delete",
          { method: "DELETE", path: instancePath(n) },
          this.#settings.timeoutS,
        ),
      )
      .map(() => undefined);
  }

  /** The `incus` command an operator would type for a call (`incus start NAME`, …): the dry run. */
  describe(operation: ContainerOperation): readonly Action[] {
    return incusCliActions(this.project, operation);
  }

  /** A {@link Shell} running commands inside the instance, like `incus exec NAME --`. */
  shell(name: string): Shell {
    return new IncusShell({
      client: this.#client,
      instance: name,
      killGraceMs: this.#settings.killGraceMs,
      files: {
        readFile: (path) => this.pullFile(name, path),
        writeFileAtomic: (path, data, options) =>
          this.pushFile(name, path, data, options?.mode === undefined ? {} : { mode: options.mode }),
        rename: (from, to) => this.renameFile(name, from, to),
        link: (from, to) => this.linkFile(name, from, to),
        remove: (path) => this.removeFile(name, path),
        list: (dir) => this.listFiles(name, dir),
      },
    });
  }

  /**
   * Writes a file inside the instance (running or stopped) atomically, over its SFTP
   * session: the bytes go to a temp file in the same directory (created with `meta`, else
   * the replaced file's owner and mode, else root and 0644), which is then renamed over
   * `path`; on failure the temp file is removed.
   */
  pushFile(
    name: string,
    path: string,
    data: string | Uint8Array,
    meta: FileMeta = {},
  ): ResultAsync<void, DriverError> {
    const checked = this.#name("pushFile", name).andThen((n) =>
      parseInput(filePathSchema, path, { driver: DRIVER, op: "pushFile" }).andThen((p) =>
        parseInput(fileMetaSchema, meta, { driver: DRIVER, op: "pushFile" }).andThen((m) =>
          typeof data === "string" || data instanceof Uint8Array
            ? ok({ n, p, m })
            : err(invalidInput(DRIVER, "pushFile", "data must be a string or bytes")),
        ),
      ),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { n, p, m } = checked.value;
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const tmp = posix.join(
      posix.dirname(p),
      `.${posix.basename(p)}.backflip-${randomBytes(6).toString("hex")}`,
    );
    return this.#sftp.run("pushFile", n, `writing ${p}`, async (sftp) => {
      // The target's STAT goes out with the temp file's OPEN: the owner and mode it gives
      // are set on the temp file once known.
      const attrs = sftp
        .stat(p)
        .catch((e: unknown) => {
          if (e instanceof SftpFailure && e.code === 2) return null;
          throw e;
        })
        .then((existing) => {
          if (existing?.mode !== undefined && (existing.mode & S_IFMT) === S_IFDIR) {
            throw invalidInput(DRIVER, "pushFile", `${p} is a directory in ${n}`);
          }
          return {
            mode: m.mode ?? (existing?.mode === undefined ? 0o644 : existing.mode & 0o7777),
            uid: m.uid ?? existing?.uid ?? 0,
            gid: m.gid ?? existing?.gid ?? 0,
          };
        });
      try {
        await sftp.createFile(tmp, bytes, attrs);
        await sftp.rename(tmp, p);
      } catch (e) {
        await sftp.remove(tmp).catch(() => undefined);
        throw e;
      }
    });
  }

  /** Renames a file over another in the instance, atomically (same filesystem). */
  renameFile(name: string, from: string, to: string): ResultAsync<void, DriverError> {
    const checked = this.#twoPaths("renameFile", name, from, to);
    if (checked.isErr()) return errAsync(checked.error);
    const { n, f, t } = checked.value;
    return this.#sftp.run("renameFile", n, `renaming ${f} over ${t}`, (sftp) => sftp.rename(f, t));
  }

  /**
   * Makes `to` a hard link of `from` in the instance (same filesystem), replacing `to`
   * atomically: the file kept as it is, without a rewrite; one SFTP round trip.
   */
  linkFile(name: string, from: string, to: string): ResultAsync<void, DriverError> {
    const checked = this.#twoPaths("linkFile", name, from, to);
    if (checked.isErr()) return errAsync(checked.error);
    const { n, f, t } = checked.value;
    const temp = posix.join(
      posix.dirname(t),
      `.${posix.basename(t)}.backflip-${randomBytes(6).toString("hex")}.link`,
    );
    return this.#sftp.run("linkFile", n, `linking ${f} as ${t}`, (sftp) => sftp.link(f, t, temp));
  }

  /** Lists a directory of the instance (`.` and `..` left out), with each entry's mtime. */
  listFiles(name: string, dir: string): ResultAsync<FileEntry[], DriverError> {
    const checked = this.#name("listFiles", name).andThen((n) =>
      parseInput(filePathSchema, dir, { driver: DRIVER, op: "listFiles" }).map((d) => ({ n, d })),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { n, d } = checked.value;
    return this.#sftp.run("listFiles", n, `listing ${d}`, async (sftp) =>
      (await sftp.list(d)).map((e) => ({
        name: e.name,
        mtimeMs: e.attrs.mtime === undefined ? null : e.attrs.mtime * 1000,
      })),
    );
  }

  /** Removes a file from the instance; a missing file is not an error. */
  removeFile(name: string, path: string): ResultAsync<void, DriverError> {
    const checked = this.#name("removeFile", name).andThen((n) =>
      parseInput(filePathSchema, path, { driver: DRIVER, op: "removeFile" }).map((p) => ({ n, p })),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { n, p } = checked.value;
    return this.#sftp.run("removeFile", n, `removing ${p}`, (sftp) => sftp.remove(p));
  }

  /**
   * Reads a whole file from the instance over its SFTP session, following symlinks and
   * reading to EOF (so `/proc` files read fully); `not_found` when missing.
   */
  pullFile(name: string, path: string): ResultAsync<Uint8Array, DriverError> {
    const checked = this.#name("pullFile", name).andThen((n) =>
      parseInput(absolutePathSchema, path, { driver: DRIVER, op: "pullFile" }).map((p) => ({ n, p })),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { n, p } = checked.value;
    return this.#sftp.run(
      "pullFile",
      n,
      `reading ${p}`,
      async (sftp) =>
        // The open handle's attributes tell a directory: no STAT round trip first.
        new Uint8Array(
          await sftp.readFile(p, (st) => {
            if (st.mode !== undefined && (st.mode & S_IFMT) === S_IFDIR) {
              throw invalidInput(DRIVER, "pullFile", `${p} is a directory in ${n}`);
            }
          }),
        ),
    );
  }

  /** Creates a snapshot (stateless) and returns it with its creation time. */
  createSnapshot(name: string, snapshot: string): ResultAsync<InstanceSnapshot, DriverError> {
    const checked = this.#snapshotArgs("createSnapshot", name, snapshot);
    if (checked.isErr()) return errAsync(checked.error);
    const { n, s } = checked.value;
    return this.#client
      .operation(
        "createSnapshot",
        { method: "POST", path: `${instancePath(n)}/snapshots`, json: { name: s, stateful: false } },
        this.#settings.timeoutS,
      )
      .andThen(() =>
        this.#client.sync<{ name: string; created_at: string }>("createSnapshot", {
          method: "GET",
          path: snapshotPath(n, s),
        }),
      )
      .map(({ metadata }) => ({ name: s, createdAt: metadata.created_at }));
  }

  /** The instance's snapshots, oldest first. */
  listSnapshots(name: string): ResultAsync<InstanceSnapshot[], DriverError> {
    return this.#name("listSnapshots", name).asyncAndThen((n) =>
      this.#client
        .sync<{ name: string; created_at: string }[]>("listSnapshots", {
          method: "GET",
          path: `${instancePath(n)}/snapshots`,
          query: { recursion: "1" },
        })
        .map(({ metadata }) =>
          (metadata ?? [])
            .map((s) => ({ name: s.name.split("/").pop() ?? s.name, createdAt: s.created_at }))
            .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt)),
        ),
    );
  }

  /** Restores the instance to a snapshot (a running instance is stopped, restored and started by Incus). */
  restoreSnapshot(name: string, snapshot: string): ResultAsync<void, DriverError> {
    const checked = this.#snapshotArgs("restoreSnapshot", name, snapshot);
    if (checked.isErr()) return errAsync(checked.error);
    const { n, s } = checked.value;
    // An open file session keeps a process in the instance: end it before its state changes.
    this.#sftp.drop(n);
    // Checked first: Incus reports a missing snapshot only as a failed operation.
    return this.#client
      .sync("restoreSnapshot", { method: "GET", path: snapshotPath(n, s) })
      .andThen(() =>
        this.#client.operation(
          "restoreSnapshot",
          { method: "PUT", path: instancePath(n), json: { restore: s, stateful: false } },
          this.#settings.timeoutS,
        ),
      )
      .map(() => undefined);
  }

  /** Deletes a snapshot. */
  deleteSnapshot(name: string, snapshot: string): ResultAsync<void, DriverError> {
    const checked = this.#snapshotArgs("deleteSnapshot", name, snapshot);
    if (checked.isErr()) return errAsync(checked.error);
    const { n, s } = checked.value;
    return this.#client
      .operation("deleteSnapshot", { method: "DELETE", path: snapshotPath(n, s) }, this.#settings.timeoutS)
      .map(() => undefined);
  }

  /** The instance's own config keys and its ETag (for {@link IncusHost.patchConfig}). */
  readConfig(name: string): ResultAsync<InstanceConfig, DriverError> {
    return this.#name("readConfig", name).asyncAndThen((n) =>
      this.#client
        .sync<RawInstance>("readConfig", { method: "GET", path: instancePath(n) })
        .andThen(({ metadata, etag }) =>
          etag === undefined
            ? errAsync(
                driverError({
                  driver: DRIVER,
                  op: "readConfig",
                  reason: "failed",
                  message: `Incus sent no ETag for ${n}`,
                }),
              )
            : okAsync({ config: metadata.config ?? {}, etag }),
        ),
    );
  }

  /**
   * Sets config keys on the instance (`PATCH`, other keys kept). With `etag` (from
   * {@link IncusHost.readConfig}) the write is conditional (`If-Match`): when the
   * instance changed since, it is `conflict` and nothing is written.
   */
  patchConfig(
    name: string,
    config: Readonly<Record<string, string>>,
    options: { etag?: string } = {},
  ): ResultAsync<void, DriverError> {
    const checked = this.#name("patchConfig", name).andThen((n) =>
      parseInput(configSchema, config, { driver: DRIVER, op: "patchConfig" }).andThen((c) =>
        parseInput(z.string().min(1).optional(), options.etag, { driver: DRIVER, op: "patchConfig" }).map(
          (etag) => ({
            n,
            c,
            etag,
          }),
        ),
      ),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { n, c, etag } = checked.value;
    return this.#client
      .send(
        "patchConfig",
        {
          method: "PATCH",
          path: instancePath(n),
          json: { config: c },
          ...(etag === undefined ? {} : { headers: { "if-match": etag } }),
        },
        `${n} changed since it was read: read its config again (readConfig), then retry with the new ETag`,
      )
      .andThen((res) => this.#settle("patchConfig", res))
      .map(() => undefined);
  }

  /** Closes this host's connections; later calls fail with `unavailable`. */
  close(): ResultAsync<void, DriverError> {
    this.#sftp.close();
    return this.#client.close();
  }

  #name(op: string, name: string): Result<string, DriverError> {
    return parseInput(instanceNameSchema, name, { driver: DRIVER, op });
  }

  /** The instance name and two file paths of `op`, validated. */
  #twoPaths(op: string, name: string, from: string, to: string) {
    return this.#name(op, name).andThen((n) =>
      parseInput(filePathSchema, from, { driver: DRIVER, op }).andThen((f) =>
        parseInput(filePathSchema, to, { driver: DRIVER, op }).map((t) => ({ n, f, t })),
      ),
    );
  }

  #snapshotArgs(op: string, name: string, snapshot: string): Result<{ n: string; s: string }, DriverError> {
    return this.#name(op, name).andThen((n) =>
      parseInput(snapshotNameSchema, snapshot, { driver: DRIVER, op }).map((s) => ({ n, s })),
    );
  }

  #instance(op: string, name: string): ResultAsync<RawInstance, DriverError> {
    return this.#client
      .sync<RawInstance>(op, { method: "GET", path: instancePath(name) })
      .map(({ metadata }) => metadata)
      .orElse((e) => memberUnavailable(this.#client, op, name, e).andThen((named) => errAsync(named)));
  }

  /** `POST /1.0/instances` (with `?target=`) for a validated name, source and member, and its operation. */
  #post(
    op: string,
    name: string,
    source: unknown,
    target: string | undefined,
    fields: Readonly<Record<string, unknown>> = { profiles: ["default"] },
  ): ResultAsync<void, DriverError> {
    return this.#client
      .operation(
        op,
        {
          method: "POST",
          path: "/1.0/instances",
          ...(target === undefined ? {} : { query: { target } }),
          json: { ...fields, name, type: "container", source },
        },
        this.#settings.timeoutS,
      )
      .map(() => undefined);
  }

  /** Waits for a response's operation when Incus answered asynchronously. */
  #settle(op: string, res: IncusResponse): ResultAsync<void, DriverError> {
    const id = (res.envelope?.metadata as { id?: unknown } | undefined)?.id;
    if (res.envelope?.type !== "async" || typeof id !== "string") return okAsync(undefined);
    return this.#client.wait(op, id, this.#settings.timeoutS).map(() => undefined);
  }

  /** After a failed state change: success when the instance reached the wanted state anyway (a race). */
  #settled(
    op: string,
    name: string,
    error: DriverError,
    reached: (statusCode: number) => boolean,
  ): ResultAsync<void, DriverError> {
    return this.#instance(op, name)
      .orElse(() => errAsync(error))
      .andThen((inst) => (reached(inst.status_code) ? okAsync(undefined) : errAsync(error)));
  }
}

function toInfo(inst: RawInstance): InstanceInfo {
  return {
    name: inst.name,
    status: inst.status,
    statusCode: inst.status_code,
    running: isUp(inst.status_code),
    ...(inst.location === undefined || inst.location === "" || inst.location === "none"
      ? {}
      : { location: inst.location }),
  };
}

/** Up: 103 Running or 113 Ready. */
function isUp(statusCode: number): boolean {
  return statusCode === RUNNING || statusCode === READY;
}

/** Up to this many exact names, {@link IncusHost.list} asks each instance instead of listing them all. */
const NAMED_GETS_MAX = 8;

function instancePath(name: string): string {
  return `/1.0/instances/${encodeURIComponent(name)}`;
}

function snapshotPath(name: string, snapshot: string): string {
  return `${instancePath(name)}/snapshots/${encodeURIComponent(snapshot)}`;
}

/** The files API headers for a new regular file: type, overwrite, and owner/mode when known. */
