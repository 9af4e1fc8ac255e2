import { createHash, randomBytes } from "node:crypto";
import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import type { Action } from "../plan/action";
import type { Fence } from "../ports/lease-lock";
import type { RenderedConfig, SwitchRequest, TrafficState, TrafficSwitch } from "../ports/traffic-switch";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { absolutePathSchema, simpleNameSchema } from "../validate/schemas";
import { timerMsSchema } from "../validate/timer-ms-schema";
import { poll } from "./poll";
import type { RemoteFiles } from "./remote-files";
import { formatRevision } from "./revision";
import { fenceSchema, switchRequestSchema, trafficStateSchema } from "./switch-input";
import type { TrafficBackend } from "./traffic-backend";
import { type TrafficStateFiles, trafficStateStore } from "./traffic-state-store";

/** Options of {@link createTrafficSwitch}: the driver's backend, and what core needs besides. */
export interface TrafficSwitchOptions {
  /** What differs per proxy. */
  readonly backend: TrafficBackend;
  /** File access where the live file and the state files are (errors named after the backend). */
  readonly files: RemoteFiles;
  /** The colors the switch routes to. */
  readonly colors: readonly string[];
  /** The active-color file, its history and the history bound. */
  readonly state: TrafficStateFiles;
  /** How long `confirm` waits for the running proxy to report a revision (default 10000 ms). */
  readonly confirmTimeoutMs?: number;
  /** The clock of history lines (default: the system clock). */
  readonly now?: () => Date;
}

const optionsSchema = lazySchema(() =>
  z.object({
    colors: z.array(simpleNameSchema).min(2),
    state: z.object({
      stateFile: absolutePathSchema,
      historyFile: absolutePathSchema,
      historyLimit: z.number().int().min(1).max(100_000),
    }),
    confirmTimeoutMs: timerMsSchema.optional(),
  }),
);

/** A candidate older than this was left by a run that has ended; also how often a switch sweeps them. */
const STALE_TEMP_MS = 10 * 60_000;

/** How long a lone `liveRevision` retries a proxy that is briefly unavailable (reloading). */
const LIVE_REVISION_GRACE_MS = 2000;

const sha256 = (content: string) => createHash("sha256").update(content).digest("hex");
const unavailable = (e: DriverError) => e.reason === "unavailable";

/**
 * A whole {@link TrafficSwitch} from a driver's {@link TrafficBackend}. Core owns the
 * generic half: input checks; staging a candidate as a hidden sibling of the live file
 * (`backend.check` runs on it, the live file untouched; a failed check removes it) and
 * reusing it at install when the content is the one validated; install by rename,
 * keeping the replaced file as `.prev` (hard-linked where the Shell can, not rewritten;
 * installing the installed content again is a no-op); the state files (idempotent
 * record per run id, bounded history); confirm by polling `backend.liveRevision`
 * (retrying `unavailable`) until the deadline; `restorePrevious` putting `.prev` back as it is, without checking it again (it was
 * live); sweeping stale candidates; the dry run of each operation; and fencing: each write
 * given a fence is first admitted by the state store (`<stateFile>.fence`), so a run whose
 * lease was broken is refused before it changes anything.
 */
export function createTrafficSwitch(options: TrafficSwitchOptions): Result<TrafficSwitch, DriverError> {
  const { backend } = options;
  return parseInput(optionsSchema, options, {
    driver: backend.name,
    op: "create",
    hint: "fix the named option",
  }).map((o) => trafficSwitch(options, o.colors, o.confirmTimeoutMs ?? 10_000));
}

function trafficSwitch(options: TrafficSwitchOptions, colors: readonly string[], confirmTimeoutMs: number) {
  const { backend, files } = options;
  const { livePath } = backend;
  const fail = files.fail;
  const prevPath = `${livePath}.prev`;
  const store = trafficStateStore(
    files,
    backend.name,
    colors,
    options.state,
    options.now ?? (() => new Date()),
  );
  /** Content hashes this switch validated, with the candidate file each left in place. */
  const validated = new Map<string, string>();

  const requestSchema = switchRequestSchema(colors);
  const stateSchema = trafficStateSchema(colors);
  const parseRequest = (request: SwitchRequest, op: string) =>
    parseInput(requestSchema, request, {
      driver: backend.name,
      op,
      hint: `switch to one of ${colors.join(", ")}, with a run id and an actor`,
    }) as Result<SwitchRequest, DriverError>;

  /** A rendered config as render() returns it: a known color, and content stamping its revision. */
  const checkConfig = (config: RenderedConfig, op: string): Result<RenderedConfig, DriverError> => {
    const bad = (message: string) =>
      err(fail(op, "invalid_input", message, { hint: "pass a config returned by render()" }));
    if (typeof config !== "object" || config === null || typeof config.content !== "string") {
      return bad("expected a rendered config { revision, color, content }");
    }
    if (!colors.includes(config.color)) {
      return bad(
        `color ${JSON.stringify(config.color)} is not one of the topology's colors (${colors.join(", ")})`,
      );
    }
    if (typeof config.revision !== "string" || config.revision === "")
      return bad("the config has no revision");
    return backend.revisionOf(config.content) === config.revision
      ? ok(config)
      : bad(`the config does not stamp its revision ${config.revision}`);
  };

  /** `fence` (when given) admitted by the state store: nothing may be changed before this succeeds. */
  const admitted = (fence: Fence | undefined, op: string): ResultAsync<void, DriverError> =>
    fence === undefined
      ? okAsync(undefined)
      : parseInput(fenceSchema, fence, {
          driver: backend.name,
          op,
          hint: "pass the run's lease as { key, token }",
        }).asyncAndThen((f) => store.admit(f, op));

  /** Runs `write` once `fence` (when given) is admitted by the state store. */
  const fenced = <T>(
    fence: Fence | undefined,
    op: string,
    write: () => ResultAsync<T, DriverError>,
  ): ResultAsync<T, DriverError> => admitted(fence, op).andThen(write);

  /**
   * `read` (which changes nothing the proxy serves) while `fence` is admitted, then `write`
   * with what it read: the admission's round trips overlap the read's instead of coming
   * before them.
   */
  const fencedAfterRead = <R, T>(
    fence: Fence | undefined,
    op: string,
    read: () => ResultAsync<R, DriverError>,
    write: (value: R) => ResultAsync<T, DriverError>,
  ): ResultAsync<T, DriverError> => {
    const reading = read();
    return admitted(fence, op)
      .andThen(() => reading)
      .andThen(write);
  };

  /** When this switch last swept stale candidates (epoch ms). */
  let sweptAt = Number.NEGATIVE_INFINITY;
  const sweepStaleTemps = (keep: string): ResultAsync<void, never> => {
    if (Date.now() - sweptAt < STALE_TEMP_MS) return okAsync(undefined);
    sweptAt = Date.now();
    return files.sweepTemps(livePath, STALE_TEMP_MS, keep);
  };

  /** Names this switch's candidates apart from any other switch's or run's. */
  const ownTag = randomBytes(4).toString("hex");

  /**
   * Writes `content` as its candidate beside the live file and checks it (removed again
   * when rejected). The candidate is this switch's own (named by the content's hash and
   * {@link ownTag}): no other run or switch writes it, so it is created in place with its
   * data fsync'd, and its name needs no fsync of the directory: only install's rename,
   * which fsyncs the directory, publishes it (a run that dies before stages again). Staged
   * again (the same content validated twice), it is replaced atomically. A backend whose
   * check reads only the content is checked while the candidate is written.
   */
  const stage = (content: string, op: string): ResultAsync<string, DriverError> => {
    const hash = sha256(content);
    const candidate = files.tempPath(livePath, `${hash.slice(0, 16)}-${ownTag}`, "new");
    const write = () =>
      files
        .writeNew(candidate, content, op)
        .orElse((e) =>
          e.details?.code === "EEXIST" ? files.writeFile(candidate, content, op) : errAsync(e),
        );
    const check = () =>
      ResultAsync.combine([
        backend.check(candidate, content).mapErr((e) => ({ ...e, op })),
        sweepStaleTemps(candidate),
      ]).map(() => undefined);
    // Written and checked together: both settle before a failure removes the candidate.
    const staged = backend.checksContentOnly
      ? ResultAsync.combine([check(), write()]).map(() => undefined)
      : write().andThen(check);
    return staged
      .map(() => {
        validated.set(hash, candidate);
        return candidate;
      })
      .orElse((e) => files.remove(candidate, op).andThen(() => errAsync(e)));
  };

  /** Renames the candidate of `content` over the live file, staging it (again) when it is not there. */
  const putInPlace = (content: string, op: string): ResultAsync<void, DriverError> => {
    const staged = validated.get(sha256(content));
    if (!staged) return stage(content, op).andThen((path) => files.rename(path, livePath, op));
    return files.rename(staged, livePath, op).orElse((e) =>
      // The staged candidate vanished (swept, or removed by hand): stage and check it again.
      e.reason === "not_found"
        ? stage(content, op).andThen((again) => files.rename(again, livePath, op))
        : errAsync(e),
    );
  };

  const liveRevisionOnce = () => backend.liveRevision().mapErr((e) => ({ ...e, op: "liveRevision" }));

  const candidate = files.tempPath(livePath, "<hash>", "new");
  const at = backend.location;
  const describe = (
    operation: Parameters<TrafficSwitch["describe"]>[0],
    request: { color: string; sha?: string },
  ) => {
    const { stateFile, historyFile } = options.state;
    const actions: Record<typeof operation, () => readonly Action[]> = {
      readState: () => [
        { kind: "file", op: "read", where: at, path: stateFile },
        { kind: "file", op: "read", where: at, path: historyFile },
      ],
      validate: () => [
        {
          kind: "note",
          text: `render ${livePath} for ${request.color}${request.sha ? ` (sha ${request.sha})` : ""}`,
        },
        { kind: "file", op: "write", where: at, path: candidate },
        ...backend.describe("check", candidate),
      ],
      activate: () => [
        { kind: "file", op: "write", where: at, path: prevPath },
        { kind: "file", op: "rename", where: at, path: candidate, to: livePath },
        ...backend.describe("activate", livePath),
        ...backend.describe("confirm", livePath),
      ],
      record: () => [
        { kind: "file", op: "write", where: at, path: stateFile },
        { kind: "file", op: "write", where: at, path: historyFile },
      ],
      restore: () => [
        { kind: "file", op: "read", where: at, path: prevPath },
        { kind: "file", op: "write", where: at, path: livePath },
      ],
    };
    return actions[operation]();
  };

  const sw: TrafficSwitch = {
    name: backend.name,
    colors,

    readState: () => store.read("readState"),

    render(request) {
      return parseRequest(request, "render")
        .andThen((r) => {
          const revision = formatRevision(r);
          return backend.render(r, revision).andThen((content) =>
            backend.revisionOf(content) === revision
              ? ok<RenderedConfig, DriverError>({ revision, color: r.color, content })
              : err(
                  fail(
                    "render",
                    "invalid_input",
                    `the rendered ${livePath} does not stamp the revision ${revision}`,
                    {
                      hint:
                        backend.stampHint ??
                        "make the template stamp {{revision}} where liveRevision reads it",
                    },
                  ),
                ),
          );
        })
        .mapErr((e) => ({ ...e, op: "render" }))
        .asyncAndThen((config) => okAsync(config));
    },

    validate(config) {
      return checkConfig(config, "validate").asyncAndThen((c) =>
        stage(c.content, "validate").map(() => undefined),
      );
    },

    install(config, fence) {
      const op = "install";
      return checkConfig(config, op).asyncAndThen((c) =>
        fencedAfterRead(
          fence,
          op,
          () => files.read(livePath, op),
          (live) => {
            if (live === c.content) {
              // Already installed (a resumed run): `.prev` stays the file this install replaced.
              return files.read(prevPath, op).map((prev) => ({
                previousRevision: prev === null ? null : backend.revisionOf(prev),
              }));
            }
            // Checked first (putInPlace stages when needed): a rejected config leaves the live
            // file and `.prev` as they were. With no live file there is nothing to keep, and an
            // older `.prev` must not be restored later.
            const staged = validated.get(sha256(c.content));
            const keepPrevious = () =>
              live === null ? files.remove(prevPath, op) : files.linkOrCopy(livePath, prevPath, live, op);
            return (staged ? okAsync(staged) : stage(c.content, op))
              .andThen(() => keepPrevious())
              .andThen(() => putInPlace(c.content, op))
              .map(() => {
                validated.delete(sha256(c.content));
                return { previousRevision: live === null ? null : backend.revisionOf(live) };
              });
          },
        ),
      );
    },

    reload: (fence) => {
      const { prepareActivate } = backend;
      const activation = prepareActivate
        ? fencedAfterRead(fence, "reload", prepareActivate, (commit) => commit())
        : fenced(fence, "reload", () => backend.activate());
      return activation.mapErr((e) => ({ ...e, op: "reload" }));
    },

    installedRevision() {
      return files
        .read(livePath, "installedRevision")
        .map((content) => (content === null ? null : backend.revisionOf(content)));
    },

    // Right after a reload the proxy may briefly answer nothing (an old worker stopping):
    // asked on its own, the live revision gets a short grace before `unavailable` stands.
    liveRevision: () =>
      poll({
        read: liveRevisionOnce,
        done: () => true,
        timeoutMs: LIVE_REVISION_GRACE_MS,
        backoff: () => 10,
        retryOn: unavailable,
      }).mapErr((f) => {
        if (f.kind === "error") return f.error;
        if (f.kind === "timeout" && f.last && "error" in f.last) return f.last.error;
        return fail("liveRevision", "aborted", "asking the live revision was stopped");
      }),

    confirm(revision) {
      if (typeof revision !== "string" || !/^\S+$/.test(revision)) {
        return errAsync(fail("confirm", "invalid_input", "expected a revision returned by render()"));
      }
      const settleMs = backend.settleMs ?? 0;
      /** When the current run of answers that are all `revision` began. */
      let since: number | null = null;
      return poll({
        read: liveRevisionOnce,
        done: (live) => {
          if (live !== revision) {
            since = null;
            return false;
          }
          since ??= Date.now();
          return Date.now() - since >= settleMs;
        },
        timeoutMs: confirmTimeoutMs,
        // Only a proxy briefly gone (its workers are being replaced) is worth waiting for.
        retryOn: (e) => e.reason === "unavailable" || e.reason === "timeout",
      })
        .map(() => undefined)
        .mapErr((f): DriverError => {
          const last = f.kind === "error" ? { error: f.error } : f.kind === "timeout" ? f.last : null;
          if (last && "error" in last) {
            return {
              ...last.error,
              op: "confirm",
              message: `could not confirm revision ${revision}: ${last.error.message}`,
            };
          }
          const live = last?.value ?? null;
          return fail(
            "confirm",
            "failed",
            `the running ${backend.name} still reports revision ${live ?? "(none)"} after ${confirmTimeoutMs} ms, not ${revision}`,
            {
              hint:
                backend.confirmHint ??
                `the new config did not take: check ${backend.name}'s log; undo restores the previous config`,
              details: { expected: revision, live },
            },
          );
        });
    },

    record(request, fence) {
      return parseRequest(request, "record").asyncAndThen((r) =>
        // The history is read while the fence is admitted; nothing is written before it is.
        store.record(r, "record", admitted(fence, "record")),
      );
    },

    restorePrevious(fence) {
      const op = "restorePrevious";
      const both = () => ResultAsync.combine([files.read(prevPath, op), files.read(livePath, op)] as const);
      return fencedAfterRead(fence, op, both, ([prev, live]) => {
        if (prev === null) {
          return errAsync(
            fail(op, "not_found", `no previous config is kept at ${prevPath}: nothing to restore`, {
              hint: `the live ${livePath} is unchanged; restore it from your config management if it is wrong`,
            }),
          );
        }
        const revision = backend.revisionOf(prev);
        // Not checked again: it was live before, and a restore must not depend on the checker.
        return (live === prev ? okAsync(undefined) : files.writeAtomic(livePath, prev, op)).map(() => ({
          revision,
        }));
      });
    },

    writeState(state, fence) {
      const op = "writeState";
      return parseInput(stateSchema, state, {
        driver: backend.name,
        op,
        hint: `the active color must be one of ${colors.join(", ")}`,
      }).asyncAndThen((st) => fenced(fence, op, () => store.write(st as TrafficState, op)));
    },

    describe,
  };
  return sw;
}
